package sstable

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	"github.com/strata-db/strata/jemallocprof"
)

// The zstd codecs are shared by every table of the process: one encoder
// (zstd keeps large match tables per encoder, and tables are written by
// few goroutines) and decoders made on demand, one per concurrent
// decode, up to GOMAXPROCS. Both are kept for the life of the process.
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
	free  chan *zstd.Decoder
}

// getZstdDecoder returns a decoder for the caller's sole use until
// putZstdDecoder: a free one, a new one while fewer than GOMAXPROCS
// exist, or else the next one returned.
func getZstdDecoder() *zstd.Decoder {
	p := &zstdDecoders
	p.once.Do(func() {
		p.limit = int32(runtime.GOMAXPROCS(0))
		p.free = make(chan *zstd.Decoder, p.limit)
	})
	select {
	case d := <-p.free:
		return d
	default:
	}
	if p.made.Add(1) <= p.limit {
		jemallocprof.Track(jemallocprof.Compression, zstdDecoderBytes)
		return newZstdDecoder()
	}
	p.made.Add(-1)
	return <-p.free
}

// putZstdDecoder returns a decoder from getZstdDecoder. It never blocks:
// free has room for every decoder made.
func putZstdDecoder(d *zstd.Decoder) { zstdDecoders.free <- d }

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
