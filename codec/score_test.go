package codec

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// specialScores are the edges of the encoding: infinities, zeros of both
// signs, subnormals, the extremes of the normal range, and neighbours of
// powers of two.
var specialScores = []float64{
	math.Inf(-1), -math.MaxFloat64, -1e300, -2, -1, -math.SmallestNonzeroFloat64 * 2,
	-math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64,
	math.SmallestNonzeroFloat64 * 2, 0x1p-1022, 0.1, 1, math.Nextafter(1, 2), 2, 1e300,
	math.MaxFloat64, math.Inf(1), -0x1p-1022, math.Nextafter(-1, -2),
}

func randomScores(r *rand.Rand, n int) []float64 {
	out := slices.Clone(specialScores)
	for len(out) < n {
		var f float64
		switch r.IntN(3) {
		case 0:
			f = math.Float64frombits(r.Uint64()) // any bit pattern
		case 1:
			f = r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
		default:
			f = float64(r.IntN(21) - 10) // many ties
		}
		if !math.IsNaN(f) {
			out = append(out, f)
		}
	}
	return out
}

// TestScoreEncodingOrder checks that byte order of encoded scores is
// numeric order, over random float64s and the special values.
func TestScoreEncodingOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	scores := randomScores(r, 20000)
	for i := 0; i < len(scores); i++ {
		j := r.IntN(len(scores))
		a, b := scores[i], scores[j]
		checkScorePair(t, a, b)
	}
	// Sorting by bytes and by number gives the same sequence.
	byNum := slices.Clone(scores)
	slices.SortFunc(byNum, func(a, b float64) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	byBytes := slices.Clone(scores)
	slices.SortFunc(byBytes, func(a, b float64) int {
		return bytes.Compare(AppendScore(nil, a), AppendScore(nil, b))
	})
	for i := range byNum {
		if byNum[i] != byBytes[i] {
			t.Fatalf("position %d: numeric order has %v, byte order %v", i, byNum[i], byBytes[i])
		}
	}
}

func checkScorePair(t *testing.T, a, b float64) {
	t.Helper()
	ea, eb := AppendScore(nil, a), AppendScore(nil, b)
	want := 0
	if a < b {
		want = -1
	} else if a > b {
		want = 1
	}
	if got := bytes.Compare(ea, eb); got != want {
		t.Fatalf("Compare(enc(%v), enc(%v)) = %d, want %d", a, b, got, want)
	}
	for _, f := range []float64{a, b} {
		d, ok := DecodeScore(AppendScore(nil, f))
		want := f
		if f == 0 {
			want = 0 // -0 is stored as +0
		}
		if !ok || math.Float64bits(d) != math.Float64bits(want) {
			t.Fatalf("DecodeScore(AppendScore(%v)) = %v, %v", f, d, ok)
		}
	}
}

func TestScoreEncodingZeroAndInvalid(t *testing.T) {
	if !bytes.Equal(AppendScore(nil, math.Copysign(0, -1)), AppendScore(nil, 0)) {
		t.Fatal("-0 and +0 encode differently")
	}
	if d, ok := DecodeScore(AppendScore(nil, math.Copysign(0, -1))); !ok || math.Signbit(d) {
		t.Fatalf("-0 decodes to %v, %v", d, ok)
	}
	negZero := []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // ^bits(-0)
	nan := binaryScore(math.Float64bits(math.NaN()) | signBit)
	for _, b := range [][]byte{nil, {1, 2, 3}, make([]byte, 9), negZero, nan} {
		if _, ok := DecodeScore(b); ok {
			t.Errorf("DecodeScore(%x) accepted", b)
		}
	}
}

func binaryScore(bits uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(bits >> (56 - 8*i))
	}
	return b
}

// TestParseScore pins getDoubleFromObject's rules, as observed on Redis
// 7.0 (strtod checked against glibc).
func TestParseScore(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+2", 2, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"1e3", 1000, true}, {"1E-2", 0.01, true}, {"inf", math.Inf(1), true}, {"-INF", math.Inf(-1), true},
		{"+inf", math.Inf(1), true}, {"Infinity", math.Inf(1), true}, {"0x10", 16, true}, {"0x1p-2", 0.25, true},
		{"0X.8", 0.5, true}, {"5e-324", math.SmallestNonzeroFloat64, true}, {"-0", math.Copysign(0, -1), true},
		{"1e308", 1e308, true}, {"0e-400", 0, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"NaN(1)", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1e-400", 0, false}, {"abc", 0, false},
		{"infinit", 0, false}, {"1e", 0, false}, {"0x", 0, false}, {"1_0", 0, false}, {"1\x00", 0, false},
		{".", 0, false}, {"--1", 0, false}, {"0x1p", 0, false},
	} {
		got, ok := ParseScore([]byte(c.in))
		if ok != c.ok || (ok && math.Float64bits(got) != math.Float64bits(c.want)) {
			t.Errorf("ParseScore(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestParseScoreBound pins zslParseRange's rules: strtod up to the first
// NUL, leading spaces and empty strings accepted, overflow to infinity.
func TestParseScoreBound(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   float64
		ex, ok bool
	}{
		{"1", 1, false, true}, {"(1", 1, true, true}, {"-inf", math.Inf(-1), false, true},
		{"(+inf", math.Inf(1), true, true}, {"", 0, false, true}, {"(", 0, true, true},
		{" 1", 1, false, true}, {"1e400", math.Inf(1), false, true}, {"1e-400", 0, false, true},
		{"2\x00junk", 2, false, true}, {"0x10", 16, false, true},
		{"1 ", 0, false, false}, {"nan", 0, false, false}, {"((1", 0, false, false}, {"[1", 0, false, false},
		{"a", 0, false, false}, {"(nan", 0, false, false},
	} {
		got, ex, ok := ParseScoreBound([]byte(c.in))
		if ok != c.ok || (ok && (got != c.want || ex != c.ex)) {
			t.Errorf("ParseScoreBound(%q) = %v, %v, %v; want %v, %v, %v", c.in, got, ex, ok, c.want, c.ex, c.ok)
		}
	}
}

// TestAppendScoreText pins Redis 7.0's "%.17g" text of scores.
func TestAppendScoreText(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{1.5, "1.5"}, {0.1, "0.10000000000000001"}, {1e20, "1e+20"}, {math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"}, {3, "3"}, {-2, "-2"}, {0, "0"}, {math.Copysign(0, -1), "-0"},
		{1e16, "10000000000000000"}, {1e17, "1e+17"}, {0.0001, "0.0001"}, {0.00001, "1.0000000000000001e-05"},
		{math.SmallestNonzeroFloat64, "4.9406564584124654e-324"}, {1e300, "1.0000000000000001e+300"},
	} {
		if got := string(AppendScoreText(nil, c.in)); got != c.want {
			t.Errorf("AppendScoreText(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
