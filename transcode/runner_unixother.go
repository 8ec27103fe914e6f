//go:build unix && !linux

package transcode

import "syscall"

// newProcAttr puts the child in a new process group whose id is its pid, so
// one signal reaches the child and everything it started. (Only Linux can
// also tie the child's life to Baton's; see runner_linux.go.)
func newProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
