package codec

import (
	"bytes"
	"container/heap"
	"errors"
)

// Set algebra: SINTER, SUNION, SDIFF over sets opened as views (on a
// snapshot for the reads, on the store under the keys' locks for the *STORE
// forms). Every set's members are stored in byte order, so:
//
//   - the intersection walks the smallest set and probes the others with
//     point lookups, as Redis does (cost: the smallest size times the
//     number of sets);
//   - the union merges the sorted member streams of all sets (a heap of
//     iterators), dropping repeats;
//   - the difference walks the first set and advances one iterator per
//     other set alongside it (SeekGE to each member), a merge that never
//     goes back.
//
// None of them loads a set into memory; the result comes out in byte order,
// each member once, through emit. The slice emit receives is valid only
// during the call. A set named twice (the same uuid) is read once.

// errStopCombine, returned by emit, ends a combination early without error
// (SINTERCARD's LIMIT).
var errStopCombine = errors.New("codec: stop combining sets")

// combineSets emits the members of op over sets. An error from emit other
// than errStopCombine is returned as is.
func combineSets(op SetOp, sets []*view, emit func(m []byte) error) error {
	var err error
	switch op {
	case SetInter:
		err = interSets(sets, emit)
	case SetUnion:
		err = unionSets(sets, emit)
	default:
		err = diffSets(sets, emit)
	}
	if errors.Is(err, errStopCombine) {
		return nil
	}
	return err
}

// distinctLive returns the live sets, each uuid once, skipping skip's uuid
// (0: none).
func distinctLive(sets []*view, skip uint64) []*view {
	var out []*view
	seen := make(map[uint64]bool, len(sets))
	for _, v := range sets {
		if !v.live || v.m.UUID == skip || seen[v.m.UUID] {
			continue
		}
		seen[v.m.UUID] = true
		out = append(out, v)
	}
	return out
}

func interSets(sets []*view, emit func([]byte) error) error {
	if len(sets) == 0 {
		return nil
	}
	smallest := sets[0]
	for _, v := range sets {
		if !v.live {
			return nil // the intersection with an empty set
		}
		if v.m.Count < smallest.m.Count {
			smallest = v
		}
	}
	others := distinctLive(sets, smallest.m.UUID)
	return smallest.eachMember(func(m []byte) error {
		for _, v := range others {
			_, found, err := v.get(subElement, m)
			if err != nil {
				return err
			}
			if !found {
				return nil
			}
		}
		return emit(m)
	})
}

// memberIter is an iterator over one set's members with its current
// position.
type memberIter struct {
	it     Iterator
	prefix []byte
	ok     bool   // positioned on a member
	seek   []byte // scratch for seek keys
}

func (v *view) memberIter() (*memberIter, error) {
	it, prefix, err := v.iter(subElement)
	if err != nil {
		return nil, err
	}
	mi := &memberIter{it: it, prefix: prefix}
	mi.ok = it.First()
	return mi, nil
}

func (mi *memberIter) member() []byte { return mi.it.Key()[len(mi.prefix):] }

// contains reports whether the set holds m. Successive calls must come with
// ascending members: the iterator only moves forward.
func (mi *memberIter) contains(m []byte) bool {
	if !mi.ok {
		return false
	}
	c := bytes.Compare(mi.member(), m)
	if c < 0 {
		mi.seek = append(append(mi.seek[:0], mi.prefix...), m...)
		if mi.ok = mi.it.SeekGE(mi.seek); !mi.ok {
			return false
		}
		c = bytes.Compare(mi.member(), m)
	}
	return c == 0
}

// closeAll closes iterators and returns the first error any of them met
// (an iterator that failed is invalid, so a merge reading it stopped short).
func closeAll(its []*memberIter) error {
	var first error
	for _, mi := range its {
		if err := mi.it.Error(); err != nil && first == nil {
			first = err
		}
		if err := mi.it.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func diffSets(sets []*view, emit func([]byte) error) (err error) {
	if len(sets) == 0 || !sets[0].live {
		return nil
	}
	base := sets[0]
	for _, v := range sets[1:] {
		if v.live && v.m.UUID == base.m.UUID {
			return nil // a set minus itself
		}
	}
	var its []*memberIter
	defer func() {
		if cerr := closeAll(its); err == nil {
			err = cerr
		}
	}()
	for _, v := range distinctLive(sets[1:], 0) {
		mi, err := v.memberIter()
		if err != nil {
			return err
		}
		its = append(its, mi)
	}
	return base.eachMember(func(m []byte) error {
		for _, mi := range its {
			if mi.contains(m) {
				return nil
			}
		}
		return emit(m)
	})
}

func unionSets(sets []*view, emit func([]byte) error) (err error) {
	var its []*memberIter
	defer func() {
		if cerr := closeAll(its); err == nil {
			err = cerr
		}
	}()
	var h memberHeap
	for _, v := range distinctLive(sets, 0) {
		mi, err := v.memberIter()
		if err != nil {
			return err
		}
		its = append(its, mi)
		if mi.ok {
			h = append(h, mi)
		}
	}
	heap.Init(&h)
	var last []byte
	for n := 0; len(h) > 0; n++ {
		top := h[0]
		if m := top.member(); n == 0 || !bytes.Equal(m, last) {
			last = append(last[:0], m...)
			if err := emit(last); err != nil {
				return err
			}
		}
		if top.ok = top.it.Next(); top.ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// memberHeap orders positioned iterators by their current member.
type memberHeap []*memberIter

func (h memberHeap) Len() int           { return len(h) }
func (h memberHeap) Less(i, j int) bool { return bytes.Compare(h[i].member(), h[j].member()) < 0 }
func (h memberHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *memberHeap) Push(x any)        { *h = append(*h, x.(*memberIter)) }
func (h *memberHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
