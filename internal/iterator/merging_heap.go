package iterator

import (
	"bytes"

	"github.com/strata-db/strata/internal/base"
)

// mergingLevel is one child of the merging iterator together with a cache of
// its position, so that heap comparisons never go through the interface.
//
// valid records whether the child's last positioning call left it at an
// entry; key caches that entry's key and is meaningful only while valid. A
// child is in the heap iff it is valid.
type mergingLevel struct {
	iter  base.InternalIterator
	key   base.InternalKey
	index int // position among the children: the tie-break for equal keys
	valid bool
}

// mergingHeap is a binary heap of children ordered by (key, index).
//
// Heap order depends on the direction:
//
//   - forward (reverse == false): a min-heap. items[0] holds the smallest
//     (key, index) pair: the merged stream's current entry.
//   - reverse (reverse == true): a max-heap. items[0] holds the largest
//     (key, index) pair.
//
// Comparing (key, index) rather than key alone makes the order total: equal
// internal keys from different children come out earlier child first going
// forward and later child first going backward, so a backward pass visits
// exactly the reverse of a forward pass.
//
// It is a specialised heap over pointers into the merging iterator's levels
// slice: no container/heap, no interface boxing, no allocation after the
// items slice is made once.
type mergingHeap struct {
	items   []*mergingLevel
	reverse bool
}

// compareLevels orders two levels by (key, index).
func compareLevels(a, b *mergingLevel) int {
	if c := bytes.Compare(a.key.UserKey, b.key.UserKey); c != 0 {
		return c
	}
	switch {
	case a.key.Trailer > b.key.Trailer:
		return -1
	case a.key.Trailer < b.key.Trailer:
		return 1
	}
	return a.index - b.index
}

// less reports whether items[i] must sit above items[j] in the heap.
func (h *mergingHeap) less(i, j int) bool {
	c := compareLevels(h.items[i], h.items[j])
	if h.reverse {
		return c > 0
	}
	return c < 0
}

func (h *mergingHeap) len() int { return len(h.items) }

func (h *mergingHeap) top() *mergingLevel { return h.items[0] }

func (h *mergingHeap) clear() { h.items = h.items[:0] }

// push appends l without restoring heap order; call init afterwards.
func (h *mergingHeap) push(l *mergingLevel) { h.items = append(h.items, l) }

// init establishes heap order over all items in O(n).
func (h *mergingHeap) init(reverse bool) {
	h.reverse = reverse
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// fixTop restores heap order after the top item's key changed.
func (h *mergingHeap) fixTop() { h.down(0) }

// popTop removes the top item.
func (h *mergingHeap) popTop() {
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	if n > 0 {
		h.down(0)
	}
}

// down sifts items[i] down until neither child must sit above it.
func (h *mergingHeap) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		i = j
	}
}
