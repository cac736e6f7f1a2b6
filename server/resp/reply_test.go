package resp

import (
	"bufio"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

func readOne(t *testing.T, in string) Value {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(in))
	v, err := ReadReply(br)
	if err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	if _, err := br.Peek(1); err != io.EOF {
		t.Fatalf("%q: input left after the reply", in)
	}
	return v
}

func TestReadReplyKinds(t *testing.T) {
	tests := []struct {
		in   string
		want string // Value.String()
	}{
		{"+OK\r\n", "+OK"},
		{"-ERR unknown command\r\n", "-ERR unknown command"},
		{":42\r\n", ":42"},
		{":-7\r\n", ":-7"},
		{"$5\r\nhello\r\n", `"hello"`},
		{"$0\r\n\r\n", `""`},
		{"$4\r\na\r\nb\r\n", `"a\r\nb"`},
		{"$-1\r\n", "(nil)"},
		{"*-1\r\n", "(nil array)"},
		{"*0\r\n", "[]"},
		{"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", `[:1 "a" [+x]]`},
		{"_\r\n", "_"},
		{",1.5\r\n", ",1.5"},
		{",inf\r\n", ",inf"},
		{",-inf\r\n", ",-inf"},
		{",nan\r\n", ",nan"},
		{"#t\r\n", "#t"},
		{"#f\r\n", "#f"},
		{"(3492890328409238509324850943850943825024385\r\n", "(3492890328409238509324850943850943825024385"},
		{"!21\r\nSYNTAX invalid syntax\r\n", `!"SYNTAX invalid syntax"`},
		{"=15\r\ntxt:Some string\r\n", `txt:"Some string"`},
		{"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "{+a: :1, +b: :2}"},
		{"~2\r\n:1\r\n:2\r\n", "~[:1 :2]"},
		{">3\r\n+message\r\n+ch\r\n+hi\r\n", ">[+message +ch +hi]"},
		{"|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n", `|{+ttl: :3600} "v"`},
	}
	for _, tc := range tests {
		v := readOne(t, tc.in)
		if got := v.String(); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, got, tc.want)
		}
		// AppendValue is the inverse of ReadReply.
		if enc := string(AppendValue(nil, v)); enc != tc.in {
			t.Errorf("%q re-encoded as %q", tc.in, enc)
		}
	}
	v := readOne(t, ",1e-7\r\n")
	if v.Kind != KindDouble || v.Float != 1e-7 || v.Str != "1e-7" {
		t.Fatalf("double: %+v", v)
	}
	if v := readOne(t, ",nan\r\n"); !math.IsNaN(v.Float) {
		t.Fatalf("nan: %+v", v)
	}
	v = readOne(t, "=7\r\nmkd:# x\r\n")
	if v.Kind != KindVerbatim || v.Format != "mkd" || v.Str != "# x" {
		t.Fatalf("verbatim: %+v", v)
	}
}

func TestKindString(t *testing.T) {
	names := map[Kind]string{
		KindSimpleString: "simple-string", KindError: "error", KindInteger: "integer", KindBulk: "bulk",
		KindArray: "array", KindNull: "null", KindDouble: "double", KindBool: "bool", KindBigNumber: "big-number",
		KindBulkError: "bulk-error", KindVerbatim: "verbatim", KindMap: "map", KindSet: "set", KindPush: "push",
		Kind('?'): "Kind('?')",
	}
	for k, want := range names {
		if k.String() != want {
			t.Errorf("%q: %s, want %s", byte(k), k, want)
		}
	}
}

func TestReadReplyMalformed(t *testing.T) {
	for _, in := range []string{
		"\r\n",
		"?x\r\n",
		"+OK\n",
		":abc\r\n",
		":\r\n",
		",x\r\n",
		"#x\r\n",
		"_x\r\n",
		"$-2\r\n",
		"$01\r\nx\r\n",
		"$x\r\n",
		"$1\r\nxy\r\n",
		"$536870913\r\n",
		"%-1\r\n",
		"~-1\r\n",
		"=3\r\ntxt\r\n",
		"*1\r\n?\r\n",
		strings.Repeat("*1\r\n", maxReplyDepth+2) + ":1\r\n",
	} {
		_, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		if !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: err = %v, want ErrMalformedReply", in, err)
		}
	}
}

func TestReadReplyEOF(t *testing.T) {
	if _, err := ReadReply(bufio.NewReader(strings.NewReader(""))); err != io.EOF {
		t.Fatalf("empty: %v", err)
	}
	for _, in := range []string{"+OK", "$5\r\nhel", "$5\r\nhello", "*2\r\n:1\r\n", "|1\r\n+a\r\n:1\r\n", "+O"} {
		if _, err := ReadReply(bufio.NewReader(strings.NewReader(in))); err != io.ErrUnexpectedEOF {
			t.Errorf("%q: %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

func TestReadReplyLongLines(t *testing.T) {
	long := strings.Repeat("x", 10000) // longer than bufio's buffer
	v := readOne(t, "+"+long+"\r\n")
	if v.Str != long {
		t.Fatalf("long simple string: %d bytes", len(v.Str))
	}
	big := strings.Repeat("y", 200000)
	v = readOne(t, "$200000\r\n"+big+"\r\n")
	if v.Str != big {
		t.Fatalf("big bulk: %d bytes", len(v.Str))
	}
}

// A reply claiming a huge bulk or array allocates for what arrives, not for
// what it claims.
func TestReadReplyHugeClaims(t *testing.T) {
	for _, in := range []string{"$536870912\r\nabc", "*2147483647\r\n:1\r\n", "%1073741823\r\n", "=536870912\r\ntxt:"} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := ReadReply(bufio.NewReaderSize(strings.NewReader(in), 16))
		runtime.ReadMemStats(&after)
		if err != io.ErrUnexpectedEOF {
			t.Errorf("%q: %v", in, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
			t.Errorf("%q: %d bytes allocated", in, n)
		}
	}
}

// Everything the Writer produces, in either protocol, reads back as the
// reply that was meant.
func TestWriterReadReplyRoundTrip(t *testing.T) {
	write := func(w *Writer) {
		w.ArrayHeader(12)
		w.SimpleString("OK")
		w.Error("ERR x")
		w.Integer(-3)
		w.Bulk([]byte("a\r\nb"))
		w.Null()
		w.NullArray()
		w.MapHeader(1)
		w.BulkString("k")
		w.Double(2.5)
		w.SetHeader(2)
		w.Bool(true)
		w.Bool(false)
		w.BigNumber("12345678901234567890")
		w.Verbatim("txt", []byte("hi"))
		w.PushHeader(1)
		w.BulkString("p")
		w.Double(math.Inf(-1))
	}
	want := map[int]string{
		2: `[+OK -ERR x :-3 "a\r\nb" (nil) (nil array) ["k" "2.5"] [:1 :0] "12345678901234567890" "hi" ["p"] "-inf"]`,
		3: `[+OK -ERR x :-3 "a\r\nb" _ _ {"k": ,2.5} ~[#t #f] (12345678901234567890 txt:"hi" >["p"] ,-inf]`,
	}
	for proto, w := range want {
		wr := NewWriter(proto)
		write(wr)
		v := readOne(t, string(wr.Buffer()))
		if v.String() != w {
			t.Errorf("RESP%d: got  %s\nwant %s", proto, v, w)
		}
	}
}
