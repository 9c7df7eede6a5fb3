package enkash

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// The keys a bulk answer may use. The portal documents the success list's
// key and cuts the rest off. The lists decide how a row ends, so only the
// documented key, its failure twin and the portal's two spellings of
// EnKash are read: a list under any other key settles nothing, and its
// rows are looked up. The other fields only fill the receipt and the
// message, and are read under their likely spellings.
var (
	bulkSuccessKeys = []string{"successBulkEnKashCardCreateDTOs", "successBulkEnkashCardCreateDTOs"}
	bulkFailureKeys = []string{"failureBulkEnKashCardCreateDTOs", "failureBulkEnkashCardCreateDTOs"}
	bulkRefKeys     = []string{"uniqueReferenceNumber", "uniqueReferenceNum", "pgReferenceNumber"}
	bulkReasonKeys  = []string{"failureReason", "reason", "failureMessage", "errorMessage", "error", "message"}
	bulkCardKeys    = []string{"enKashCardId", "enkashCardId"}
	bulkTxnKeys     = []string{"enkashCardTxnId", "enKashTransactionId", "enkashCardTransactionId", "transactionId"}
	bulkBalanceKeys = []string{"otbBalance", "cardBalance"}
)

// bulkObject is one JSON object of a bulk answer, read key by key so that
// one odd item or field settles less instead of nothing.
type bulkObject map[string]json.RawMessage

// text returns the first of keys that holds a non-empty string or number.
func (o bulkObject) text(keys ...string) string {
	for _, k := range keys {
		raw := bytes.TrimSpace(o[k])
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				return s
			}
			continue
		}
		if raw[0] != '{' && raw[0] != '[' {
			return string(raw)
		}
	}
	return ""
}

