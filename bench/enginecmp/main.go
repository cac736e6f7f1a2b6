// Command enginecmp runs the same workloads on Strata's engine (lsm) and on
// Pebble, in alternation, and prints the median throughput of each and
// their ratio.
//
// Usage:
//
//	go run ./enginecmp [-n 1000000] [-rounds 3] [-bign 10000000] [-bigrounds 1]
//	    [-workloads fillseq,fillrandom,readrandom,readmissing,scan,overwrite,
//	                fillrandom10m,readrandom10m,scan10m,deleterange]
//	    [-writers 1] [-readers 1] [-cache 64] [-engines strata,pebble]
//	    [-dir /tmp] [-quiesce 10m] [-cpuprofile prefix] [-metrics]
//
// Both engines get 16-byte keys and 100-byte values (compressible to about
// half), the WAL on without per-write sync or wait (Strata WALSyncNo and
// lsm.NoWait, Pebble pebble.NoSync), 64 MiB memtables, a 64 MiB block
// cache, 4 KiB blocks, 10-bit bloom filters and their default compression
// (both Snappy-class).
// Each round runs every workload on Strata, then on Pebble, on fresh
// directories: fillseq in a DB of its own; fillrandom loads the DB the
// reads use, which is flushed and left to quiesce (no flush or compaction
// running, no level asking for one) before readrandom, readmissing, scan
// and then overwrite; fillrandom10m loads -bign keys into a DB of its own
// (first -bigrounds rounds only), which quiesces before readrandom10m and
// scan10m; deleterange loads n keys into a DB of its own, deletes half of
// them with DeleteRange and compacts. Write and space amplification are
// reported after fillrandom, overwrite, fillrandom10m and deleterange.
// README.md lists the differences between the engines that the figures
// include.
package main

import (
	"flag"
	"fmt"
	"github.com/strata-db/strata/bench/internal/sysinfo"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	flagN          = flag.Int("n", 1_000_000, "number of keys (and of operations per workload)")
	flagRounds     = flag.Int("rounds", 3, "rounds; each runs every workload on each engine, the median is reported")
	flagWorkloads  = flag.String("workloads", strings.Join(allWorkloads, ","), "comma-separated workloads")
	flagWriters    = flag.Int("writers", 1, "goroutines issuing the Sets of fillseq and fillrandom")
	flagReaders    = flag.Int("readers", 1, "goroutines issuing the Gets of readrandom and readmissing")
	flagEngines    = flag.String("engines", "strata,pebble", "comma-separated engines to run")
	flagMetrics    = flag.Bool("metrics", false, "print each engine's metrics at the end of each round (to stderr)")
	flagCacheMiB   = flag.Int("cache", 64, "block cache size of each engine in MiB (Pebble also gets its memtable reservations on top)")
	flagDir        = flag.String("dir", "", "directory under which the DBs are created (default: the OS temp dir)")
	flagBigN       = flag.Int("bign", 10_000_000, "number of keys of fillrandom10m, readrandom10m and scan10m")
	flagBigRounds  = flag.Int("bigrounds", 1, "rounds that run fillrandom10m, readrandom10m and scan10m (the first ones)")
	flagQuiesce    = flag.Duration("quiesce", 10*time.Minute, "deadline for the compactions to quiesce after a fill")
	flagCPUProfile = flag.String("cpuprofile", "", "write a CPU profile of each engine and workload of round 1 to `prefix`-engine-workload.pprof")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "enginecmp:", err)
		os.Exit(1)
	}
}

// results holds the measurements of every round.
type results struct {
	opsPerSec map[string]map[string][]float64 // workload -> engine -> per round
	diskTotal map[string][]int64              // engine -> per round
	diskSST   map[string][]int64
	amp       map[string]map[string][]ampResult // workload -> engine -> per round
}

