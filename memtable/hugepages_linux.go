package memtable

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the platforms that
// matter (x86-64, arm64 with 4 KiB base pages).
const hugePage = 2 << 20

// adviseHugePages asks the kernel to back the whole 2 MiB pages inside buf
// with transparent huge pages (madvise(MADV_HUGEPAGE), which is what
// counts when THP is in its common "madvise" mode). Searches touch nodes
// all over the arena: with 4 KiB pages nearly every node visited is also
// a TLB miss and a page walk, and a page walk limits how many prefetched
// loads can be in flight. It is advice: an error, or a kernel without THP,
// changes nothing but speed.
func adviseHugePages(buf []byte) {
	if len(buf) < 2*hugePage {
		return
	}
	skip := int((hugePage - uintptr(unsafe.Pointer(unsafe.SliceData(buf)))%hugePage) % hugePage)
	buf = buf[skip:]
	if n := len(buf) &^ (hugePage - 1); n > 0 {
		_ = syscall.Madvise(buf[:n], syscall.MADV_HUGEPAGE)
	}
}
