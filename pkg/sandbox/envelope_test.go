package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelope(t *testing.T) {
	t.Parallel()
	k := deriveKey("sandbox-client-secret")
	for _, plain := range []string{`{}`, `{"companyId":"CEKSANDBOX1"}`, `{"exactly-16-byte":1}`} {
		got, err := openBody(k, sealBody(k, []byte(plain)))
		require.NoError(t, err)
		assert.Equal(t, plain, string(got))
	}
	bad := []struct {
		name string
		body []byte
	}{
		{"plain JSON", []byte(`{"companyId":"CEKSANDBOX1"}`)},
		{"not JSON", []byte(`request=abc`)},
		{"two keys", []byte(`{"request":"AAAA","x":1}`)},
		{"not Base64", []byte(`{"request":"***"}`)},
		{"not whole blocks", []byte(`{"request":"AAAA"}`)},
		{"wrong key", sealBody(deriveKey("another-secret"), []byte(`{"a":1}`))},
	}
	for _, b := range bad {
		_, err := openBody(k, b.body)
		assert.ErrorIs(t, err, errEnvelope, b.name)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("sandbox-password")
	js, err := json.Marshal(struct{ P Secret }{s})
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(js)} {
		assert.NotContains(t, out, "sandbox-password")
	}
	assert.Equal(t, "sandbox-password", s.Reveal())
}
