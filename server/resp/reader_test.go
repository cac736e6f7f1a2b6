package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadCommandMultibulk(t *testing.T) {
	in := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n" +
		"*0\r\n*-1\r\n" + // empty: skipped
		"*2\r\n$3\r\nGET\r\n$0\r\n\r\n" +
		"*1\r\n$4\r\na\r\nb\r\n" // payloads may hold CRLF
	r := NewReader(strings.NewReader(in), Limits{})
	cmds, err := readAll(r)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	want := [][]string{{"SET", "k", "hello"}, {"GET", ""}, {"a\r\nb"}}
	if !equalCmds(cmds, want) {
		t.Fatalf("got %q, want %q", cmds, want)
	}
}

func TestReadCommandLenientTerminators(t *testing.T) {
	// Redis skips the two bytes after a header's '\r' and after a payload
	// without looking at them.
	in := "*2\rX$3\rYGET\r\n$1\r\nkZZ*1\r\n$4\r\nPING\r\n"
	cmds, err := readAll(NewReader(strings.NewReader(in), Limits{}))
	want := [][]string{{"GET", "k"}, {"PING"}}
	if err != io.EOF || !equalCmds(cmds, want) {
		t.Fatalf("got %q, %v; want %q", cmds, err, want)
	}
}

func TestReadCommandInline(t *testing.T) {
	in := "PING\r\nSET k v\n\r\n   \r\nECHO \"a b\"\r\n"
	cmds, err := readAll(NewReader(strings.NewReader(in), Limits{}))
	want := [][]string{{"PING"}, {"SET", "k", "v"}, {"ECHO", "a b"}}
	if err != io.EOF || !equalCmds(cmds, want) {
		t.Fatalf("got %q, %v; want %q", cmds, err, want)
	}
}

