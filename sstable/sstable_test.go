package sstable

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/strata-db/strata/internal/base"
	"github.com/strata-db/strata/internal/itertest"
	"github.com/strata-db/strata/jemallocprof"
)

// TestDataDriven runs the golden files in testdata/:
//
//	build [block-size=N] [restart-interval=N] [bloom-bits=N] [compression=none|fast|zstd]
//	iter [lower=k] [upper=k]
//	get <key> seq=N
//	rangedel-iter
//	props
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var r *Reader
		defer func() {
			if r != nil {
				r.Close()
			}
		}()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "build":
				if r != nil {
					r.Close()
					r = nil
				}
				opts := WriterOptions{BlockSize: 64}
				for _, arg := range td.CmdArgs {
					v := arg.SingleVal(t)
					var err error
					switch arg.Key {
					case "block-size":
						opts.BlockSize, err = strconv.Atoi(v)
					case "restart-interval":
						opts.BlockRestartInterval, err = strconv.Atoi(v)
					case "bloom-bits":
						opts.BloomBitsPerKey, err = strconv.Atoi(v)
					case "compression":
						opts.Compression, err = ParseCompression(v)
					default:
						t.Fatalf("unknown argument %s", arg.Key)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				entries, err := itertest.ParseEntries(td.Input)
				if err != nil {
					return "error: " + err.Error()
				}
				f, meta, err := buildTable(entries, opts)
				if err != nil {
					return "error: " + err.Error()
				}
				r, err = NewReader(f, ReaderOptions{Cache: NewCache(1 << 20), FileNum: 1})
				if err != nil {
					return "error: " + err.Error()
				}
				return fmt.Sprintf("bounds: [%s, %s]\nseqs: [%d, %d]\nentries=%d deletions=%d range-dels=%d\n",
					meta.Smallest, meta.Largest, meta.SmallestSeq, meta.LargestSeq,
					meta.NumEntries, meta.NumDeletions, meta.NumRangeDels)

			case "iter":
				var lower, upper []byte
				for _, arg := range td.CmdArgs {
					switch arg.Key {
					case "lower":
						lower = []byte(arg.SingleVal(t))
					case "upper":
						upper = []byte(arg.SingleVal(t))
					}
				}
				it, err := r.NewIter(lower, upper)
				if err != nil {
					return "error: " + err.Error()
				}
				out := itertest.RunIterOps(it, td.Input)
				if err := it.Close(); err != nil {
					out += "close: " + err.Error() + "\n"
				}
				return out

			case "get":
				var b strings.Builder
				for _, line := range strings.Split(strings.TrimSpace(td.Input), "\n") {
					f := strings.Fields(line)
					if len(f) != 2 || !strings.HasPrefix(f[1], "seq=") {
						t.Fatalf("get: want <key> seq=N, got %q", line)
					}
					seq, err := strconv.ParseUint(strings.TrimPrefix(f[1], "seq="), 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					v, kind, found, err := r.Get([]byte("prefix:"), []byte(f[0]), base.SeqNum(seq))
					switch {
					case err != nil:
						fmt.Fprintf(&b, "%s: err=%v\n", f[0], err)
					case !found:
						fmt.Fprintf(&b, "%s: not found\n", f[0])
					case kind == base.InternalKeyKindDelete:
						fmt.Fprintf(&b, "%s: DEL\n", f[0])
					default:
						fmt.Fprintf(&b, "%s: %s %s\n", f[0], kind, v)
					}
				}
				return b.String()

			case "rangedel-iter":
				it, err := r.NewRangeDelIter()
				if err != nil {
					return "error: " + err.Error()
				}
				if it == nil {
					return "none\n"
				}
				defer it.Close()
				if strings.TrimSpace(td.Input) != "" {
					return itertest.RunIterOps(it, td.Input)
				}
				es, err := itertest.Collect(it)
				if err != nil {
					return "error: " + err.Error()
				}
				var b strings.Builder
				for _, e := range es {
					fmt.Fprintf(&b, "%s-%s\n", e.Key, e.Value)
				}
				return b.String()

			case "props":
				p := r.Properties()
				if p.CreationTime == 0 {
					t.Errorf("no creation time")
				}
				return p.String()
			}
			t.Fatalf("unknown command %s", td.Cmd)
			return ""
		})
	})
}

// TestReaderMetaBytesAreAllocations: the index, filter and range-deletion
// blocks a reader keeps have, as their capacity, the size of the heap
// allocation holding them (a size class), and table_meta counts those
// capacities: the heap's rounding is counted too, whether the block was
// stored compressed (decoded into its own buffer) or not (the read buffer
// is the block).
func TestReaderMetaBytesAreAllocations(t *testing.T) {
	for _, c := range []Compression{NoCompression, FastCompression, ZstdCompression} {
		_, f := smallTable(t, c)
		before := jemallocprof.Live(jemallocprof.TableMeta)
		r, err := NewReader(f, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, b := range []struct {
			what string
			buf  []byte
		}{{"index", r.index.data}, {"filter", r.filter.bits}, {"range deletions", r.rangeDel.data}} {
			if len(b.buf) == 0 {
				t.Fatalf("%s: the table has no %s block", c, b.what)
			}
			if n := int64(cap(b.buf)); heapObjectSize(uintptr(n)) != n {
				t.Errorf("%s: the %s block (%d bytes) has capacity %d, not a heap size class", c, b.what, len(b.buf), n)
			}
			sum += int64(cap(b.buf))
		}
		if got := jemallocprof.Live(jemallocprof.TableMeta) - before; got != sum || int64(r.metaBytes) != sum {
			t.Errorf("%s: table_meta grew by %d, the reader counts %d, its blocks' capacities are %d", c, got, r.metaBytes, sum)
		}
		r.Close()
	}
}
