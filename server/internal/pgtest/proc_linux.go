package pgtest

import "syscall"

// sysProcAttr runs postgres as cred and has the kernel send it SIGQUIT (an
// immediate shutdown) if the test binary dies without stopping it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
