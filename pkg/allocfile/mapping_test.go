package allocfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColumnMappings(t *testing.T) {
	t.Parallel()
	m, err := ParseMap([]string{"Employee Name=firstName", " Pts = points ", "Cell No.=Mobile"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Employee Name": ColFirstName, "Pts": ColAmount, "Cell No.": ColMobile}, m)
	for _, bad := range []string{"Employee Name", "=firstName", "Name=salary"} {
		_, err := ParseMap([]string{bad})
		assert.ErrorIs(t, err, ErrMapping, bad)
	}

	path := filepath.Join(t.TempDir(), "mapping.txt")
	require.NoError(t, os.WriteFile(path, []byte("# HR export\nEmp=firstName\n\nVoucher=uniqueReferenceNumber\n"), 0o600))
	m, err = ReadMapping(path)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Emp": ColFirstName, "Voucher": ColReference}, m)
	_, err = ReadMapping(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, ErrMapping)

	r, err := NewReaderWith("in.csv", strings.NewReader("emp,Pts,Voucher\nA,1,V\n"), Options{Map: map[string]string{"Emp": ColFirstName, "voucher": ColReference, "PTS": ColAmount}})
	require.NoError(t, err)
	assert.Equal(t, []string{ColFirstName, ColAmount, ColReference}, r.Header().Canonical)
	row, err := r.Read()
	require.NoError(t, err)
	assert.Equal(t, "V", row.Record.Reference)
}

func TestClosest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ col, want string }{
		{ColAmount, "Amount Paid"}, {ColMobile, "Mobil"}, {ColEmail, ""},
	} {
		assert.Equal(t, tc.want, Closest(tc.col, []string{"Amount Paid", "Mobil", "Department"}), tc.col)
	}
}
