package resp

import "math"

// parseMultibulk parses a multibulk command from r.r, whose first byte is
// '*' unless the command is already in progress, and reports whether it is
// complete. It mirrors processMultibulkBuffer in Redis's networking.c:
//
//   - The *N line is found by its '\r'; the byte after it is skipped
//     unchecked, as is the pair of bytes after each element.
//   - N is parsed like string2ll (no '+', no leading zeros, no spaces); N
//     unparsable or above MaxMultibulkLen is "invalid multibulk length";
//     N > 10 before authentication is "unauthenticated multibulk length";
//     N <= 0 is an empty command.
//   - Each element needs a $M line: another first byte is "expected '$',
//     got 'X'"; M unparsable, negative or above MaxBulkLen is "invalid bulk
//     length"; M > 16384 before authentication is "unauthenticated bulk
//     length".
//
// Nothing is allocated from N or M: arguments are appended as they arrive.
func (r *Reader) parseMultibulk(end int) bool {
	if !r.inMulti {
		i, ok := r.lineEnd(end, '\r', ErrTooBigMbulkCount)
		if !ok {
			return false
		}
		if i+1 >= end {
			return false // the byte after '\r' is not here yet
		}
		n, ok := parseInt(r.buf[r.r+1 : i])
		if !ok || n > r.lim.MaxMultibulkLen {
			r.err = ErrInvalidMultibulkLen
			return false
		}
		if r.authRequired && n > UnauthMaxMultibulkLen {
			r.err = ErrUnauthMultibulkLen
			return false
		}
		r.r = i + 2
		if n <= 0 {
			return true
		}
		r.inMulti, r.left, r.bulkLen = true, n, -1
	}
	for r.left > 0 {
		if r.bulkLen < 0 {
			i, ok := r.lineEnd(end, '\r', ErrTooBigBulkCount)
			if !ok {
				return false
			}
			if i+1 >= end {
				return false
			}
			if c := r.buf[r.r]; c != '$' {
				r.err = errExpectedDollar(c)
				return false
			}
			n, ok := parseInt(r.buf[r.r+1 : i])
			if !ok || n < 0 || n > r.lim.MaxBulkLen {
				r.err = ErrInvalidBulkLen
				return false
			}
			if r.authRequired && n > UnauthMaxBulkLen {
				r.err = ErrUnauthBulkLen
				return false
			}
			r.r = i + 2
			r.bulkLen = n
		}
		if int64(end-r.r) < r.bulkLen+2 {
			return false
		}
		e := r.r + int(r.bulkLen)
		r.args = append(r.args, r.buf[r.r:e])
		r.r = e + 2
		r.bulkLen = -1
		r.left--
	}
	r.inMulti = false
	return true
}

// parseInt parses a decimal integer the way Redis's string2ll does: an
// optional '-', then digits without leading zeros ("0" alone is fine), at
// most 20 bytes, within int64. Anything else, '+' and spaces included, is
// rejected.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // -(1<<63) wraps to itself, which is right
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
