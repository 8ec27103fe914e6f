//go:build unix

package transcode

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// termGroup asks the child's process group to stop; ffmpeg then finishes
// writing its output and exits.
func termGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// killGroup ends the child's process group at once.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// lower sets the CPU priority of the child's process group (every thread
// it has so far; threads it starts later inherit it). Best effort: a
// failure leaves the child at our priority.
func lower(pid, nice int) { _ = syscall.Setpriority(syscall.PRIO_PGRP, pid, nice) }

// residentBytes is the resident memory of process pid, from /proc (0 when
// it cannot be read: not Linux, or the process is gone).
func residentBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	// size resident shared ...: in pages.
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
