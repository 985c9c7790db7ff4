//go:build unix

package main

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard limit and
// returns the limit now in force. Go raises it to one below the hard limit
// itself at start; doing it here makes the server's figure its own (it
// derives the stream cap from it) rather than a runtime detail. An
// unlimited hard limit, which no kernel grants as a soft one, leaves the
// soft limit where the runtime put it (macOS: kern.maxfilesperproc).
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= lim.Max || lim.Max >= 1<<62 {
		return uint64(lim.Cur), nil
	}
	want := lim
	want.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return uint64(lim.Cur), err
	}
	return uint64(want.Cur), nil
}
