//go:build unix

package transcode

import "syscall"

// termGroup asks the child's process group to stop; ffmpeg then finishes
// writing its output and exits.
func termGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// killGroup ends the child's process group at once.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
