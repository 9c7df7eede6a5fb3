package report

import (
	"encoding/json"
	"fmt"
)

// WriteJSON writes v as indented JSON to path, atomically, mode 0600.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	b = append(b, '\n')
	return WriteFileAtomic(path, b)
}
