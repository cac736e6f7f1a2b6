package resp

import (
	"math"
	"testing"
)

var point1, point2 = 0.1, 0.2 // variables, so the sum is computed in float64

// TestAppendFloat pins Redis 7.0's "%.17g" (checked against glibc's printf).
func TestAppendFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-3, "-3"},
		{1.5, "1.5"},
		{-1.5, "-1.5"},
		{1.1, "1.1000000000000001"},
		{point1 + point2, "0.30000000000000004"},
		{3.14159, "3.1415899999999999"},
		{12345.678, "12345.678"},
		{123456789.123, "123456789.123"},
		{1234.5678901234567, "1234.5678901234567"},
		{0.5, "0.5"},
		{0.001, "0.001"},
		{0.0001, "0.0001"},
		{1e-6, "9.9999999999999995e-07"},
		{1.5e-6, "1.5e-06"},
		{1e-7, "9.9999999999999995e-08"},
		{1.23e-7, "1.23e-07"},
		{1.234e-5, "1.234e-05"},
		{1e15, "1000000000000000"},
		{4611686018427387904, "4.6116860184273879e+18"},
		{9223372036854775807, "9.2233720368547758e+18"},
		{1e16, "10000000000000000"}, // exponent 16: still plain
		{1e17, "1e+17"},
		{1e19, "1e+19"},
		{1.5e19, "1.5e+19"},
		{1e20, "1e+20"},
		{-2.5e100, "-2.4999999999999999e+100"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "4.9406564584124654e-324"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tc := range tests {
		if got := string(AppendFloat(nil, tc.f)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// Every formatted double parses back to the same value.
func TestAppendFloatRoundTrip(t *testing.T) {
	rng := newRand(9)
	for range 100000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) {
			continue
		}
		s := string(AppendFloat(nil, f))
		v, err := parseRedisFloat(s)
		if err != nil || v != f {
			t.Fatalf("%v -> %q -> %v, %v", f, s, v, err)
		}
	}
}

func TestAppendFloatAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = AppendFloat(buf[:0], 1.2345678901234567e-200) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
