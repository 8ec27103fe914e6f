//go:build unix

package mediatest

import (
	"errors"
	"syscall"
)

var (
	sigTerm      = syscall.SIGTERM
	sigKill      = syscall.SIGKILL
	errNoProcess = syscall.ESRCH
)

// signalGroup signals every process in the group led by pid.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return errNoProcess
	}
	return err
}
