package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// TestPeek: Peek shows the next buffered command without consuming it or
// reading, ReadCommand then returns the same command, and a partial or
// malformed command is not shown.
func TestPeek(t *testing.T) {
	r := NewReader(strings.NewReader("SADD s a\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*3\r\n$3"), Limits{})
	if args, err := r.ReadCommand(); err != nil || string(args[2]) != "a" {
		t.Fatalf("first: %q, %v", args, err)
	}
	r.rd = failingReader{t}
	for range 2 { // idempotent
		args, ok := r.Peek()
		if !ok || len(args) != 2 || string(args[0]) != "INCR" || string(args[1]) != "n" {
			t.Fatalf("Peek = %q, %v", args, ok)
		}
	}
	if args, err := r.ReadCommand(); err != nil || string(args[0]) != "INCR" || string(args[1]) != "n" {
		t.Fatalf("ReadCommand after Peek: %q, %v", args, err)
	}
	if args, ok := r.Peek(); ok {
		t.Fatalf("Peek of a partial command = %q", args)
	}
	bad := NewReader(strings.NewReader("*1\r\n$x\r\n"), Limits{})
	if args, ok := bad.Peek(); ok {
		t.Fatalf("Peek of a malformed command = %q", args)
	}
	if _, err := bad.ReadCommand(); err == nil {
		t.Fatal("ReadCommand of a malformed command: no error")
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

// The buffer hook sees every allocation, growth and drop of the input
// buffer, so a running sum of its deltas always equals BufferCap.
func TestReaderBufferHook(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	in := "*1\r\n$4\r\nPING\r\n" + fmt.Sprintf("*2\r\n$3\r\nSET\r\n$%d\r\n%s\r\n", len(big), big) + "*1\r\n$4\r\nPING\r\n"
	r := NewReader(iotest.HalfReader(strings.NewReader(in)), Limits{})
	sum, calls := 0, 0
	r.SetBufferHook(func(oldCap, newCap int) {
		if oldCap != sum {
			t.Fatalf("hook old capacity %d, tracked %d", oldCap, sum)
		}
		sum = newCap
		calls++
	})
	maxSeen := 0
	for {
		_, err := r.ReadCommand()
		if sum != r.BufferCap() {
			t.Fatalf("tracked %d, buffer capacity %d", sum, r.BufferCap())
		}
		maxSeen = max(maxSeen, sum)
		if err != nil {
			break
		}
	}
	if maxSeen < len(big) || calls < 3 {
		t.Fatalf("largest tracked buffer %d (%d hook calls), want >= %d", maxSeen, calls, len(big))
	}
	// Once idle, the big buffer is dropped at the next read.
	if sum > maxIdleBufSize {
		t.Fatalf("idle buffer still %d bytes", sum)
	}
}
