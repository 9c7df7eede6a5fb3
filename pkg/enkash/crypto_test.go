package enkash

import (
	"crypto/aes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known answers computed independently with OpenSSL:
//
//	printf '%s' "$PLAIN" | openssl enc -aes-128-ecb -nosalt \
//	  -K $(printf '%s' "$SECRET" | sha256sum | cut -c1-32) | base64 -w0
func TestEnvelopeKnownAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret, plain, cipher string
	}{
		{"short object", "sandbox-client-secret", `{"a":1}`, "/rlhuWMRzRgF+e/O7A2qeQ=="},
		{"empty body is one padding block", "sandbox-client-secret", ``, "/Xyp+jPqOUoJ6pkq022Azg=="},
		{"exact block gets a full padding block", "sandbox-client-secret", `0123456789abcdef`, "egHbfL70jg/cA/sttBLA5/18qfoz6jlKCeqZKtNtgM4="},
		{"portal-shaped request", "a3f1c2d4e5b6a7980123456789abcdef01234567",
			`{"companyId":"CEK1PU9AOO","loadAmount":11,"uniqueReferenceNumber":"TEST234236"}`,
			"WcYpRng11XdIH06W5oGAFcv2mvvl+gJ2zr//Os7yC8cEZVwLXPXNDSWgUumQEk9N2K4VrUvWrQVvCfIyL/x3DsGVhysCzgDK79eeFhDLiC8="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := DeriveKey(Secret(tt.secret))
			assert.Equal(t, tt.cipher, Seal(k, []byte(tt.plain)))
			got, err := Open(k, tt.cipher)
			require.NoError(t, err)
			assert.Equal(t, tt.plain, string(got))
		})
	}
}

func TestDeriveKeyIsFirstHalfOfSHA256(t *testing.T) {
	t.Parallel()
	k := DeriveKey("sandbox-client-secret")
	assert.Equal(t, "eecd853fdf8365ff8842f675843b07ef", hex.EncodeToString(k[:]))
}

// damaged are ciphertexts that no envelope under k may open.
func damaged(k Key) map[string]string {
	return map[string]string{
		"not base64":   "%%%",
		"empty":        "",
		"not a block":  "AAAA",
		"wrong key":    Seal(DeriveKey("other"), []byte(`{"a":1}`)),
		"bad padding":  "AAAAAAAAAAAAAAAAAAAAAA==",
		"double block": Seal(k, []byte("x"))[:10],
	}
}

func TestOpenRefusesDamage(t *testing.T) {
	t.Parallel()
	k := DeriveKey("sandbox-client-secret")
	for name, in := range damaged(k) {
		t.Run(name, func(t *testing.T) {
			_, err := Open(k, in)
			assert.True(t, errors.Is(err, ErrBadEnvelope), "got %v", err)
		})
	}
}

func TestOpenJSONPassesPlainBodiesThrough(t *testing.T) {
	t.Parallel()
	k := DeriveKey("s")
	sealed := SealJSON(k, []byte(`{"code":0}`))
	plain, wasSealed, err := OpenJSON(k, sealed)
	require.NoError(t, err)
	assert.True(t, wasSealed)
	assert.JSONEq(t, `{"code":0}`, string(plain))

	for _, body := range []string{`{"code":0,"message":"Success"}`, `{"request":"x","other":1}`, `[1]`, `oops`} {
		got, wasSealed, err := OpenJSON(k, []byte(body))
		require.NoError(t, err)
		assert.False(t, wasSealed, body)
		assert.Equal(t, body, string(got))
	}
}

func FuzzOpen(f *testing.F) {
	k := DeriveKey("fuzz")
	f.Add(Seal(k, []byte(`{"a":1}`)))
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		plain, err := Open(k, s)
		if err == nil && Seal(k, plain) != s {
			// Base64 has non-canonical encodings; re-sealing must still open.
			if _, err := Open(k, Seal(k, plain)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestSealJSONIsTheEncodedEnvelope: SealJSON writes its envelope by hand;
// it must be byte for byte what encoding/json makes of the same ciphertext,
// and open again, for every padding length.
func TestSealJSONIsTheEncodedEnvelope(t *testing.T) {
	t.Parallel()
	k := DeriveKey("sandbox-client-secret")
	for n := 0; n <= 3*aes.BlockSize; n++ {
		plain := []byte(strings.Repeat("<&>\"x", n)[:n])
		want, err := json.Marshal(map[string]string{"request": Seal(k, plain)})
		require.NoError(t, err)
		got := SealJSON(k, plain)
		assert.Equal(t, string(want), string(got), "length %d", n)
		opened, sealed, err := OpenJSON(k, got)
		require.NoError(t, err)
		assert.True(t, sealed)
		assert.Equal(t, plain, opened, "length %d", n)
	}
}

// TestOpenJSONRefusesDamage: the envelope read without a JSON parse
// refuses what Open refuses.
func TestOpenJSONRefusesDamage(t *testing.T) {
	t.Parallel()
	k := DeriveKey("sandbox-client-secret")
	for name, b64 := range damaged(k) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, sealed, err := OpenJSON(k, []byte(`{"request":"`+b64+`"}`))
			assert.True(t, sealed)
			assert.True(t, errors.Is(err, ErrBadEnvelope), "got %v", err)
		})
	}
}
