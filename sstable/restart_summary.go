package sstable

import (
	"bytes"
	"encoding/binary"
)

// A restartSummary narrows the binary search over a large block's restart
// points (the index block, where every entry is one) before it touches the
// block. A plain search over an index of 30,000 entries makes 15 probes,
// each reading a restart offset and an entry at scattered places; the last
// five or six of them miss the CPU caches on every lookup. The summary
// keeps, in two small dense arrays, what those probes would compare:
//
//   - heads: the user key of every segSize-th restart point (a segment's
//     head), packed together; a search over them touches a few KiB;
//   - win: for every restart point, the 8 bytes of its user key that follow
//     the prefix shared by its segment's first and last keys (zero-padded,
//     big-endian), so that 8 of them share a cache line.
//
// A seek finds the segment by its heads, then the restart points whose
// window equals the target's by comparing integers, and leaves only those
// (usually one or two) to the block search proper. The order of windows
// follows the order of keys (never reversed, sometimes tied), so the
// narrowed range always holds the answer.
//
// Built only for the bytewise comparer; nothing of it is stored in the file.
type restartSummary struct {
	heads   []byte   // head user keys, concatenated
	headEnd []uint32 // end offset in heads of each segment's head
	common  []uint16 // per segment: the length of its shared prefix
	win     []uint64 // per restart point: its window
}

const (
	segSize        = 64 // restart points per segment
	minSummarySize = 2 * segSize
)

// window returns the 8 bytes of b from off on, big-endian, zero-padded.
func window(b []byte, off int) uint64 {
	if off >= len(b) {
		return 0
	}
	b = b[off:]
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var w [8]byte
	copy(w[:], b)
	return binary.BigEndian.Uint64(w[:])
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// summarize builds the summary of a validated block's restart points, or
// returns nil when the block is small or a restart key is malformed (the
// block search reports the corruption when it reaches it).
func summarize(it *blockIter) *restartSummary {
	n := it.numRestarts
	if n < minSummarySize {
		return nil
	}
	nseg := (n + segSize - 1) / segSize
	s := &restartSummary{
		headEnd: make([]uint32, nseg),
		common:  make([]uint16, nseg),
		win:     make([]uint64, n),
	}
	for seg := 0; seg < nseg; seg++ {
		first, last := seg*segSize, min((seg+1)*segSize, n)-1
		fk, ok1 := it.restartKey(first)
		lk, ok2 := it.restartKey(last)
		if !ok1 || !ok2 {
			return nil
		}
		c := min(commonPrefix(fk.UserKey, lk.UserKey), 1<<16-1)
		s.heads = append(s.heads, fk.UserKey...)
		s.headEnd[seg] = uint32(len(s.heads))
		s.common[seg] = uint16(c)
		for j := first; j <= last; j++ {
			k, ok := it.restartKey(j)
			if !ok {
				return nil
			}
			s.win[j] = window(k.UserKey, c)
		}
	}
	s.heads = bytes.Clone(s.heads) // drop the growth slack
	return s
}

// size is the memory the summary holds.
func (s *restartSummary) size() int {
	if s == nil {
		return 0
	}
	return cap(s.heads) + 4*cap(s.headEnd) + 2*cap(s.common) + 8*cap(s.win)
}

func (s *restartSummary) head(seg int) []byte {
	start := uint32(0)
	if seg > 0 {
		start = s.headEnd[seg-1]
	}
	return s.heads[start:s.headEnd[seg]]
}

// bounds returns lo <= hi such that every restart key before lo sorts
// before any internal key with user key uk, and every restart key from hi
// on sorts after it: the first restart key >= such a key lies in [lo, hi].
func (s *restartSummary) bounds(uk []byte) (lo, hi int) {
	n, nseg := len(s.win), len(s.headEnd)
	// a: the segments whose head is < uk; b: those whose head is <= uk.
	a, h := 0, nseg
	for a < h {
		m := int(uint(a+h) >> 1)
		if bytes.Compare(s.head(m), uk) < 0 {
			a = m + 1
		} else {
			h = m
		}
	}
	b := a
	for b < nseg && bytes.Equal(s.head(b), uk) {
		b++
	}
	hi = min(b*segSize, n)
	if a == 0 {
		return 0, hi
	}
	seg := a - 1
	lo = seg * segSize
	if b > a {
		// uk is a head: its entries may start in the segment before.
		return lo, hi
	}
	// uk lies after this segment's head and before the next one's: in the
	// segment or at the next head. Every key of the segment starts with
	// the segment's prefix.
	end := min(lo+segSize, n)
	c := int(s.common[seg])
	prefix := s.head(seg)[:c]
	if len(uk) < c || !bytes.Equal(uk[:c], prefix) {
		if bytes.Compare(uk, prefix) < 0 {
			return lo, lo // not reached: uk > head >= prefix
		}
		return end, end
	}
	t := window(uk, c)
	w := s.win[lo:end]
	i, j := 0, len(w)
	for i < j {
		m := int(uint(i+j) >> 1)
		if w[m] < t {
			i = m + 1
		} else {
			j = m
		}
	}
	k := i
	for k < len(w) && w[k] == t {
		k++
	}
	return lo + i, lo + k
}
