package codec

import "testing"

// TestParseLongDoubleHex checks strtold's hexadecimal syntax, which Redis's
// INCRBYFLOAT accepts ("0x10" is 16).
func TestParseLongDoubleHex(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means invalid
	}{
		{"0x10", "16"}, {"0X10", "16"}, {"-0x10", "-16"}, {"+0xA", "10"}, {"0x1.8p1", "3"},
		{"0x1p-2", "0.25"}, {"0xffP+4", "4080"}, {"0x.8", "0.5"}, {"0x0", "0"}, {"-0x0", "0"},
		{"0x", ""}, {"0xg", ""}, {"0x1p", ""}, {"0x1p+", ""}, {"0x1.2.3", ""}, {"0x1q", ""},
		{"0x1p99999", ""}, {"0x1p-99999", ""}, {" 0x1", ""},
	} {
		v, _, ok := parseLongDouble([]byte(tc.in))
		if !ok {
			if tc.want != "" {
				t.Errorf("%q: rejected, want %s", tc.in, tc.want)
			}
			continue
		}
		if got := string(formatLongDouble(v)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
