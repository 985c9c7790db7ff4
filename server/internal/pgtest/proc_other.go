//go:build !linux

package pgtest

import "syscall"

// sysProcAttr runs postgres as cred; without Linux's parent-death signal, a
// killed test binary leaves its server running until Main or Close stops it.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
