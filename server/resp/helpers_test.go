package resp

import (
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// chunkReader serves data in the chunk sizes of sizes (cycled), then
// io.EOF: a connection whose reads split the input anywhere.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := c.sizes[c.i%len(c.sizes)]
	c.i++
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// randomChunks returns a reader serving data in random chunk sizes in
// [1, maxChunk].
func randomChunks(data []byte, seed uint64, maxChunk int) io.Reader {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sizes := make([]int, 64)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(maxChunk)
	}
	return &chunkReader{data: data, sizes: sizes}
}

// readAll reads commands until an error and returns them, each as a list
// of strings, with the error that ended the stream.
func readAll(r *Reader) ([][]string, error) {
	var cmds [][]string
	for {
		args, err := r.ReadCommand()
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

// errText renders an error for comparisons: the wire text of a protocol
// error, or the error's message.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// encode encodes commands as multibulk requests.
func encode(cmds [][]string) []byte {
	var b []byte
	for _, c := range cmds {
		args := make([][]byte, len(c))
		for i, a := range c {
			args[i] = []byte(a)
		}
		b = AppendCommand(b, args...)
	}
	return b
}

func equalCmds(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

// failingReader fails the test if it is read: used to prove a call does
// not touch the connection.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Helper()
	f.t.Fatal("unexpected read from the connection")
	return 0, errors.New("unexpected read")
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// loopReader serves data over and over: an endless pipeline.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

// parseRedisFloat parses Redis's text of a double.
func parseRedisFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
