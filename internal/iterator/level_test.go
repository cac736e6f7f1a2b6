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

// testLevel is a level of in-memory files whose opens and closes are
// recorded, so tests can show that files are opened lazily and that at most
// one is open at a time.
type testLevel struct {
	files   []LevelFile
	sources []source
	log     []string // "open 1", "close 1", in order
	open    int      // iterators opened and not yet closed
	maxOpen int
}

// parseLevel reads one file per line: "[smallest largest] entries...", the
// bracketed bounds being optional (by default the first and last entries).
func parseLevel(input string) (*testLevel, error) {
	l := &testLevel{}
	for _, line := range strings.Split(input, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		var bounds string
		if strings.HasPrefix(line, "[") {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("unterminated bounds in %q", line)
			}
			bounds, line = line[1:end], line[end+1:]
		}
		s, err := parseSource(line)
		if err != nil {
			return nil, err
		}
		var f LevelFile
		if bounds != "" {
			fields := strings.Fields(bounds)
			if len(fields) != 2 {
				return nil, fmt.Errorf("bounds %q: want two keys", bounds)
			}
			if f.Smallest, err = base.ParseInternalKey(fields[0]); err != nil {
				return nil, err
			}
			if f.Largest, err = base.ParseInternalKey(fields[1]); err != nil {
				return nil, err
			}
		} else if len(s.keys) > 0 {
			f.Smallest, f.Largest = s.keys[0], s.keys[len(s.keys)-1]
		} else {
			return nil, fmt.Errorf("an empty file needs explicit bounds")
		}
		if n := len(l.files); n > 0 && base.InternalCompare(l.files[n-1].Largest, f.Smallest) >= 0 {
			return nil, fmt.Errorf("file %d overlaps file %d", n, n-1)
		}
		l.files = append(l.files, f)
		l.sources = append(l.sources, s)
	}
	return l, nil
}

func (l *testLevel) String() string {
	var b strings.Builder
	for i, f := range l.files {
		fmt.Fprintf(&b, "%d: [%s %s] %d entries\n", i, f.Smallest, f.Largest, len(l.sources[i].keys))
	}
	return b.String()
}

// newIter is the level's newIter function; wrap, if set, wraps each file's
// iterator (for error injection).
func (l *testLevel) newIter(wrap func(base.InternalIterator) base.InternalIterator) func(int, []byte, []byte) (base.InternalIterator, error) {
	return func(i int, lower, upper []byte) (base.InternalIterator, error) {
		l.log = append(l.log, fmt.Sprintf("open %d", i))
		l.open++
		l.maxOpen = max(l.maxOpen, l.open)
		var it base.InternalIterator = &trackedIter{InternalIterator: l.sources[i].iter(lower, upper), l: l, i: i}
		if wrap != nil {
			it = wrap(it)
		}
		return it, nil
	}
}

type trackedIter struct {
	base.InternalIterator
	l *testLevel
	i int
}

func (t *trackedIter) Close() error {
	t.l.log = append(t.l.log, fmt.Sprintf("close %d", t.i))
	t.l.open--
	return t.InternalIterator.Close()
}

// TestLevelIter runs testdata/level_iter:
//
//	define-level       one file per line: "[smallest largest] entries..."
//	iter [lower=k] [upper=k]
//	                   runs itertest.RunIterOps operations; the extra
//	                   operation "opened" prints the files opened and closed
//	                   so far by this iterator
//	opened             the files the last iter opened and closed, including
//	                   the closes done by Close
func TestLevelIter(t *testing.T) {
	var level *testLevel
	datadriven.RunTest(t, "testdata/level_iter", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "define-level":
			var err error
			if level, err = parseLevel(d.Input); err != nil {
				return err.Error()
			}
			return level.String()
		case "iter":
			lower, upper := scanBounds(t, d)
			level.log, level.open, level.maxOpen = nil, 0, 0
			it := NewLevel(level.files, level.newIter(nil), lower, upper)
			var b strings.Builder
			for _, op := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				if strings.TrimSpace(op) == "opened" {
					fmt.Fprintf(&b, "[%s]\n", strings.Join(level.log, ", "))
					continue
				}
				b.WriteString(itertest.RunIterOps(it, op))
			}
			if err := it.Close(); err != nil {
				t.Fatalf("%s: close: %v", d.Pos, err)
			}
			if level.open != 0 || level.maxOpen > 1 {
				t.Fatalf("%s: %d files left open, at most %d open at once", d.Pos, level.open, level.maxOpen)
			}
			return b.String()
		case "opened":
			return fmt.Sprintf("[%s]", strings.Join(level.log, ", "))
		}
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
		return ""
	})
}

