package fuzz

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/strata-db/strata/server/resp"
)

// requestLimits are small, so short inputs reach every limit.
var requestLimits = resp.Limits{MaxInlineLen: 64, MaxBulkLen: 1 << 12, MaxMultibulkLen: 1 << 10, QueryBufferLimit: 1 << 10}

// allocLimits leave bulk lengths and the query buffer at their defaults
// (512 MiB, 1 GiB): a declared length is never refused for its size, so a
// reader that allocated from it would blow the allocation budget.
var allocLimits = resp.Limits{MaxInlineLen: 64, MaxMultibulkLen: 1 << 10}

// readRequests reads commands from rd until an error and returns copies of
// them with that error.
func readRequests(rd io.Reader, lim resp.Limits, auth bool) ([][][]byte, error) {
	r := resp.NewReader(rd, lim)
	r.SetAuthRequired(auth)
	var cmds [][][]byte
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return cmds, err
		}
		cmd := make([][]byte, 0, len(args))
		for _, a := range args {
			cmd = append(cmd, bytes.Clone(a))
		}
		cmds = append(cmds, cmd)
	}
}

// multibulk encodes commands as multibulk requests, as clients send them.
func multibulk(cmds [][][]byte) []byte {
	var b []byte
	for _, c := range cmds {
		b = resp.AppendCommand(b, c...)
	}
	return b
}

// inline encodes commands as inline requests, every argument double-quoted
// with each byte outside [0-9A-Za-z] escaped as \xHH. A command with an
// empty argument (which inline requests drop) is sent as a multibulk.
func inline(cmds [][][]byte) []byte {
	var b []byte
	for _, c := range cmds {
		if bytes.Contains(multibulk([][][]byte{c}), []byte("$0\r\n")) {
			b = resp.AppendCommand(b, c...)
			continue
		}
		for i, a := range c {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, '"')
			for _, ch := range a {
				if '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' {
					b = append(b, ch)
				} else {
					b = fmt.Appendf(b, `\x%02x`, ch)
				}
			}
			b = append(b, '"')
		}
		b = append(b, "\r\n"...)
	}
	return b
}

// FuzzRESPRequest checks the request Reader on any input: no panic; the
// same commands and the same final error whatever the split of the input
// into reads; allocation linear in the input even when lengths claim
// hundreds of MiB; and that the commands, re-encoded as multibulk requests
// and as inline ones, read back unchanged.
func FuzzRESPRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, auth bool) {
		checkAllocs(t, "reading requests", linearBudget(len(data), 4), func() {
			r := resp.NewReader(bytes.NewReader(data), allocLimits)
			r.SetAuthRequired(auth)
			for {
				if _, err := r.ReadCommand(); err != nil {
					return
				}
			}
		})

		cmds, err := readRequests(bytes.NewReader(data), requestLimits, auth)
		enc := multibulk(cmds)
		for i, rd := range []io.Reader{
			iotest.OneByteReader(bytes.NewReader(data)),
			iotest.HalfReader(bytes.NewReader(data)),
			iotest.DataErrReader(bytes.NewReader(data)),
		} {
			cmds2, err2 := readRequests(rd, requestLimits, auth)
			if fmt.Sprint(err2) != fmt.Sprint(err) || !bytes.Equal(multibulk(cmds2), enc) {
				t.Fatalf("split %d: %q, %v; whole input: %q, %v", i, cmds2, err2, cmds, err)
			}
		}

		for name, in := range map[string][]byte{"multibulk": enc, "inline": inline(cmds)} {
			back, err := readRequests(bytes.NewReader(in), resp.Limits{}, false)
			if err != io.EOF || !bytes.Equal(multibulk(back), enc) {
				t.Fatalf("re-encoded as %s %q: read %q, %v; want %q", name, in, back, err, cmds)
			}
		}
	})
}

