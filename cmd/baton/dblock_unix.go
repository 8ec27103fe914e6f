//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockSQLite takes an exclusive lock beside the SQLite database file for
// the life of the process. SQLite is Baton's one-process mode: a second
// process would have its own live events, caches and upload staging, and
// viewers would see half of what happens. The kernel drops the lock when the
// process dies, so a crash never leaves it behind.
func lockSQLite(dbPath string) (release func(), err error) {
	p := dbPath + ".lock"
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another Baton process is using the SQLite database %s. SQLite runs Baton as one process: stop the other one, or move to Postgres (BATON_DATABASE_URL=postgres://...) to run several API and worker processes", dbPath)
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}
