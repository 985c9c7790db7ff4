// Package procgroup starts the test kits' helper processes (browsers,
// drivers, Xvfb) in a process group of their own, so that closing one ends
// everything it started, and the kernel ends them if the test binary dies.
package procgroup

import (
	"os/exec"
	"syscall"
)

// Attr is the SysProcAttr of a process started in a group of its own that
// dies with its parent.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Kill kills cmd's process group: the process and what it started.
func Kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
