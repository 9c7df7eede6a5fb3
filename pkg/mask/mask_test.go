package mask

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"rahul@example.com": "ra***@example.com", "ab@example.com": "a***@example.com", "x@y.in": "x***@y.in",
		"not-an-email": "***", "": "",
	} {
		assert.Equal(t, want, Email(in), in)
	}
	for in, want := range map[string]string{"9600098867": "******8867", "123": "***", "": ""} {
		assert.Equal(t, want, Mobile(in), in)
	}
}
