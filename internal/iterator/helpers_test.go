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

// emptyChild is the line that defines a child with no entries.
const emptyChild = "(empty)"

// source is a parsed, sorted list of entries: one child or one file.
type source struct {
	keys   []base.InternalKey
	values [][]byte
}

func (s source) iter(lower, upper []byte) base.InternalIterator {
	return NewSlice(s.keys, s.values, lower, upper)
}

func parseSource(line string) (source, error) {
	var s source
	if strings.TrimSpace(line) == emptyChild {
		return s, nil
	}
	entries, err := itertest.ParseEntries(line)
	if err != nil {
		return s, err
	}
	for i, e := range entries {
		if i > 0 && base.InternalCompare(entries[i-1].Key, e.Key) >= 0 {
			return s, fmt.Errorf("entries out of order: %s then %s", entries[i-1].Key, e.Key)
		}
		s.keys = append(s.keys, e.Key)
		s.values = append(s.values, e.Value)
	}
	return s, nil
}

// scanBounds reads the optional lower= and upper= arguments.
func scanBounds(t *testing.T, d *datadriven.TestData) (lower, upper []byte) {
	for _, arg := range d.CmdArgs {
		switch arg.Key {
		case "lower":
			lower = []byte(arg.SingleVal(t))
		case "upper":
			upper = []byte(arg.SingleVal(t))
		default:
			t.Fatalf("%s: unknown argument %q", d.Pos, arg.Key)
		}
	}
	return lower, upper
}

var errInjected = errors.New("injected failure")

// failCounter counts operations shared by one or more failingIters and
// reports when the k-th one (counting from 0) is reached; from then on
// every operation fails. failAt < 0 never fails.
type failCounter struct {
	ops    int
	failAt int
}

func (c *failCounter) fail() bool {
	c.ops++
	return c.failAt >= 0 && c.ops > c.failAt
}

// failingIter wraps an iterator and fails on the counter's k-th positioning
// operation: it becomes invalid with errInjected and stays failed. Close
// returns closeErr, so tests can tell the parent's memory of the iteration
// error from an error reported by Close itself.
type failingIter struct {
	base.InternalIterator
	c        *failCounter
	err      error
	closeErr error
}

func (f *failingIter) op(ok bool) bool {
	if f.err != nil {
		return false
	}
	if f.c.fail() {
		f.err = errInjected
		return false
	}
	return ok
}

func (f *failingIter) SeekGE(k []byte) bool {
	return f.err == nil && f.op(f.InternalIterator.SeekGE(k))
}
func (f *failingIter) SeekLT(k []byte) bool {
	return f.err == nil && f.op(f.InternalIterator.SeekLT(k))
}
func (f *failingIter) First() bool  { return f.err == nil && f.op(f.InternalIterator.First()) }
func (f *failingIter) Last() bool   { return f.err == nil && f.op(f.InternalIterator.Last()) }
func (f *failingIter) Next() bool   { return f.err == nil && f.op(f.InternalIterator.Next()) }
func (f *failingIter) Prev() bool   { return f.err == nil && f.op(f.InternalIterator.Prev()) }
func (f *failingIter) Valid() bool  { return f.err == nil && f.InternalIterator.Valid() }
func (f *failingIter) Error() error { return f.err }
func (f *failingIter) Close() error {
	f.InternalIterator.Close()
	return f.closeErr
}
