package rofs

import (
	"os"
	"syscall"
	"unsafe"
)

// SetImmutable sets or clears a file's immutable attribute (chattr +i),
// which refuses writes to root too.
func SetImmutable(path string, on bool) error {
	const fsImmutableFL = 0x10
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var flags int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), 0x80086601, uintptr(unsafe.Pointer(&flags))); e != 0 { // FS_IOC_GETFLAGS
		return e
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), 0x40086602, uintptr(unsafe.Pointer(&flags))); e != 0 { // FS_IOC_SETFLAGS
		return e
	}
	return nil
}
