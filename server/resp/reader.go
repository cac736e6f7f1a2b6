package resp

import (
	"bytes"
	"io"
)

// Buffer sizes of a Reader.
const (
	// initialBufSize is the first allocation of the input buffer: Redis's
	// PROTO_IOBUF_LEN. The buffer grows only as data actually arrives.
	initialBufSize = 16 << 10
	// minReadSize is the least free space a read is given; with less, the
	// buffer is compacted or grown first.
	minReadSize = 4 << 10
	// maxIdleBufSize: an input buffer larger than this is dropped once it
	// holds nothing, so one big command does not pin memory for the life of
	// the connection (Redis shrinks its query buffers the same way).
	maxIdleBufSize = 64 << 10
	// maxIdleArgs: an argument slice with a larger capacity is dropped at the
	// same moment.
	maxIdleArgs = 1024
	// maxEmptyReads is how many (0, nil) reads in a row are taken as a
	// reader that makes no progress, as in bufio.
	maxEmptyReads = 100
	// maxLimit caps every limit, so that offsets plus limits never overflow.
	maxLimit = 1 << 60
)

// Reader parses the commands a client sends: multibulk requests
// ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline ones ("GET k\r\n"), as
// Redis 7 does. See the package documentation for the contract.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd           io.Reader
	lim          Limits
	authRequired bool

	// buf[start:w] is input not yet returned as a command: buf[start:r] is
	// the part of the current command already parsed. len(buf) == cap(buf).
	buf   []byte
	start int
	r     int
	w     int
	// scan is where the search for the end of the current line resumes, so
	// a long line arriving in pieces is scanned once.
	scan int

	// State of a multibulk command in progress.
	inMulti bool
	left    int64 // elements still to read
	bulkLen int64 // length of the element being read, -1 before its $N line

	args  [][]byte // the current command's arguments, aliasing buf
	ready bool     // args hold a complete command not yet returned
	err   error    // sticky: a *ProtocolError or ErrQueryBufferLimit
	rerr  error    // a read error that came with data, reported next

	// onResize, when set, is told every change of the input buffer's
	// capacity (SetBufferHook).
	onResize func(oldCap, newCap int)
}

// NewReader returns a Reader of commands from rd. Zero fields of lim take
// their defaults; negative ones are treated as zero, and sizes above 2^60
// as 2^60.
func NewReader(rd io.Reader, lim Limits) *Reader {
	if lim.Validate() != nil {
		lim = Limits{
			MaxBulkLen:       max(lim.MaxBulkLen, 0),
			MaxMultibulkLen:  max(lim.MaxMultibulkLen, 0),
			MaxInlineLen:     max(lim.MaxInlineLen, 0),
			QueryBufferLimit: max(lim.QueryBufferLimit, 0),
		}
	}
	lim.EnsureDefaults()
	// Keep offset arithmetic far from overflow; no real limit comes close.
	lim.MaxBulkLen = min(lim.MaxBulkLen, maxLimit)
	lim.QueryBufferLimit = min(lim.QueryBufferLimit, maxLimit)
	lim.MaxInlineLen = min(lim.MaxInlineLen, maxLimit)
	return &Reader{rd: rd, lim: lim, bulkLen: -1}
}

// Reset discards all state, sticky errors included, and makes the Reader
// read from rd. The buffers are kept for reuse.
func (r *Reader) Reset(rd io.Reader) {
	*r = Reader{
		rd:       rd,
		lim:      r.lim,
		buf:      r.buf,
		args:     r.args[:0],
		bulkLen:  -1,
		onResize: r.onResize,
	}
}

// SetAuthRequired says whether the client still has to authenticate. While
// it does, Redis accepts at most UnauthMaxMultibulkLen arguments of at most
// UnauthMaxBulkLen bytes, answering larger ones with "ERR Protocol error:
// unauthenticated multibulk length" (or "bulk length"). The server sets it
// when a password is configured and clears it after a successful AUTH.
func (r *Reader) SetAuthRequired(v bool) { r.authRequired = v }

