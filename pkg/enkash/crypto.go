package enkash

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

// Key is the AES-128 key of the EnKash envelope: the first 16 bytes of
// SHA-256 of the client secret, as the EnKash encryption guide derives it.
type Key [16]byte

// DeriveKey returns the envelope key for a client secret.
func DeriveKey(clientSecret Secret) Key {
	sum := sha256.Sum256([]byte(clientSecret.Reveal()))
	var k Key
	copy(k[:], sum[:16])
	return k
}

// blocks holds the AES cipher of each key in use (a client has one), so
// that a request does not expand its key again. An AES cipher.Block only
// reads its key schedule, so one serves every goroutine.
var blocks sync.Map // Key → cipher.Block

// blockOf returns k's AES cipher.
func blockOf(k Key) cipher.Block {
	if b, ok := blocks.Load(k); ok {
		return b.(cipher.Block)
	}
	b, _ := aes.NewCipher(k[:]) // a 16-byte key never fails
	actual, _ := blocks.LoadOrStore(k, b)
	return actual.(cipher.Block)
}

// ErrBadEnvelope is wrapped by every failure to open an envelope.
var ErrBadEnvelope = errors.New("invalid encrypted envelope")

// Seal encrypts plaintext with AES-128-ECB and PKCS#7 padding and returns the
// Base64 ciphertext.
func Seal(k Key, plaintext []byte) string {
	return base64.StdEncoding.EncodeToString(encrypt(k, plaintext))
}

// encrypt pads plaintext with PKCS#7 and encrypts it with AES-128-ECB into
// a new buffer.
func encrypt(k Key, plaintext []byte) []byte {
	block := blockOf(k)
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+pad)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return buf
}

// Open reverses [Seal]. It checks the Base64, the block length and the
// padding, and wraps [ErrBadEnvelope] when any of them is wrong.
func Open(k Key, ciphertext string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: not Base64: %v", ErrBadEnvelope, err)
	}
	return decrypt(k, buf)
}

// openBase64 is [Open] of Base64 held in bytes, without copying it into a
// string first.
func openBase64(k Key, b64 []byte) ([]byte, error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(buf, b64)
	if err != nil {
		return nil, fmt.Errorf("%w: not Base64: %v", ErrBadEnvelope, err)
	}
	return decrypt(k, buf[:n])
}

// decrypt decrypts buf in place and returns the plaintext without its
// padding, checking the block length and the padding.
func decrypt(k Key, buf []byte) ([]byte, error) {
	if len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext length %d is not a whole number of AES blocks", ErrBadEnvelope, len(buf))
	}
	block := blockOf(k)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Decrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding (wrong key?)", ErrBadEnvelope)
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding (wrong key?)", ErrBadEnvelope)
		}
	}
	return buf[:len(buf)-pad], nil
}

// The envelope's text around the Base64 ciphertext: the wire form of an
// encrypted body in both directions, {"request":"<Base64>"}, exactly as
// encoding/json writes it (Base64 has no character that JSON escapes).
const (
	envelopeOpen  = `{"request":"`
	envelopeClose = `"}`
)

// SealJSON wraps plaintext JSON as the envelope {"request": "<Base64>"}.
// The Base64 is written straight into the one buffer returned.
func SealJSON(k Key, plaintext []byte) []byte {
	ct := encrypt(k, plaintext)
	out := make([]byte, len(envelopeOpen)+base64.StdEncoding.EncodedLen(len(ct))+len(envelopeClose))
	n := copy(out, envelopeOpen)
	base64.StdEncoding.Encode(out[n:], ct)
	copy(out[len(out)-len(envelopeClose):], envelopeClose)
	return out
}

// OpenJSON reads a body that may be an envelope. A body of the form
// {"request": "<Base64>"} (and nothing else) is decrypted; any other body is
// returned as is, with sealed false.
func OpenJSON(k Key, body []byte) (plain []byte, sealed bool, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return body, false, nil
	}
	// The common shape, {"request":"<Base64>"}, is read without a JSON
	// parse: Base64 has no quote, so the value ends at the first quote.
	if rest, ok := bytes.CutPrefix(trimmed, []byte(envelopeOpen)); ok {
		if b64, ok := bytes.CutSuffix(rest, []byte(envelopeClose)); ok && bytes.IndexByte(b64, '"') < 0 && bytes.IndexByte(b64, '\\') < 0 {
			plain, err = openBase64(k, b64)
			return plain, true, err
		}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(trimmed, &fields) != nil || len(fields) != 1 {
		return body, false, nil
	}
	raw, ok := fields["request"]
	if !ok {
		return body, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, true, fmt.Errorf("%w: \"request\" is not a string", ErrBadEnvelope)
	}
	plain, err = Open(k, s)
	return plain, true, err
}
