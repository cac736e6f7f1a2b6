package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

func TestFragment(t *testing.T) {
	ts := func(specs ...string) []tombstone {
		var out []tombstone
		for _, s := range specs {
			var start, end string
			var seq uint64
			fmt.Sscanf(strings.NewReplacer("-", " ", "#", " ").Replace(s), "%s %s %d", &start, &end, &seq)
			out = append(out, tombstone{start: []byte(start), end: []byte(end), seq: base.SeqNum(seq)})
		}
		return out
	}
	for _, tc := range []struct {
		in      []tombstone
		readSeq base.SeqNum
		want    string
	}{
		{nil, 100, ""},
		{ts("a-c#5"), 100, "[a,c)#5"},
		{ts("a-c#5", "b-d#7"), 100, "[a,b)#5 [b,d)#7"},
		{ts("a-d#7", "b-c#5"), 100, "[a,d)#7"},
		{ts("a-d#5", "b-c#7"), 100, "[a,b)#5 [b,c)#7 [c,d)#5"},
		{ts("a-b#5", "c-d#5"), 100, "[a,b)#5 [c,d)#5"},
		{ts("a-d#5", "b-c#7"), 6, "[a,d)#5"}, // #7 is not visible at 6
		{ts("c-a#5"), 100, ""},               // empty range
	} {
		f := fragment(tc.in, tc.readSeq)
		var parts []string
		for i := range f.starts {
			parts = append(parts, fmt.Sprintf("[%s,%s)#%d", f.starts[i], f.ends[i], f.seqs[i]))
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("fragment(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	f := fragment(ts("b-d#5", "c-e#9"), 100)
	for _, tc := range []struct {
		key  string
		seq  base.SeqNum
		want bool
	}{{"a", 1, false}, {"b", 4, true}, {"b", 5, false}, {"c", 8, true}, {"d", 8, true}, {"d", 9, false}, {"e", 1, false}} {
		if got := f.deleted([]byte(tc.key), tc.seq); got != tc.want {
			t.Errorf("deleted(%s@%d) = %v, want %v", tc.key, tc.seq, got, tc.want)
		}
	}
}

// TestFragmentAllMatchesDefinition: the sweep in fragmentAll gives, for
// random tombstones (overlapping, nested, empty, repeated), exactly the
// pieces the definition gives: between each pair of neighbouring bounds,
// the sequence numbers of every tombstone spanning the piece.
func TestFragmentAllMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() []byte { return []byte{byte('a' + rng.IntN(20))} }
	for round := 0; round < 2000; round++ {
		var ts []tombstone
		for range rng.IntN(12) {
			ts = append(ts, tombstone{start: key(), end: key(), seq: base.SeqNum(rng.IntN(8))})
		}
		var bounds [][]byte
		for _, tb := range ts {
			if bytes.Compare(tb.start, tb.end) < 0 {
				bounds = append(bounds, tb.start, tb.end)
			}
		}
		slices.SortFunc(bounds, bytes.Compare)
		bounds = slices.CompactFunc(bounds, bytes.Equal)
		var want []compactionFragment
		for i := 0; i+1 < len(bounds); i++ {
			var seqs []base.SeqNum
			for _, tb := range ts {
				if bytes.Compare(tb.start, bounds[i]) <= 0 && bytes.Compare(bounds[i+1], tb.end) <= 0 {
					seqs = append(seqs, tb.seq)
				}
			}
			if len(seqs) > 0 {
				slices.Sort(seqs)
				slices.Reverse(seqs)
				want = append(want, compactionFragment{start: bounds[i], end: bounds[i+1], seqs: slices.Compact(seqs)})
			}
		}
		got := fragmentAll(ts)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("tombstones %v:\ngot  %v\nwant %v", ts, got, want)
		}
	}
}
