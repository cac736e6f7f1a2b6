package codec

import (
	"math/rand/v2"
	"slices"
)

// Random element selection shared by HRANDFIELD, SRANDMEMBER, SPOP and
// ZRANDMEMBER. Elements live in key order in the engine, without random
// access, so a selection is a sorted list of element ordinals that one pass
// over the key's elements collects.

// MaxRandomCount bounds |count| of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER
// with a negative count (picks with repetition).
const MaxRandomCount = 1 << 24

// randomOrdinals picks ordinals in [0, total): count of them, distinct when
// distinct is set (count must then be <= total), with repetition otherwise.
// The result is sorted; shuffle the collected elements for a random order.
func randomOrdinals(total uint64, count int, distinct bool) []uint64 {
	out := make([]uint64, 0, count)
	if distinct {
		// Floyd's algorithm: count distinct values without a total-sized table.
		seen := make(map[uint64]struct{}, count)
		for j := total - uint64(count); j < total; j++ {
			t := rand.Uint64N(j + 1)
			if _, dup := seen[t]; dup {
				t = j
			}
			seen[t] = struct{}{}
			out = append(out, t)
		}
	} else {
		for range count {
			out = append(out, rand.Uint64N(total))
		}
	}
	slices.Sort(out)
	return out
}

// element is one element copied out of an iterator: its field (member,
// index) and value.
type element struct {
	field, value []byte
}

// collectOrdinals walks it (positioned before its first element by the
// caller's bounds; prefix is stripped from keys) and returns the elements at
// the sorted ordinals, repeated as often as they are listed.
func collectOrdinals(it Iterator, prefix []byte, ords []uint64) ([]element, error) {
	out := make([]element, 0, len(ords))
	var i uint64
	j := 0
	for ok := it.First(); ok && j < len(ords); ok = it.Next() {
		if ords[j] == i {
			e := element{
				field: append([]byte(nil), it.Key()[len(prefix):]...),
				value: append([]byte(nil), it.Value()...),
			}
			for j < len(ords) && ords[j] == i {
				out = append(out, e)
				j++
			}
		}
		i++
	}
	return out, it.Error()
}

// collectAll returns every element of the iterator.
func collectAll(it Iterator, prefix []byte) ([]element, error) {
	var out []element
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, element{
			field: append([]byte(nil), it.Key()[len(prefix):]...),
			value: append([]byte(nil), it.Value()...),
		})
	}
	return out, it.Error()
}

func shuffle(es []element) {
	rand.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
}

// randomElements is the selection of HRANDFIELD, SRANDMEMBER and
// ZRANDMEMBER with a count, on a live view: count > 0 gives distinct
// elements (all of them when count >= the size), count < 0 gives |count|
// elements that may repeat. The order is random.
func (v *view) randomElements(count int64) ([]element, error) {
	if !v.live || count == 0 || v.m.Count == 0 {
		return nil, nil
	}
	if count < -MaxRandomCount {
		// Redis would build the reply however large; Strata bounds it
		// (each pick is materialised before the reply is written).
		return nil, ErrRandomCountTooLarge
	}
	it, prefix, err := v.iter(subElement)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var es []element
	switch {
	case count > 0 && uint64(count) >= v.m.Count:
		es, err = collectAll(it, prefix)
	case count > 0:
		es, err = collectOrdinals(it, prefix, randomOrdinals(v.m.Count, int(count), true))
	default:
		es, err = collectOrdinals(it, prefix, randomOrdinals(v.m.Count, int(-count), false))
	}
	if err != nil {
		return nil, err
	}
	shuffle(es)
	return es, nil
}
