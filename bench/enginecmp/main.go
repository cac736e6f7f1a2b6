// Command enginecmp runs the same workloads on Strata's engine (lsm) and on
// Pebble, in alternation, and prints the median throughput of each and
// their ratio.
//
// Usage:
//
//	go run ./enginecmp [-n 1000000] [-rounds 3]
//	    [-workloads fillseq,fillrandom,readrandom,readmissing,scan]
//	    [-writers 1] [-readers 1] [-cache 64] [-engines strata,pebble]
//	    [-dir /tmp] [-cpuprofile prefix] [-metrics]
//
// Both engines get 16-byte keys and 100-byte values (compressible to about
// half), the WAL on without per-write sync (Strata WALSyncNo, Pebble
// pebble.NoSync), 64 MiB memtables, a 64 MiB block cache, 4 KiB blocks,
// 10-bit bloom filters and their default compression (both Snappy-class).
// Each round runs every workload on Strata, then on Pebble, on fresh
// directories: fillseq in a DB of its own; fillrandom loads the DB the
// reads use, which is flushed and left to settle (no flush or compaction
// running) before readrandom, readmissing and scan. README.md lists the
// differences between the engines that the figures include.
package main

import (
	"flag"
	"fmt"
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
}

func run() error {
	workloads, err := parseWorkloads(*flagWorkloads)
	switch {
	case err != nil:
		return err
	case *flagN < 1 || *flagRounds < 1 || *flagWriters < 1 || *flagReaders < 1:
		return fmt.Errorf("-n, -rounds, -writers and -readers must be positive")
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
	fmt.Printf("\nload average at end: %s\n", loadAvg())
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
	n := *flagN
	vals := makeValues()
	measure := func(w string, ops int, fn func() error) error {
		stop, err := startProfile(spec.name, w, round)
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
		if res.opsPerSec[w] == nil {
			res.opsPerSec[w] = map[string][]float64{}
		}
		res.opsPerSec[w][spec.name] = append(res.opsPerSec[w][spec.name], rate)
		fmt.Fprintf(os.Stderr, "round %d  %-6s  %-11s  %12.0f ops/s  %8.3fs\n", round, spec.name, w, rate, elapsed.Seconds())
		return nil
	}

	if slices.Contains(workloads, wFillSeq) {
		d := dir + "-fillseq"
		e, err := spec.open(d, cfg)
		if err != nil {
			return err
		}
		err = measure(wFillSeq, n, func() error {
			return fill(e, vals, n, *flagWriters, func(i int) uint64 { return uint64(i) })
		})
		if cerr := e.close(); err == nil {
			err = cerr
		}
		os.RemoveAll(d)
		if err != nil {
			return err
		}
	}

	needLoad := slices.Contains(workloads, wFillRandom) || slices.ContainsFunc(workloads, isRead)
	if !needLoad {
		return nil
	}
	e, err := spec.open(dir, cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	closed := false
	defer func() {
		if !closed {
			e.close()
		}
	}()

	// The same random order for both engines in a round.
	perm := randPerm(n, uint64(round))
	load := func() error { return fill(e, vals, n, *flagWriters, func(i int) uint64 { return uint64(perm[i]) }) }
	if slices.Contains(workloads, wFillRandom) {
		err = measure(wFillRandom, n, load)
	} else {
		err = load()
	}
	if err != nil {
		return err
	}
	if err := e.flush(); err != nil {
		return err
	}
	settle(e, time.Minute)
	total, sst, err := diskUsage(dir)
	if err != nil {
		return err
	}
	res.diskTotal[spec.name] = append(res.diskTotal[spec.name], total)
	res.diskSST[spec.name] = append(res.diskSST[spec.name], sst)

	for _, w := range workloads {
		switch w {
		case wReadRandom, wReadMissing:
			seed := uint64(round)<<1 | boolBit(w == wReadMissing)
			err = measure(w, n, func() error { return readRandom(e, vals, n, *flagReaders, seed, w == wReadRandom) })
		case wScan:
			err = measure(w, n, func() error { return scanAll(e, n) })
		}
		if err != nil {
			return err
		}
	}
	if *flagMetrics {
		fmt.Fprintf(os.Stderr, "round %d  %s metrics:\n%s\n", round, spec.name, e.metrics())
	}
	closed = true
	return e.close()
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
	fmt.Printf("go: %s  GOMAXPROCS: %d  NumCPU: %d\n", goPlatform(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("cpu: %s\n", cpuModel())
	fmt.Printf("memtable: %d MiB, block cache: %d MiB, block: %d B, bloom: %d bits/key\n",
		cfg.memTableSize>>20, cfg.blockCacheSize>>20, cfg.blockSize, cfg.bloomBits)
	fmt.Printf("pebble: %s\n", moduleVersion("github.com/cockroachdb/pebble"))
	fmt.Printf("dir: %s\n", root)
	fmt.Printf("load average at start: %s\n\n", loadAvg())
}

func printResults(workloads []string, res *results) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tstrata ops/s\tpebble ops/s\tstrata/pebble\t\n")
	for _, w := range workloads {
		s, p := res.opsPerSec[w]["strata"], res.opsPerSec[w]["pebble"]
		ratio := "-"
		if len(s) > 0 && len(p) > 0 {
			ratio = fmt.Sprintf("%.2f", median(s)/median(p))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", w, opsCell(s), opsCell(p), ratio)
	}
	tw.Flush()
	if len(res.diskTotal) > 0 {
		fmt.Println()
		fmt.Println("bytes on disk after fillrandom, flush and settle (median):")
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
