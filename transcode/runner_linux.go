//go:build linux

package transcode

import "syscall"

// newProcAttr puts the child in a new process group whose id is its pid, so
// one signal reaches the child and everything it started, and asks the
// kernel to SIGKILL the child when Baton dies. Without Pdeathsig a
// SIGKILLed Baton left ffmpeg running until it next wrote progress to the
// dead pipe: seconds to minutes of a core spent on a job the restarted
// process runs again.
//
// Foot-gun: Pdeathsig fires when the OS thread that started the child
// exits, not the process. The Go runtime keeps its threads unless a
// goroutine exits while locked to one (runtime.LockOSThread); nothing in
// Baton starts ffmpeg from such a goroutine.
func newProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