// TestLevelErrors injects failures into newIter and into the files'
// iterators, at the k-th call for k = 0, 1, 2, ... until a run completes,
// and checks that the level iterator reports them, stays failed, closes the
// open file and returns the error from Close.
func TestLevelErrors(t *testing.T) {
	level, err := parseLevel(`
a#5,SET:a5 b#3,SET:b3
c#4,SET:c4
d#9,SET:d9 d#2,DEL e#1,SET:e1
f#1,SET:f1`)
	if err != nil {
		t.Fatal(err)
	}
	ops := []string{"first", "next", "next", "next", "prev", "prev", "next", "next", "next",
		"seek-ge d", "prev", "next", "seek-lt e", "prev", "last", "prev", "prev", "next"}
	run := func(it base.InternalIterator) []string {
		var out []string
		for _, op := range ops {
			out = append(out, strings.TrimSpace(itertest.RunIterOps(it, op)))
		}
		return out
	}
	level.log = nil
	want := run(NewLevel(level.files, level.newIter(nil), nil, nil))

	check := func(name string, it base.InternalIterator) (failed bool) {
		t.Helper()
		got := run(it)
		failedAt := -1
		for i := range got {
			if strings.HasPrefix(got[i], "err=") {
				failedAt = i
				break
			}
			if got[i] != want[i] {
				t.Fatalf("%s: op %d (%s) = %s, want %s", name, i, ops[i], got[i], want[i])
			}
		}
		if failedAt >= 0 {
			for i := failedAt; i < len(got); i++ {
				if got[i] != "err="+errInjected.Error() {
					t.Fatalf("%s: op %d (%s) after failure = %s", name, i, ops[i], got[i])
				}
			}
			if it.Valid() || !errors.Is(it.Error(), errInjected) {
				t.Fatalf("%s: valid=%v err=%v", name, it.Valid(), it.Error())
			}
		}
		if err := it.Close(); (failedAt >= 0) != errors.Is(err, errInjected) || (failedAt < 0 && err != nil) {
			t.Fatalf("%s: close = %v (failed at op %d)", name, err, failedAt)
		}
		if level.open != 0 {
			t.Fatalf("%s: %d files left open", name, level.open)
		}
		return failedAt >= 0
	}

	// newIter fails on its k-th call.
	for k := 0; ; k++ {
		level.log, level.open = nil, 0
		calls := 0
		inner := level.newIter(nil)
		newIter := func(i int, lower, upper []byte) (base.InternalIterator, error) {
			if calls++; calls > k {
				return nil, errInjected
			}
			return inner(i, lower, upper)
		}
		if !check(fmt.Sprintf("newIter fails at call %d", k), NewLevel(level.files, newIter, nil, nil)) {
			break
		}
	}
	// The files' iterators fail on the k-th operation, counted across files.
	for k := 0; ; k++ {
		level.log, level.open = nil, 0
		c := &failCounter{failAt: k}
		wrap := func(it base.InternalIterator) base.InternalIterator {
			return &failingIter{InternalIterator: it, c: c}
		}
		if !check(fmt.Sprintf("file op %d fails", k), NewLevel(level.files, level.newIter(wrap), nil, nil)) {
			break
		}
	}
	// Closing a file fails when the iterator moves on: the level iterator
	// fails with the close error.
	level.log, level.open = nil, 0
	errClose := errors.New("close failed")
	wrap := func(it base.InternalIterator) base.InternalIterator {
		return &failingIter{InternalIterator: it, c: &failCounter{failAt: -1}, closeErr: errClose}
	}
	it := NewLevel(level.files, level.newIter(wrap), nil, nil)
	if !it.First() || !it.Next() || it.Next() {
		t.Fatalf("expected to stop when leaving the first file: valid=%v err=%v", it.Valid(), it.Error())
	}
	if !errors.Is(it.Error(), errClose) || !errors.Is(it.Close(), errClose) {
		t.Fatalf("err=%v", it.Error())
	}
}
