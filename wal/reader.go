package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/strata-db/strata/internal/base"
)

// Reader reads the records of one log. It is not safe for concurrent use.
type Reader struct {
	r      io.Reader
	logNum base.FileNum
	want   uint32 // chunkLogNum(logNum)

	// buf holds the current block: buf[:n] was read from log offset
	// blockOff; pos is the offset in buf of the next chunk.
	buf      []byte
	n        int
	pos      int
	blockOff int64
	// eof is set once r has returned its last byte: buf[:n] is then the
	// final (possibly short) block.
	eof bool

	// rec assembles records that span chunks.
	rec []byte
	// recOff is the log offset of the last record returned.
	recOff int64
	// err is sticky: io.EOF, a corruption error or a read error.
	err error
}

// NewReader returns a Reader of the log numbered logNum read from r. Chunks
// carrying another log number are treated as garbage.
func NewReader(r io.Reader, logNum base.FileNum) *Reader {
	return &Reader{r: r, logNum: logNum, want: chunkLogNum(logNum), buf: make([]byte, BlockSize)}
}

// errInvalid is internal: the bytes at the current position are not a valid
// chunk of this log.
var errInvalid = errors.New("wal: invalid chunk")

// Next returns the next record. The slice is valid until the next call.
//
// Next returns io.EOF at the clean end of the log and also at a torn tail:
// when the log ends with a truncated, zeroed or garbage region after which
// no valid chunk of this log follows, or with a record whose last chunk is
// missing. Damage followed by a valid chunk of this log is reported as an
// error in the base.ErrCorruption class naming the offset. Errors are
// sticky.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.rec = r.rec[:0]
	inRecord := false
	for {
		t, payload, err := r.nextChunk()
		off := r.blockOff + int64(r.pos) // of this chunk, or of the damage
		if err == nil {
			off -= int64(HeaderSize + len(payload))
		}
		switch {
		case err == io.EOF:
			// Clean end, or a record missing its last chunk: a torn tail.
			r.err = io.EOF
			return nil, r.err
		case err == errInvalid:
			// The search for a valid chunk after the damage starts past
			// the damaged chunk's extent when its header is plausible:
			// its payload is client data, which may hold bytes that form
			// a valid chunk of this log (a value that embeds a log), and
			// those are no evidence of anything written after it.
			from, torn := r.damageExtent()
			if torn {
				// The file ends inside a chunk whose header was written:
				// a write cut short.
				r.err = io.EOF
				return nil, r.err
			}
			follows, rerr := r.validChunkFollows(from)
			switch {
			case rerr != nil:
				r.err = errWrap("read", rerr)
			case follows:
				r.err = corruptionAt(r.logNum, off, "invalid chunk")
			default:
				r.err = io.EOF
			}
			return nil, r.err
		case err != nil:
			r.err = errWrap("read", err)
			return nil, r.err
		}
		switch t {
		case chunkFull, chunkFirst:
			if inRecord {
				r.err = corruptionAt(r.logNum, off, "record missing its last chunk before "+t.String()+" chunk")
				return nil, r.err
			}
			r.recOff = off
			if t == chunkFull {
				return payload, nil
			}
			r.rec = append(r.rec, payload...)
			inRecord = true
		case chunkMiddle, chunkLast:
			if !inRecord {
				r.err = corruptionAt(r.logNum, off, "orphan "+t.String()+" chunk")
				return nil, r.err
			}
			r.rec = append(r.rec, payload...)
			if t == chunkLast {
				return r.rec, nil
			}
		}
	}
}

// Offset returns the log offset of the last record returned by Next: the
// offset of its first chunk's header.
func (r *Reader) Offset() int64 { return r.recOff }

// end returns the log offset just past the last chunk read.
func (r *Reader) end() int64 { return r.blockOff + int64(r.pos) }