func TestProtocolErrors(t *testing.T) {
	long := strings.Repeat("1", DefaultMaxInlineLen+1)
	tests := []struct {
		name string
		lim  Limits
		auth bool
		in   string
		want string
		cmds int // complete commands before the error
	}{
		{"mbulk not a number", Limits{}, false, "*abc\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk empty", Limits{}, false, "*\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk plus sign", Limits{}, false, "*+1\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk leading zero", Limits{}, false, "*01\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk space", Limits{}, false, "*1 \r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk above INT_MAX", Limits{}, false, "*2147483648\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk overflow", Limits{}, false, "*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk above limit", Limits{MaxMultibulkLen: 1024 * 1024}, false, "*1048577\r\n", "ERR Protocol error: invalid multibulk length", 0},
		{"mbulk unauthenticated", Limits{}, true, "*11\r\n", "ERR Protocol error: unauthenticated multibulk length", 0},
		{"bulk negative", Limits{}, false, "*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length", 0},
		{"bulk not a number", Limits{}, false, "*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length", 0},
		{"bulk empty", Limits{}, false, "*1\r\n$\r\n", "ERR Protocol error: invalid bulk length", 0},
		{"bulk above proto-max-bulk-len", Limits{}, false, "*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length", 0},
		{"bulk above set limit", Limits{MaxBulkLen: 10}, false, "*1\r\n$11\r\n", "ERR Protocol error: invalid bulk length", 0},
		{"bulk unauthenticated", Limits{}, true, "*1\r\n$16385\r\n", "ERR Protocol error: unauthenticated bulk length", 0},
		{"expected dollar", Limits{}, false, "*1\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'f'", 0},
		{"expected dollar got CR", Limits{}, false, "*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '", 0},
		{"expected dollar got LF", Limits{}, false, "*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '", 0},
		{"expected dollar got NUL", Limits{}, false, "*1\r\n\x00\r\n", "ERR Protocol error: expected '$', got '\x00'", 0},
		{"expected dollar second arg", Limits{}, false, "*2\r\n$1\r\na\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'", 0},
		{"too big mbulk count", Limits{}, false, "*" + long, "ERR Protocol error: too big mbulk count string", 0},
		{"too big bulk count", Limits{}, false, "*1\r\n$" + long, "ERR Protocol error: too big bulk count string", 0},
		{"too big bulk count, no dollar", Limits{}, false, "*1\r\n" + strings.Repeat("X", 70000), "ERR Protocol error: too big bulk count string", 0},
		{"too big inline", Limits{}, false, "PING\r\n" + strings.Repeat("A", DefaultMaxInlineLen+1), "ERR Protocol error: too big inline request", 1},
		{"too big inline, small limit", Limits{MaxInlineLen: 8}, false, "123456789\n", "ERR Protocol error: too big inline request", 0},
		{"unbalanced double", Limits{}, false, "SET \"a\r\n", "ERR Protocol error: unbalanced quotes in request", 0},
		{"unbalanced single", Limits{}, false, "SET 'a\r\n", "ERR Protocol error: unbalanced quotes in request", 0},
		{"text after closing quote", Limits{}, false, "ECHO \"a\"b\r\n", "ERR Protocol error: unbalanced quotes in request", 0},
		{"error after good commands", Limits{}, false, "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n", "ERR Protocol error: invalid multibulk length", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "bytewise"} {
				var rd io.Reader = strings.NewReader(tc.in)
				if mode == "bytewise" {
					rd = iotest.OneByteReader(rd)
				}
				r := NewReader(rd, tc.lim)
				r.SetAuthRequired(tc.auth)
				cmds, err := readAll(r)
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: err = %v (%T), want a *ProtocolError", mode, err, err)
				}
				if pe.Error() != tc.want {
					t.Fatalf("%s: error %q, want %q", mode, pe.Error(), tc.want)
				}
				if len(cmds) != tc.cmds {
					t.Fatalf("%s: %d commands before the error, want %d", mode, len(cmds), tc.cmds)
				}
				// Sticky, and nothing more is read.
				r.rd = failingReader{t}
				if _, err2 := r.ReadCommand(); err2 != err {
					t.Fatalf("%s: second call returned %v, want the same error", mode, err2)
				}
				if !r.HasCommand() {
					t.Fatalf("%s: HasCommand false with an error pending", mode)
				}
			}
		})
	}
}

func TestProtocolErrorSentinels(t *testing.T) {
	_, err := NewReader(strings.NewReader("*1\r\n$-5\r\n"), Limits{}).ReadCommand()
	if !errors.Is(err, ErrInvalidBulkLen) {
		t.Fatalf("err = %v, want ErrInvalidBulkLen", err)
	}
	_, err = NewReader(strings.NewReader("\"x\n"), Limits{}).ReadCommand()
	if !errors.Is(err, ErrUnbalancedQuotes) {
		t.Fatalf("err = %v, want ErrUnbalancedQuotes", err)
	}
}

// Lines exactly at the limit are accepted; one byte more is refused, with
// any split of the input.
func TestLineLimitBoundary(t *testing.T) {
	const limit = 16
	lim := Limits{MaxInlineLen: limit}
	ok := []string{
		strings.Repeat("A", limit) + "\n",
		strings.Repeat("A", limit-1) + "\r\n",
		"*" + strings.Repeat("0", 0) + "1" + strings.Repeat(" ", 0) + "\r\n$4\r\nPING\r\n",
		"*1\r\n$" + "4" + "\r\nPING\r\n",
	}
	for _, in := range ok {
		for _, rd := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
			cmds, err := readAll(NewReader(rd, lim))
			if err != io.EOF || len(cmds) != 1 {
				t.Fatalf("%q: %q, %v", in, cmds, err)
			}
		}
	}
	bad := map[string]string{
		strings.Repeat("A", limit+1) + "\n":              msgTooBigInline,
		"*" + strings.Repeat(" ", limit) + "\r\n":        msgTooBigMbulkCount,
		"*1\r\n$" + strings.Repeat(" ", limit) + "\r\nX": msgTooBigBulkCount,
	}
	for in, want := range bad {
		for _, rd := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
			_, err := readAll(NewReader(rd, lim))
			if errText(err) != want {
				t.Fatalf("%q: err %v, want %q", in, err, want)
			}
		}
	}
	// A header line of exactly the limit is judged on its value.
	in := "*" + strings.Repeat("9", limit-1) + "\r\n"
	if _, err := readAll(NewReader(strings.NewReader(in), lim)); errText(err) != msgInvalidMultibulkLen {
		t.Fatalf("err %v", err)
	}
}

