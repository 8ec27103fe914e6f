package mediatest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid: true,
		// If the test binary is killed (a -timeout panic, ^C), the kernel
		// kills the server too instead of leaving it holding its port.
		// Strictly it fires when the OS thread that started the server
		// exits, which Go does only for threads locked by LockOSThread.
		Pdeathsig: syscall.SIGKILL,
	}
}
