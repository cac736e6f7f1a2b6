package resp

import (
	"math"
	"strconv"
)

// AppendFloat appends Redis 7.0's text of a double, the one addReplyDouble
// sends in RESP2 bulk replies and RESP3 ',' replies: C's "%.17g" ("1.5",
// "3", "0.10000000000000001", "1e+20", "-0"), and "inf", "-inf" and "nan"
// for the special values.
//
// Redis 7.2 switched to the shortest text that round-trips ("0.1"); the
// server answers as the 7.0 it is compared with. Clients parse both to the
// same double.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	// strconv's 'g' with precision 17 is "%.17g": exact rounding to 17
	// significant digits, trailing zeros removed, the exponent form for
	// exponents below -4 or from 17 on, with a sign and at least two digits.
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
