package codec

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ParseInt parses an integer argument or value the way Redis's string2ll
// does (see parseInt): the server parses command arguments with it so that
// "+1", "007", "-0" and " 1" are refused exactly as Redis refuses them.
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }

// parseInt parses a value the way Redis's string2ll does: an optional '-',
// then digits with no leading zero ("0" itself excepted), no '+', no spaces,
// within the int64 range.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

func formatInt(v int64) []byte { return strconv.AppendInt(nil, v, 10) }

// Long double emulation for INCRBYFLOAT.
//
// Redis computes INCRBYFLOAT in C long double, which on x86-64 is the x87
// 80-bit format: a 64-bit significand and a 15-bit exponent. It parses with
// strtold, adds, and prints with "%.17Lf", trimming trailing zeros (and a bare
// '.') and turning "-0" into "0" (ld2string, LD_STR_HUMAN). To give the same
// digits (10.5 + 0.1 is "10.6", not float64's "10.59999999999999964") we
// compute with math/big at 64 bits of precision, rounding to nearest even as
// the FPU does, and check the exponent range by hand.
//
// Hexadecimal input ("0x10", "0x1.8p3"), which strtold accepts, is parsed
// too. Known difference: subnormal long doubles keep a full 64-bit
// significand.

const ldPrec = 64

var (
	// ldMax is 2^16384, the first magnitude a long double cannot hold.
	ldMax = new(big.Float).SetMantExp(big.NewFloat(1), 16384)
	// ldMinSub is half the smallest subnormal long double (2^-16446):
	// smaller non-zero magnitudes underflow to zero.
	ldMinSub = new(big.Float).SetMantExp(big.NewFloat(1), -16446)
)

// maxLongDoubleChars mirrors MAX_LONG_DOUBLE_CHARS: longer inputs are
// rejected.
const maxLongDoubleChars = 5 * 1024

// parseLongDouble parses b as Redis's string2ld does: strtold syntax (decimal
// with optional fraction and exponent, or inf/infinity), no leading space, no
// trailing bytes, no NaN, and no overflow or underflow to zero. isInf reports
// an explicit infinity.
func parseLongDouble(b []byte) (v *big.Float, isInf bool, ok bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return nil, false, false
	}
	s := string(b)
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i = 1
	}
	if rest := strings.ToLower(s[i:]); rest == "inf" || rest == "infinity" {
		return new(big.Float).SetInf(neg), true, true
	}
	if len(s)-i > 2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		if v, ok := parseHexLongDouble(s[i+2:], neg); ok {
			return v, false, true
		}
		return nil, false, false
	}
	var mant big.Int
	digits, frac, sawDot := 0, 0, false
	ten := big.NewInt(10)
	nonZeroDigits := 0 // significant digits after leading zeros
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && !sawDot {
			sawDot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits++
		if sawDot {
			frac++
		}
		if nonZeroDigits > 0 || c != '0' {
			nonZeroDigits++
			mant.Mul(&mant, ten)
			mant.Add(&mant, big.NewInt(int64(c-'0')))
		}
	}
	if digits == 0 {
		return nil, false, false
	}
	exp, i := parseExponent(s, i, 'e')
	if i != len(s) {
		return nil, false, false
	}
	z := new(big.Float).SetPrec(ldPrec)
	if mant.Sign() == 0 {
		if neg {
			z.Neg(z)
		}
		return z, false, true
	}
	// value = mant * 10^e10; its decimal magnitude is about nonZeroDigits+e10.
	e10 := exp - int64(frac)
	mag := int64(nonZeroDigits) + e10
	if mag > 4934 {
		return nil, false, false // overflow: strtold returns HUGE_VALL, ERANGE
	}
	if mag < -4952 {
		return nil, false, false // underflow to zero, ERANGE
	}
	if e10 >= 0 {
		mant.Mul(&mant, new(big.Int).Exp(ten, big.NewInt(e10), nil))
		z.SetInt(&mant) // rounds once to 64 bits
	} else {
		r := new(big.Rat).SetFrac(&mant, new(big.Int).Exp(ten, big.NewInt(-e10), nil))
		z.SetRat(r) // exact quotient rounded once to 64 bits
	}
	if neg {
		z.Neg(z)
	}
	if z.IsInf() || new(big.Float).Abs(z).Cmp(ldMax) >= 0 {
		return nil, false, false
	}
	if new(big.Float).Abs(z).Cmp(ldMinSub) < 0 {
		return nil, false, false
	}
	return z, false, true
}

