package sandbox_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestApplyThenGatewayError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode   sandbox.FailMode
		status int
		body   string
	}{
		{sandbox.Fail502, 502, "502 Bad Gateway"},
		{sandbox.Fail503, 503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination"},
		{sandbox.Fail504, 504, "upstream request timeout"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{Faults: sandbox.Faults{ApplyThenFail: 1, FailMode: tt.mode}})
			a := r.allocate("GW1", "9876500101", "25")
			assert.Equal(t, tt.status, a.Status)
			assert.Contains(t, string(a.Body), tt.body)
			assert.Equal(t, -1, a.code(), "a gateway page has no envelope")
			txns := r.ground()
			require.Len(t, txns, 1, "the credit was applied before the gateway failed")
			assert.Equal(t, "GW1", txns[0].PGReferenceNumber)
		})
	}
	for _, s := range []string{"503", "504"} {
		m, err := sandbox.ParseFailMode(s)
		require.NoError(t, err)
		assert.Equal(t, sandbox.FailMode(s), m)
	}
}
