package resp

import (
	"strconv"
	"strings"
)

// The Append functions encode one RESP value at the end of dst and return
// the extended slice, like strconv.AppendInt: they allocate only when dst
// must grow. They write one protocol version's syntax as named; Writer
// picks between RESP2 and RESP3 for the caller.

var crlf = []byte("\r\n")

// AppendSimpleString appends +s. CR and LF in s become spaces, so the reply
// cannot break the protocol.
func AppendSimpleString(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = appendLine(dst, s)
	return append(dst, crlf...)
}

// AppendError appends an error reply. msg starts with its error code, as in
// "ERR wrong number of arguments for 'get' command" or "WRONGTYPE
// Operation against a key holding the wrong kind of value"; a leading '-'
// is accepted and not doubled. As Redis does with formatted errors, CR and
// LF at either end are trimmed and those inside become spaces. An empty
// message is written as "-ERR".
func AppendError(dst []byte, msg string) []byte {
	msg = strings.Trim(msg, "\r\n")
	msg = strings.TrimPrefix(msg, "-")
	if msg == "" {
		msg = "ERR"
	}
	dst = append(dst, '-')
	dst = appendLine(dst, msg)
	return append(dst, crlf...)
}

// appendLine appends s with CR and LF replaced by spaces.
func appendLine(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendInt appends :n.
func AppendInt(dst []byte, n int64) []byte {
	return appendPrefixed(dst, ':', n)
}

// appendPrefixed appends prefix, n and CRLF: the header of most types.
func appendPrefixed(dst []byte, prefix byte, n int64) []byte {
	// Lengths and counts below 10,000 (nearly all of them: a 100-byte
	// value's "$100") are written digit by digit in one append: through
	// strconv they cost LRANGE about a tenth of its CPU, 100 headers per
	// reply.
	if n >= 0 && n < 10000 {
		hi, lo := byte(n/100), byte(n%100)
		switch {
		case n < 10:
			return append(dst, prefix, '0'+lo, '\r', '\n')
		case n < 100:
			return append(dst, prefix, '0'+lo/10, '0'+lo%10, '\r', '\n')
		case n < 1000:
			return append(dst, prefix, '0'+hi, '0'+lo/10, '0'+lo%10, '\r', '\n')
		}
		return append(dst, prefix, '0'+hi/10, '0'+hi%10, '0'+lo/10, '0'+lo%10, '\r', '\n')
	}
	dst = append(dst, prefix)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, crlf...)
}

// AppendBulk appends v as a bulk string: $len, v.
func AppendBulk(dst []byte, v []byte) []byte {
	dst = appendPrefixed(dst, '$', int64(len(v)))
	dst = append(dst, v...)
	return append(dst, crlf...)
}

// AppendBulkString appends s as a bulk string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = appendPrefixed(dst, '$', int64(len(s)))
	dst = append(dst, s...)
	return append(dst, crlf...)
}

// AppendBulkInt appends the decimal form of n as a bulk string.
func AppendBulkInt(dst []byte, n int64) []byte {
	var tmp [24]byte
	return AppendBulk(dst, strconv.AppendInt(tmp[:0], n, 10))
}

// AppendBulkUint appends the decimal form of n as a bulk string (a SCAN
// cursor, for instance).
func AppendBulkUint(dst []byte, n uint64) []byte {
	var tmp [24]byte
	return AppendBulk(dst, strconv.AppendUint(tmp[:0], n, 10))
}

// AppendNullBulk appends RESP2's null bulk string, $-1.
func AppendNullBulk(dst []byte) []byte { return append(dst, "$-1\r\n"...) }

// AppendNullArray appends RESP2's null array, *-1.
func AppendNullArray(dst []byte) []byte { return append(dst, "*-1\r\n"...) }

// AppendNull appends RESP3's null, _.
func AppendNull(dst []byte) []byte { return append(dst, "_\r\n"...) }

// AppendArrayHeader appends *n; n elements must follow.
func AppendArrayHeader(dst []byte, n int) []byte { return appendPrefixed(dst, '*', int64(n)) }

// AppendMapHeader appends RESP3's %n; n key-value pairs must follow.
func AppendMapHeader(dst []byte, n int) []byte { return appendPrefixed(dst, '%', int64(n)) }

// AppendSetHeader appends RESP3's ~n; n elements must follow.
func AppendSetHeader(dst []byte, n int) []byte { return appendPrefixed(dst, '~', int64(n)) }

// AppendPushHeader appends RESP3's >n; n elements must follow, the first
// naming the kind of push ("message", "invalidate", ...).
func AppendPushHeader(dst []byte, n int) []byte { return appendPrefixed(dst, '>', int64(n)) }

// AppendDouble appends RESP3's ,f with Redis's formatting (see AppendFloat).
func AppendDouble(dst []byte, f float64) []byte {
	dst = append(dst, ',')
	dst = AppendFloat(dst, f)
	return append(dst, crlf...)
}

// AppendBulkFloat appends Redis's text of f as a bulk string: RESP2's way
// of sending a double.
func AppendBulkFloat(dst []byte, f float64) []byte {
	var tmp [32]byte
	return AppendBulk(dst, AppendFloat(tmp[:0], f))
}

// AppendBool appends RESP3's #t or #f.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "#t\r\n"...)
	}
	return append(dst, "#f\r\n"...)
}

// AppendBigNumber appends RESP3's (s, where s is a decimal integer of any
// size, such as "3492890328409238509324850943850943825024385".
func AppendBigNumber(dst []byte, s string) []byte {
	dst = append(dst, '(')
	dst = appendLine(dst, s)
	return append(dst, crlf...)
}

// AppendVerbatim appends RESP3's verbatim string: =len, then format, ':'
// and text. format is a three-letter type, "txt" or "mkd"; anything else is
// written as "txt".
func AppendVerbatim(dst []byte, format string, text []byte) []byte {
	if len(format) != 3 {
		format = "txt"
	}
	dst = appendPrefixed(dst, '=', int64(len(text)+4))
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, text...)
	return append(dst, crlf...)
}

// AppendCommand appends args as a multibulk request, the way clients send
// commands: *n, then each argument as a bulk string.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}
