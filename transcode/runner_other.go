//go:build !unix

package transcode

import (
	"os"
	"syscall"
)

// Without process groups only the child itself can be stopped, and only by
// killing it. Baton runs ffmpeg on Unix; this keeps the package building
// elsewhere for development.

func newProcAttr() *syscall.SysProcAttr { return nil }

func termGroup(pid int) { killGroup(pid) }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func lower(pid, nice int) {}

func residentBytes(pid int) int64 { return 0 }
