package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/internal/vfs"
	"github.com/strata-db/strata/sstable"
)

// model is the trivial reference: a map from key to value.
type model map[string]string

// modelScan returns the model's keys in [lo, hi) in order.
func (m model) scan(lo, hi []byte) []string {
	var keys []string
	for k := range m {
		if lo != nil && k < string(lo) {
			continue
		}
		if hi != nil && k >= string(hi) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type modelSnap struct {
	s *Snapshot
	m model
}

// TestModel runs thousands of random operations against the engine and a
// map, under several option sets, and requires identical answers.
func TestModel(t *testing.T) {
	configs := []struct {
		name string
		opts Options
	}{
		{"tiny-memtable", Options{MemTableSize: 64 << 10, BlockSize: 256}},
		{"compacting", Options{MemTableSize: 64 << 10, BlockSize: 512, L0CompactionThreshold: 2,
			LBaseMaxBytes: 64 << 10, TargetFileSize: 32 << 10}},
		{"many-levels", Options{MemTableSize: 64 << 10, BlockSize: 256, L0CompactionThreshold: 2,
			LBaseMaxBytes: 4 << 10, TargetFileSize: 4 << 10, LevelMultiplier: 2, MaxOpenFiles: 16}},
		{"tiny-zstd-nocache", Options{MemTableSize: 128 << 10, BlockSize: 512, BlockCacheSize: -1, Compression: sstable.ZstdCompression}},
		{"wal-always", Options{MemTableSize: 128 << 10, WALMode: WALSyncAlways}},
		{"wal-disabled", Options{MemTableSize: 64 << 10, WALMode: WALDisabled}},
	}
	ops := 6000
	if testing.Short() || raceEnabled {
		ops = 2000
	}
	seeds := uint64(2)
	if n, err := strconv.ParseUint(os.Getenv("STRATA_MODEL_SEEDS"), 10, 64); err == nil && n > 0 {
		seeds = n // longer runs by hand: STRATA_MODEL_SEEDS=50 go test -run TestModel
	}
	for _, cfg := range configs {
		for seed := uint64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", cfg.name, seed), func(t *testing.T) {
				runModel(t, cfg.opts, seed, ops)
			})
		}
	}
}

