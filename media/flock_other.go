//go:build !unix

package media

import (
	"errors"
	"os"
)

// tryLock is not available here: scratch directories are then never taken
// for orphans, and the data dir is not guarded against a second process.
func tryLock(f *os.File) error { return errors.ErrUnsupported }
