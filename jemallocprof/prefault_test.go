package jemallocprof

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// TestPrefault checks that Prefault changes no byte of its buffer and
// takes ranges of any size and alignment, including ones inside a page.
func TestPrefault(t *testing.T) {
	page := os.Getpagesize()
	buf := Alloc(Other, 8*page)
	defer Free(Other, buf)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	want := bytes.Clone(buf)
	for _, r := range [][2]int{
		{0, 0}, {0, 1}, {1, 2}, {100, 2168}, {page - 1, page + 1},
		{page / 2, 3 * page / 2}, {0, 8 * page}, {3, 8*page - 5}, {8 * page, 8 * page},
	} {
		err := Prefault(buf[r[0]:r[1]])
		if errors.Is(err, errors.ErrUnsupported) && runtime.GOOS != "linux" {
			t.Skip("Prefault is not supported off Linux")
		}
		if errors.Is(err, syscall.EINVAL) {
			t.Skip("this kernel has no MADV_POPULATE_WRITE (Linux 5.14)")
		}
		if err != nil {
			t.Fatalf("Prefault(buf[%d:%d]): %v", r[0], r[1], err)
		}
	}
	if !bytes.Equal(buf, want) {
		t.Fatal("Prefault changed the buffer")
	}
}
