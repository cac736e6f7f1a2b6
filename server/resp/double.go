package resp

import (
	"math"
	"strconv"
)

// AppendFloat appends Redis's text form of a double, the one d2string
// produces in Redis 7.2 for RESP2 bulk replies and RESP3 ',' replies:
//
//   - "nan", "inf" and "-inf" for the special values; "0" and "-0" for zeros;
//   - an integral value within ±(2^63-1)/2 as an integer ("3", not "3.0");
//   - otherwise the shortest digits that round-trip, laid out like
//     fpconv_dtoa: plain decimals ("0.001", "1234.5678") for moderate
//     exponents, else scientific notation with a signed, unpadded exponent
//     ("1e-7", "1.5e+19").
//
// Redis 7.0 printed non-integers with %.17g ("1.1000000000000001" where 7.2
// says "1.1"); clients parse both to the same double.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	const llHalf = float64(math.MaxInt64 / 2)
	if f >= -llHalf && f <= llHalf {
		if ll := int64(f); float64(ll) == f {
			return strconv.AppendInt(dst, ll, 10)
		}
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-trip digits from strconv, as d.ddddde±x.
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	var digits [24]byte
	nd := 0
	i := 0
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits[nd] = s[i]
			nd++
		}
	}
	e, neg := 0, s[i+1] == '-'
	for _, c := range s[i+2:] {
		e = e*10 + int(c-'0')
	}
	if neg {
		e = -e
	}
	return appendDigits(dst, digits[:nd], e-(nd-1))
}

// appendDigits lays out the value digits×10^k like fpconv's emit_digits.
func appendDigits(dst, digits []byte, k int) []byte {
	nd := len(digits)
	exp := k + nd - 1 // the decimal exponent in scientific notation
	absExp := exp
	if absExp < 0 {
		absExp = -absExp
	}
	if k >= 0 && absExp < nd+7 {
		dst = append(dst, digits...)
		for range k {
			dst = append(dst, '0')
		}
		return dst
	}
	if k < 0 && (k > -7 || absExp < 4) {
		offset := nd + k
		if offset <= 0 {
			dst = append(dst, '0', '.')
			for range -offset {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
		dst = append(dst, digits[:offset]...)
		dst = append(dst, '.')
		return append(dst, digits[offset:]...)
	}
	dst = append(dst, digits[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(absExp), 10)
}