func runModel(t *testing.T, opts Options, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	fs := vfs.NewMem()
	open := func() *DB {
		o := opts
		return openMem(t, fs, &o)
	}
	d := open()
	defer func() { d.Close() }()
	m := model{}
	var snaps []modelSnap
	// Keys are drawn from a small space so that overwrites and deletes of
	// existing keys are common; values are large enough to fill memtables.
	keyN := func(i int) []byte { return fmt.Appendf(nil, "k%04d", i) }
	key := func() []byte { return keyN(rng.IntN(800)) }
	// Compaction activity, summed over reopens (metrics restart at Open),
	// and the most levels below L0 seen holding data at once.
	var compactions int64
	levelsUsed := 0
	observe := func() {
		mt, used := d.Metrics(), 0
		for _, l := range mt.Levels[1:] {
			if l.NumFiles > 0 {
				used++
			}
		}
		levelsUsed = max(levelsUsed, used)
	}
	val := func() []byte {
		// Random letters: values must not compress away, or the tables
		// stay too small for levels to fill.
		v := fmt.Appendf(nil, "v%d-", rng.Uint32())
		for n := rng.IntN(120); n > 0; n-- {
			v = append(v, byte('a'+rng.IntN(26)))
		}
		return v
	}
	var trace []string
	fail := func(format string, args ...any) {
		t.Helper()
		start := max(0, len(trace)-20)
		t.Fatalf("%s\nlast ops:\n  %s", fmt.Sprintf(format, args...), strings.Join(trace[start:], "\n  "))
	}

	for i := 0; i < ops; i++ {
		switch p := rng.IntN(100); {
		case p < 35:
			k, v := key(), val()
			trace = append(trace, fmt.Sprintf("set %s", k))
			if err := d.Set(k, v, nil); err != nil {
				fail("set: %v", err)
			}
			m[string(k)] = string(v)
		case p < 45:
			k := key()
			trace = append(trace, fmt.Sprintf("del %s", k))
			if err := d.Delete(k, nil); err != nil {
				fail("delete: %v", err)
			}
			delete(m, string(k))
		case p < 48:
			i := rng.IntN(800)
			lo, hi := keyN(i), keyN(i+1+rng.IntN(30))
			trace = append(trace, fmt.Sprintf("delrange %s %s", lo, hi))
			if err := d.DeleteRange(lo, hi, nil); err != nil {
				fail("delete range: %v", err)
			}
			for k := range m {
				if k >= string(lo) && k < string(hi) {
					delete(m, k)
				}
			}
		case p < 55:
			b := d.NewBatch()
			n := 1 + rng.IntN(20)
			for j := 0; j < n; j++ {
				k := key()
				if r := rng.IntN(12); r == 0 {
					hi := append(append([]byte{}, k...), byte('0'+rng.IntN(10)))
					b.DeleteRange(k, hi)
					for mk := range m {
						if mk >= string(k) && mk < string(hi) {
							delete(m, mk)
						}
					}
				} else if r < 4 {
					b.Delete(k)
					delete(m, string(k))
				} else {
					v := val()
					b.Set(k, v)
					m[string(k)] = string(v)
				}
			}
			trace = append(trace, fmt.Sprintf("batch of %d", n))
			if err := d.Apply(b, nil); err != nil {
				fail("apply: %v", err)
			}
		case p < 75:
			k := key()
			got, err := d.Get(k)
			want, ok := m[string(k)]
			checkGet(t, fail, "db", k, got, err, want, ok)
		case p < 82:
			trace = append(trace, "iter")
			checkIter(t, fail, rng, d.NewIter, m, key)
		case p < 85:
			if len(snaps) < 4 {
				trace = append(trace, "snapshot")
				snaps = append(snaps, modelSnap{s: d.NewSnapshot(), m: maps.Clone(m)})
			}
		case p < 90:
			if len(snaps) > 0 {
				s := snaps[rng.IntN(len(snaps))]
				if rng.IntN(2) == 0 {
					k := key()
					got, err := s.s.Get(k)
					want, ok := s.m[string(k)]
					checkGet(t, fail, "snapshot", k, got, err, want, ok)
				} else {
					checkIter(t, fail, rng, s.s.NewIter, s.m, key)
				}
			}
		case p < 92:
			if len(snaps) > 0 {
				j := rng.IntN(len(snaps))
				snaps[j].s.Close()
				snaps = slices.Delete(snaps, j, j+1)
			}
		case p < 95:
			trace = append(trace, "flush")
			if err := d.Flush(); err != nil {
				fail("flush: %v", err)
			}
			observe()
		case p < 96:
			lo, hi := key(), key()
			if bytes.Compare(lo, hi) > 0 {
				lo, hi = hi, lo
			}
			if rng.IntN(3) == 0 {
				lo, hi = nil, nil
			}
			trace = append(trace, fmt.Sprintf("compact %s %s", lo, hi))
			observe()
			if err := d.Compact(lo, hi); err != nil {
				fail("compact: %v", err)
			}
		case p < 97:
			trace = append(trace, "async flush")
			if _, err := d.AsyncFlush(); err != nil {
				fail("async flush: %v", err)
			}
		default:
			trace = append(trace, "reopen")
			for _, s := range snaps {
				s.s.Close()
			}
			snaps = nil
			observe()
			compactions += d.Metrics().Compact.Count
			if err := d.Close(); err != nil {
				fail("close: %v", err)
			}
			d = open()
		}
	}
	for _, s := range snaps {
		s.s.Close()
	}
	// A final full comparison.
	checkAll(t, fail, d, m)
	if os.Getenv("STRATA_MODEL_METRICS") != "" {
		t.Logf("metrics:\n%s", d.Metrics())
	}
	observe()
	compactions += d.Metrics().Compact.Count
	if opts.LevelMultiplier == 2 && levelsUsed < 3 {
		// The many-levels set must really spread data over several levels.
		t.Fatalf("data reached at most %d levels below L0:\n%s", levelsUsed, d.Metrics())
	}
	if opts.L0CompactionThreshold > 0 && compactions < 10 {
		// These option sets exist to exercise compactions.
		t.Fatalf("only %d compactions ran:\n%s", compactions, d.Metrics())
	}
}