// SetBufferHook makes the Reader call fn, on the goroutine using the
// Reader, each time its input buffer is allocated, grown or dropped, with
// the old and new capacities, so that the owner can account for the
// memory exactly (the server counts it as client query buffer). Reset
// keeps the buffer and the hook.
func (r *Reader) SetBufferHook(fn func(oldCap, newCap int)) { r.onResize = fn }

// BufferCap returns the input buffer's capacity.
func (r *Reader) BufferCap() int { return cap(r.buf) }

// setBuf replaces the input buffer, telling the hook.
func (r *Reader) setBuf(nb []byte) {
	old := cap(r.buf)
	r.buf = nb
	if r.onResize != nil && old != cap(nb) {
		r.onResize(old, cap(nb))
	}
}

// Limits returns the limits in force, defaults filled in.
func (r *Reader) Limits() Limits { return r.lim }

// ReadCommand returns the next non-empty command's arguments, reading from
// the connection only when no complete command is buffered. Empty commands
// (an empty inline line, "*0" or "*-1") are skipped, as Redis does.
//
// The arguments alias the Reader's buffer: they are valid until the next
// call of ReadCommand or HasCommand, and the caller copies what it keeps.
//
// Errors: a *ProtocolError (answer it, then close), ErrQueryBufferLimit
// (close), io.EOF when the client closed between commands,
// io.ErrUnexpectedEOF when it closed inside one, or the connection's read
// error. Protocol and limit errors are sticky; read errors are not, and
// the parse state survives them (a read deadline loses nothing).
func (r *Reader) ReadCommand() ([][]byte, error) {
	for {
		if r.parse() {
			r.ready = false
			r.start = r.r
			return r.args, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// HasCommand reports whether the next ReadCommand will return without
// reading from the connection: a complete command, or a protocol error, is
// buffered. The server runs commands while HasCommand is true and flushes
// its replies before it calls ReadCommand otherwise, so a client waiting for
// a reply is never kept waiting by a partial command behind it. The parsing
// work is kept, not repeated. It invalidates the arguments returned by the
// previous ReadCommand.
func (r *Reader) HasCommand() bool {
	return r.parse() || r.err != nil
}

// Peek returns the next command's arguments if a complete command is
// buffered, without consuming it: the next ReadCommand returns it (and
// reads nothing). ok is false when no complete command is buffered, or
// a protocol error is. The arguments are valid until the next call of
// ReadCommand, HasCommand or Peek, as ReadCommand's are.
func (r *Reader) Peek() (args [][]byte, ok bool) {
	if r.parse() {
		return r.args, true
	}
	return nil, false
}

// Buffered returns the number of input bytes read from the connection but
// not yet returned as commands: a complete command, part of one, or several.
func (r *Reader) Buffered() int { return r.w - r.start }

// parse parses the buffered input up to the next complete non-empty command
// and reports whether there is one. It never reads; it records a protocol
// or limit error in r.err. The outcome does not depend on how the input was
// split into reads: every check is a function of the bytes alone.
func (r *Reader) parse() bool {
	for !r.ready && r.err == nil {
		// A command may take QueryBufferLimit bytes: look no further than
		// one byte past that, so a too long command fails the same way
		// whether it arrives at once or byte by byte.
		end := r.w
		if int64(end-r.start) > r.lim.QueryBufferLimit {
			end = r.start + int(r.lim.QueryBufferLimit) + 1
		}
		var done bool
		switch {
		case r.inMulti:
			done = r.parseMultibulk(end)
		case r.r == end:
			return false
		case r.buf[r.r] == '*':
			r.args = r.args[:0]
			done = r.parseMultibulk(end)
		default:
			r.args = r.args[:0]
			done = r.parseInline(end)
		}
		if r.err != nil {
			return false
		}
		if !done {
			if int64(r.w-r.start) > r.lim.QueryBufferLimit {
				r.err = ErrQueryBufferLimit
			}
			return false
		}
		if int64(r.r-r.start) > r.lim.QueryBufferLimit {
			r.err = ErrQueryBufferLimit
			return false
		}
		if len(r.args) == 0 {
			r.start = r.r // an empty command: skip it
			continue
		}
		r.ready = true
	}
	return r.ready
}

// lineEnd finds delim in the line starting at r.r, looking at most at the
// first MaxInlineLen+1 bytes and not past end. Without it, the line is too
// long once more than MaxInlineLen bytes are buffered: lineEnd records
// tooLong. That is Redis's rule ("more than PROTO_INLINE_MAX_SIZE bytes
// buffered and no terminator"), made independent of how reads split the
// input.
func (r *Reader) lineEnd(end int, delim byte, tooLong *ProtocolError) (int, bool) {
	from := max(r.scan, r.r)
	stop := end
	if end-r.r > r.lim.MaxInlineLen {
		stop = r.r + r.lim.MaxInlineLen + 1
	}
	if from < stop {
		if j := bytes.IndexByte(r.buf[from:stop], delim); j >= 0 {
			r.scan = from + j
			return from + j, true
		}
		r.scan = stop
	}
	if end-r.r > r.lim.MaxInlineLen {
		r.err = tooLong
	}
	return 0, false
}

// needed returns how many bytes from r.start the current command needs
// before parsing can go on, when that is known (an element's payload is
// being read), and 0 otherwise.
func (r *Reader) needed() int {
	if r.inMulti && r.bulkLen >= 0 {
		return r.r - r.start + int(r.bulkLen) + 2
	}
	return 0
}

// fill reads more input, making room first.
func (r *Reader) fill() error {
	if err := r.rerr; err != nil {
		r.rerr = nil
		return r.readError(err)
	}
	r.makeRoom()
	for range maxEmptyReads {
		n, err := r.rd.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			return errInvalidRead
		}
		r.w += n
		if err != nil {
			if n > 0 {
				r.rerr = err // parse what came first
				return nil
			}
			return r.readError(err)
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// readError maps io.EOF inside a command to io.ErrUnexpectedEOF.
func (r *Reader) readError(err error) error {
	if err == io.EOF && r.w > r.start {
		return io.ErrUnexpectedEOF
	}
	return err
}

// makeRoom leaves at least minReadSize free bytes after r.w, or as many as
// QueryBufferLimit allows, by compacting or growing the buffer. Growth
// doubles at most, and only when the bytes held need it, so the buffer is
// never more than twice the size of the command being read plus a
// constant. A declared length alone never allocates anything.
func (r *Reader) makeRoom() {
	held := r.w - r.start
	if held == 0 {
		// Nothing held: start over at the front, dropping big buffers.
		if len(r.buf) > maxIdleBufSize {
			r.setBuf(nil)
			// The last command's arguments still point into the old
			// buffer; drop them so it can be collected.
			clear(r.args[:cap(r.args)])
		}
		if cap(r.args) > maxIdleArgs {
			r.args = nil
		}
		r.start, r.r, r.w, r.scan = 0, 0, 0, 0
	}
	if r.buf == nil {
		r.setBuf(make([]byte, initialBufSize))
	}
	if len(r.buf)-r.w >= minReadSize {
		return
	}
	size := len(r.buf)
	if held+minReadSize > size {
		size *= 2
		if need := r.needed(); need > held && need < size {
			size = max(need, len(r.buf))
		}
		if lim := r.lim.QueryBufferLimit; int64(size) > lim {
			size = max(int(lim)+1, len(r.buf))
		}
	}
	if size == len(r.buf) {
		if r.start > 0 {
			copy(r.buf, r.buf[r.start:r.w])
			r.move(r.buf, r.start)
		}
		return
	}
	nb := make([]byte, size)
	copy(nb, r.buf[r.start:r.w])
	r.move(nb, r.start)
}

// move re-points the Reader at nb, which holds the bytes that were at
// r.buf[shift:r.w] at its front: offsets and parsed arguments move down by
// shift. An argument's offset is recovered from its capacity, since each is
// r.buf[off:off+n] and so has capacity len(r.buf)-off.
func (r *Reader) move(nb []byte, shift int) {
	for i, a := range r.args {
		off := len(r.buf) - cap(a) - shift
		r.args[i] = nb[off : off+len(a)]
	}
	r.setBuf(nb)
	r.start -= shift
	r.r -= shift
	r.w -= shift
	r.scan = max(r.scan-shift, 0)
}
