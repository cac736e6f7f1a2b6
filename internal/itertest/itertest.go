// Package itertest holds the one datadriven interpreter for internal
// iterators, shared by the memtable, sstable, merging and level iterator
// tests.
//
// An "iter" test case lists one operation per line and prints one line per
// operation:
//
//	first | last | next | prev | seek-ge <key> | seek-lt <key>
//
// Each line of output is "<key#seq,KIND>:<value>" when the iterator is
// valid, "." when it is exhausted, and "err=<error>" when it failed.
package itertest

import (
	"fmt"
	"strings"

	"github.com/strata-db/strata/internal/base"
)

// RunIterOps runs the operations in input (one per line) against it and
// returns the output described in the package doc.
func RunIterOps(it base.InternalIterator, input string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		arg := func() []byte {
			if len(fields) < 2 {
				return nil
			}
			return []byte(fields[1])
		}
		switch fields[0] {
		case "first":
			it.First()
		case "last":
			it.Last()
		case "next":
			it.Next()
		case "prev":
			it.Prev()
		case "seek-ge":
			it.SeekGE(arg())
		case "seek-lt":
			it.SeekLT(arg())
		default:
			fmt.Fprintf(&b, "unknown op %q\n", fields[0])
			continue
		}
		b.WriteString(Format(it))
		b.WriteByte('\n')
	}
	return b.String()
}

// Format renders the iterator's current position.
func Format(it base.InternalIterator) string {
	if it.Valid() {
		return fmt.Sprintf("%s:%s", it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		return "err=" + err.Error()
	}
	return "."
}

// Entry is one parsed "key#seq,KIND:value" line.
type Entry struct {
	Key   base.InternalKey
	Value []byte
}

// ParseEntries parses lines of "key#seq,KIND[:value]" (whitespace-separated
// entries are accepted too), as used by "build" and "define" commands.
func ParseEntries(input string) ([]Entry, error) {
	var out []Entry
	for _, f := range strings.Fields(input) {
		k, v, _ := strings.Cut(f, ":")
		ik, err := base.ParseInternalKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Key: ik, Value: []byte(v)})
	}
	return out, nil
}

// Collect drains it from First and returns every entry, with copies of the
// keys and values.
func Collect(it base.InternalIterator) ([]Entry, error) {
	var out []Entry
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, Entry{Key: it.Key().Clone(), Value: append([]byte(nil), it.Value()...)})
	}
	return out, it.Error()
}
