package resp

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the type of a reply: its RESP type byte.
type Kind byte

// The reply kinds of RESP2 and RESP3.
const (
	KindSimpleString Kind = '+'
	KindError        Kind = '-'
	KindInteger      Kind = ':'
	KindBulk         Kind = '$'
	KindArray        Kind = '*'
	KindNull         Kind = '_' // RESP3
	KindDouble       Kind = ',' // RESP3
	KindBool         Kind = '#' // RESP3
	KindBigNumber    Kind = '(' // RESP3
	KindBulkError    Kind = '!' // RESP3
	KindVerbatim     Kind = '=' // RESP3
	KindMap          Kind = '%' // RESP3
	KindSet          Kind = '~' // RESP3
	KindPush         Kind = '>' // RESP3
)

// kindAttribute is RESP3's attribute type: a map attached to the reply that
// follows it, kept in that reply's Attrs.
const kindAttribute = '|'

// String returns the kind's name, for example "bulk".
func (k Kind) String() string {
	switch k {
	case KindSimpleString:
		return "simple-string"
	case KindError:
		return "error"
	case KindInteger:
		return "integer"
	case KindBulk:
		return "bulk"
	case KindArray:
		return "array"
	case KindNull:
		return "null"
	case KindDouble:
		return "double"
	case KindBool:
		return "bool"
	case KindBigNumber:
		return "big-number"
	case KindBulkError:
		return "bulk-error"
	case KindVerbatim:
		return "verbatim"
	case KindMap:
		return "map"
	case KindSet:
		return "set"
	case KindPush:
		return "push"
	}
	return fmt.Sprintf("Kind(%q)", byte(k))
}

// Value is one reply, as ReadReply parses it. Which fields are set depends
// on Kind:
//
//	KindSimpleString, KindError, KindBulkError, KindBigNumber: Str
//	KindBulk: Str, or Nil for RESP2's $-1
//	KindArray: Elems, or Nil for RESP2's *-1
//	KindInteger: Int
//	KindDouble: Float, and Str as sent ("1.5", "inf")
//	KindBool: Bool
//	KindVerbatim: Format ("txt") and Str
//	KindMap: Elems, keys and values alternating
//	KindSet, KindPush: Elems
//	KindNull: nothing
//
// Attrs holds RESP3 attributes sent before the reply, keys and values
// alternating.
type Value struct {
	Kind   Kind
	Str    string
	Int    int64
	Float  float64
	Bool   bool
	Format string
	Nil    bool
	Elems  []Value
	Attrs  []Value
}

// Bounds of ReadReply, so malformed input cannot exhaust memory or stack.
const (
	maxReplyDepth    = 512
	maxReplyBulkLen  = DefaultMaxBulkLen
	maxReplyPrealloc = 64       // elements allocated ahead of their arrival
	replyReadChunk   = 64 << 10 // bulk bytes allocated ahead of their arrival
)

// ReadReply reads one complete reply from br, RESP2 or RESP3. It is the
// client side of the protocol, for tests and tools. Malformed input gives an
// error wrapping ErrMalformedReply; a connection closed between replies
// gives io.EOF, and inside one io.ErrUnexpectedEOF. An error reply is a
// Value of KindError, not an error.
func ReadReply(br *bufio.Reader) (Value, error) {
	return readValue(br, 0)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedReply}, args...)...)
}

func readValue(br *bufio.Reader, depth int) (Value, error) {
	if depth > maxReplyDepth {
		return Value{}, malformed("nested deeper than %d", maxReplyDepth)
	}
	line, err := readReplyLine(br, depth)
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, malformed("empty line")
	}
	k, text := Kind(line[0]), line[1:]
	v := Value{Kind: k}
	switch k {
	case KindSimpleString, KindError, KindBigNumber:
		v.Str = string(text)
	case KindInteger:
		if v.Int, err = strconv.ParseInt(string(text), 10, 64); err != nil {
			return v, malformed("integer %q", text)
		}
	case KindDouble:
		if v.Float, err = strconv.ParseFloat(string(text), 64); err != nil {
			return v, malformed("double %q", text)
		}
		v.Str = string(text)
	case KindBool:
		switch string(text) {
		case "t":
			v.Bool = true
		case "f":
		default:
			return v, malformed("boolean %q", text)
		}
	case KindNull:
		if len(text) != 0 {
			return v, malformed("null with payload %q", text)
		}
	case KindBulk, KindBulkError, KindVerbatim:
		n, err := replyLen(text, k == KindBulk)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.Nil = true
			return v, nil
		}
		if n > maxReplyBulkLen {
			return v, malformed("bulk length %d", n)
		}
		b, err := readBulk(br, int(n))
		if err != nil {
			return v, err
		}
		if k == KindVerbatim {
			if len(b) < 4 || b[3] != ':' {
				return v, malformed("verbatim string without a format")
			}
			v.Format, b = string(b[:3]), b[4:]
		}
		v.Str = string(b)
	case KindArray, KindSet, KindPush, KindMap, kindAttribute:
		n, err := replyLen(text, k == KindArray)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.Nil = true
			return v, nil
		}
		count := n
		if k == KindMap || k == kindAttribute {
			count *= 2
		}
		if count > 0 {
			v.Elems = make([]Value, 0, min(count, maxReplyPrealloc))
		}
		for range count {
			e, err := readValue(br, depth+1)
			if err != nil {
				return v, unexpectedEOF(err)
			}
			v.Elems = append(v.Elems, e)
		}
		if k == kindAttribute {
			next, err := readValue(br, depth+1)
			if err != nil {
				return v, unexpectedEOF(err)
			}
			next.Attrs = append(v.Elems, next.Attrs...)
			return next, nil
		}
	default:
		return v, malformed("unknown type byte %q", line[0])
	}
	return v, nil
}

