package inbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// moveApproval moves FILE.approved along with its file, when there is one.
// A failure leaves it behind, where the next look for it still finds it.
func moveApproval(from, to, name string) {
	_ = os.Rename(filepath.Join(from, name+ApprovedSuffix), filepath.Join(to, name+ApprovedSuffix))
}

// writeMarker writes the marker whole or not at all: a temporary file,
// synced, then renamed.
func writeMarker(path string, m marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("inbox: write %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes the renames in a folder durable, where the system allows
// it (not on Windows).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
