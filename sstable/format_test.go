package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/strata-db/strata/internal/base"
)

func TestBlockHandleVarints(t *testing.T) {
	for _, tc := range []struct {
		h    blockHandle
		size int
	}{
		{blockHandle{0, 0}, 2},
		{blockHandle{127, 128}, 3},
		{blockHandle{1 << 32, 4096}, 7},
		{blockHandle{1<<64 - 1, 1<<64 - 1}, maxBlockHandleLen},
	} {
		enc := appendBlockHandle(nil, tc.h)
		if len(enc) != tc.size {
			t.Errorf("%v: %d bytes, want %d", tc.h, len(enc), tc.size)
		}
		got, n := decodeBlockHandle(enc)
		if n != len(enc) || got != tc.h {
			t.Errorf("%v: decoded %v (%d bytes)", tc.h, got, n)
		}
		for i := 0; i < len(enc); i++ {
			if _, n := decodeBlockHandle(enc[:i]); n != 0 {
				t.Errorf("%v: truncated to %d decoded", tc.h, i)
			}
		}
	}
}

func TestFooter(t *testing.T) {
	meta, index := blockHandle{1000, 50}, blockHandle{1055, 300}
	buf := encodeFooter(meta, index)
	if len(buf) != footerLen {
		t.Fatalf("footer of %d bytes", len(buf))
	}
	f, err := decodeFooter(buf)
	if err != nil || f.metaindex != meta || f.index != index || f.version != formatVersion1 {
		t.Fatalf("decoded %+v, %v", f, err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(b []byte)
		is     error
	}{
		{"bad magic", func(b []byte) { b[footerLen-1] ^= 1 }, ErrBadMagic},
		{"bad checksum", func(b []byte) { b[footerLen-9] ^= 1 }, base.ErrCorruption},
		{"bad handle byte", func(b []byte) { b[0] ^= 0x80 }, base.ErrCorruption},
		{"bad version", func(b []byte) {
			off := 2 * maxBlockHandleLen
			binary.LittleEndian.PutUint32(b[off:], 7)
		}, base.ErrCorruption},
	} {
		b := append([]byte(nil), buf...)
		tc.mutate(b)
		_, err := decodeFooter(b)
		if !errors.Is(err, tc.is) || !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
}

func TestBlockEncoding(t *testing.T) {
	for _, interval := range []int{1, 2, 3, 16} {
		t.Run(fmt.Sprint("interval=", interval), func(t *testing.T) {
			var bw blockWriter
			bw.restartInterval = interval
			var keys []base.InternalKey
			for i := 0; i < 50; i++ {
				k := base.MakeInternalKey([]byte(fmt.Sprintf("key%03d", i/2)), base.SeqNum(100-i), base.InternalKeyKindSet)
				keys = append(keys, k)
				bw.add(k.AppendEncoded(nil), []byte(fmt.Sprint("v", i)))
			}
			est := bw.estimatedSize()
			block := bw.finish()
			if len(block) != est {
				t.Fatalf("size %d, estimated %d", len(block), est)
			}
			var it blockIter
			if err := it.init(bytes.Compare, block); err != nil {
				t.Fatal(err)
			}
			if want := (50 + interval - 1) / interval; it.numRestarts != want {
				t.Fatalf("%d restarts, want %d", it.numRestarts, want)
			}
			i := 0
			for ok := it.first(); ok; ok = it.next() {
				if base.InternalCompare(it.ikey, keys[i]) != 0 || string(it.val) != fmt.Sprint("v", i) {
					t.Fatalf("entry %d: %s=%s", i, it.ikey, it.val)
				}
				i++
			}
			if i != len(keys) || it.err != nil {
				t.Fatalf("forward: %d entries, %v", i, it.err)
			}
			for ok := it.last(); ok; ok = it.prev() {
				i--
				if base.InternalCompare(it.ikey, keys[i]) != 0 {
					t.Fatalf("backward entry %d: %s", i, it.ikey)
				}
			}
			if i != 0 {
				t.Fatalf("backward stopped at %d", i)
			}
			for j, k := range keys {
				if !it.seekGE(k) || base.InternalCompare(it.ikey, k) != 0 {
					t.Fatalf("seekGE(%s) -> %s", k, it.ikey)
				}
				ok := it.seekLT(k)
				if j == 0 && ok || j > 0 && (!ok || base.InternalCompare(it.ikey, keys[j-1]) != 0) {
					t.Fatalf("seekLT(%s) -> %v %s", k, ok, it.ikey)
				}
			}
		})
	}
}

func TestBlockCorruptRestarts(t *testing.T) {
	var bw blockWriter
	bw.restartInterval = 2
	for i := 0; i < 6; i++ {
		bw.add(base.MakeInternalKey([]byte{byte('a' + i)}, 1, base.InternalKeyKindSet).AppendEncoded(nil), []byte("v"))
	}
	good := append([]byte(nil), bw.finish()...)
	n := len(good)
	for _, tc := range []struct {
		name   string
		mutate func(b []byte) []byte
	}{
		{"too short", func(b []byte) []byte { return b[:3] }},
		{"huge count", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[n-4:], 1<<30); return b }},
		{"first restart not zero", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[n-16:], 1); return b }},
		{"restart past entries", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[n-8:], uint32(n)); return b }},
		{"restarts not increasing", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[n-8:], binary.LittleEndian.Uint32(b[n-12:]))
			return b
		}},
		{"entries without restarts", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[n-4:], 0); return b }},
	} {
		var it blockIter
		if err := it.init(bytes.Compare, tc.mutate(append([]byte(nil), good...))); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A restart entry with a non-zero shared prefix, or an entry that
	// overflows the block, is caught while iterating.
	bad := append([]byte(nil), good...)
	bad[0] = 3 // shared=3 at restart 0
	var it blockIter
	if err := it.init(bytes.Compare, bad); err != nil {
		t.Fatal(err)
	}
	if it.first() || !errors.Is(it.err, base.ErrCorruption) {
		t.Errorf("shared prefix at restart: %v", it.err)
	}
	bad = append([]byte(nil), good...)
	bad[2] = 0x7f // value length past the block
	if err := it.init(bytes.Compare, bad); err != nil {
		t.Fatal(err)
	}
	if it.first() || !errors.Is(it.err, base.ErrCorruption) {
		t.Errorf("overflowing entry: %v", it.err)
	}
}

