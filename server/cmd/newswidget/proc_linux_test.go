package main

import "syscall"

// sysProcAttr has the kernel kill a node if the test binary dies without
// stopping it (killed by -timeout, say), so no server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
