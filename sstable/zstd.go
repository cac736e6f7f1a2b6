package sstable

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"github.com/strata-db/strata/jemallocprof"
)

// The zstd codecs are shared by every table of the process: one encoder
// (zstd keeps large match tables per encoder, and tables are written by
// few goroutines) and decoders made on demand, one per concurrent
// decode, up to one per CPU. Both are kept for the life of the process.
//
// Their state is Go heap the library allocates, so it is declared under
// jemallocprof.Compression when each codec is made, at the size it grows
// to with our options whatever the block sizes (zstdEncoderBytes,
// zstdDecoderBytes: measured, and checked by TestZstdStateSizes). Counting
// it before first use overstates it by that little; counting it never
// left 2-3 MiB out of the tracked total.

// zstdWindow is the encoder's window: larger than any ordinary block.
const zstdWindow = 256 << 10

// The state a codec grows to (TestZstdStateSizes measures it: encoding
// and decoding blocks up to 8 MiB, the largest a table holds compressed).
const (
	zstdEncoderBytes = 2560 << 10
	zstdDecoderBytes = 176 << 10
)

var zstdEnc struct {
	once sync.Once
	enc  *zstd.Encoder
}

// zstdEncoder returns the shared encoder; EncodeAll is safe for
// concurrent use.
func zstdEncoder() *zstd.Encoder {
	zstdEnc.once.Do(func() {
		zstdEnc.enc = newZstdEncoder()
		jemallocprof.Track(jemallocprof.Compression, zstdEncoderBytes)
	})
	return zstdEnc.enc
}

func newZstdEncoder() *zstd.Encoder {
	// Blocks are compressed one at a time, so a window past a block's
	// size buys nothing; the default (8 MiB) made the encoder keep 16 MiB
	// of history.
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithLowerEncoderMem(true),
		zstd.WithZeroFrames(true))
	if err != nil {
		panic(err) // only on invalid options
	}
	return enc
}

// zstdDecoders is the pool of decoders: free ones wait in free; made
// counts those that exist, at most limit.
var zstdDecoders struct {
	once  sync.Once
	limit int32
	made  atomic.Int32
	free  chan *zstdDecoder
}

// zstdDecoder is a pooled decoder and the buffer it decodes small blocks
// into.
//
// A zstd.Decoder keeps a slice of the last output it wrote (its sequence
// decoder's out field) until its next use. Pointed at a data block, that
// slice outlived the block: the freed block stayed reachable in the
// pure-Go build, and in the jemalloc build the decoder held a pointer into
// memory jemalloc had reused. So the decoder only ever writes to memory of
// its own: blocks up to maxZstdScratch are decoded into scratch and
// copied out (a 4 KiB copy is a few percent of a 4 KiB decode), larger
// ones straight into their buffer, after which detach points the decoder
// at the output of a tiny frame (about a microsecond, against the
// milliseconds such a block takes).
type zstdDecoder struct {
	d       *zstd.Decoder
	scratch []byte // counted under jemallocprof.Compression
	tiny    []byte // detach's output
}

// maxZstdScratch bounds the scratch buffer each decoder keeps.
const maxZstdScratch = 256 << 10

// detachFrame is a zstd frame of 64 bytes ("abcdefgh" 8 times) whose one
// compressed block has a sequence, so that decoding it resets the
// decoder's sequence output.
var detachFrame = []byte{
	0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x7d, 0x00, 0x00, 0x40, 0x61, 0x62, 0x63, 0x64,
	0x65, 0x66, 0x67, 0x68, 0x01, 0x54, 0x08, 0x03, 0x26, 0x5d, 0x7b, 0x53, 0x07, 0x18,
}

const detachFrameLen = 64

// decodeInto decodes the frame in data, which states len(buf) as its
// size, into buf. It returns buf when the frame decoded to exactly that;
// anything else (an error, another length) is for the caller to report.
func (z *zstdDecoder) decodeInto(buf, data []byte) ([]byte, error) {
	n := len(buf)
	if n > maxZstdScratch {
		out, err := z.d.DecodeAll(data, buf[:0])
		z.detach()
		return out, err
	}
	if cap(z.scratch) < n {
		jemallocprof.Untrack(jemallocprof.Compression, cap(z.scratch))
		z.scratch = slices.Grow([]byte(nil), n)
		jemallocprof.Track(jemallocprof.Compression, cap(z.scratch))
	}
	out, err := z.d.DecodeAll(data, z.scratch[:0])
	if err != nil || len(out) != n || unsafe.SliceData(out) != unsafe.SliceData(z.scratch) {
		z.detach() // it may have written to a buffer of its own making
		return out, err
	}
	copy(buf, out)
	return buf, nil
}

// detach makes the decoder's last output the tiny frame's.
func (z *zstdDecoder) detach() {
	out, err := z.d.DecodeAll(detachFrame, z.tiny[:0])
	if err != nil || len(out) != detachFrameLen || unsafe.SliceData(out) != unsafe.SliceData(z.tiny) {
		panic(fmt.Sprintf("sstable: the zstd detach frame decoded to %d bytes: %v", len(out), err))
	}
}

// getZstdDecoder returns a decoder for the caller's sole use until
// putZstdDecoder: a free one, a new one while fewer than one per CPU
// exist, or else the next one returned. (Not GOMAXPROCS: a server may run
// on one thread for a while and on every CPU later, server/workers.go.)
func getZstdDecoder() *zstdDecoder {
	p := &zstdDecoders
	p.once.Do(func() {
		p.limit = int32(runtime.NumCPU())
		p.free = make(chan *zstdDecoder, p.limit)
	})
	select {
	case d := <-p.free:
		return d
	default:
	}
	if p.made.Add(1) <= p.limit {
		jemallocprof.Track(jemallocprof.Compression, zstdDecoderBytes)
		return &zstdDecoder{d: newZstdDecoder(), tiny: make([]byte, 0, detachFrameLen)}
	}
	p.made.Add(-1)
	return <-p.free
}

// putZstdDecoder returns a decoder from getZstdDecoder. It never blocks:
// free has room for every decoder made.
func putZstdDecoder(d *zstdDecoder) { zstdDecoders.free <- d }

func newZstdDecoder() *zstd.Decoder {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(maxDecodedBlockSize),
		zstd.WithDecoderMaxWindow(maxDecodedBlockSize))
	if err != nil {
		panic(err) // only on invalid options
	}
	return d
}