func TestBloomFilter(t *testing.T) {
	layouts := []struct {
		name   string
		build  func([]uint64, int) []byte
		decode func([]byte) (bloomFilter, error)
		// Theory for bloom64: (1-e^(-k/b))^k: about 14.7% at 4, 0.82% at
		// 10, 0.046% at 16; one-line filters give a little more.
		limit map[int]float64
	}{
		{"bloom512", buildBloom, decodeBloom, map[int]float64{4: 0.20, 10: 0.015, 16: 0.003}},
		{"bloom64", buildBloomV1, decodeBloomV1, map[int]float64{4: 0.20, 10: 0.015, 16: 0.002}},
	}
	for _, l := range layouts {
		testBloomFilter(t, l.name, l.build, l.decode, l.limit)
	}
	// A bloom512 array is whole lines.
	if _, err := decodeBloom(make([]byte, 65)[:63]); !errors.Is(err, base.ErrCorruption) {
		t.Errorf("filter of 62 bytes and a probe count: %v", err)
	}
}

func testBloomFilter(t *testing.T, name string, build func([]uint64, int) []byte, decode func([]byte) (bloomFilter, error), limits map[int]float64) {
	for _, bitsPerKey := range []int{4, 10, 16} {
		var hashes []uint64
		const n = 20000
		for i := 0; i < n; i++ {
			hashes = append(hashes, bloomHash([]byte(fmt.Sprintf("key-%d", i))))
		}
		f, err := decode(build(hashes, bitsPerKey))
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hashes {
			if !f.mayContain(h) {
				t.Fatalf("%s bits=%d: false negative for key %d", name, bitsPerKey, i)
			}
		}
		fp := 0
		const probes = 50000
		for i := 0; i < probes; i++ {
			if f.mayContain(bloomHash([]byte(fmt.Sprintf("absent-%d", i)))) {
				fp++
			}
		}
		rate := float64(fp) / probes
		if limit := limits[bitsPerKey]; rate > limit {
			t.Errorf("%s bits=%d: false-positive rate %.4f > %.4f", name, bitsPerKey, rate, limit)
		}
		t.Logf("%s bits=%d: false-positive rate %.4f", name, bitsPerKey, rate)
	}
	for _, bad := range [][]byte{nil, {1}, {0, 0, 0}, {0, 0, 31}} {
		if _, err := decode(bad); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("%s %v: %v", name, bad, err)
		}
	}
	// The empty filter of a table with no keys still works.
	f, _ := decode(build(nil, 10))
	if f.mayContain(rand.Uint64()) && f.mayContain(rand.Uint64()) && f.mayContain(rand.Uint64()) {
		t.Errorf("%s: empty filter matches", name)
	}
}

