package media

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// errLocked is tryLock's answer for a file another open file holds.
var errLocked = errors.New("locked")

// ProcessLock is an exclusive lock on a file, held until Release or until
// the process ends, however it ends: the kernel drops a flock with the last
// descriptor of its holder, so a SIGKILLed holder never leaves a stale lock.
// The file names its holder (pid and start time), so a refusal can say who.
type ProcessLock struct {
	f    *os.File
	path string
}

// LockFile takes the lock at path for this process. If another process
// holds it, the error is ECONFLICT and its message names the holder.
func LockFile(path string) (*ProcessLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("media: lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			holder, _ := os.ReadFile(path)
			return nil, Errorf(ECONFLICT, "%s is held by %s", path, describeHolder(string(holder)))
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return &ProcessLock{path: path}, nil
		}
		return nil, fmt.Errorf("media: lock %s: %w", path, err)
	}
	// The lock is ours: say who holds it, for the next one who asks.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holderLine()), 0)
	}
	return &ProcessLock{f: f, path: path}, nil
}

// Release lets the lock go and removes its file.
func (l *ProcessLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Removed while still held, so nobody takes a lock on a file that is
	// about to vanish.
	err := os.Remove(l.path)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

func holderLine() string {
	return fmt.Sprintf("pid %d started %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
}

// describeHolder turns a lock file's "pid N started T" into words.
func describeHolder(line string) string {
	f := strings.Fields(line)
	if len(f) == 4 && f[0] == "pid" && f[2] == "started" {
		return fmt.Sprintf("process %s (started %s)", f[1], f[3])
	}
	return "another process"
}

// Scratch is this process's own directory for temporary files (a job's
// download and outputs, a live session's segments), inside a root that
// every process of a data dir shares: <root>/proc-<pid>-<token>/, owned
// through the lock file <locks>/proc-<pid>-<token>.lock that the process
// holds while it runs. (The lock files live apart from the scratch, so an
// idle scratch root holds no files at all.)
//
// Ownership is what makes clean-up safe: a process removes only scratch
// whose owner is gone (its lock file can be taken), never another running
// process's, so a second `baton worker` on the same data dir, or one
// started by mistake, cannot pull files from under a running job.
type Scratch struct {
	root  string
	locks string
	dir   string
	lock  *ProcessLock
}

const scratchPrefix = "proc-"

// OpenScratch makes this process's scratch directory under root, owned
// through a lock file in locks.
func OpenScratch(root, locks string) (*Scratch, error) {
	for _, d := range []string{root, locks} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			if IsNoSpace(err) {
				return nil, WrapError(ENOSPACE, err, "No space for temporary files.")
			}
			return nil, fmt.Errorf("media: scratch: %w", err)
		}
	}
	name := fmt.Sprintf("%s%d-%s", scratchPrefix, os.Getpid(), NewSlug()[:8])
	// Locked under a name sweepers ignore, then renamed into place (the
	// flock stays with the open file): no sweeper can ever see the lock
	// file of a live owner unlocked. The directory comes after the lock,
	// so a directory without one belongs to nobody.
	tmp := filepath.Join(locks, "."+name+".lock")
	lock, err := LockFile(tmp)
	if err != nil {
		return nil, err
	}
	lock.path = filepath.Join(locks, name+".lock")
	if err := os.Rename(tmp, lock.path); err != nil {
		lock.path = tmp
		lock.Release()
		return nil, fmt.Errorf("media: scratch lock: %w", err)
	}
	s := &Scratch{root: root, locks: locks, dir: filepath.Join(root, name), lock: lock}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		lock.Release()
		if IsNoSpace(err) {
			return nil, WrapError(ENOSPACE, err, "No space for temporary files.")
		}
		return nil, fmt.Errorf("media: scratch: %w", err)
	}
	return s, nil
}

// Dir is the directory this process may use.
func (s *Scratch) Dir() string { return s.dir }

// Close removes this process's scratch and lets its lock go.
func (s *Scratch) Close() error {
	if s == nil {
		return nil
	}
	err := os.RemoveAll(s.dir)
	if lerr := s.lock.Release(); err == nil {
		err = lerr
	}
	return err
}

// Sweep removes the scratch of processes that are gone: every proc-*
// directory whose lock nobody holds (or that has no lock file at all), and
// directories that older versions made straight under the root (job-*,
// live-*, which name no owner) once untouched for olderThan. It returns
// how many directories it removed.
func (s *Scratch) Sweep(olderThan time.Duration) int {
	n := 0
	locks, _ := os.ReadDir(s.locks)
	for _, e := range locks {
		name := e.Name()
		p := filepath.Join(s.locks, name)
		if p == s.lock.path || !strings.HasPrefix(name, scratchPrefix) || !strings.HasSuffix(name, ".lock") {
			continue
		}
		if s.takeOrphan(p, filepath.Join(s.root, strings.TrimSuffix(name, ".lock"))) {
			n++
		}
	}
	entries, _ := os.ReadDir(s.root)
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(s.root, name)
		if !e.IsDir() || p == s.dir {
			continue
		}
		switch {
		case strings.HasPrefix(name, scratchPrefix):
			// Its owner took its lock before making it and removes it
			// before letting the lock go: no lock file, no owner.
			if _, err := os.Stat(filepath.Join(s.locks, name+".lock")); errors.Is(err, fs.ErrNotExist) && os.RemoveAll(p) == nil {
				n++
			}
		case strings.HasPrefix(name, "job-") || strings.HasPrefix(name, "live-"):
			if olderThanAge(p, olderThan) && os.RemoveAll(p) == nil {
				n++
			}
		}
	}
	return n
}

// takeOrphan removes the scratch dir whose lock file is p if its owner is
// gone, and reports whether it did.
func (s *Scratch) takeOrphan(p, dir string) bool {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if tryLock(f) != nil {
		return false // its owner runs (or locks are unsupported here)
	}
	if err := os.RemoveAll(dir); err != nil {
		return false
	}
	return os.Remove(p) == nil
}

func olderThanAge(p string, age time.Duration) bool {
	st, err := os.Stat(p)
	return err == nil && time.Since(st.ModTime()) >= age
}