// nextChunk returns the next chunk. It returns io.EOF when the log ends
// before another header could start, errInvalid when the bytes at the
// current position are not a valid chunk of this log (the position is left
// there), or a read error.
func (r *Reader) nextChunk() (chunkType, []byte, error) {
	for r.pos+HeaderSize > r.n {
		if r.eof {
			// Fewer bytes than a header remain before the end: nothing
			// more can be read, whether they are a torn header or padding.
			return 0, nil, io.EOF
		}
		// The rest of a full block is padding: move to the next block.
		if err := r.readBlock(); err != nil {
			return 0, nil, err
		}
	}
	c, ok := validChunk(r.buf[r.pos:r.n], r.want)
	if !ok {
		return 0, nil, errInvalid
	}
	r.pos += len(c)
	return chunkType(c[typeOff]), c[HeaderSize:], nil
}

// readBlock replaces the current block with the next one.
func (r *Reader) readBlock() error {
	r.blockOff += int64(r.n)
	r.pos, r.n = 0, 0
	n, err := io.ReadFull(r.r, r.buf)
	r.n = n
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		r.eof = true
	default:
		return err
	}
	return nil
}

// damageExtent looks at the invalid chunk at the current position. When
// its header is plausible (a chunk type, this log's number, a length that
// fits in the block) the chunk's bytes are taken as one damaged chunk:
// from is the offset in the block just past it, and torn reports that the
// file ends before it does. Otherwise from is the next byte.
func (r *Reader) damageExtent() (from int, torn bool) {
	b := r.buf[r.pos:r.n]
	if len(b) < HeaderSize {
		return r.pos + 1, false
	}
	t := chunkType(b[typeOff])
	if t == chunkZero || t > chunkTypeMax || binary.LittleEndian.Uint32(b[logNumOff:]) != r.want {
		return r.pos + 1, false
	}
	end := r.pos + HeaderSize + int(binary.LittleEndian.Uint16(b[lengthOff:]))
	switch {
	case end > BlockSize:
		return r.pos + 1, false // the length itself is damaged
	case end > r.n:
		return 0, r.eof // a short read of a full block cannot happen: r.eof holds
	}
	return end, false
}

// validChunkFollows reports whether a valid chunk of this log starts at or
// after offset from of the current block: in the rest of that block or in
// any later block. It consumes the rest of the input; the reader is done
// afterwards.
func (r *Reader) validChunkFollows(from int) (bool, error) {
	var pattern [4]byte
	binary.LittleEndian.PutUint32(pattern[:], r.want)
	for start := from; ; start = 0 {
		if findChunk(r.buf[:r.n], start, pattern, r.want) {
			return true, nil
		}
		if r.eof {
			return false, nil
		}
		if err := r.readBlock(); err != nil {
			return false, err
		}
	}
}

// findChunk reports whether a valid chunk of log want starts in b at or
// after from. pattern is want as stored in a header: candidates are found
// by searching for it, which skips zeroed and foreign regions quickly.
func findChunk(b []byte, from int, pattern [4]byte, want uint32) bool {
	for p := from; p+HeaderSize <= len(b); p++ {
		i := bytes.Index(b[p+logNumOff:], pattern[:])
		if i < 0 {
			return false
		}
		p += i
		if _, ok := validChunk(b[p:], want); ok {
			return true
		}
	}
	return false
}

// validChunk reports whether b starts with a valid chunk of log want that
// fits in b, and returns the chunk (header and payload).
func validChunk(b []byte, want uint32) ([]byte, bool) {
	if len(b) < HeaderSize {
		return nil, false
	}
	if t := chunkType(b[typeOff]); t == chunkZero || t > chunkTypeMax {
		return nil, false
	}
	if binary.LittleEndian.Uint32(b[logNumOff:]) != want {
		return nil, false
	}
	end := HeaderSize + int(binary.LittleEndian.Uint16(b[lengthOff:]))
	if end > len(b) {
		return nil, false
	}
	c := b[:end]
	if binary.LittleEndian.Uint32(c[checksumOff:]) != chunkChecksum(c) {
		return nil, false
	}
	return c, true
}
