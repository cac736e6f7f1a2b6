package codec

// LCSOptions are LCS's options. The server rejects LEN together with IDX.
type LCSOptions struct {
	Len          bool  // only the length is wanted
	IDX          bool  // the matching ranges are wanted
	MinMatchLen  int64 // with IDX: omit ranges shorter than this
	WithMatchLen bool  // with IDX: report each range's length (the server's concern; kept for completeness)
	// MaxTableBytes bounds the dynamic-programming table (4 bytes per cell,
	// (len(a)+1)*(len(b)+1) cells), as Redis bounds it by proto-max-bulk-len.
	// 0 means DefaultMaxStringLen.
	MaxTableBytes int64
}

// LCSMatch is one matching range: A and B are inclusive [start, end] byte
// indexes into the first and second string; Len = end-start+1.
type LCSMatch struct {
	A, B [2]int64
	Len  int64
}

// LCSResult is what LCS computed: the subsequence itself (unless only Len
// was asked for), its length, and with IDX the ranges from the end of the
// strings towards their start, in Redis's order.
type LCSResult struct {
	LCS     []byte
	Len     int64
	Matches []LCSMatch
}

// LCS implements LCS on the strings at keyA and keyB (a missing key is the
// empty string; another type is ErrLCSNotString).
func (d *DB) LCS(keyA, keyB []byte, o LCSOptions) (LCSResult, error) {
	// Both keys are looked up before either's type is judged, as Redis
	// does (each lookup counts).
	a, _, errA := d.lookupString(keyA)
	if errA != nil && errA != ErrWrongType {
		return LCSResult{}, errA
	}
	b, _, errB := d.lookupString(keyB)
	if errB != nil && errB != ErrWrongType {
		return LCSResult{}, errB
	}
	if errA != nil || errB != nil {
		return LCSResult{}, ErrLCSNotString
	}
	limit := o.MaxTableBytes
	if limit <= 0 {
		limit = DefaultMaxStringLen
	}
	if cells := (int64(len(a)) + 1) * (int64(len(b)) + 1); cells > limit/4 {
		return LCSResult{}, ErrLCSTooBig
	}
	return lcs(a, b, o), nil
}

// lcs is the classic O(len(a)*len(b)) dynamic program followed by Redis's
// walk back from the end that emits contiguous ranges.
func lcs(a, b []byte, o LCSOptions) LCSResult {
	alen, blen := len(a), len(b)
	w := blen + 1
	t := make([]uint32, (alen+1)*w) // t[i*w+j] = LCS length of a[:i], b[:j]
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			} else {
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	total := t[alen*w+blen]
	res := LCSResult{Len: int64(total)}
	if o.Len && !o.IDX {
		return res
	}
	out := make([]byte, total)
	idx := total
	i, j := alen, blen
	open := false // a range is being tracked
	var aStart, aEnd, bStart, bEnd int
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			out[idx-1] = a[i-1]
			if !open {
				open = true
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else {
				aStart, bStart = i-1, j-1 // matches after matches are contiguous
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = open
		}
		if emit {
			n := int64(aEnd - aStart + 1)
			if o.IDX && (o.MinMatchLen == 0 || n >= o.MinMatchLen) {
				res.Matches = append(res.Matches, LCSMatch{
					A: [2]int64{int64(aStart), int64(aEnd)}, B: [2]int64{int64(bStart), int64(bEnd)}, Len: n,
				})
			}
			open = false
		}
	}
	res.LCS = out
	return res
}