func TestUnauthenticatedLimitsLift(t *testing.T) {
	in := "*10\r\n" + strings.Repeat("$1\r\nx\r\n", 10) + "*1\r\n$16384\r\n" + strings.Repeat("y", 16384) + "\r\n*11\r\n"
	r := NewReader(strings.NewReader(in), Limits{})
	r.SetAuthRequired(true)
	if args, err := r.ReadCommand(); err != nil || len(args) != 10 {
		t.Fatalf("10 args: %d, %v", len(args), err)
	}
	if args, err := r.ReadCommand(); err != nil || len(args[0]) != 16384 {
		t.Fatalf("16 KiB arg: %v", err)
	}
	r.SetAuthRequired(false) // AUTH succeeded
	_, err := r.ReadCommand()
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("*11 after auth: %v, want io.ErrUnexpectedEOF (waiting for the arguments)", err)
	}
}

func TestQueryBufferLimit(t *testing.T) {
	lim := Limits{QueryBufferLimit: 100}
	small := "*1\r\n$4\r\nPING\r\n"
	big := "*1\r\n$200\r\n" + strings.Repeat("x", 200) + "\r\n"
	sized := func(n int) string { // a command of n bytes, 20 <= n < 110
		p := n - len("*1\r\n$NN\r\n\r\n")
		return fmt.Sprintf("*1\r\n$%d\r\n%s\r\n", p, strings.Repeat("x", p))
	}
	exact := sized(100)
	if len(exact) != 100 || len(sized(101)) != 101 {
		t.Fatal("sized is wrong")
	}
	for _, tc := range []struct {
		in   string
		cmds int
		err  error
	}{
		{strings.Repeat(small, 50), 50, io.EOF}, // pipelines are not limited, commands are
		{exact + exact, 2, io.EOF},
		{small + big + small, 1, ErrQueryBufferLimit},
		{exact + "x", 1, io.ErrUnexpectedEOF},
		{strings.Repeat("A", 101), 0, ErrQueryBufferLimit},
		{strings.Repeat("A", 99) + "\n", 1, io.EOF}, // 100 bytes
		{strings.Repeat("A", 100) + "\n", 0, ErrQueryBufferLimit},
		{sized(101) + small, 0, ErrQueryBufferLimit},
		{small + sized(101), 1, ErrQueryBufferLimit},
	} {
		for i, rd := range []io.Reader{
			strings.NewReader(tc.in),
			iotest.OneByteReader(strings.NewReader(tc.in)),
			randomChunks([]byte(tc.in), 7, 40),
		} {
			cmds, err := readAll(NewReader(rd, lim))
			if err != tc.err || len(cmds) != tc.cmds {
				t.Fatalf("reader %d, %.30q...: %d commands, %v; want %d, %v", i, tc.in, len(cmds), err, tc.cmds, tc.err)
			}
		}
	}
}

