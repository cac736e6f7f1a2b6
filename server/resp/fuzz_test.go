package resp

import (
	"bufio"
	"bytes"
	"hash/fnv"
	"io"
	"testing"
	"testing/iotest"
)

// fuzzLimits are small, so short inputs reach every limit.
var fuzzLimits = Limits{MaxInlineLen: 64, MaxBulkLen: 1 << 12, MaxMultibulkLen: 1 << 10, QueryBufferLimit: 1 << 10}

var readerSeeds = []string{
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n",
	"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n",
	"SET k \"a\\x41\\n\" 'it\\'s'\r\n",
	"*0\r\n*-1\r\n\r\n   \n",
	"*1\r\n$-1\r\n",
	"*1\r\nx\r\n",
	"*99999999999\r\n",
	"*1\r\n$4097\r\n",
	"\"unbalanced\r\n",
	"*11\r\n",
	"*1\r\n$16385\r\n",
	"a\"b c\" \v\f\x00tail\n",
}

// FuzzReader checks, for any input: no panic; the same commands and the
// same final error whatever the split of the input into reads; a buffer
// bounded by the input's size; and that the commands, re-encoded as
// multibulk requests, read back unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, auth bool) {
		read := func(rd io.Reader) ([][]string, error) {
			r := NewReader(rd, fuzzLimits)
			r.SetAuthRequired(auth)
			bound := max(initialBufSize, 2*(len(data)+minReadSize))
			var cmds [][]string
			for {
				args, err := r.ReadCommand()
				if len(r.buf) > bound {
					t.Fatalf("buffer of %d bytes for %d bytes of input", len(r.buf), len(data))
				}
				if err != nil {
					return cmds, err
				}
				cmd := make([]string, len(args))
				for i, a := range args {
					cmd[i] = string(a)
				}
				cmds = append(cmds, cmd)
			}
		}
		cmds, err := read(bytes.NewReader(data))
		h := fnv.New64a()
		h.Write(data)
		for i, rd := range []io.Reader{
			iotest.OneByteReader(bytes.NewReader(data)),
			randomChunks(data, h.Sum64(), 1+len(data)/3),
			iotest.DataErrReader(bytes.NewReader(data)),
		} {
			cmds2, err2 := read(rd)
			if errText(err2) != errText(err) || !equalCmds(cmds2, cmds) {
				t.Fatalf("split %d: %q, %v; whole input: %q, %v", i, cmds2, err2, cmds, err)
			}
		}
		enc := encode(cmds)
		cmds3, err3 := readAll(NewReader(bytes.NewReader(enc), Limits{}))
		if err3 != io.EOF || !equalCmds(cmds3, cmds) {
			t.Fatalf("re-encoded: %q, %v; want %q", cmds3, err3, cmds)
		}
	})
}

var replySeeds = []string{
	"+OK\r\n", "-ERR x\r\n", ":-42\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*-1\r\n",
	"*2\r\n:1\r\n*1\r\n$0\r\n\r\n", "_\r\n", ",1.5\r\n", ",-inf\r\n", "#t\r\n",
	"(123456789012345678901234567890\r\n", "!3\r\nERR\r\n", "=8\r\ntxt:abcd\r\n",
	"%1\r\n+k\r\n:1\r\n", "~1\r\n#f\r\n", ">2\r\n+message\r\n$1\r\nx\r\n",
	"|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+v\r\n", "$536870912\r\nab", "*1\r\n*1\r\n*1\r\n",
}

// FuzzReadReply checks that ReadReply never panics nor allocates from a
// claimed length, and that every reply it accepts re-encodes (AppendValue)
// to bytes that read back as the same reply.
func FuzzReadReply(f *testing.F) {
	for _, s := range replySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for range 1000 {
			v, err := ReadReply(br)
			if err != nil {
				return
			}
			enc := AppendValue(nil, v)
			v2, err := ReadReply(bufio.NewReader(bytes.NewReader(enc)))
			if err != nil {
				t.Fatalf("re-encoded %q: %v", enc, err)
			}
			if enc2 := AppendValue(nil, v2); !bytes.Equal(enc2, enc) {
				t.Fatalf("re-encoded %q, then %q", enc, enc2)
			}
		}
	})
}
