// Package rofs makes files and directories read-only for tests, in a way
// that holds for root too, whom file modes do not stop.
package rofs

import (
	"os"
	"testing"
)

// Make makes paths unwritable for this process until the test ends:
// immutable (chattr +i) when the test runs as root, by mode otherwise. It
// skips the test when that cannot be done here (no immutable attribute on
// this file system or system).
func Make(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getuid() == 0 {
			err = SetImmutable(p, true)
			t.Cleanup(func() { SetImmutable(p, false) })
		} else {
			mode := os.FileMode(0o444)
			if fi.IsDir() {
				mode = 0o555
			}
			err = os.Chmod(p, mode)
			t.Cleanup(func() { os.Chmod(p, fi.Mode()) })
		}
		if err != nil {
			t.Skipf("cannot make %s read-only here: %v", p, err)
		}
	}
}