func TestCompressionRoundTrip(t *testing.T) {
	compressible := bytes.Repeat([]byte("strata block "), 200)
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(rand.Uint32())
	}
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		for _, raw := range [][]byte{compressible, random, {}} {
			out, typ := compressBlock(c.blockType(), raw, nil)
			if len(raw) > 0 && &raw[0] == &random[0] && typ != blockTypeNone {
				t.Errorf("%s: incompressible block stored compressed", c)
			}
			if len(raw) == len(compressible) && c != NoCompression && typ == blockTypeNone {
				t.Errorf("%s: compressible block stored raw", c)
			}
			got, err := decompressBlock(typ, out)
			if err != nil || !bytes.Equal(got, raw) {
				t.Errorf("%s: round trip failed: %v", c, err)
			}
		}
	}
	for _, typ := range []byte{blockTypeS2, blockTypeZstd, 9} {
		if _, err := decompressBlock(typ, []byte("garbage!")); !errors.Is(err, base.ErrCorruption) {
			t.Errorf("type %d: %v", typ, err)
		}
	}
	for _, s := range []string{"none", "fast", "zstd", "default", "S2"} {
		c, err := ParseCompression(s)
		if err != nil {
			t.Fatal(err)
		}
		if c2, _ := ParseCompression(c.String()); c2 != c {
			t.Errorf("%s round trip", s)
		}
	}
	if _, err := ParseCompression("lz4"); err == nil {
		t.Error("lz4 accepted")
	}
}

// TestBloomOneLine: a bloom512 key's probes all set bits of one 64-byte
// line, the one its hash's high half picks.
func TestBloomOneLine(t *testing.T) {
	for i := range 200 {
		h := bloomHash(fmt.Appendf(nil, "key-%d", i))
		block := buildBloom([]uint64{h}, 10000) // 20 lines
		lines := (len(block) - 1) / 64
		want := bloomLine(h, uint32(lines))
		for j, c := range block[:len(block)-1] {
			if c != 0 && j/64 != want {
				t.Fatalf("key %d: bit set in line %d, want only line %d", i, j/64, want)
			}
		}
	}
}

// TestReadsBloom64Tables: a table written with the filter layout of older
// tables (bloom64) is read with that layout: every key is found, and the
// filter still turns most absent keys away.
func TestReadsBloom64Tables(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		f := &memFile{}
		w := NewWriter(f, WriterOptions{})
		w.filterV1 = v1
		for i := range 5000 {
			if err := w.Add(base.MakeInternalKey(fmt.Appendf(nil, "key%05d", i), 1, base.InternalKeyKindSet), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f.reopen(), ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.hasFilter || (r.filter.lines == 0) != v1 {
			t.Fatalf("v1=%v: filter %v, lines %d", v1, r.hasFilter, r.filter.lines)
		}
		for i := range 5000 {
			if _, _, found, err := r.Get(nil, fmt.Appendf(nil, "key%05d", i), base.SeqNumMax); !found || err != nil {
				t.Fatalf("v1=%v: key%05d: found=%v err=%v", v1, i, found, err)
			}
		}
		passed := 0
		for i := range 5000 {
			if r.MayContain(fmt.Appendf(nil, "absent%05d", i)) {
				passed++
			}
		}
		if passed > 100 {
			t.Errorf("v1=%v: %d of 5000 absent keys pass the filter", v1, passed)
		}
		r.Close()
	}
}