// parseHexLongDouble parses what follows "0x" in strtold's hexadecimal
// syntax: hex digits with an optional '.', then an optional binary exponent
// 'p' [sign] digits. The whole input must be consumed (a "0x" without a hex
// digit, or a 'p' without digits, leaves trailing bytes: invalid).
func parseHexLongDouble(s string, neg bool) (*big.Float, bool) {
	var mant big.Int
	digits, frac, sawDot, i := 0, 0, false, 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && !sawDot {
			sawDot = true
			continue
		}
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		default:
			goto mantissaDone
		}
		digits++
		if sawDot {
			frac++
		}
		mant.Lsh(&mant, 4)
		mant.Or(&mant, big.NewInt(d))
	}
mantissaDone:
	if digits == 0 {
		return nil, false
	}
	exp, i := parseExponent(s, i, 'p')
	if i != len(s) {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec)
	if mant.Sign() == 0 {
		if neg {
			z.Neg(z)
		}
		return z, true
	}
	e2 := exp - 4*int64(frac)
	if mag := int64(mant.BitLen()) + e2; mag > 16385 || mag < -16500 {
		return nil, false // overflow or underflow: ERANGE
	}
	z.SetInt(&mant) // rounds once to 64 bits
	z.SetMantExp(z, int(e2))
	if neg {
		z.Neg(z)
	}
	abs := new(big.Float).Abs(z)
	if abs.Cmp(ldMax) >= 0 || abs.Cmp(ldMinSub) < 0 {
		return nil, false
	}
	return z, true
}

// addLongDouble returns a+b rounded to a long double, or ok=false if the sum
// is NaN or infinite (ErrNaNOrInf in Redis).
func addLongDouble(a, b *big.Float, aInf, bInf bool) (*big.Float, bool) {
	if aInf || bInf {
		return nil, false // inf + x is inf, inf - inf is NaN: both refused
	}
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	z.Add(a, b)
	if new(big.Float).Abs(z).Cmp(ldMax) >= 0 {
		return nil, false
	}
	return z, true
}

// formatLongDouble formats v as Redis's ld2string with LD_STR_HUMAN: "%.17Lf",
// trailing zeros and a trailing '.' removed, "-0" printed as "0".
func formatLongDouble(v *big.Float) []byte {
	s := v.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		end := len(s)
		for end > 0 && s[end-1] == '0' {
			end--
		}
		if end > 0 && s[end-1] == '.' {
			end--
		}
		s = s[:end]
	}
	if s == "-0" {
		s = "0"
	}
	return []byte(s)
}

// parseExponent reads an optional exponent at s[i:]: the marker letter
// (either case), an optional sign and at least one digit, as strtold does.
// Without digits the marker is not consumed (it is then trailing garbage).
// The exponent saturates at 1e9, far past any representable value.
func parseExponent(s string, i int, marker byte) (exp int64, next int) {
	if i >= len(s) || (s[i] != marker && s[i] != marker-'a'+'A') {
		return 0, i
	}
	j := i + 1
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	if j >= len(s) || s[j] < '0' || s[j] > '9' {
		return 0, i
	}
	for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		if exp < 1e9 {
			exp = exp*10 + int64(s[j]-'0')
		}
	}
	if neg {
		exp = -exp
	}
	return exp, j
}

// ParseFloatArg checks a float argument the way Redis's
// getLongDoubleFromObject does: ok is false when b is not a valid float;
// isInf reports an infinity (which several commands refuse).
func ParseFloatArg(b []byte) (isInf, ok bool) {
	_, isInf, ok = parseLongDouble(b)
	return isInf, ok
}
