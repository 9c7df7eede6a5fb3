package enkash

// Secret is a string that never prints itself: fmt, %v, %#v, JSON, text
// encoders and zap's reflection all see "[redacted]". Use Reveal at the
// single place the value must leave the process.
type Secret string

const redacted = "[redacted]"

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer without revealing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON writes "[redacted]" (or "" for an empty secret).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText writes "[redacted]" (or "" for an empty secret).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret value. Call it only to put the value on the wire.
func (s Secret) Reveal() string { return string(s) }
