package resp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

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

func TestHugeLimits(t *testing.T) {
	lim := Limits{MaxBulkLen: math.MaxInt64, MaxMultibulkLen: math.MaxInt64, MaxInlineLen: math.MaxInt, QueryBufferLimit: math.MaxInt64}
	data, want := pipeline()
	cmds, err := readAll(NewReader(randomChunks(data, 11, 5000), lim))
	if err != io.EOF || !equalCmds(cmds, want) {
		t.Fatalf("%d commands, %v", len(cmds), err)
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
