//go:build !linux

// Package procgroup starts the test kits' helper processes (browsers,
// drivers, Xvfb); without Linux's process groups and parent-death signal,
// only the process itself is killed.
package procgroup

import (
	"os/exec"
	"syscall"
)

// Attr is nil: a process started as any other.
func Attr() *syscall.SysProcAttr { return nil }

// Kill kills the process.
func Kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