// refs returns every distinct reference the object echoes.
func (o bulkObject) refs() []string {
	var out []string
	for _, k := range bulkRefKeys {
		if r := o.text(k); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// bulkDecoder gathers the findings of one answer.
type bulkDecoder struct {
	sent  map[string]money.Amount
	ans   *BulkAnswer
	claim map[string]int // how many listed items name each sent reference
}

// DecodeBulk reads the payload of a bulk answer against the rows sent
// (reference to amount). It never fails: what it cannot read settles
// nothing. An item settles a row only through its reference; a reference
// listed more than once, an applied item whose loadAmount differs from the
// row's, or an item whose reference differs between spellings leaves the
// row unsettled, for the lookups to judge.
func DecodeBulk(payload json.RawMessage, sent map[string]money.Amount) *BulkAnswer {
	d := &bulkDecoder{sent: sent, claim: map[string]int{},
		ans: &BulkAnswer{Raw: payload, Counts: BulkCounts{-1, -1, -1}, findings: map[string]BulkFinding{}}}
	var top bulkObject
	if len(payload) == 0 || json.Unmarshal(payload, &top) != nil || top == nil {
		return d.ans
	}
	d.ans.Counts = BulkCounts{count(top, "successCount", "noOfSuccess", "successfulCount"),
		count(top, "failureCount", "noOfFailure", "failedCount"), count(top, "totalCount", "noOfTotal", "total")}
	for _, it := range list(top, bulkSuccessKeys) {
		d.success(it)
	}
	for _, it := range list(top, bulkFailureKeys) {
		d.failure(it)
	}
	for ref, n := range d.claim {
		if n > 1 {
			d.ans.findings[ref] = BulkFinding{Why: fmt.Sprintf("the bulk answer lists this reference %d times", n)}
		}
	}
	return d.ans
}

// list returns the items of the first of keys that holds an array; an
// item that is not an object is kept as nil (it settles nothing).
func list(top bulkObject, keys []string) []bulkObject {
	for _, k := range keys {
		var raws []json.RawMessage
		if json.Unmarshal(top[k], &raws) != nil || raws == nil {
			continue
		}
		out := make([]bulkObject, len(raws))
		for i, r := range raws {
			_ = json.Unmarshal(r, &out[i])
		}
		return out
	}
	return nil
}

// count reads a counter in any number form; -1 when absent or unreadable.
func count(top bulkObject, keys ...string) int {
	for _, k := range keys {
		if raw, ok := top[k]; ok {
			if n, ok := wholeNumber(raw); ok {
				return int(n)
			}
		}
	}
	return -1
}

// ref returns the sent reference an item names, or "" (counted as
// unmatched) when it names none, an unknown one, or differing ones.
func (d *bulkDecoder) ref(it bulkObject) string {
	refs := it.refs()
	if len(refs) != 1 {
		d.ans.Unmatched++
		return ""
	}
	if _, ok := d.sent[refs[0]]; !ok {
		d.ans.Unmatched++
		return ""
	}
	d.claim[refs[0]]++
	return refs[0]
}

func (d *bulkDecoder) success(it bulkObject) {
	ref := d.ref(it)
	if ref == "" {
		return
	}
	if raw, ok := it["loadAmount"]; ok && string(raw) != "null" {
		amt, err := money.ParseWire(string(raw))
		if err != nil || amt.Cmp(d.sent[ref]) != 0 {
			d.ans.findings[ref] = BulkFinding{Why: fmt.Sprintf("the success item's loadAmount %s is not the row's %s", raw, d.sent[ref])}
			return
		}
	}
	res := &AllocateResult{PGReferenceNumber: ref, EnKashCardID: it.text(bulkCardKeys...), UserID: it.text("userId"),
		CardAccountID: it.text("cardAccountId"), EnkashCardTxnID: it.text(bulkTxnKeys...),
		Email: it.text("email"), Mobile: it.text("mobile"), Title: it.text("title"), FirstName: it.text("name", "firstName")}
	for _, k := range bulkBalanceKeys {
		if otb, err := wireNumber(it[k]); err == nil && otb != "" {
			res.OTBBalance = otb
			break
		}
	}
	d.ans.findings[ref] = BulkFinding{State: BulkApplied, Applied: res}
}

func (d *bulkDecoder) failure(it bulkObject) {
	ref := d.ref(it)
	if ref == "" {
		return
	}
	reason := cmp.Or(it.text(bulkReasonKeys...), "no reason given")
	d.ans.findings[ref] = BulkFinding{State: BulkRefused, Err: refusal(PathBulkAllocate, 200, 1, reason)}
}

// successWords are the words by which a refusal's text may tell that
// something of the call was applied.
var successWords = []string{"success", "processed", "applied", "credited"}

// wholeRefusal reports whether plain, the decrypted body of a bulk call's
// HTTP 400, proves that nothing of the call was applied. Only positive
// evidence counts: a JSON object holding nothing but EnKash's envelope
// keys (code, response_code, message, response_message, payload, each
// once and spelt as EnKash writes them), every code present a non-zero
// number, no message telling of success, and a payload that is blank (see
// [blankPayload]) or repeats a message. Anything else may hide applied
// items: their lists under another key, counters under other names, a
// payload quoting JSON.
func wholeRefusal(plain []byte, sent map[string]money.Amount) bool {
	top, ok := topLevel(plain)
	if !ok {
		return false
	}
	codes, msgs := 0, []string{}
	for k, raw := range top {
		switch k {
		case "code", "response_code":
			n, ok := wholeNumber(raw)
			if !ok || n == 0 {
				return false
			}
			codes++
		case "message", "response_message":
			var s string
			if json.Unmarshal(raw, &s) != nil || tellsOfSuccess(s) {
				return false
			}
			msgs = append(msgs, s)
		case "payload":
			// judged below, once every message is known
		default:
			return false
		}
	}
	if p, ok := top["payload"]; ok && !echoes(p, msgs) && !blankPayload(p, sent) {
		return false
	}
	return codes > 0
}

// echoes reports whether a payload is a text repeating one of msgs, the
// envelope's messages: it then says no more than the message, judged
// already (EnKash's documented refusals carry the message twice).
func echoes(payload json.RawMessage, msgs []string) bool {
	var s string
	return json.Unmarshal(payload, &s) == nil && s != "" && slices.Contains(msgs, s)
}

// topLevel reads the keys of a JSON object; false when plain is anything
// else, or names a key twice (which of the two counts is the reader's
// guess).
func topLevel(plain []byte) (map[string]json.RawMessage, bool) {
	d := json.NewDecoder(bytes.NewReader(plain))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	top := map[string]json.RawMessage{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, false
		}
		k, _ := t.(string)
		var raw json.RawMessage
		if _, twice := top[k]; twice || d.Decode(&raw) != nil {
			return nil, false
		}
		top[k] = raw
	}
	if _, err := d.Token(); err != nil {
		return nil, false
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, false // something after the object
	}
	return top, true
}

// blankPayload reports whether a refusal's payload says nothing of items:
// absent, null, {}, [], a text without digits, or an object whose every
// leaf is null, false, a zero number, an empty array or object, or a text
// without digits (true only under a key naming no success). Keys holding
// digits or a sent reference name items; a scalar under an identifier's
// key (companyId, cardAccountId) is ignored unless it is a sent reference
// or the key names a transaction or a reference. No text may tell of
// success.
func blankPayload(raw json.RawMessage, sent map[string]money.Amount) bool {
	if len(bytes.TrimSpace(raw)) == 0 {
		return true
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return false
	}
	switch v.(type) {
	case json.Number, bool:
		return false
	}
	return blankValue(v, "", sent)
}

// blankValue is blankPayload for the value v found under key.
func blankValue(v any, key string, sent map[string]money.Amount) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v || !tellsOfSuccess(key)
	case json.Number:
		n, err := money.ParseWire(v.String())
		return err == nil && n.IsZero()
	case string:
		return !strings.ContainsAny(v, "0123456789") && !tellsOfSuccess(v) && !isSent(v, sent)
	case []any:
		return len(v) == 0
	case map[string]any:
		for k, x := range v {
			s, _ := x.(string)
			if idKey(k) && scalar(x) && !isSent(s, sent) && !tellsOfSuccess(s) && !tellsOfSuccess(k) {
				continue
			}
			if strings.ContainsAny(k, "0123456789") || isSent(k, sent) || !blankValue(x, k, sent) {
				return false
			}
		}
		return true
	}
	return false
}

