package sandbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Secret is a credential that never prints itself (fmt and JSON see
// "[redacted]"). The sandbox's credentials are public, but they travel
// through the same logs as real ones.
type Secret string

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer without revealing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON writes "[redacted]" (or "" for an empty secret).
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Reveal returns the value, for the places it must be compared or printed
// on purpose.
func (s Secret) Reveal() string { return string(s) }

// ReferenceField is the JSON name under which the server binds a request's
// reference. The portal spells it both ways; which one the real server
// binds is unconfirmed.
type ReferenceField string

// The reference spellings.
const (
	RefNumber ReferenceField = "uniqueReferenceNumber" // the schema tables' spelling (default)
	RefNum    ReferenceField = "uniqueReferenceNum"    // the examples' spelling
	RefBoth   ReferenceField = "both"                  // either spelling is bound
)

// ParseReferenceField reads a spelling by name.
func ParseReferenceField(s string) (ReferenceField, error) {
	switch f := ReferenceField(s); f {
	case RefNumber, RefNum, RefBoth:
		return f, nil
	}
	return "", fmt.Errorf("reference field %q: want %s, %s or %s", s, RefNumber, RefNum, RefBoth)
}

// envelopeKey is the AES-128 key of the envelope: the first 16 bytes of
// SHA-256 of the client secret.
type envelopeKey [16]byte

func deriveKey(clientSecret Secret) envelopeKey {
	sum := sha256.Sum256([]byte(clientSecret.Reveal()))
	var k envelopeKey
	copy(k[:], sum[:16])
	return k
}

// ciphers holds the AES cipher of each key the sandbox has used, so that a
// call does not expand the key again; an AES block is safe for concurrent
// use.
var ciphers sync.Map // envelopeKey → cipher.Block

// block returns k's AES cipher.
func (k envelopeKey) block() cipher.Block {
	if b, ok := ciphers.Load(k); ok {
		return b.(cipher.Block)
	}
	b, _ := aes.NewCipher(k[:]) // a 16-byte key never fails
	actual, _ := ciphers.LoadOrStore(k, b)
	return actual.(cipher.Block)
}

// errEnvelope is a body that is not a valid envelope for this key.
var errEnvelope = errors.New("invalid encrypted envelope")

// sealBody encrypts plain with AES-128-ECB and PKCS#7 padding and wraps the
// Base64 ciphertext as {"request":"..."}.
func sealBody(k envelopeKey, plain []byte) []byte {
	block := k.block()
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	b, _ := json.Marshal(map[string]string{"request": base64.StdEncoding.EncodeToString(buf)})
	return b
}

// openBody reverses [sealBody]. A body that is not exactly one "request"
// string, or whose ciphertext or padding is wrong, wraps errEnvelope.
func openBody(k envelopeKey, body []byte) ([]byte, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || len(env) != 1 {
		return nil, fmt.Errorf("%w: want {\"request\": \"<Base64>\"}", errEnvelope)
	}
	var b64 string
	if err := json.Unmarshal(env["request"], &b64); err != nil {
		return nil, fmt.Errorf("%w: \"request\" is not a string", errEnvelope)
	}
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: not whole AES blocks in Base64", errEnvelope)
	}
	block := k.block()
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Decrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(buf[len(buf)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, fmt.Errorf("%w: bad padding (wrong key?)", errEnvelope)
	}
	return buf[:len(buf)-pad], nil
}
