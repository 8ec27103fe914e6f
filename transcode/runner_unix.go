//go:build unix

package transcode

import "syscall"

// newProcAttr puts the child in a new process group whose id is its pid, so
// one signal reaches the child and everything it started.
func newProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// termGroup asks the child's process group to stop; ffmpeg then finishes
// writing its output and exits.
func termGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// killGroup ends the child's process group at once.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