func checkGet(t *testing.T, fail func(string, ...any), what string, k, got []byte, err error, want string, ok bool) {
	t.Helper()
	switch {
	case !ok && !errors.Is(err, ErrNotFound):
		fail("%s get %s: got %q, %v; want not found", what, k, got, err)
	case ok && err != nil:
		fail("%s get %s: error %v; want %q", what, k, err, want)
	case ok && string(got) != want:
		fail("%s get %s: got %q; want %q", what, k, got, want)
	}
}

// checkIter opens a randomly bounded iterator and walks it with random
// operations in both directions, comparing with the model.
func checkIter(t *testing.T, fail func(string, ...any), rng *rand.Rand, newIter func(*IterOptions) (*Iterator, error), m model, key func() []byte) {
	t.Helper()
	var o IterOptions
	if rng.IntN(2) == 0 {
		o.LowerBound = key()
	}
	if rng.IntN(2) == 0 {
		o.UpperBound = key()
	}
	if o.LowerBound != nil && o.UpperBound != nil && bytes.Compare(o.LowerBound, o.UpperBound) > 0 {
		o.LowerBound, o.UpperBound = o.UpperBound, o.LowerBound
	}
	keys := m.scan(o.LowerBound, o.UpperBound)
	it, err := newIter(&o)
	if err != nil {
		fail("new iter: %v", err)
	}
	defer it.Close()
	pos := -1 // index into keys; -1 or len(keys) = invalid
	var desc []string
	for step := 0; step < 30; step++ {
		var ok bool
		switch r := rng.IntN(10); {
		case r == 0:
			ok, pos = it.First(), 0
			desc = append(desc, "first")
		case r == 1:
			ok, pos = it.Last(), len(keys)-1
			desc = append(desc, "last")
		case r == 2:
			k := key()
			ok = it.SeekGE(k)
			pos, _ = slices.BinarySearch(keys, string(k))
			desc = append(desc, "seek-ge "+string(k))
		case r == 3:
			k := key()
			ok = it.SeekLT(k)
			i, _ := slices.BinarySearch(keys, string(k))
			pos = i - 1
			desc = append(desc, "seek-lt "+string(k))
		case r < 7:
			if pos < 0 || pos >= len(keys) {
				continue
			}
			ok, pos = it.Next(), pos+1
			desc = append(desc, "next")
		default:
			if pos < 0 || pos >= len(keys) {
				continue
			}
			ok, pos = it.Prev(), pos-1
			desc = append(desc, "prev")
		}
		wantOK := pos >= 0 && pos < len(keys)
		if ok != wantOK || ok != it.Valid() {
			fail("iter %+v after %v: valid=%v want %v (err %v)", o, desc, ok, wantOK, it.Error())
		}
		if !ok {
			continue
		}
		if string(it.Key()) != keys[pos] || string(it.Value()) != m[keys[pos]] {
			fail("iter after %v: at %q=%.20q; want %q=%.20q", desc, it.Key(), it.Value(), keys[pos], m[keys[pos]])
		}
	}
	if err := it.Error(); err != nil {
		fail("iter error: %v", err)
	}
}

func checkAll(t *testing.T, fail func(string, ...any), d *DB, m model) {
	t.Helper()
	it, err := d.NewIter(nil)
	if err != nil {
		fail("%v", err)
	}
	defer it.Close()
	keys := m.scan(nil, nil)
	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		if i >= len(keys) || string(it.Key()) != keys[i] || string(it.Value()) != m[keys[i]] {
			fail("full scan at %d: got %q", i, it.Key())
		}
		i++
	}
	if i != len(keys) || it.Error() != nil {
		fail("full scan: %d keys, want %d (err %v)", i, len(keys), it.Error())
	}
	// And backwards.
	i = len(keys) - 1
	for ok := it.Last(); ok; ok = it.Prev() {
		if i < 0 || string(it.Key()) != keys[i] {
			fail("reverse scan at %d: got %q", i, it.Key())
		}
		i--
	}
	if i != -1 {
		fail("reverse scan stopped at %d", i)
	}
}
