package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTemplate writes both templates, refuses to overwrite one, and the
// CSV template validates as a file with no rows yet.
func TestTemplate(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "t.xlsx")
	code, out, errOut := execute(t, nil, "template", "--out", xlsx)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Wrote "+xlsx)
	b, err := os.ReadFile(xlsx)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("PK")), "an .xlsx is a zip")

	code, _, errOut = execute(t, nil, "template", "--out", xlsx)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "exists already")

	code, out, _ = execute(t, nil, "template", "--format", "csv", "--out", "-")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "\uFEFFoperation,uniqueReferenceNumber,firstName"))

	code, _, errOut = execute(t, nil, "template", "--format", "ods")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "use xlsx or csv")
}
