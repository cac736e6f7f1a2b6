package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestWriterBothProtocols(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer)
		resp2 string
		resp3 string
	}{
		{"simple", func(w *Writer) { w.SimpleString("OK") }, "+OK\r\n", "+OK\r\n"},
		{"simple sanitized", func(w *Writer) { w.SimpleString("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
		{"error", func(w *Writer) { w.Error("ERR wrong number of arguments for 'get' command") },
			"-ERR wrong number of arguments for 'get' command\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"error code", func(w *Writer) { w.Error("WRONGTYPE Operation against a key holding the wrong kind of value") },
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"error sanitized", func(w *Writer) { w.Error("\r\nERR bad\r\nthing\n") }, "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"},
		{"error dash", func(w *Writer) { w.Error("-ERR x") }, "-ERR x\r\n", "-ERR x\r\n"},
		{"error empty", func(w *Writer) { w.Error("") }, "-ERR\r\n", "-ERR\r\n"},
		{"integer", func(w *Writer) { w.Integer(42) }, ":42\r\n", ":42\r\n"},
		{"integer min", func(w *Writer) { w.Integer(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("hello")) }, "$5\r\nhello\r\n", "$5\r\nhello\r\n"},
		{"bulk empty", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk binary", func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"bulk string", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n"},
		{"bulk int", func(w *Writer) { w.BulkInt(-12) }, "$3\r\n-12\r\n", "$3\r\n-12\r\n"},
		{"bulk uint", func(w *Writer) { w.BulkUint(math.MaxUint64) }, "$20\r\n18446744073709551615\r\n", "$20\r\n18446744073709551615\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.ArrayHeader(2); w.Integer(1); w.Null() }, "*2\r\n:1\r\n$-1\r\n", "*2\r\n:1\r\n_\r\n"},
		{"empty array", func(w *Writer) { w.ArrayHeader(0) }, "*0\r\n", "*0\r\n"},
		{"map", func(w *Writer) { w.MapHeader(2); w.BulkString("a"); w.Integer(1); w.BulkString("b"); w.Integer(2) },
			"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n"},
		{"set", func(w *Writer) { w.SetHeader(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
		{"push", func(w *Writer) { w.PushHeader(3); w.BulkString("message"); w.BulkString("ch"); w.BulkString("hi") },
			"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double integral", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double nan", func(w *Writer) { w.Double(math.NaN()) }, "$3\r\nnan\r\n", ",nan\r\n"},
		{"double tiny", func(w *Writer) { w.Double(1e-7) }, "$22\r\n9.9999999999999995e-08\r\n", ",9.9999999999999995e-08\r\n"},
		{"bool true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"bool false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"big number", func(w *Writer) { w.BigNumber("3492890328409238509324850943850943825024385") },
			"$43\r\n3492890328409238509324850943850943825024385\r\n", "(3492890328409238509324850943850943825024385\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", []byte("Some string")) }, "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n"},
		{"verbatim mkd", func(w *Writer) { w.Verbatim("mkd", []byte("# x")) }, "$3\r\n# x\r\n", "=7\r\nmkd:# x\r\n"},
		{"verbatim bad format", func(w *Writer) { w.Verbatim("text", []byte("x")) }, "$1\r\nx\r\n", "=5\r\ntxt:x\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+PONG\r\n")) }, "+PONG\r\n", "+PONG\r\n"},
	}
	for _, tc := range tests {
		for _, proto := range []int{2, 3} {
			w := NewWriter(proto)
			tc.write(w)
			want := tc.resp2
			if proto == 3 {
				want = tc.resp3
			}
			if got := string(w.Buffer()); got != want {
				t.Errorf("%s, RESP%d: got %q, want %q", tc.name, proto, got, want)
			}
			if w.Len() != len(want) {
				t.Errorf("%s, RESP%d: Len %d, want %d", tc.name, proto, w.Len(), len(want))
			}
		}
	}
}

func TestWriterProtocol(t *testing.T) {
	var w Writer // the zero value speaks RESP2
	if w.Protocol() != 2 {
		t.Fatalf("zero Writer protocol %d", w.Protocol())
	}
	w.Null()
	w.SetProtocol(3)
	w.Null()
	w.SetProtocol(7)
	w.Null()
	if got := string(w.Buffer()); got != "$-1\r\n_\r\n$-1\r\n" {
		t.Fatalf("got %q", got)
	}
	if NewWriter(3).Protocol() != 3 {
		t.Fatal("NewWriter(3)")
	}
}

type shortWriter struct{ bytes.Buffer }

func (s *shortWriter) Write(p []byte) (int, error) { return s.Buffer.Write(p[:len(p)/2]) }

type failWriter struct{}

var errBroken = errors.New("broken pipe")

func (failWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestWriterFlush(t *testing.T) {
	w := NewWriter(2)
	var out bytes.Buffer
	if err := w.Flush(&out); err != nil || out.Len() != 0 {
		t.Fatalf("empty flush: %v, %d bytes", err, out.Len())
	}
	w.SimpleString("OK")
	w.Integer(1)
	if err := w.Flush(&out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "+OK\r\n:1\r\n" || w.Len() != 0 {
		t.Fatalf("flushed %q, %d left", out.String(), w.Len())
	}
	w.SimpleString("OK")
	if err := w.Flush(&shortWriter{}); err != io.ErrShortWrite {
		t.Fatalf("short write: %v", err)
	}
	w.SimpleString("OK")
	if err := w.Flush(failWriter{}); err != errBroken || w.Len() != 0 {
		t.Fatalf("failed write: %v, %d left", err, w.Len())
	}
	// A huge reply's buffer is not kept.
	w.Bulk(make([]byte, 2*maxRetainedReplyBuf))
	w.Flush(io.Discard)
	if cap(w.buf) > maxRetainedReplyBuf {
		t.Fatalf("kept a %d-byte buffer", cap(w.buf))
	}
	w.SimpleString("x")
	w.Reset()
	if w.Len() != 0 {
		t.Fatal("Reset left bytes")
	}
}

func TestWriterAllocs(t *testing.T) {
	val := []byte("value-of-sixteen")
	for _, proto := range []int{2, 3} {
		w := NewWriter(proto)
		n := testing.AllocsPerRun(100, func() {
			w.Reset()
			for range 50 {
				w.ArrayHeader(7)
				w.Bulk(val)
				w.BulkString("s")
				w.BulkInt(-5)
				w.Integer(123456)
				w.Double(3.14159)
				w.Null()
				w.MapHeader(0)
				w.Error("ERR x\ny")
				w.Bool(true)
			}
		})
		if n != 0 {
			t.Errorf("RESP%d: %v allocations per run", proto, n)
		}
	}
}

func TestAppendCommand(t *testing.T) {
	got := AppendCommand([]byte("x"), []byte("SET"), []byte("k"), nil)
	if string(got) != "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" {
		t.Fatalf("got %q", got)
	}
}

// The headers of small lengths are written without strconv: every length
// around the fast path's bounds must still read as strconv writes it.
func TestAppendPrefixedMatchesStrconv(t *testing.T) {
	var ns []int64
	for n := int64(-12); n <= 12100; n++ {
		ns = append(ns, n)
	}
	ns = append(ns, 99999, 100000, 1<<31, -1<<31, math.MaxInt64, math.MinInt64)
	for _, n := range ns {
		want := "$" + strconv.FormatInt(n, 10) + "\r\n"
		if got := string(appendPrefixed([]byte("x"), '$', n)); got != "x"+want {
			t.Fatalf("appendPrefixed(%d) = %q, want %q", n, got, "x"+want)
		}
	}
	if got := string(AppendBulk(nil, bytes.Repeat([]byte("v"), 100))); got != "$100\r\n"+strings.Repeat("v", 100)+"\r\n" {
		t.Fatalf("AppendBulk of 100 bytes = %q", got)
	}
}
