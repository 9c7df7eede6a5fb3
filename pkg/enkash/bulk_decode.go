package enkash

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// holdsItems reports whether a payload lists or counts items: a non-empty
// array anywhere in it, or a count that is not zero under a key naming
// one (success, fail, total or count, in any case). A payload that cannot
// be read may hold them.
func holdsItems(payload json.RawMessage) bool {
	if len(bytes.TrimSpace(payload)) == 0 {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return true
	}
	return itemsIn(v, "")
}

// itemsIn is holdsItems for the value v found under key.
func itemsIn(v any, key string) bool {
	switch v := v.(type) {
	case []any:
		return len(v) > 0
	case map[string]any:
		for k, x := range v {
			if itemsIn(x, k) {
				return true
			}
		}
	case json.Number:
		n, err := money.ParseWire(v.String())
		return countKey(key) && (err != nil || !n.IsZero()) // an unreadable count may not be zero
	case string:
		n, err := money.ParseWire(v)
		return countKey(key) && err == nil && !n.IsZero() // a count written as a string; other text is no count
	}
	return false
}

// countKey reports whether a key names a count of items.
func countKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "count") || strings.Contains(k, "success") || strings.Contains(k, "fail") || strings.Contains(k, "total")
}
