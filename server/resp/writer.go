package resp

import "io"

// maxRetainedReplyBuf: a Writer's buffer larger than this is released at
// Flush, so one huge reply does not pin memory for the life of the
// connection.
const maxRetainedReplyBuf = 1 << 20

// Writer accumulates the replies of one connection in a buffer, encoding
// each in the protocol version the client chose with HELLO: 2 (the
// default, and the zero value's) or 3. Types RESP2 lacks are written as
// Redis writes them to a RESP2 client: maps and sets as flat arrays,
// doubles and big numbers as bulk strings, booleans as 1 or 0, the null as
// a null bulk string or a null array.
//
// Nothing is written to the connection until Flush, so a pipeline of
// commands costs one write. The methods never fail and do not allocate
// once the buffer has grown to the size of a typical batch of replies.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	buf   []byte
	proto int
}

// NewWriter returns a Writer for protocol version proto (2 or 3).
func NewWriter(proto int) *Writer {
	w := &Writer{}
	w.SetProtocol(proto)
	return w
}

// SetProtocol switches the protocol version for the replies that follow:
// 3 means RESP3, anything else RESP2.
func (w *Writer) SetProtocol(proto int) {
	if proto == 3 {
		w.proto = 3
	} else {
		w.proto = 2
	}
}

// Protocol returns the protocol version in force, 2 or 3.
func (w *Writer) Protocol() int {
	if w.proto == 3 {
		return 3
	}
	return 2
}

func (w *Writer) resp3() bool { return w.proto == 3 }

// SimpleString writes +s (CR and LF in s become spaces).
func (w *Writer) SimpleString(s string) { w.buf = AppendSimpleString(w.buf, s) }

// Error writes an error reply; msg starts with its code: Error("ERR syntax
// error") writes "-ERR syntax error\r\n". See AppendError.
func (w *Writer) Error(msg string) { w.buf = AppendError(w.buf, msg) }

// Integer writes :n.
func (w *Writer) Integer(n int64) { w.buf = AppendInt(w.buf, n) }

// Bulk writes v as a bulk string.
func (w *Writer) Bulk(v []byte) { w.buf = AppendBulk(w.buf, v) }

// BulkString writes s as a bulk string.
func (w *Writer) BulkString(s string) { w.buf = AppendBulkString(w.buf, s) }

// BulkInt writes the decimal form of n as a bulk string.
func (w *Writer) BulkInt(n int64) { w.buf = AppendBulkInt(w.buf, n) }

// BulkUint writes the decimal form of n as a bulk string.
func (w *Writer) BulkUint(n uint64) { w.buf = AppendBulkUint(w.buf, n) }

// Null writes the null reply of a missing value: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.resp3() {
		w.buf = AppendNull(w.buf)
	} else {
		w.buf = AppendNullBulk(w.buf)
	}
}

// NullArray writes the null reply of a missing array (BLPOP timing out, EXEC
// of an aborted transaction): *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.resp3() {
		w.buf = AppendNull(w.buf)
	} else {
		w.buf = AppendNullArray(w.buf)
	}
}

// ArrayHeader writes *n; n replies must follow.
func (w *Writer) ArrayHeader(n int) { w.buf = AppendArrayHeader(w.buf, n) }

// MapHeader writes the header of n key-value pairs: %n in RESP3, *2n in
// RESP2. 2n replies must follow, keys and values alternating.
func (w *Writer) MapHeader(n int) {
	if w.resp3() {
		w.buf = AppendMapHeader(w.buf, n)
	} else {
		w.buf = AppendArrayHeader(w.buf, 2*n)
	}
}

// SetHeader writes the header of a set of n: ~n in RESP3, *n in RESP2.
func (w *Writer) SetHeader(n int) {
	if w.resp3() {
		w.buf = AppendSetHeader(w.buf, n)
	} else {
		w.buf = AppendArrayHeader(w.buf, n)
	}
}

// PushHeader writes the header of an out-of-band push of n elements (pub/sub
// messages, invalidations): >n in RESP3, *n in RESP2.
func (w *Writer) PushHeader(n int) {
	if w.resp3() {
		w.buf = AppendPushHeader(w.buf, n)
	} else {
		w.buf = AppendArrayHeader(w.buf, n)
	}
}

// Double writes f: ,f in RESP3, a bulk string in RESP2, formatted as Redis
// does (see AppendFloat).
func (w *Writer) Double(f float64) {
	if w.resp3() {
		w.buf = AppendDouble(w.buf, f)
	} else {
		w.buf = AppendBulkFloat(w.buf, f)
	}
}

// Bool writes v: #t or #f in RESP3, :1 or :0 in RESP2.
func (w *Writer) Bool(v bool) {
	switch {
	case w.resp3():
		w.buf = AppendBool(w.buf, v)
	case v:
		w.buf = AppendInt(w.buf, 1)
	default:
		w.buf = AppendInt(w.buf, 0)
	}
}

// BigNumber writes the decimal integer s: (s in RESP3, a bulk string in
// RESP2.
func (w *Writer) BigNumber(s string) {
	if w.resp3() {
		w.buf = AppendBigNumber(w.buf, s)
	} else {
		w.buf = AppendBulkString(w.buf, s)
	}
}

// Verbatim writes text of the given format ("txt" or "mkd"): a verbatim
// string in RESP3, a plain bulk string in RESP2.
func (w *Writer) Verbatim(format string, text []byte) {
	if w.resp3() {
		w.buf = AppendVerbatim(w.buf, format, text)
	} else {
		w.buf = AppendBulk(w.buf, text)
	}
}

// Raw writes p as is: p must be complete, valid replies, such as a reply
// encoded once and reused.
func (w *Writer) Raw(p []byte) { w.buf = append(w.buf, p...) }

// Buffer returns the replies written since the last Flush or Reset. It
// aliases the Writer's buffer until the next write.
func (w *Writer) Buffer() []byte { return w.buf }

// Cap returns the capacity of the Writer's buffer: the memory it holds,
// which the server accounts as client reply buffer.
func (w *Writer) Cap() int { return cap(w.buf) }

// Len returns the number of buffered bytes.
func (w *Writer) Len() int { return len(w.buf) }

// Truncate discards the replies written after the first n buffered bytes
// (n is a Len taken earlier).
func (w *Writer) Truncate(n int) {
	if n >= 0 && n <= len(w.buf) {
		w.buf = w.buf[:n]
	}
}

// Reset discards the buffered replies.
func (w *Writer) Reset() {
	if cap(w.buf) > maxRetainedReplyBuf {
		w.buf = nil
		return
	}
	w.buf = w.buf[:0]
}

// Flush writes the buffered replies to dst with one Write call and empties
// the buffer, whether or not the write succeeds (after a failed write the
// connection is of no further use). It returns the write's error, or
// io.ErrShortWrite if dst wrote less without one.
func (w *Writer) Flush(dst io.Writer) error {
	if len(w.buf) == 0 {
		return nil
	}
	n, err := dst.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.Reset()
	return err
}
