package base

import "bytes"

// Comparer defines the order of user keys. Strata orders keys bytewise; the
// type exists so that sstables and the MANIFEST record the ordering by name,
// and so that index blocks can use shortened separators.
type Comparer struct {
	// Compare returns -1, 0 or +1.
	Compare func(a, b []byte) int
	// Separator appends to dst a key k with a <= k < b, as short as it can,
	// for index blocks. It requires a < b.
	Separator func(dst, a, b []byte) []byte
	// Successor appends to dst a short key k with a <= k.
	Successor func(dst, a []byte) []byte
	// Name identifies the ordering in persisted files.
	Name string
}

// DefaultComparer orders keys bytewise.
var DefaultComparer = &Comparer{
	Compare:   bytes.Compare,
	Separator: bytewiseSeparator,
	Successor: bytewiseSuccessor,
	Name:      "strata.BytewiseComparator",
}

func bytewiseSeparator(dst, a, b []byte) []byte {
	i, n := 0, min(len(a), len(b))
	for ; i < n && a[i] == b[i]; i++ {
	}
	if i >= n {
		// a is a prefix of b (or equal): a itself is the shortest choice.
		return append(dst, a...)
	}
	if c := a[i]; c < 0xff && c+1 < b[i] {
		dst = append(dst, a[:i+1]...)
		dst[len(dst)-1]++
		return dst
	}
	// a[i]+1 == b[i]: keys that differ by one in their last byte of a
	// counter (consecutive uuids). b[:i+1] is above a and, when b goes on,
	// below b.
	if i+1 < len(b) {
		return append(dst, b[:i+1]...)
	}
	// Otherwise keep a[:i+1] and increment the first byte after it that
	// can be: above a, and still below b at position i.
	for j := i + 1; j < len(a); j++ {
		if a[j] != 0xff {
			dst = append(dst, a[:j+1]...)
			dst[len(dst)-1]++
			return dst
		}
	}
	return append(dst, a...)
}

func bytewiseSuccessor(dst, a []byte) []byte {
	for i, c := range a {
		if c != 0xff {
			dst = append(dst, a[:i+1]...)
			dst[len(dst)-1]++
			return dst
		}
	}
	return append(dst, a...)
}