// readReplyLine reads a line ended by CRLF and returns it without the
// CRLF. The line aliases br's buffer unless it is longer than the buffer.
func readReplyLine(br *bufio.Reader, depth int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		if err == io.EOF && (len(line) > 0 || depth > 0) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, malformed("line not ended by CRLF")
	}
	return line[:len(line)-2], nil
}

// replyLen parses the length of a bulk or aggregate; -1 (a RESP2 null) is
// accepted only where nullable.
func replyLen(text []byte, nullable bool) (int64, error) {
	n, ok := parseInt(text)
	if !ok || n < -1 || (n == -1 && !nullable) {
		return 0, malformed("length %q", text)
	}
	return n, nil
}

// readBulk reads n bytes and the CRLF after them, allocating as the bytes
// arrive rather than from n.
func readBulk(br *bufio.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, replyReadChunk))
	for len(b) < n {
		chunk := min(n-len(b), replyReadChunk)
		if cap(b)-len(b) < chunk {
			b = append(b[:cap(b)], make([]byte, chunk)...)[:len(b)]
		}
		m, err := io.ReadFull(br, b[len(b):len(b)+chunk])
		b = b[:len(b)+m]
		if err != nil {
			return nil, unexpectedEOF(err)
		}
	}
	var end [2]byte
	if _, err := io.ReadFull(br, end[:]); err != nil {
		return nil, unexpectedEOF(err)
	}
	if end != [2]byte{'\r', '\n'} {
		return nil, malformed("bulk string not ended by CRLF")
	}
	return b, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendValue appends v in RESP: the inverse of ReadReply. Strings are
// written as they are, unsanitized, so that any parsed reply re-encodes to
// an equal one. A Value of an unknown Kind is written as a RESP3 null.
func AppendValue(dst []byte, v Value) []byte {
	if len(v.Attrs) > 0 {
		dst = appendPrefixed(dst, kindAttribute, int64(len(v.Attrs)/2))
		for _, a := range v.Attrs {
			dst = AppendValue(dst, a)
		}
	}
	switch v.Kind {
	case KindSimpleString, KindError, KindBigNumber:
		dst = append(dst, byte(v.Kind))
		dst = append(dst, v.Str...)
		return append(dst, crlf...)
	case KindInteger:
		return AppendInt(dst, v.Int)
	case KindDouble:
		dst = append(dst, ',')
		if v.Str != "" {
			dst = append(dst, v.Str...)
		} else {
			dst = AppendFloat(dst, v.Float)
		}
		return append(dst, crlf...)
	case KindBool:
		return AppendBool(dst, v.Bool)
	case KindBulk, KindBulkError:
		if v.Nil {
			return appendPrefixed(dst, byte(v.Kind), -1)
		}
		dst = appendPrefixed(dst, byte(v.Kind), int64(len(v.Str)))
		dst = append(dst, v.Str...)
		return append(dst, crlf...)
	case KindVerbatim:
		return AppendVerbatim(dst, v.Format, []byte(v.Str))
	case KindArray, KindSet, KindPush, KindMap:
		if v.Nil {
			return appendPrefixed(dst, byte(v.Kind), -1)
		}
		n := len(v.Elems)
		if v.Kind == KindMap {
			n /= 2
		}
		dst = appendPrefixed(dst, byte(v.Kind), int64(n))
		for _, e := range v.Elems {
			dst = AppendValue(dst, e)
		}
		return dst
	}
	return AppendNull(dst)
}

// String renders v on one line, for test failures and logs: +OK, -ERR x,
// :1, "bulk", (nil), [a b], {k: v}, ~[...], >[...], ,1.5, #t, (123,
// txt:"text", _ for RESP3's null.
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	if len(v.Attrs) > 0 {
		b.WriteString("|")
		Value{Kind: KindMap, Elems: v.Attrs}.format(b)
		b.WriteString(" ")
	}
	switch v.Kind {
	case KindSimpleString, KindError, KindBigNumber:
		b.WriteByte(byte(v.Kind))
		b.WriteString(v.Str)
	case KindInteger:
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindDouble:
		b.WriteByte(',')
		b.WriteString(string(AppendFloat(nil, v.Float)))
	case KindBool:
		if v.Bool {
			b.WriteString("#t")
		} else {
			b.WriteString("#f")
		}
	case KindNull:
		b.WriteString("_")
	case KindBulk, KindBulkError:
		if v.Nil {
			b.WriteString("(nil)")
			return
		}
		if v.Kind == KindBulkError {
			b.WriteByte('!')
		}
		b.WriteString(strconv.Quote(v.Str))
	case KindVerbatim:
		b.WriteString(v.Format)
		b.WriteByte(':')
		b.WriteString(strconv.Quote(v.Str))
	case KindArray, KindSet, KindPush:
		if v.Nil {
			b.WriteString("(nil array)")
			return
		}
		switch v.Kind {
		case KindSet:
			b.WriteByte('~')
		case KindPush:
			b.WriteByte('>')
		}
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.format(b)
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i, e := range v.Elems {
			switch {
			case i == 0:
			case i%2 == 1:
				b.WriteString(": ")
			default:
				b.WriteString(", ")
			}
			e.format(b)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "?%s", v.Kind)
	}
}
