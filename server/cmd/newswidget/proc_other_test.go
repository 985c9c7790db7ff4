//go:build !linux

package main

import "syscall"

// sysProcAttr: only Linux has a parent-death signal; elsewhere a node
// outlives a test binary that is killed before its cleanup.
func sysProcAttr() *syscall.SysProcAttr { return nil }
