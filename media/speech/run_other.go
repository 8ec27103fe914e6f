//go:build !unix

package speech

import (
	"os"
	"syscall"
)

// Without process groups only the child itself can be stopped.

func newProcAttr() *syscall.SysProcAttr { return nil }

func termGroup(pid int) { killGroup(pid) }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func lowerPriority(int) {}
