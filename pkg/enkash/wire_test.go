package enkash

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeEnvelopeBothForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		code       int
		message    string
		failure    string
		payload    string
	}{
		{"code/message with object payload", `{"code":0,"message":"Success","payload":{"enKashCardId":"EKC1"}}`,
			0, "Success", "Success", `{"enKashCardId":"EKC1"}`},
		{"response_code with string payload", `{"response_code":1,"response_message":"Insufficient balance in card account","payload":"Insufficient balance in card account"}`,
			1, "Insufficient balance in card account", "Insufficient balance in card account", `"Insufficient balance in card account"`},
		{"code as a string", `{"code":"1","message":"Failure","payload":"Card not found"}`, 1, "Failure", "Card not found", `"Card not found"`},
		{"code as a Jackson double", `{"code":1.0,"message":"Failure","payload":"Card not found"}`, 1, "Failure", "Card not found", `"Card not found"`},
		{"success code as a double", `{"response_code":0.0,"response_message":"Success","payload":{}}`, 0, "Success", "Success", `{}`},
		{"no message falls back to the payload", `{"code":1,"payload":"Duplicate uniqueReferenceNumber"}`,
			1, "", "Duplicate uniqueReferenceNumber", `"Duplicate uniqueReferenceNumber"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeEnvelope([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.code, env.Code)
			assert.Equal(t, tt.message, env.Message)
			assert.Equal(t, tt.failure, env.FailureText())
			assert.JSONEq(t, tt.payload, string(env.Payload))
		})
	}
	_, err := DecodeEnvelope([]byte(`{"code":0.5}`))
	assert.ErrorContains(t, err, "is not a number")
	_, err = DecodeEnvelope([]byte(`{"status":"ok"}`))
	assert.ErrorContains(t, err, "neither code nor response_code")
	_, err = DecodeEnvelope([]byte(`<html>`))
	assert.Error(t, err)
}

func TestRequestSpellsTheReferenceAsConfigured(t *testing.T) {
	t.Parallel()
	amt, err := money.Parse("100.50")
	require.NoError(t, err)
	a := reward.Allocation{Operation: reward.OpDebit, Reference: "RB-1", EnkashCardID: "EKC1", Amount: amt}
	tests := []struct {
		field      ReferenceField
		want, gone []string
	}{
		{RefNumber, []string{`"uniqueReferenceNumber":"RB-1"`}, []string{"uniqueReferenceNum\""}},
		{RefNum, []string{`"uniqueReferenceNum":"RB-1"`}, []string{"uniqueReferenceNumber"}},
		{RefBoth, []string{`"uniqueReferenceNum":"RB-1"`, `"uniqueReferenceNumber":"RB-1"`}, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.field), func(t *testing.T) {
			t.Parallel()
			c := &Client{cfg: Config{CompanyID: "C", CardAccountID: "A", ReferenceField: tt.field}}
			b, err := json.Marshal(c.Request(a))
			require.NoError(t, err)
			for _, w := range tt.want {
				assert.Contains(t, string(b), w)
			}
			for _, g := range tt.gone {
				assert.NotContains(t, string(b), g)
			}
			assert.Contains(t, string(b), `"loadAmount":100.50`, "the file's digits go on the wire")
			assert.Contains(t, string(b), `"transactionType":"DR","type":"UNALLOCATE_POINT"`)
		})
	}
}

func TestTokenLifetimeInEveryJSONForm(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]time.Duration{
		`{"access_token":"t","expires_in":86399}`:     86399 * time.Second,
		`{"access_token":"t","expires_in":"300"}`:     300 * time.Second,
		`{"access_token":"t","expiresIn":8.6399E4}`:   86399 * time.Second,
		`{"access_token":"t","expires_in":300.0}`:     300 * time.Second,
		`{"access_token":"t"}`:                        DefaultTokenTTL,
		`{"access_token":"t","expires_in":-5}`:        DefaultTokenTTL,
		`{"access_token":"t","expires_in":"forever"}`: DefaultTokenTTL,
	} {
		a, err := parseTokenAnswer([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, a.ttl(), body)
	}
}

func TestTransactionAcceptsEveryIDSpelling(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"enKashTransactionId":"T1"}`, `{"enkashCardTxnId":"T1"}`, `{"enkashCardTransactionId":"T1"}`,
	} {
		var tx Transaction
		require.NoError(t, json.Unmarshal([]byte(body), &tx))
		assert.Equal(t, "T1", tx.EnKashTransactionID, body)
	}
}

func TestNumbersFromEnKashInEveryJSONForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, number, want string
	}{
		{"integer", `25000000`, "25000000"},
		{"Jackson double", `2.5E7`, "25000000"},
		{"Jackson double with more digits", `1.2345678E7`, "12345678"},
		{"double of a whole number", `100.0`, "100.0"},
		{"string", `"25000000.00"`, "25000000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var acc Account
			require.NoError(t, json.Unmarshal([]byte(`{"availableBalance":`+tt.number+`}`), &acc))
			bal, err := acc.Balance()
			require.NoError(t, err)
			assert.Equal(t, tt.want, bal.String())

			var tx Transaction
			require.NoError(t, json.Unmarshal([]byte(`{"pgReferenceNumber":"R","amount":`+tt.number+`}`), &tx))
			assert.Equal(t, tt.want, tx.Amount.String(), "the amount is rewritten as a plain decimal")

			var res AllocateResult
			require.NoError(t, json.Unmarshal([]byte(`{"pgReferenceNumber":"R","otbBalance":`+tt.number+`}`), &res))
			assert.Equal(t, tt.want, res.OTBBalance.String())
		})
	}
	var tx Transaction
	assert.Error(t, json.Unmarshal([]byte(`{"amount":0.125}`), &tx), "an amount is never rounded")
	require.NoError(t, json.Unmarshal([]byte(`{"amount":null}`), &tx))
	assert.Empty(t, tx.Amount)
	_, err := Account{AvailableBalance: "1.2345E1"}.Balance()
	assert.Error(t, err)
}
