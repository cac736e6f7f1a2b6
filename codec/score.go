package codec

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Sorted-set scores: the order-preserving encoding used in keys and values
// (on-disk format, FORMAT.md "Sorted set"), Redis's parsing of score
// arguments (C's strtod, as getDoubleFromObject and zslParseRange use it)
// and Redis 7.0's text of a score (d2string, "%.17g").

// ScoreLen is the length of an encoded score.
const ScoreLen = 8

const signBit = 1 << 63

// AppendScore appends the 8-byte order-preserving encoding of f to dst: the
// IEEE 754 bits of f, big-endian, with every bit flipped when f is negative
// and only the sign bit flipped otherwise. Byte order of encodings is then
// numeric order, -inf first and +inf last. -0 is encoded as +0 (they are
// equal scores). f must not be NaN: Redis never stores one.
func AppendScore(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(dst, scoreBits(f))
}

func scoreBits(f float64) uint64 {
	if f == 0 {
		return signBit // +0, whatever the sign of f
	}
	bits := math.Float64bits(f)
	if bits&signBit != 0 {
		return ^bits
	}
	return bits | signBit
}

// DecodeScore decodes an encoded score. ok is false when b is not 8 bytes
// or holds a NaN or a negative zero, which AppendScore never writes.
func DecodeScore(b []byte) (f float64, ok bool) {
	if len(b) != ScoreLen {
		return 0, false
	}
	bits := binary.BigEndian.Uint64(b)
	if bits&signBit != 0 {
		bits &^= signBit
	} else {
		bits = ^bits
	}
	f = math.Float64frombits(bits)
	if math.IsNaN(f) || (f == 0 && math.Signbit(f)) {
		return 0, false
	}
	return f, true
}

// ParseScore parses a score, weight or increment argument as Redis's
// getDoubleFromObject does: strtod syntax (decimal, hexadecimal, inf,
// infinity; case-insensitive), the whole argument consumed, no leading
// space, not NaN, and no overflow to infinity or underflow to zero (a
// subnormal result is accepted).
func ParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	v, n, rangeErr := strtod(b)
	if n != len(b) || rangeErr || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// ParseScoreBound parses one end of a score range (ZRANGEBYSCORE, ZCOUNT,
// ...) as zslParseRange does: a leading '(' makes it exclusive, then strtod
// must consume everything up to the first NUL byte (C string semantics).
// Its quirks are kept: leading spaces are skipped, the empty string (and a
// lone "(") is 0, overflow gives an infinity, underflow gives 0; only
// trailing bytes and NaN are errors.
func ParseScoreBound(b []byte) (v float64, exclusive, ok bool) {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > 0 && b[0] == '(' {
		exclusive = true
		b = b[1:]
	}
	v, n, _ := strtod(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false, false
	}
	return v, exclusive, true
}

// AppendScoreText appends Redis 7.0's text of a score, which is what
// addReplyDouble and d2string print: "%.17g" ("1.5", "0.10000000000000001",
// "1e+20"), "inf" and "-inf".
func AppendScoreText(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// strtod emulates glibc's strtod on b: it skips leading white space, reads
// the longest prefix that is a number (decimal with optional fraction and
// exponent, hexadecimal "0x" with optional binary exponent, "inf",
// "infinity", "nan" or "nan(chars)", all with an optional sign) and returns
// its value and the bytes consumed (0 when there is no number).
// rangeErr is strtod's ERANGE for the cases Redis checks: a finite number
// that overflows to an infinity, or a non-zero one that underflows to 0.
func strtod(b []byte) (v float64, n int, rangeErr bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	switch {
	case hasPrefixFold(b[i:], "infinity"):
		return math.Inf(signOf(neg)), i + 8, false
	case hasPrefixFold(b[i:], "inf"):
		return math.Inf(signOf(neg)), i + 3, false
	case hasPrefixFold(b[i:], "nan"):
		j := i + 3
		if j < len(b) && b[j] == '(' {
			k := j + 1
			for k < len(b) && (isAlnum(b[k]) || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	if i+1 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') {
		if v, end, nonzero, ok := scanHexFloat(b, i+2); ok {
			return finishStrtod(v, neg, nonzero, end)
		}
		// "0x" without hex digits: the number is the "0".
	}
	j, digits, nonzero := i, 0, false
	for sawDot := false; j < len(b); j++ {
		c := b[j]
		if c == '.' && !sawDot {
			sawDot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits++
		nonzero = nonzero || c != '0'
	}
	if digits == 0 {
		return 0, 0, false
	}
	j = scanExponent(b, j, 'e')
	v, _ = strconv.ParseFloat(string(b[i:j]), 64)
	return finishStrtod(v, neg, nonzero, j)
}

func finishStrtod(v float64, neg, nonzero bool, end int) (float64, int, bool) {
	if neg {
		v = -v
	}
	rangeErr := math.IsInf(v, 0) || (v == 0 && nonzero)
	return v, end, rangeErr
}

// scanHexFloat reads hex digits with an optional '.' from b[i:] and an
// optional binary exponent; ok is false when there is no hex digit.
func scanHexFloat(b []byte, i int) (v float64, end int, nonzero, ok bool) {
	j, digits := i, 0
	for sawDot := false; j < len(b); j++ {
		c := b[j]
		if c == '.' && !sawDot {
			sawDot = true
			continue
		}
		if !isHexDigit(c) {
			break
		}
		digits++
		nonzero = nonzero || c != '0'
	}
	if digits == 0 {
		return 0, 0, false, false
	}
	mant := string(b[i:j])
	end = scanExponent(b, j, 'p')
	exp := "p0"
	if end > j {
		exp = "p" + string(b[j+1:end])
	}
	v, _ = strconv.ParseFloat("0x"+mant+exp, 64)
	return v, end, nonzero, true
}

// scanExponent returns the end of an optional exponent at b[j:]: the
// marker letter (either case), an optional sign and at least one digit.
// Without digits the marker is not part of the number and j is returned.
func scanExponent(b []byte, j int, marker byte) int {
	if j >= len(b) || (b[j] != marker && b[j] != marker-'a'+'A') {
		return j
	}
	k := j + 1
	if k < len(b) && (b[k] == '+' || b[k] == '-') {
		k++
	}
	if k >= len(b) || b[k] < '0' || b[k] > '9' {
		return j
	}
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	return k
}

func signOf(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

// isCSpace is C's isspace in the "C" locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}
