package engine

import "github.com/rewardbatch/rewardbatch/pkg/adaptive"

// LoadSignalName names what loadSignal reads in err, for tests.
func LoadSignalName(err error) string {
	s, ok := loadSignal(err)
	switch {
	case !ok:
		return "none"
	case s == adaptive.Throttled:
		return "throttled"
	case s == adaptive.Overloaded:
		return "overloaded"
	}
	return "ok"
}
