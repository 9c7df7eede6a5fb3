package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

func TestNormalizeEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080///", "http://127.0.0.1:8080"},
		{"https://API.EnKash.in", "https://api.enkash.in"},
		{"https://api.enkash.in:443/", "https://api.enkash.in"},
		{"http://api.enkash.in:80", "http://api.enkash.in"},
		{"https://api.enkash.in:8443", "https://api.enkash.in:8443"},
		{"https://user:pa55@api.enkash.in/", "https://api.enkash.in"},
		{"https://api.enkash.in./v1/", "https://api.enkash.in/v1"},
		{"  https://api.enkash.in?x=1#f ", "https://api.enkash.in"},
		{"api.enkash.in", "https://api.enkash.in"},
		{"http://[::1]:9000/", "http://[::1]:9000"},
		{"https://[::1]:443", "https://[::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeEndpoint(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := NormalizeEndpoint("https://user:s3cret@")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret", "the message masks user info")
}

func TestScopeKeys(t *testing.T) {
	t.Parallel()
	same := []string{"http://127.0.0.1:9/", "HTTP://127.0.0.1:9", "http://u:p@127.0.0.1:9//"}
	for _, u := range same {
		assert.Equal(t, "http://127.0.0.1:9|C|A", Scope(u, "C", "A"), u)
	}
	named, err := NewTarget("Production", "https://x.example", "C", "A")
	require.NoError(t, err)
	assert.Equal(t, "env:production|C|A", named.Key())
	assert.Equal(t, "environment production (https://x.example), company C, reward account A", named.String())
	_, err = NewTarget("prod env!", "https://x.example", "C", "A")
	assert.ErrorContains(t, err, "give a short name such as production")
	assert.Equal(t, "https://", RedactURL("https://user:secret@"))
	assert.Equal(t, "host:1", RedactURL("user:secret@host:1"))
	assert.Equal(t, "https://host/x", RedactURL("https://user:secret@host/x"))
}

// bindT binds a target and fails the test on error.
func bindT(t *testing.T, l *Ledger, env, url string) (string, bool) {
	t.Helper()
	tg, err := NewTarget(env, url, "C", "A")
	require.NoError(t, err)
	key, fresh, err := l.Bind(context.Background(), tg)
	require.NoError(t, err)
	return key, fresh
}

// confirm records one confirmed reference under scope.
func confirm(t *testing.T, l *Ledger, scope, id string, it *reward.Item) {
	t.Helper()
	j, err := l.StartRun(context.Background(), RunInfo{ID: id, Scope: scope, StartedAt: time.Now()})
	require.NoError(t, err)
	begin1(t, j, it)
	require.NoError(t, j.Record(&reward.Outcome{Item: it, Status: reward.StatusMatched, Attempts: 1}))
	require.NoError(t, j.Close())
}

func TestBindFollowsOneEnvironmentAndRefusesAnother(t *testing.T) {
	t.Parallel()
	l, _ := open(t)
	ctx := context.Background()
	it := items(t, file)[0]

	key, fresh := bindT(t, l, "", "http://127.0.0.1:9/")
	assert.True(t, fresh, "a new ledger")
	confirm(t, l, key, "r1", it)
	key2, fresh := bindT(t, l, "", "HTTP://127.0.0.1:9")
	assert.Equal(t, key, key2, "the same address, spelled otherwise")
	assert.False(t, fresh)

	other, err := NewTarget("", "http://localhost:9", "C", "A")
	require.NoError(t, err)
	_, _, err = l.Bind(ctx, other)
	require.True(t, errors.Is(err, ErrScopeMoved), "%v", err)
	assert.Contains(t, err.Error(), "it keeps company C, reward account A under http://127.0.0.1:9, company C, reward account A, "+
		"but this run is configured for http://localhost:9")
	assert.Contains(t, err.Error(), "Nothing was sent")

	// Naming the environment adopts what the address kept; the address then
	// finds the named environment, and another address works under the name.
	named, fresh := bindT(t, l, "uat", "http://127.0.0.1:9")
	assert.Equal(t, "env:uat|C|A", named)
	assert.False(t, fresh, "the references came along")
	j, err := l.StartRun(ctx, RunInfo{ID: "r2", Scope: named, StartedAt: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, reward.PriorDone, begin1(t, j, it).Kind)
	require.NoError(t, j.Close())
	again, _ := bindT(t, l, "", "http://127.0.0.1:9")
	assert.Equal(t, named, again)
	moved, _ := bindT(t, l, "uat", "http://localhost:9")
	assert.Equal(t, named, moved)

	prod, err := NewTarget("production", "https://pay.example", "C", "A")
	require.NoError(t, err)
	_, _, err = l.Bind(ctx, prod)
	require.True(t, errors.Is(err, ErrScopeMoved), "a UAT ledger is not a production one: %v", err)
	assert.Contains(t, err.Error(), "set ENKASH_ENVIRONMENT=uat (only if this is that same EnKash environment)")

	otherAccount, err := NewTarget("production", "https://pay.example", "C", "B")
	require.NoError(t, err)
	_, fresh, err = l.Bind(ctx, otherAccount)
	require.NoError(t, err, "another reward account may share the ledger")
	assert.True(t, fresh)
}