func run() error {
	workloads, err := parseWorkloads(*flagWorkloads)
	switch {
	case err != nil:
		return err
	case *flagN < 1 || *flagBigN < 1 || *flagRounds < 1 || *flagWriters < 1 || *flagReaders < 1:
		return fmt.Errorf("-n, -bign, -rounds, -writers and -readers must be positive")
	case *flagBigRounds < 0 || *flagQuiesce <= 0:
		return fmt.Errorf("-bigrounds must not be negative, -quiesce must be positive")
	}
	var selected []engineSpec
	for _, spec := range engines {
		if slices.Contains(strings.Split(*flagEngines, ","), spec.name) {
			selected = append(selected, spec)
		}
	}
	if len(selected) == 0 {
		return fmt.Errorf("no engine selected by -engines %q", *flagEngines)
	}
	if *flagCacheMiB < 1 {
		return fmt.Errorf("-cache must be positive")
	}
	cfg.blockCacheSize = int64(*flagCacheMiB) << 20
	parent := *flagDir
	if parent == "" {
		parent = os.TempDir()
	}
	root, err := os.MkdirTemp(parent, "enginecmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)

	printHeader(root, workloads)
	res := &results{
		opsPerSec: map[string]map[string][]float64{},
		diskTotal: map[string][]int64{},
		diskSST:   map[string][]int64{},
		amp:       map[string]map[string][]ampResult{},
	}
	for round := 1; round <= *flagRounds; round++ {
		for _, spec := range selected {
			dir := filepath.Join(root, fmt.Sprintf("r%d-%s", round, spec.name))
			if err := runEngine(spec, dir, round, workloads, res); err != nil {
				return fmt.Errorf("round %d, %s: %w", round, spec.name, err)
			}
		}
	}
	printResults(workloads, res)
	fmt.Printf("\nload average at end: %s\n", sysinfo.LoadAvg())
	return nil
}

func parseWorkloads(s string) ([]string, error) {
	var ws []string
	for w := range strings.SplitSeq(s, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if !slices.Contains(allWorkloads, w) {
			return nil, fmt.Errorf("unknown workload %q (known: %s)", w, strings.Join(allWorkloads, ","))
		}
		if !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("no workload selected")
	}
	return ws, nil
}

// runEngine runs one round of the selected workloads on one engine.
func runEngine(spec engineSpec, dir string, round int, workloads []string, res *results) error {
	vals := makeValues()
	r := &engineRound{spec: spec, dir: dir, round: round, workloads: workloads, res: res, vals: vals}
	if slices.Contains(workloads, wFillSeq) {
		if err := r.fillSeq(); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(workloads, usesLoad) {
		if err := r.loaded(); err != nil {
			return err
		}
	}
	if round <= *flagBigRounds && slices.ContainsFunc(workloads, usesBig) {
		if err := r.big(); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wDeleteRange) {
		if err := r.deleteRange(); err != nil {
			return err
		}
	}
	return nil
}

// engineRound is one round of the workloads on one engine.
type engineRound struct {
	spec      engineSpec
	dir       string
	round     int
	workloads []string
	res       *results
	vals      [][]byte
}

// measure times fn (under a CPU profile in round 1 with -cpuprofile) and
// records ops/elapsed as workload w's throughput.
func (r *engineRound) measure(w string, ops int, fn func() error) error {
	stop, err := startProfile(r.spec.name, w, r.round)
	if err != nil {
		return err
	}
	start := time.Now()
	err = fn()
	elapsed := time.Since(start)
	stop()
	if err != nil {
		return fmt.Errorf("%s: %w", w, err)
	}
	rate := float64(ops) / elapsed.Seconds()
	if r.res.opsPerSec[w] == nil {
		r.res.opsPerSec[w] = map[string][]float64{}
	}
	r.res.opsPerSec[w][r.spec.name] = append(r.res.opsPerSec[w][r.spec.name], rate)
	fmt.Fprintf(os.Stderr, "round %d  %-6s  %-13s  %12.0f ops/s  %8.3fs\n", r.round, r.spec.name, w, rate, elapsed.Seconds())
	return nil
}

// withDB opens a fresh DB in dir+suffix, runs fn on it, closes and removes
// it.
func (r *engineRound) withDB(suffix string, fn func(e engine, dir string) error) error {
	d := r.dir + suffix
	e, err := r.spec.open(d, cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(d)
	err = fn(e, d)
	if err == nil && *flagMetrics {
		name := strings.TrimPrefix(suffix, "-")
		if name == "" {
			name = wFillRandom
		}
		fmt.Fprintf(os.Stderr, "round %d  %s metrics (%s DB):\n%s\n", r.round, r.spec.name, name, e.metrics())
	}
	if cerr := e.close(); err == nil {
		err = cerr
	}
	return err
}

func (r *engineRound) fillSeq() error {
	n := *flagN
	return r.withDB("-fillseq", func(e engine, _ string) error {
		return r.measure(wFillSeq, n, func() error {
			return fill(e, r.vals, n, *flagWriters, func(i int) uint64 { return uint64(i) })
		})
	})
}

// settle flushes e, waits for its compactions to quiesce and records the
// write and space amplification of the DB in dir, which holds live bytes
// of data, under workload w.
func (r *engineRound) settle(w string, e engine, dir string, live int64) (ampResult, error) {
	start := time.Now()
	if err := e.flush(); err != nil {
		return ampResult{}, err
	}
	ok := quiesce(e, *flagQuiesce)
	a := ampResult{settle: time.Since(start), quiesced: ok}
	if !ok {
		fmt.Fprintf(os.Stderr, "round %d  %s  %s: compactions did not quiesce within %s\n", r.round, r.spec.name, w, *flagQuiesce)
	}
	if err := r.recordAmp(w, e, dir, live, &a); err != nil {
		return a, err
	}
	return a, nil
}

func (r *engineRound) recordAmp(w string, e engine, dir string, live int64, a *ampResult) error {
	total, sst, err := diskUsage(dir)
	if err != nil {
		return err
	}
	c := e.amp()
	a.writeAmp, a.nativeWA = c.writeAmp(), c.native
	a.diskTotal, a.diskSST, a.live = total, sst, live
	if r.res.amp[w] == nil {
		r.res.amp[w] = map[string][]ampResult{}
	}
	r.res.amp[w][r.spec.name] = append(r.res.amp[w][r.spec.name], *a)
	fmt.Fprintf(os.Stderr, "round %d  %-6s  %-13s  write amp %.2f (own figure %.2f), tables %s, space amp %.2f, settle %.1fs, compact %.1fs\n",
		r.round, r.spec.name, w, a.writeAmp, a.nativeWA, mib(sst), a.spaceAmp(), a.settle.Seconds(), a.compact.Seconds())
	return nil
}

// loaded runs fillrandom and the workloads on the DB it loads.
func (r *engineRound) loaded() error {
	n := *flagN
	return r.withDB("", func(e engine, dir string) error {
		// The same random order for both engines in a round.
		perm := randPerm(n, uint64(r.round))
		load := func() error { return fill(e, r.vals, n, *flagWriters, func(i int) uint64 { return uint64(perm[i]) }) }
		var err error
		if slices.Contains(r.workloads, wFillRandom) {
			err = r.measure(wFillRandom, n, load)
		} else {
			err = load()
		}
		if err != nil {
			return err
		}
		a, err := r.settle(wFillRandom, e, dir, int64(n)*(keyLen+valueLen))
		if err != nil {
			return err
		}
		r.res.diskTotal[r.spec.name] = append(r.res.diskTotal[r.spec.name], a.diskTotal)
		r.res.diskSST[r.spec.name] = append(r.res.diskSST[r.spec.name], a.diskSST)

		for _, w := range r.workloads {
			switch w {
			case wReadRandom, wReadMissing:
				seed := uint64(r.round)<<1 | boolBit(w == wReadMissing)
				err = r.measure(w, n, func() error { return readRandom(e, r.vals, n, n, *flagReaders, seed, w == wReadRandom) })
			case wScan:
				err = r.measure(w, n, func() error { return scanAll(e, n) })
			}
			if err != nil {
				return err
			}
		}
		// Overwrite last: it changes the values the reads check.
		if slices.Contains(r.workloads, wOverwrite) {
			if err := r.measure(wOverwrite, n, func() error {
				return overwrite(e, r.vals, n, n, *flagWriters, uint64(r.round)|1<<32)
			}); err != nil {
				return err
			}
			if _, err := r.settle(wOverwrite, e, dir, int64(n)*(keyLen+valueLen)); err != nil {
				return err
			}
		}
		return nil
	})
}

// big runs fillrandom10m, waits for the compactions to quiesce, and runs
// readrandom10m and scan10m on that DB.
func (r *engineRound) big() error {
	n, bn := *flagN, *flagBigN
	return r.withDB("-big", func(e engine, dir string) error {
		perm := randPerm(bn, uint64(r.round)|1<<40)
		load := func() error { return fill(e, r.vals, bn, *flagWriters, func(i int) uint64 { return uint64(perm[i]) }) }
		var fillTime time.Duration
		var err error
		if slices.Contains(r.workloads, wFillRandomBig) {
			start := time.Now()
			err = r.measure(wFillRandomBig, bn, load)
			fillTime = time.Since(start)
		} else {
			err = load()
		}
		perm = nil
		if err != nil {
			return err
		}
		a, err := r.settle(wFillRandomBig, e, dir, int64(bn)*(keyLen+valueLen))
		if err != nil {
			return err
		}
		if fillTime > 0 {
			// The fill's throughput counting the compaction debt it left.
			w := wFillRandomBig + "+settle"
			if r.res.opsPerSec[w] == nil {
				r.res.opsPerSec[w] = map[string][]float64{}
			}
			r.res.opsPerSec[w][r.spec.name] = append(r.res.opsPerSec[w][r.spec.name], float64(bn)/(fillTime+a.settle).Seconds())
		}
		if slices.Contains(r.workloads, wReadRandomBig) {
			seed := uint64(r.round) | 1<<41
			if err := r.measure(wReadRandomBig, n, func() error {
				return readRandom(e, r.vals, bn, n, *flagReaders, seed, true)
			}); err != nil {
				return err
			}
		}
		if slices.Contains(r.workloads, wScanBig) {
			if err := r.measure(wScanBig, bn, func() error { return scanAll(e, bn) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteRange loads n keys into a DB of its own (in a random order, not
// timed, then flushed and left to quiesce), deletes half of them with
// DeleteRange over spans of about 1,000 keys, and compacts the whole key
// space. Its ops/s is deleted keys over the time of the DeleteRange calls
// and the Compact; the space figures are taken after the Compact.
func (r *engineRound) deleteRange() error {
	n := *flagN
	return r.withDB("-deleterange", func(e engine, dir string) error {
		perm := randPerm(n, uint64(r.round)|1<<42)
		if err := fill(e, r.vals, n, *flagWriters, func(i int) uint64 { return uint64(perm[i]) }); err != nil {
			return err
		}
		if err := e.flush(); err != nil {
			return err
		}
		quiesce(e, *flagQuiesce)
		spans, deleted := deleteSpans(n, uint64(r.round))
		var first, end [keyLen]byte
		var a ampResult
		if err := r.measure(wDeleteRange, deleted, func() error {
			start := time.Now()
			if err := deleteRanges(e, spans); err != nil {
				return err
			}
			a.deletes = time.Since(start)
			start = time.Now()
			err := e.compact(keyAt(&first, 0), keyAt(&end, 2*uint64(n)))
			a.compact = time.Since(start)
			return err
		}); err != nil {
			return err
		}
		a.quiesced = quiesce(e, *flagQuiesce)
		live := n - deleted
		if err := r.recordAmp(wDeleteRange, e, dir, int64(live)*(keyLen+valueLen), &a); err != nil {
			return err
		}
		if err := scanAll(e, live); err != nil {
			return fmt.Errorf("%s: after the deletes: %w", wDeleteRange, err)
		}
		return nil
	})
}

// ampResult is the write and space amplification of a DB after a workload.
type ampResult struct {
	writeAmp, nativeWA float64
	diskTotal, diskSST int64
	live               int64 // logical bytes of the live keys and values
	settle             time.Duration
	deletes, compact   time.Duration
	quiesced           bool
}

// spaceAmp is the bytes of table files over the live logical bytes.
func (a ampResult) spaceAmp() float64 {
	if a.live == 0 {
		return 0
	}
	return float64(a.diskSST) / float64(a.live)
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// startProfile starts a CPU profile of round 1 when -cpuprofile is set and
// returns the function that stops it.
func startProfile(engine, workload string, round int) (stop func(), err error) {
	if *flagCPUProfile == "" || round != 1 {
		return func() {}, nil
	}
	f, err := os.Create(fmt.Sprintf("%s-%s-%s.pprof", *flagCPUProfile, engine, workload))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func printHeader(root string, workloads []string) {
	fmt.Printf("enginecmp: %d keys of %d bytes, values of %d bytes; %d rounds (median); %d writer(s), %d reader(s)\n",
		*flagN, keyLen, valueLen, *flagRounds, *flagWriters, *flagReaders)
	fmt.Printf("workloads: %s\n", strings.Join(workloads, ","))
	if slices.ContainsFunc(workloads, usesBig) {
		fmt.Printf("fillrandom10m, readrandom10m, scan10m: %d keys, in the first %d round(s) only; readrandom10m does %d Gets\n",
			*flagBigN, min(*flagBigRounds, *flagRounds), *flagN)
	}
	fmt.Printf("go: %s  GOMAXPROCS: %d  NumCPU: %d\n", goPlatform(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("cpu: %s\n", sysinfo.CPUModel())
	fmt.Printf("memtable: %d MiB, block cache: %d MiB, block: %d B, bloom: %d bits/key\n",
		cfg.memTableSize>>20, cfg.blockCacheSize>>20, cfg.blockSize, cfg.bloomBits)
	fmt.Printf("pebble: %s\n", moduleVersion("github.com/cockroachdb/pebble"))
	fmt.Printf("dir: %s\n", root)
	fmt.Printf("load average at start: %s\n\n", sysinfo.LoadAvg())
}

func printResults(workloads []string, res *results) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tstrata ops/s\tpebble ops/s\tstrata/pebble\trounds\t\n")
	var rows []string
	for _, w := range workloads {
		rows = append(rows, w)
		if w == wFillRandomBig {
			rows = append(rows, w+"+settle")
		}
	}
	for _, w := range rows {
		s, p := res.opsPerSec[w]["strata"], res.opsPerSec[w]["pebble"]
		if len(s) == 0 && len(p) == 0 {
			continue
		}
		ratio := "-"
		if len(s) > 0 && len(p) > 0 {
			ratio = fmt.Sprintf("%.2f", median(s)/median(p))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t\n", w, opsCell(s), opsCell(p), ratio, max(len(s), len(p)))
	}
	tw.Flush()
	printAmp(res)
	if len(res.diskTotal) > 0 {
		fmt.Println()
		fmt.Println("bytes on disk after fillrandom, flush and quiesce (median):")
		tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "engine\ttotal\ttables (*.sst)\t\n")
		for _, spec := range engines {
			if t := res.diskTotal[spec.name]; len(t) > 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", spec.name, mib(medianInt(t)), mib(medianInt(res.diskSST[spec.name])))
			}
		}
		tw.Flush()
	}
}

// printAmp prints the write and space amplification after each workload
// that records them (medians over rounds).
func printAmp(res *results) {
	if len(res.amp) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("write amp = (bytes flushed + bytes written by compactions) / bytes flushed; own = the engine's own figure")
	fmt.Println("(Pebble's Total().WriteAmp() counts WAL bytes as the input); space amp = *.sst bytes / live key+value bytes")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "after\tengine\twrite amp\town\ttables\tlive\tspace amp\tsettle s\tdeletes s\tcompact s\tquiesced\t\n")
	for _, w := range []string{wFillRandom, wOverwrite, wFillRandomBig, wDeleteRange} {
		for _, spec := range engines {
			as := res.amp[w][spec.name]
			if len(as) == 0 {
				continue
			}
			med := func(f func(a ampResult) float64) float64 {
				xs := make([]float64, len(as))
				for i, a := range as {
					xs[i] = f(a)
				}
				return median(xs)
			}
			quiesced := 0
			for _, a := range as {
				if a.quiesced {
					quiesced++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%s\t%s\t%.2f\t%.1f\t%.2f\t%.1f\t%d/%d\t\n", w, spec.name,
				med(func(a ampResult) float64 { return a.writeAmp }),
				med(func(a ampResult) float64 { return a.nativeWA }),
				mib(int64(med(func(a ampResult) float64 { return float64(a.diskSST) }))),
				mib(int64(med(func(a ampResult) float64 { return float64(a.live) }))),
				med(func(a ampResult) float64 { return a.spaceAmp() }),
				med(func(a ampResult) float64 { return a.settle.Seconds() }),
				med(func(a ampResult) float64 { return a.deletes.Seconds() }),
				med(func(a ampResult) float64 { return a.compact.Seconds() }),
				quiesced, len(as))
		}
	}
	tw.Flush()
}

// opsCell renders the median of xs, or "-" when the engine did not run.
func opsCell(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", median(xs))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int64) int64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return int64(median(f))
}
