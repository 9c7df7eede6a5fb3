package engine_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/engine/enginetest"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// bulkRows returns the rows of its that go in bulk calls, in order.
func bulkRows(its []*reward.Item) []*reward.Item {
	var out []*reward.Item
	for _, it := range its {
		if it.Allocation.Operation == reward.OpAllocate && it.Allocation.EnkashCardID == "" {
			out = append(out, it)
		}
	}
	return out
}

// TestBulkPartial400IsNeverSplit runs bulk calls against a server that
// applies the items of a call before one reference, then answers HTTP 400
// for the whole call, and credits a repeated reference again. The 400
// proves nothing of the call as a whole: no row of it is sent again. A
// row the answer lists as applied, or that a lookup finds, is MATCHED;
// the bad row and those after it, which nothing proves either way, end
// UNKNOWN; every other batch is credited as usual, and no reference twice.
func TestBulkPartial400IsNeverSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string // the shape of the 400's payload
		html   bool   // the 400 is a gateway's page, not EnKash's envelope
	}{
		{"400 listing the applied items", sandbox.BulkAnswerBoth, false},
		{"400 listing the applied items only", sandbox.BulkAnswerSuccess, false},
		{"400 with the counters only", sandbox.BulkAnswerCounts, false},
		{"400 from a gateway, an HTML page", sandbox.BulkAnswerBoth, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			its := items(t, 60)
			first := bulkRows(its)[:8] // the first batch
			bad := first[2].Allocation.Reference
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain,
				BulkAnswer: tt.answer, Faults: sandbox.Faults{BulkPartial400: bad, BulkPartial400HTML: tt.html}})
			out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 8), enginetest.NewJournal(), nil)
			assertSafe(t, env, its, out)
			credits := groundTruth(t, env)
			inFirst := map[*reward.Item]int{}
			for i, it := range first {
				inFirst[it] = i
			}
			for _, o := range out {
				ref := o.Item.Allocation.Reference
				i, ok := inFirst[o.Item]
				switch {
				case !ok:
					assert.Equal(t, reward.StatusMatched, o.Status, "%s: %s", ref, o.ErrorMessage)
				case i < 2:
					assert.Equal(t, 1, credits[ref], "%s was applied before the bad row", ref)
					assert.Equal(t, reward.StatusMatched, o.Status, "%s: %s", ref, o.ErrorMessage)
				default:
					assert.Zero(t, credits[ref], "%s was never applied", ref)
					assert.Equal(t, reward.StatusUnknown, o.Status, "%s is not proven either way: %s", ref, o.ErrorMessage)
					assert.Equal(t, reward.CodeAmbiguous, o.ErrorCode, ref)
				}
				if ok {
					assert.Equal(t, 1, o.Attempts, "%s: a row of the 400 call is never sent again", ref)
				}
			}
			assert.EqualValues(t, 1, env.Stats().Count("faults bulk-partial-400"), "the call with the bad row went once")
			require.Positive(t, bulkCalls(env))
		})
	}
}

// reshape400 is a proxy before the sandbox that rewrites the JSON body of
// each bulk call's HTTP 400 with edit, as a server shaped otherwise than
// the sandbox would answer.
func reshape400(t *testing.T, env *sandboxtest.Env, edit func(map[string]any)) string {
	t.Helper()
	target, err := url.Parse(env.URL)
	require.NoError(t, err)
	p := httputil.NewSingleHostReverseProxy(target)
	p.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != enkash.PathBulkAllocate || resp.StatusCode != http.StatusBadRequest {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			return err
		}
		edit(body)
		if b, err = json.Marshal(body); err != nil {
			return err
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestBulkPartial400ReshapedIsNeverSplit runs TestBulkPartial400IsNeverSplit's
// server behind a proxy that hides what the 400 did where the client does
// not read it: no row of the 400 call is sent again, none is credited
// twice, the applied rows are found by lookups and the others end UNKNOWN.
func TestBulkPartial400ReshapedIsNeverSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(map[string]any)
	}{
		{"the payload moved to a top-level data key", func(b map[string]any) { b["data"], b["payload"] = b["payload"], nil }},
		{"the payload quoted as a string", func(b map[string]any) {
			p, _ := json.Marshal(b["payload"])
			b["payload"] = string(p)
		}},
		{"counters only, under other names", func(b map[string]any) {
			p, _ := b["payload"].(map[string]any)
			b["payload"] = map[string]any{"processed": p["successCount"], "rejected": p["failureCount"]}
		}},
		{"code 0 and no payload", func(b map[string]any) { b["code"], b["message"], b["payload"] = 0, "Failure", nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			its := items(t, 60)
			first := bulkRows(its)[:8]
			env := sandboxtest.Start(t, sandbox.Options{Cards: sandbox.DemoCards(), Duplicates: sandbox.DuplicateApplyAgain, Plain: true,
				Faults: sandbox.Faults{BulkPartial400: first[2].Allocation.Reference}})
			proxy := reshape400(t, env, tt.edit)
			out, _ := runWith(t, env, its, bulkMode(engine.Config{Workers: 1, FailRatio: -1}, 8), enginetest.NewJournal(),
				func(c *enkash.Config) { c.BaseURL = proxy })
			assertSafe(t, env, its, out)
			inFirst := map[*reward.Item]int{}
			for i, it := range first {
				inFirst[it] = i
			}
			for _, o := range out {
				i, ok := inFirst[o.Item]
				if !ok {
					continue
				}
				want := reward.StatusUnknown
				if i < 2 {
					want = reward.StatusMatched // applied before the bad row: found by a lookup
				}
				assert.Equal(t, want, o.Status, "%s: %s", o.Item.Allocation.Reference, o.ErrorMessage)
				assert.Equal(t, 1, o.Attempts, "%s: a row of the 400 call is never sent again", o.Item.Allocation.Reference)
			}
			assert.EqualValues(t, 1, env.Stats().Count("faults bulk-partial-400"), "the call with the bad row went once")
		})
	}
}
