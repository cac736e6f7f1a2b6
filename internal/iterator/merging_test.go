package iterator

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
)

// TestMergingIter runs testdata/merging_iter:
//
//	define             one child per line; "(empty)" is a child with no entries
//	iter [lower=k] [upper=k]
//	                   builds every child with the bounds, merges them and runs
//	                   the operations of itertest.RunIterOps
func TestMergingIter(t *testing.T) {
	var children []source
	datadriven.RunTest(t, "testdata/merging_iter", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "define":
			children = children[:0]
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				s, err := parseSource(line)
				if err != nil {
					return err.Error()
				}
				children = append(children, s)
			}
			return fmt.Sprintf("%d children", len(children))
		case "iter":
			lower, upper := scanBounds(t, d)
			iters := make([]base.InternalIterator, len(children))
			for i, c := range children {
				iters[i] = c.iter(lower, upper)
			}
			it := NewMerging(iters...)
			out := itertest.RunIterOps(it, d.Input)
			if err := it.Close(); err != nil {
				t.Fatalf("%s: close: %v", d.Pos, err)
			}
			return out
		}
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
		return ""
	})
}

// TestMergingErrors makes one child fail on its k-th operation, for k = 0,
// 1, 2, ... until a run completes without reaching the failure. Until the
// failure the merged output must match a run without failures; from the
// failure on the iterator must be invalid with the child's error, stay so,
// and Close must return it.
func TestMergingErrors(t *testing.T) {
	children := []string{
		"a#5,SET:a5 c#3,SET:c3 e#1,SET:e1",
		"a#4,SET:a4 b#2,DEL d#7,SET:d7 e#2,SET:e2",
		"b#9,SET:b9 f#1,SET:f1",
	}
	ops := []string{"first", "next", "next", "prev", "prev", "next", "next", "next",
		"seek-lt e", "prev", "next", "next", "last", "prev", "seek-ge c", "next", "prev"}
	build := func(failing int, failAt int) base.InternalIterator {
		iters := make([]base.InternalIterator, len(children))
		for i, line := range children {
			s, err := parseSource(line)
			if err != nil {
				t.Fatal(err)
			}
			iters[i] = s.iter(nil, nil)
			if i == failing {
				iters[i] = &failingIter{InternalIterator: iters[i], c: &failCounter{failAt: failAt}}
			}
		}
		return NewMerging(iters...)
	}
	run := func(it base.InternalIterator) []string {
		var out []string
		for _, op := range ops {
			out = append(out, strings.TrimSpace(itertest.RunIterOps(it, op)))
		}
		return out
	}
	want := run(build(-1, -1))
	for failing := range children {
		for k := 0; ; k++ {
			it := build(failing, k)
			got := run(it)
			failedAt := -1
			for i := range got {
				if strings.HasPrefix(got[i], "err=") {
					failedAt = i
					break
				}
				if got[i] != want[i] {
					t.Fatalf("child %d fail at %d: op %d (%s) = %s, want %s", failing, k, i, ops[i], got[i], want[i])
				}
			}
			if failedAt < 0 {
				if err := it.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				if k == 0 {
					t.Fatalf("child %d: no operation reached the child", failing)
				}
				break
			}
			for i := failedAt; i < len(got); i++ {
				if got[i] != "err="+errInjected.Error() {
					t.Fatalf("child %d fail at %d: op %d (%s) after failure = %s", failing, k, i, ops[i], got[i])
				}
			}
			if it.Valid() || !errors.Is(it.Error(), errInjected) {
				t.Fatalf("valid=%v err=%v", it.Valid(), it.Error())
			}
			if err := it.Close(); !errors.Is(err, errInjected) {
				t.Fatalf("child %d fail at %d: close = %v", failing, k, err)
			}
		}
	}
}

// TestMergingCloseError checks that Close closes every child and returns the
// first error a child's Close reported.
func TestMergingCloseError(t *testing.T) {
	errA, errB := errors.New("close a"), errors.New("close b")
	var closed int
	mk := func(err error) base.InternalIterator {
		return &countingCloser{InternalIterator: NewSlice(nil, nil, nil, nil), closed: &closed, err: err}
	}
	it := NewMerging(mk(nil), mk(errA), mk(nil), mk(errB))
	if it.First() {
		t.Fatal("empty children produced an entry")
	}
	if err := it.Close(); err != errA {
		t.Fatalf("close = %v, want %v", err, errA)
	}
	if closed != 4 {
		t.Fatalf("closed %d children, want 4", closed)
	}
}

type countingCloser struct {
	base.InternalIterator
	closed *int
	err    error
}

func (c *countingCloser) Close() error {
	*c.closed++
	return c.err
}

func BenchmarkMergingNext(b *testing.B) {
	const total = 1 << 16
	for _, n := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("children=%d", n), func(b *testing.B) {
			keys := make([][]base.InternalKey, n)
			values := make([][][]byte, n)
			for i := 0; i < total; i++ {
				c := i % n
				k := base.MakeInternalKey(fmt.Appendf(nil, "key%08d", i), base.SeqNum(i+1), base.InternalKeyKindSet)
				keys[c] = append(keys[c], k)
				values[c] = append(values[c], []byte("value"))
			}
			iters := make([]base.InternalIterator, n)
			for c := range iters {
				iters[c] = NewSlice(keys[c], values[c], nil, nil)
			}
			it := NewMerging(iters...)
			defer it.Close()
			it.First()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !it.Next() {
					it.First()
				}
			}
		})
	}
}