func TestInlineQuoting(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil: unbalanced quotes
	}{
		{`SET k v`, []string{"SET", "k", "v"}},
		{"  SET\t k \t v  ", []string{"SET", "k", "v"}},
		{`SET "a b" c`, []string{"SET", "a b", "c"}},
		{`"\x41\x4a\x6b\x00z"`, []string{"AJk\x00z"}},
		{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}},
		{`"\x4"`, []string{"x4"}},
		{`"\xZZ"`, []string{"xZZ"}},
		{`'it\'s' 'a\nb' 'a\\b'`, []string{"it's", `a\nb`, `a\\b`}},
		{`'\\'`, nil}, // the second backslash escapes the closing quote
		{`'a "b" c'`, []string{`a "b" c`}},
		{`"a 'b' c"`, []string{`a 'b' c`}},
		{`a"b c"`, []string{"ab c"}},
		{`a'b c'`, []string{"ab c"}},
		{`"a"` + "\t" + `"b"`, []string{"a", "b"}},
		{`"a"` + "\v" + `b`, []string{"a", "b"}},
		{"a\vb\fc", []string{"a\vb\fc"}},
		{"\v\fa", []string{"a"}},
		{`SET k ""`, []string{"SET", "k"}},
		{`"" ''`, []string{}},
		{"SET a b\x00c d", []string{"SET", "a", "b"}},
		{"\x00SET", []string{}},
		{"\xff\xfe \x80", []string{"\xff\xfe", "\x80"}},
		{`"abc`, nil},
		{`'abc`, nil},
		{`"abc"def`, nil},
		{`'abc'def`, nil},
		{`"a\"`, nil},
		{`"a\`, nil},
		{"\"a\x00\"", nil},
		{`'a\'`, nil},
	}
	for _, tc := range tests {
		line := []byte(tc.line)
		got, ok := splitInline(nil, line)
		if tc.want == nil {
			if ok {
				t.Errorf("%q: got %q, want unbalanced quotes", tc.line, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: unbalanced quotes, want %q", tc.line, tc.want)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tc.want[i] {
				t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
				break
			}
		}
	}
}

// pipeline builds a stream of mixed commands: multibulk, inline, empty
// ones, and arguments big enough to make the buffer grow.
func pipeline() ([]byte, [][]string) {
	var want [][]string
	var out bytes.Buffer
	for i := range 200 {
		switch i % 7 {
		case 0:
			cmd := []string{"SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i)}
			out.Write(encode([][]string{cmd}))
			want = append(want, cmd)
		case 1:
			fmt.Fprintf(&out, "GET key:%d\r\n", i)
			want = append(want, []string{"GET", fmt.Sprintf("key:%d", i)})
		case 2:
			out.WriteString("*0\r\n\r\n   \n*-1\r\n")
		case 3:
			cmd := []string{"SET", "big", strings.Repeat(string(rune('a'+i%26)), 40000+i)}
			out.Write(encode([][]string{cmd}))
			want = append(want, cmd)
		case 4:
			out.WriteString("ECHO \"quoted \\x41\\r\\n\" 'single \\' q'\n")
			want = append(want, []string{"ECHO", "quoted A\r\n", "single ' q"})
		case 5:
			cmd := []string{"MSET"}
			for j := range i % 50 {
				cmd = append(cmd, fmt.Sprint("k", j), "")
			}
			out.Write(encode([][]string{cmd}))
			want = append(want, cmd)
		case 6:
			cmd := []string{"BIN", "\r\n\x00\xff*$"}
			out.Write(encode([][]string{cmd}))
			want = append(want, cmd)
		}
	}
	return out.Bytes(), want
}

func TestPipelineAnySplit(t *testing.T) {
	data, want := pipeline()
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"bytewise": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"halves":   func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
	}
	for seed := range uint64(8) {
		readers[fmt.Sprint("random", seed)] = func() io.Reader { return randomChunks(data, seed, 1+int(seed)*700) }
	}
	for name, mk := range readers {
		cmds, err := readAll(NewReader(mk(), Limits{}))
		if err != io.EOF {
			t.Fatalf("%s: err = %v", name, err)
		}
		if !equalCmds(cmds, want) {
			t.Fatalf("%s: commands differ: got %d, want %d", name, len(cmds), len(want))
		}
	}
}

