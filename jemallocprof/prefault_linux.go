//go:build linux

package jemallocprof

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prefault makes the whole pages inside b resident and writable without
// changing a byte of it (madvise MADV_POPULATE_WRITE, Linux 5.14 and
// later), so that the first writes into a fresh buffer from Alloc take no
// page faults. It is safe while other goroutines read and write b. Pages
// only partly inside b are left alone. It returns the kernel's error when
// the advice is not supported; writes then fault the pages in as usual.
func Prefault(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return nil
	}
	for {
		err := unix.Madvise(b[lo-start:hi-start], unix.MADV_POPULATE_WRITE)
		if err != unix.EINTR {
			return err
		}
	}
}
