package sstable

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/strata-db/strata/jemallocprof"
)

// zstdSamples are inputs that exercise every part of the codecs' state:
// for each size up to the largest block a table compresses, text with
// short matches and many literals, text with long matches, and noise
// (raw literals).
func zstdSamples() [][]byte {
	rng := rand.New(rand.NewPCG(7, 8))
	var out [][]byte
	for _, n := range []int{4 << 10, 64 << 10, 1 << 20, maxDecodedBlockSize} {
		short, long, noise := make([]byte, n), make([]byte, n), make([]byte, n)
		for i := range n {
			short[i] = byte('a' + rng.IntN(4))
			noise[i] = byte(rng.Uint32())
		}
		for i := 0; i < n; i += 64 {
			copy(long[i:], short[rng.IntN(1024):][:64])
		}
		out = append(out, short, long, noise)
	}
	return out
}

// TestZstdStateSizes measures what a fresh encoder and decoder grow to
// on blocks up to the largest size, and checks that the sizes declared
// under jemallocprof.Compression cover it without overstating it by more
// than a quarter (a new version of the library may change it: then the
// constants are updated from this test's log). Under the race detector,
// whose sync.Pool drops a share of what is put back, the state is
// smaller: only the lower bound holds there.
func TestZstdStateSizes(t *testing.T) {
	samples := zstdSamples()
	dst := make([]byte, 0, 2*maxDecodedBlockSize)
	frames := make([][]byte, len(samples))
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}

	h0 := heap()
	enc := newZstdEncoder()
	for i, s := range samples {
		out := enc.EncodeAll(s, dst[:0])
		frames[i] = append(make([]byte, 0, len(out)), out...)
	}
	var framed int64
	for _, f := range frames {
		framed += int64(cap(f))
	}
	encBytes := heap() - h0 - framed

	h1 := heap()
	dec := newZstdDecoder()
	for i, f := range frames {
		out, err := dec.DecodeAll(f, dst[:0])
		if err != nil || len(out) != len(samples[i]) {
			t.Fatalf("frame %d: %d bytes, %v", i, len(out), err)
		}
	}
	decBytes := heap() - h1
	runtime.KeepAlive(enc)
	runtime.KeepAlive(dec)
	runtime.KeepAlive(samples) // all in h0 and h1: to be kept to the end
	runtime.KeepAlive(frames)
	runtime.KeepAlive(dst)
	t.Logf("zstd state: encoder %d bytes (declared %d), decoder %d bytes (declared %d)",
		encBytes, zstdEncoderBytes, decBytes, zstdDecoderBytes)
	for _, c := range []struct {
		what               string
		measured, declared int64
	}{{"encoder", encBytes, zstdEncoderBytes}, {"decoder", decBytes, zstdDecoderBytes}} {
		// Under the race detector the library's pools keep less, so
		// only the lower bound is checked.
		if c.declared < c.measured || (!raceEnabled && c.declared > c.measured+c.measured/4) {
			t.Errorf("the %s grows to %d bytes; %d declared", c.what, c.measured, c.declared)
		}
	}
}

// TestZstdCodecsCounted: the shared encoder is counted once, when made,
// and each decoder when made; concurrent decodes make at most one per CPU,
// and decoders are reused.
func TestZstdCodecsCounted(t *testing.T) {
	before := jemallocprof.Live(jemallocprof.Compression)
	raw := zstdSamples()[0]
	frame, typ := compressBlock(blockTypeZstd, raw, nil)
	if typ != blockTypeZstd {
		t.Fatal("sample did not compress")
	}
	frame = append([]byte(nil), frame...)
	encoders := int64(0)
	if zstdEnc.enc != nil {
		encoders = 1
	}
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				if _, err := decompressBlock(blockTypeZstd, frame); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	made := int64(zstdDecoders.made.Load())
	if made < 1 || made > int64(runtime.NumCPU()) || len(zstdDecoders.free) != int(made) {
		t.Fatalf("%d decoders made, %d free, %d CPUs", made, len(zstdDecoders.free), runtime.NumCPU())
	}
	var scratch int64
	for range made {
		d := <-zstdDecoders.free
		scratch += int64(cap(d.scratch))
		defer putZstdDecoder(d)
	}
	if got := jemallocprof.Live(jemallocprof.Compression); got != encoders*zstdEncoderBytes+made*zstdDecoderBytes+scratch {
		t.Fatalf("compression %d bytes (%d before) for %d encoder, %d decoders and %d bytes of scratch",
			got, before, encoders, made, scratch)
	}
}

// TestZstdDecoderKeepsNoBlock: once a data block decoded by zstd is freed,
// nothing references it (invariants build, pure Go): a zstd.Decoder keeps
// a slice of its last output, so it must never have written to the block
// itself, small or past the scratch buffer's size.
func TestZstdDecoderKeepsNoBlock(t *testing.T) {
	n0, b0, ok := jemallocprof.FreedReachable()
	for _, raw := range zstdSamples()[:9] { // 4 KiB, 64 KiB, then 1 MiB (past the scratch)
		frame, typ := compressBlock(blockTypeZstd, raw, nil)
		if typ != blockTypeZstd {
			continue // noise stays raw
		}
		frame = append([]byte(nil), frame...)
		b, err := decompress(blockTypeZstd, frame, allocBlock)
		if err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("%d-byte block: %d bytes back, %v", len(raw), len(b), err)
		}
		jemallocprof.Free(jemallocprof.IteratorPinned, b)
	}
	if !ok {
		t.Skip("freed buffers are watched only in the invariants build of the pure-Go allocator")
	}
	if n, b, _ := jemallocprof.FreedReachable(); n != n0 || b != b0 {
		t.Fatalf("%d freed buffers (%d bytes) still referenced, %d (%d) before", n, b, n0, b0)
	}
}