// Splitting a small pipeline at every byte boundary gives the same
// commands.
func TestSplitAtEveryBoundary(t *testing.T) {
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\nGET \"k\"\r\n\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\n")
	want, err := readAll(NewReader(bytes.NewReader(in), Limits{}))
	if err != io.EOF || len(want) != 4 {
		t.Fatalf("whole: %q, %v", want, err)
	}
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			rd := &chunkReader{data: in, sizes: []int{i, j - i, len(in)}}
			if i == 0 {
				rd.sizes[0] = len(in)
			}
			if j == i {
				rd.sizes[1] = len(in)
			}
			got, err := readAll(NewReader(rd, Limits{}))
			if err != io.EOF || !equalCmds(got, want) {
				t.Fatalf("split at %d,%d: %q, %v", i, j, got, err)
			}
		}
	}
}

func TestRoundTripProperty(t *testing.T) {
	rng := newRand(1)
	for range 300 {
		n := 1 + rng.IntN(8)
		cmd := make([]string, n)
		for i := range cmd {
			b := make([]byte, rng.IntN(64))
			for j := range b {
				b[j] = byte(rng.IntN(256))
				if rng.IntN(4) == 0 {
					b[j] = "\r\n*$ \"'"[rng.IntN(7)]
				}
			}
			cmd[i] = string(b)
		}
		data := encode([][]string{cmd})
		got, err := readAll(NewReader(randomChunks(data, rng.Uint64(), 8), Limits{}))
		if err != io.EOF || !equalCmds(got, [][]string{cmd}) {
			t.Fatalf("%q: got %q, %v", cmd, got, err)
		}
	}
}

func TestHasCommandDoesNotRead(t *testing.T) {
	r := NewReader(strings.NewReader("GET a\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\nGET"), Limits{})
	if args, err := r.ReadCommand(); err != nil || string(args[1]) != "a" {
		t.Fatalf("first: %q, %v", args, err)
	}
	r.rd = failingReader{t}
	if !r.HasCommand() {
		t.Fatal("HasCommand false with a complete command buffered")
	}
	if got := r.Buffered(); got != len("*2\r\n$3\r\nGET\r\n$1\r\nb\r\nGET") {
		t.Fatalf("Buffered = %d", got)
	}
	if !r.HasCommand() { // idempotent
		t.Fatal("second HasCommand false")
	}
	if args, err := r.ReadCommand(); err != nil || string(args[1]) != "b" {
		t.Fatalf("second: %q, %v", args, err)
	}
	if r.HasCommand() {
		t.Fatal("HasCommand true with only a partial command buffered")
	}
	if got := r.Buffered(); got != 3 {
		t.Fatalf("Buffered = %d, want 3", got)
	}
}

// timeoutOnce returns a timeout error on its first read after the first
// chunk, then carries on.
type timeoutOnce struct {
	chunks [][]byte
	failed bool
}

var errTimeout = errors.New("i/o timeout")

func (r *timeoutOnce) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	if len(r.chunks) == 1 && !r.failed {
		r.failed = true
		return 0, errTimeout
	}
	n := copy(p, r.chunks[0])
	r.chunks = r.chunks[1:]
	return n, nil
}