// idKey reports whether a key names an identifier of the request's
// context (companyId, cardAccountId, request_id), not of a transaction or
// a reference: "id", or a key ending in Id or ID after a lower-case letter
// or a digit, or in _id or -id.
func idKey(k string) bool {
	l := strings.ToLower(k)
	if strings.Contains(l, "txn") || strings.Contains(l, "transaction") || strings.Contains(l, "ref") {
		return false
	}
	if l == "id" || strings.HasSuffix(l, "_id") || strings.HasSuffix(l, "-id") {
		return true
	}
	if len(k) < 3 || !(strings.HasSuffix(k, "Id") || strings.HasSuffix(k, "ID")) {
		return false
	}
	c := rune(k[len(k)-3])
	return unicode.IsLower(c) || unicode.IsDigit(c)
}

// scalar reports whether v is a JSON null, boolean, number or text.
func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, json.Number, string:
		return true
	}
	return false
}

// isSent reports whether s is a reference of the call.
func isSent(s string, sent map[string]money.Amount) bool {
	_, ok := sent[s]
	return ok && s != ""
}

// tellsOfSuccess reports whether a text speaks of something applied.
func tellsOfSuccess(s string) bool {
	l := strings.ToLower(s)
	return slices.ContainsFunc(successWords, func(w string) bool { return strings.Contains(l, w) })
}