func respRequestSeeds(testing.TB) []seed {
	var seeds []seed
	add := func(name, in string) {
		seeds = append(seeds, seed{name, []any{[]byte(in), false}})
	}
	add("multibulk_set", string(resp.AppendCommand(nil, []byte("SET"), []byte("k"), []byte("hello"))))
	add("pipeline_mixed", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\n*0\r\n\r\n*1\r\n$4\r\nPING\r\n")
	add("inline_quotes", "ECHO \"\\x48i\\r\\n\" 'it\\'s' a\"b c\"\r\n")
	add("inline_blanks_nul", "a\"b c\" \v\f\x00tail\n")
	add("unbalanced", "ECHO \"abc\r\n")
	add("empty_and_null", "*0\r\n*-1\r\n\r\n   \n*1\r\n$-1\r\n")
	add("expected_dollar", "*2\r\n$1\r\na\r\n\x00\r\n")
	add("lenient_crlf", "*1\rX$4\rYPINGZZ")
	add("huge_multibulk", "*99999999999\r\n")
	add("huge_bulk_claim", "*1\r\n$536870912\r\nabc")
	add("bulk_over_limit", "*1\r\n$4097\r\n")
	add("query_limit", "*1\r\n$2000\r\n"+strings.Repeat("x", 2000)+"\r\n")
	add("too_big_inline", strings.Repeat("A", 80)+"\n")
	add("binary_args", string(resp.AppendCommand(nil, []byte{0, '\r', '\n', 0xff}, nil, []byte(`"'\`))))
	for i, s := range []string{"*11\r\n", "*1\r\n$16385\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"} {
		seeds = append(seeds, seed{"auth_" + strconv.Itoa(i), []any{[]byte(s), true}})
	}
	return seeds
}

// sameValue reports whether two replies are identical, doubles compared
// by their bits.
func sameValue(a, b resp.Value) bool {
	if a.Kind != b.Kind || a.Str != b.Str || a.Int != b.Int || a.Bool != b.Bool || a.Format != b.Format ||
		a.Nil != b.Nil || fmt.Sprintf("%x", a.Float) != fmt.Sprintf("%x", b.Float) ||
		len(a.Elems) != len(b.Elems) || len(a.Attrs) != len(b.Attrs) {
		return false
	}
	for i := range a.Elems {
		if !sameValue(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	for i := range a.Attrs {
		if !sameValue(a.Attrs[i], b.Attrs[i]) {
			return false
		}
	}
	return true
}

// writeValue writes v with the Writer's methods (attributes aside, which
// servers do not send).
func writeValue(w *resp.Writer, v resp.Value) {
	switch v.Kind {
	case resp.KindSimpleString:
		w.SimpleString(v.Str)
	case resp.KindError:
		w.Error(v.Str)
	case resp.KindInteger:
		w.Integer(v.Int)
	case resp.KindDouble:
		w.Double(v.Float)
	case resp.KindBool:
		w.Bool(v.Bool)
	case resp.KindNull:
		w.Null()
	case resp.KindBigNumber:
		w.BigNumber(v.Str)
	case resp.KindVerbatim:
		w.Verbatim(v.Format, []byte(v.Str))
	case resp.KindBulk:
		if v.Nil {
			w.Null()
		} else {
			w.Bulk([]byte(v.Str))
		}
	case resp.KindArray, resp.KindMap, resp.KindSet, resp.KindPush:
		switch {
		case v.Nil:
			w.NullArray()
		case v.Kind == resp.KindMap:
			w.MapHeader(len(v.Elems) / 2)
		case v.Kind == resp.KindSet:
			w.SetHeader(len(v.Elems))
		case v.Kind == resp.KindPush:
			w.PushHeader(len(v.Elems))
		default:
			w.ArrayHeader(len(v.Elems))
		}
		for _, e := range v.Elems {
			writeValue(w, e)
		}
	default: // bulk errors: no Writer method
		v.Attrs = nil
		w.Raw(resp.AppendValue(nil, v))
	}
}

var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

// written returns what a client reads back after writeValue(v) in the
// given protocol: the Writer's documented translations of RESP3 types to
// RESP2 and its sanitizing of line breaks in simple strings and errors.
func written(v resp.Value, proto int) resp.Value {
	v.Attrs = nil
	bulk := func(s string) resp.Value { return resp.Value{Kind: resp.KindBulk, Str: s} }
	switch v.Kind {
	case resp.KindSimpleString:
		v.Str = lineBreaks.Replace(v.Str)
	case resp.KindError:
		msg := strings.TrimPrefix(strings.Trim(v.Str, "\r\n"), "-")
		if msg == "" {
			msg = "ERR"
		}
		v.Str = lineBreaks.Replace(msg)
	case resp.KindDouble:
		text := string(resp.AppendFloat(nil, v.Float))
		if proto == 2 {
			return bulk(text)
		}
		v.Str = text
	case resp.KindBool:
		if proto == 2 {
			return resp.Value{Kind: resp.KindInteger, Int: map[bool]int64{true: 1}[v.Bool]}
		}
	case resp.KindBigNumber:
		if proto == 2 {
			return bulk(v.Str)
		}
		v.Str = lineBreaks.Replace(v.Str)
	case resp.KindVerbatim:
		if proto == 2 {
			return bulk(v.Str)
		}
	case resp.KindNull, resp.KindBulk, resp.KindArray, resp.KindMap, resp.KindSet, resp.KindPush:
		switch {
		case v.Nil || v.Kind == resp.KindNull:
			if proto == 3 {
				return resp.Value{Kind: resp.KindNull}
			}
			if v.Kind == resp.KindArray {
				return v
			}
			return resp.Value{Kind: resp.KindBulk, Nil: true}
		case v.Kind != resp.KindBulk:
			if proto == 2 {
				v.Kind = resp.KindArray
			}
			elems := make([]resp.Value, len(v.Elems))
			for i, e := range v.Elems {
				elems[i] = written(e, proto)
			}
			v.Elems = elems
		}
	}
	return v
}

// FuzzRESPReply checks ReadReply on any input: no panic, allocation
// linear in the input whatever the lengths claim, and for every reply it
// accepts: AppendValue re-encodes it to bytes that read back as the same
// reply, and the server's Writer, in RESP2 and RESP3, writes it so that a
// client reads what the Writer documents.
func FuzzRESPReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// A reply preallocates at most 64 elements per aggregate header (a
		// few bytes of input) and 64 KiB ahead of one bulk's arrival.
		checkAllocs(t, "reading replies", linearBudget(len(data), 2<<10), func() {
			br := bufio.NewReaderSize(bytes.NewReader(data), 16)
			for {
				if _, err := resp.ReadReply(br); err != nil {
					return
				}
			}
		})
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for range 1000 {
			v, err := resp.ReadReply(br)
			if err != nil {
				return
			}
			enc := resp.AppendValue(nil, v)
			v2, err := resp.ReadReply(bufio.NewReader(bytes.NewReader(enc)))
			if err != nil || !sameValue(v2, v) {
				t.Fatalf("%v re-encoded as %q reads back as %v, %v", v, enc, v2, err)
			}
			for _, proto := range []int{2, 3} {
				w := resp.NewWriter(proto)
				writeValue(w, v)
				got, err := resp.ReadReply(bufio.NewReader(bytes.NewReader(w.Buffer())))
				if want := written(v, proto); err != nil || !sameValue(got, want) {
					t.Fatalf("RESP%d: %v written as %q reads back as %v, %v; want %v", proto, v, w.Buffer(), got, err, want)
				}
			}
		}
	})
}

func respReplySeeds(testing.TB) []seed {
	w := resp.NewWriter(3)
	w.MapHeader(2)
	w.SimpleString("a")
	w.SetHeader(2)
	w.Bool(true)
	w.Null()
	w.BulkString("b")
	w.PushHeader(3)
	w.Double(1.5)
	w.BigNumber("12345678901234567890")
	w.Verbatim("txt", []byte("abc"))
	var seeds []seed
	for name, in := range map[string]string{
		"resp3_writer":  string(w.Buffer()),
		"resp2_nulls":   "*3\r\n$-1\r\n*-1\r\n-ERR x\r\n",
		"attribute":     "|1\r\n+ttl\r\n:10\r\n*2\r\n=7\r\ntxt:abc\r\n!3\r\nERR\r\n",
		"huge_claim":    "*2147483647\r\n$536870912\r\nabc",
		"huge_bulk":     "$536870912\r\nab",
		"doubles":       ",-inf\r\n,inf\r\n,nan\r\n,-0\r\n,1e300\r\n,0.1\r\n,1.50\r\n",
		"simple_types":  "+OK\r\n-ERR x\r\n:-42\r\n$5\r\nhello\r\n_\r\n#t\r\n#f\r\n(123\r\n",
		"error_shapes":  "-\r\n--x\r\n+a\rb\r\n!0\r\n\r\n",
		"empty_aggs":    "*0\r\n%0\r\n~0\r\n>0\r\n|0\r\n:1\r\n",
		"bad_lengths":   "$-2\r\n",
		"big_number_cr": "(1\r2\r\n",
	} {
		seeds = append(seeds, seed{name, []any{[]byte(in)}})
	}
	return seeds
}