func TestReadErrorsAreNotSticky(t *testing.T) {
	rd := &timeoutOnce{chunks: [][]byte{[]byte("*2\r\n$3\r\nGET\r\n$3\r\nke"), []byte("y\r\n")}}
	r := NewReader(rd, Limits{})
	if _, err := r.ReadCommand(); err != errTimeout {
		t.Fatalf("err = %v, want the timeout", err)
	}
	args, err := r.ReadCommand()
	if err != nil || len(args) != 2 || string(args[1]) != "key" {
		t.Fatalf("after timeout: %q, %v", args, err)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
}

func TestEOF(t *testing.T) {
	for in, want := range map[string]error{
		"":                   io.EOF,
		"PING\r\n":           io.EOF,
		"PING":               io.ErrUnexpectedEOF,
		"*1\r\n$4\r\nPI":     io.ErrUnexpectedEOF,
		"*1\r\n$4\r\nPING\r": io.ErrUnexpectedEOF,
	} {
		if _, err := readAll(NewReader(strings.NewReader(in), Limits{})); err != want {
			t.Errorf("%q: %v, want %v", in, err, want)
		}
	}
	// io.ErrNoProgress from a reader that returns nothing forever.
	if _, err := NewReader(iotest.ErrReader(nil), Limits{}).ReadCommand(); err != io.ErrNoProgress {
		t.Errorf("empty reads: %v", err)
	}
}

// A client declaring a huge argument and sending little must cost memory in
// proportion to what it sent, not to what it declared.
func TestHugeDeclaredLengthsStayBounded(t *testing.T) {
	cases := []struct {
		name string
		head string
		sent int
	}{
		{"bulk 512 MiB, 5 bytes", "*1\r\n$536870912\r\n", 5},
		{"bulk 512 MiB, 1 MiB", "*1\r\n$536870912\r\n", 1 << 20},
		{"mbulk INT_MAX", "*2147483647\r\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := append([]byte(tc.head), bytes.Repeat([]byte("x"), tc.sent)...)
			if tc.name == "mbulk INT_MAX" {
				data = append(data, bytes.Repeat([]byte("$1\r\nx\r\n"), 1000)...)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r := NewReader(randomChunks(data, 3, 64<<10), Limits{})
			_, err := r.ReadCommand()
			runtime.ReadMemStats(&after)
			if err != io.ErrUnexpectedEOF {
				t.Fatalf("err = %v", err)
			}
			// Doubling allocates at most 4 times what it holds over the
			// whole growth, and holds at most twice what arrived.
			allocated := after.TotalAlloc - before.TotalAlloc
			bound := uint64(5*len(data) + 256<<10)
			if allocated > bound {
				t.Fatalf("allocated %d bytes for %d received (bound %d)", allocated, len(data), bound)
			}
			if len(r.buf) > 2*(len(data)+minReadSize) && len(r.buf) > initialBufSize {
				t.Fatalf("buffer of %d bytes for %d received", len(r.buf), len(data))
			}
		})
	}
}

// Growth stops at what the argument needs, and an idle big buffer is
// released.
func TestBufferGrowthAndRelease(t *testing.T) {
	const size = 10<<20 + 12345
	cmd := [][]string{{"SET", "k", strings.Repeat("z", size)}, {"PING"}}
	data := encode(cmd)
	r := NewReader(randomChunks(data, 5, 256<<10), Limits{})
	args, err := r.ReadCommand()
	if err != nil || len(args[2]) != size {
		t.Fatalf("big: %v", err)
	}
	if len(r.buf) > size+size/2 {
		t.Fatalf("buffer %d bytes for a %d-byte command", len(r.buf), size)
	}
	if args, err := r.ReadCommand(); err != nil || string(args[0]) != "PING" {
		t.Fatalf("PING: %q, %v", args, err)
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if len(r.buf) > maxIdleBufSize {
		t.Fatalf("idle buffer still %d bytes", len(r.buf))
	}
}

// The arguments of the last command must not keep a released buffer alive
// while the connection idles.
func TestStaleArgumentsReleased(t *testing.T) {
	data := "ECHO " + strings.Repeat("a", 100000) + "\r\nPING\r\n"
	r := NewReader(strings.NewReader(data), Limits{MaxInlineLen: 200000})
	if _, err := r.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if args, err := r.ReadCommand(); err != nil || string(args[0]) != "PING" {
		t.Fatalf("%q, %v", args, err)
	}
	big := r.buf
	if len(big) <= maxIdleBufSize {
		t.Fatalf("setup: buffer of %d bytes is not big", len(big))
	}
	if _, err := r.ReadCommand(); err != io.EOF {
		t.Fatal(err)
	}
	for _, a := range r.args[:cap(r.args)] {
		// Arguments run to the end of their buffer's capacity.
		if cap(a) > 0 && &a[:cap(a)][cap(a)-1] == &big[len(big)-1] {
			t.Fatal("a stale argument still pins the released buffer")
		}
	}
}

func TestHugeLimits(t *testing.T) {
	lim := Limits{MaxBulkLen: math.MaxInt64, MaxMultibulkLen: math.MaxInt64, MaxInlineLen: math.MaxInt, QueryBufferLimit: math.MaxInt64}
	data, want := pipeline()
	cmds, err := readAll(NewReader(randomChunks(data, 11, 5000), lim))
	if err != io.EOF || !equalCmds(cmds, want) {
		t.Fatalf("%d commands, %v", len(cmds), err)
	}
}

func TestArgsReleasedWhenIdle(t *testing.T) {
	cmd := make([]string, 5000)
	data := encode([][]string{cmd})
	r := NewReader(bytes.NewReader(data), Limits{})
	if args, err := r.ReadCommand(); err != nil || len(args) != 5000 {
		t.Fatalf("%d args, %v", len(args), err)
	}
	r.ReadCommand()
	if cap(r.args) > maxIdleArgs {
		t.Fatalf("idle args slice of capacity %d", cap(r.args))
	}
}

func TestReset(t *testing.T) {
	r := NewReader(strings.NewReader("*x\r\n"), Limits{MaxBulkLen: 7})
	if _, err := r.ReadCommand(); err == nil {
		t.Fatal("no error")
	}
	r.Reset(strings.NewReader("PING\r\n*1\r\n$8\r\n"))
	if args, err := r.ReadCommand(); err != nil || string(args[0]) != "PING" {
		t.Fatalf("after Reset: %q, %v", args, err)
	}
	if _, err := r.ReadCommand(); err != ErrInvalidBulkLen {
		t.Fatalf("limits lost by Reset: %v", err)
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := DefaultLimits()
	if l.MaxBulkLen != 512<<20 || l.MaxMultibulkLen != 1<<31-1 || l.MaxInlineLen != 64<<10 || l.QueryBufferLimit != 1<<30 {
		t.Fatalf("defaults: %s", l)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Limits{MaxBulkLen: -1}).Validate(); err == nil {
		t.Fatal("negative limit accepted")
	}
	if got := NewReader(nil, Limits{MaxInlineLen: -5}).Limits(); got != DefaultLimits() {
		t.Fatalf("negative limit not defaulted: %s", got)
	}
	huge := NewReader(nil, Limits{MaxBulkLen: math.MaxInt64, MaxInlineLen: math.MaxInt, QueryBufferLimit: math.MaxInt64}).Limits()
	if huge.MaxBulkLen != maxLimit || huge.MaxInlineLen != maxLimit || huge.QueryBufferLimit != maxLimit {
		t.Fatalf("huge limits not capped: %s", huge)
	}
	want := "proto-max-bulk-len=536870912 max-multibulk-len=2147483647 max-inline-len=65536 client-query-buffer-limit=1073741824"
	if l.String() != want {
		t.Fatalf("String() = %q", l.String())
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "-1": -1, "123": 123, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("%q: %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-", "+1", "01", "-0", "00", " 1", "1 ", "1a", "9223372036854775808", "-9223372036854775809", "123456789012345678901"} {
		if got, ok := parseInt([]byte(in)); ok {
			t.Errorf("%q accepted as %d", in, got)
		}
	}
}

func TestReadCommandAllocs(t *testing.T) {
	data := encode([][]string{{"SET", "key:1", "value"}})
	r := NewReader(&loopReader{data: bytes.Repeat(data, 100)}, Limits{})
	r.ReadCommand() // warm up
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := r.ReadCommand(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per command", n)
	}
}
