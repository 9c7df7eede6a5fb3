package enkash

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
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

// progressStems are the stems, in lower case, by which a refusal's
// message may tell that something of the call was done.
var progressStems = []string{"succe", "partial", "complet", "allocat", "loaded", "accept", "credit", "process",
	"appl", "save", "creat", "done", "post", "paid", "transfer", "issue", "topped", "finish", "fund"}

// itemWords name one row of a call: a refusal that points at a row by its
// place may come from a call that stopped there, the rows before it done.
var itemWords = []string{"row", "index", "item", "line", "position", "entry", "record #", "element"}

// wholeRefusal reports whether plain, the decrypted body of a bulk call's
// refusal, proves that nothing of the call was applied. It is an
// allowlist: only a JSON object holding nothing but EnKash's envelope keys
// (code, response_code, message, response_message, payload, each once and
// spelt as EnKash writes them), every code present a non-zero number,
// every message a plain refusal (see [plainRefusal]), and a payload that
// is absent, null, {}, [] or a text equal to one of the messages. Anything
// else may tell of applied items, in words or keys no list can foresee.
//
// A refusal other than HTTP 400 ends every row of the call FAILED, not
// sent again, so it must be one of EnKash's documented whole-call
// refusals, word for word ([documentedRefusal]). A 400 is split and its
// rows sent again at once, so its message must also name no row (by its
// place, a mobile, an e-mail) and hold no [progressStems].
func wholeRefusal(plain []byte, sent map[string]money.Amount, status int) bool {
	top, ok := topLevel(plain)
	if !ok {
		return false
	}
	codes, msgs := 0, []string{}
	for k, raw := range top {
		switch k {
		case "code", "response_code":
			if n, ok := wholeNumber(raw); !ok || n == 0 || !isJSONNumber(raw) {
				return false
			}
			codes++
		case "message", "response_message":
			var s string
			if !isJSONString(raw) || json.Unmarshal(raw, &s) != nil || !plainRefusal(s, sent, status) {
				return false
			}
			msgs = append(msgs, s)
		case "payload":
			// judged below, once every message is known
		default:
			return false
		}
	}
	return codes > 0 && len(msgs) > 0 && blankOrEcho(top["payload"], msgs)
}

// documentedRefusals are the bulk page's documented refusals that concern
// the account, not a row: nothing of a call can be applied under them.
var documentedRefusals = []string{
	"Primary Enkash card is not present. So bulk upload cannot be done",
	"KYC is not uploaded or under review for the primary card. So bulk upload cannot be done",
	"Bin Type is not mapped on PlanMaster",
	"Card Account does not exist for this partner",
}

// cardAccountNotFound is the documented 404 of the bulk page, with the
// request's ids in it.
var cardAccountNotFound = regexp.MustCompile(`^Card account not found for companyId: [A-Za-z0-9]+ and cardAccountId: [A-Za-z0-9]+$`)

// documentedRefusal reports whether msg is one of the documented refusals
// of a whole bulk call, word for word (in any case).
func documentedRefusal(msg string) bool {
	msg = strings.TrimSpace(msg)
	return slices.ContainsFunc(documentedRefusals, func(d string) bool { return strings.EqualFold(d, msg) }) ||
		cardAccountNotFound.MatchString(msg)
}

// plainRefusal reports whether a refusal's message tells of nothing done.
// For a status other than 400 it must be a [documentedRefusal]. A 400's
// must be printable ASCII only (no look-alike letters), name no sent
// reference (in any case), no row by its place ([itemWords]), no e-mail
// and no mobile (ten digits in a row), and hold no [progressStems].
func plainRefusal(msg string, sent map[string]money.Amount, status int) bool {
	if status != http.StatusBadRequest {
		return documentedRefusal(msg)
	}
	if strings.TrimSpace(msg) == "" {
		return false // a refusal that says nothing proves nothing
	}
	for i := 0; i < len(msg); i++ {
		if msg[i] < ' ' || msg[i] > '~' {
			return false
		}
	}
	l := strings.ToLower(msg)
	for ref := range sent {
		if ref != "" && strings.Contains(l, strings.ToLower(ref)) {
			return false
		}
	}
	has := func(w string) bool { return strings.Contains(l, w) }
	return !slices.ContainsFunc(progressStems, has) && !slices.ContainsFunc(itemWords, has) &&
		!strings.Contains(l, "@") && !tenDigits.MatchString(l) && !okWord.MatchString(l)
}

// tenDigits finds a mobile number in a message; okWord, an "ok".
var (
	tenDigits = regexp.MustCompile(`[0-9]{10}`)
	okWord    = regexp.MustCompile(`\bok\b`)
)

// blankOrEcho reports whether a refusal's payload says nothing beyond its
// messages: absent, null, {}, [], or a text equal to one of msgs
// (EnKash's documented refusals carry the message twice).
func blankOrEcho(payload json.RawMessage, msgs []string) bool {
	if len(payload) == 0 {
		return true
	}
	var compact bytes.Buffer
	if json.Compact(&compact, payload) != nil {
		return false
	}
	if c := compact.String(); c == "null" || c == "{}" || c == "[]" {
		return true
	}
	var s string
	return isJSONString(payload) && json.Unmarshal(payload, &s) == nil && slices.Contains(msgs, s)
}

// isJSONString reports whether raw is a JSON text (not null).
func isJSONString(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '"'
}

// isJSONNumber reports whether raw is a JSON number (not a text holding one).
func isJSONNumber(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9')
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
