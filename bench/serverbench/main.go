// Command serverbench runs redis-benchmark against Strata and Debian's
// redis-server in alternation and reports each server's requests/s and
// latency percentiles and the ratio Strata/Redis per test.
//
// Usage (make bench runs it with -out ../docs/BENCHMARKS.md):
//
//	go run ./serverbench [-n 100000] [-rounds 3] [-pipelines 1,16]
//	    [-tests ping_mbulk,set,get,incr,lpush,rpop,sadd,hset,zadd,mset,lrange_100]
//	    [-c 50] [-d 100] [-r 1000000] [-always-n 50000] [-always-rounds 3]
//	    [-strata bin] [-baseline bin] [-root ..] [-out file.md] [-dir /tmp]
//
// Both servers run on free loopback ports in fresh temporary directories,
// with the same durability: Strata with its defaults (appendonly yes,
// appendfsync everysec), redis-server with appendonly yes, appendfsync
// everysec and save "" (no RDB snapshots). Each round runs every test at
// each pipeline depth on each server in turn (A B, then B A in the next
// round: the order rotates), so all see the same machine load; the table
// gives the medians over rounds and the median of the per-round ratios.
//
// The durability comparison then restarts both servers with appendfsync
// always and runs SET (-c 50, -P 1) the same way, and reports the WAL
// records, writes and syncs Strata's engine counted (INFO engine).
//
// -baseline adds a second Strata binary (an older build), measured in the
// same rounds, so that an optimisation's before and after are both ratios
// against the same Redis runs.
package main

import (
	"flag"
	"fmt"
	"github.com/strata-db/strata/bench/internal/sysinfo"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	flagN         = flag.Int("n", 100_000, "requests per redis-benchmark run (-n)")
	flagRounds    = flag.Int("rounds", 3, "rounds; each runs every test on every server")
	flagTests     = flag.String("tests", "ping_mbulk,set,get,incr,lpush,rpop,sadd,hset,zadd,mset,lrange_100", "redis-benchmark tests (-t names), comma-separated")
	flagPipelines = flag.String("pipelines", "1,16", "pipeline depths (-P), comma-separated")
	flagClients   = flag.Int("c", 50, "parallel connections (-c)")
	flagData      = flag.Int("d", 100, "value size in bytes (-d)")
	flagKeyspace  = flag.Int("r", 1_000_000, "random keys (-r)")
	flagAlwaysN   = flag.Int("always-n", 50_000, "requests per run of the appendfsync always comparison (0 skips it)")
	flagAlwaysR   = flag.Int("always-rounds", 3, "rounds of the appendfsync always comparison")
	flagStrata    = flag.String("strata", "", "strata-server binary (default: build it from -root)")
	flagBaseline  = flag.String("baseline", "", "another strata-server binary measured as strata-base (before/after)")
	flagBaseArgs  = flag.String("baseline-args", "", "extra arguments for strata-base, space-separated (e.g. \"--workers 1\"; with no -baseline, the strata binary is run with them)")
	flagRoot      = flag.String("root", "..", "the Strata repository (to build the server and name its commit)")
	flagRedis     = flag.String("redis-server", "redis-server", "redis-server binary")
	flagBench     = flag.String("redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flagOut       = flag.String("out", "", "Markdown file whose generated section is replaced by the results")
	flagDir       = flag.String("dir", "", "parent of the servers' temporary directories (default: the OS temp dir)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}

func run() error {
	tests := splitList(*flagTests)
	var pipelines []int
	for _, p := range splitList(*flagPipelines) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return fmt.Errorf("bad pipeline depth %q", p)
		}
		pipelines = append(pipelines, n)
	}
	if len(tests) == 0 || len(pipelines) == 0 || *flagN < 1 || *flagRounds < 1 {
		return fmt.Errorf("nothing to run: check -tests, -pipelines, -n and -rounds")
	}
	tmp, err := os.MkdirTemp(*flagDir, "serverbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "serverbench: interrupted, stopping the servers")
		running.stopAll()
		os.RemoveAll(tmp)
		os.Exit(1)
	}()

	// The servers run in their own directories: make the paths absolute.
	for _, p := range []*string{flagStrata, flagBaseline} {
		if *p != "" && strings.ContainsRune(*p, filepath.Separator) {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return err
			}
			*p = abs
		}
	}
	strataBin := *flagStrata
	if strataBin == "" {
		strataBin = filepath.Join(tmp, "strata-server")
		fmt.Fprintf(os.Stderr, "building strata-server in %s\n", *flagRoot)
		build := exec.Command("go", "build", "-o", strataBin, "./cmd/strata-server")
		build.Dir = *flagRoot
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building strata-server: %w", err)
		}
	}
	env := collectEnv(*flagRoot, *flagRedis)
	env.loadStart = sysinfo.LoadAvg()
	env.started = time.Now()

	specs := func(fsync string) []serverSpec {
		s := []serverSpec{{name: "strata", kind: "strata", bin: strataBin, appendfsync: fsync}}
		if *flagBaseline != "" || *flagBaseArgs != "" {
			bin := *flagBaseline
			if bin == "" {
				bin = strataBin
			}
			s = append(s, serverSpec{name: "strata-base", kind: "strata", bin: bin, appendfsync: fsync,
				extra: strings.Fields(*flagBaseArgs)})
		}
		return append(s, serverSpec{name: "redis", kind: "redis", bin: *flagRedis, appendfsync: fsync})
	}
	args := benchArgs{bin: *flagBench, clients: *flagClients, dataSize: *flagData,
		keyspace: *flagKeyspace, requests: *flagN}

	res := newResults()
	if err := runSuite(res, specs("everysec"), tmp, args, tests, pipelines, *flagRounds, "everysec"); err != nil {
		return err
	}
	var dur *durability
	if *flagAlwaysN > 0 {
		a := args
		a.requests = *flagAlwaysN
		dur = &durability{}
		if err := runAlways(res, dur, specs("always"), tmp, a, *flagAlwaysR); err != nil {
			return err
		}
	}
	env.loadEnd = sysinfo.LoadAvg()
	env.elapsed = time.Since(env.started)

	report := formatReport(env, res, tests, pipelines, dur)
	fmt.Println()
	fmt.Print(report)
	if *flagOut != "" {
		if err := writeSection(*flagOut, report); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", *flagOut)
	}
	return nil
}

// runSuite starts every server and runs each test at each pipeline depth on
// each server in turn, round after round.
func runSuite(res *results, specs []serverSpec, tmp string, args benchArgs, tests []string, pipelines []int, rounds int, mode string) error {
	servers, err := startAll(specs, tmp)
	if err != nil {
		return err
	}
	defer stopAll(servers)
	for round := 1; round <= rounds; round++ {
		for _, p := range pipelines {
			for _, test := range tests {
				a := args
				a.pipeline = p
				for _, s := range rotate(servers, round) {
					smp, err := measure(a, s, test)
					if err != nil {
						return fmt.Errorf("%s: %w", s.name, err)
					}
					res.add(key{mode, test, p}, s.name, smp)
					fmt.Fprintf(os.Stderr, "round %d  %-8s %-10s P=%-3d %-12s %10.0f rps  p50 %6.3f ms  p99 %6.3f ms  cpu %6.2f us/req\n",
						round, mode, test, p, s.name, smp.rps, smp.p50, smp.p99, smp.cpu)
				}
			}
		}
	}
	return nil
}

// measure runs one test against s (runTest) and adds the server's CPU time
// per request over the run, read from /proc where it can be. The CPU counts
// whatever the server did meanwhile: background work left by the test
// before (a flush, a compaction) as well as the requests; LRANGE_100's
// counts the LPUSHes redis-benchmark runs first to fill the list.
func measure(a benchArgs, s *server, test string) (sample, error) {
	pid := s.cmd.Process.Pid
	c0, ok0 := sysinfo.ProcessCPU(pid)
	smp, err := runTest(a, s.port, test)
	if err != nil {
		return smp, err
	}
	if c1, ok1 := sysinfo.ProcessCPU(pid); ok0 && ok1 && a.requests > 0 {
		smp.cpu = float64((c1 - c0).Microseconds()) / float64(a.requests)
	}
	return smp, nil
}

// durability holds the WAL counters of Strata's engine over the
// appendfsync always runs.
type durability struct {
	wal map[string][3]int64 // server -> records, writes, syncs
}

// runAlways runs SET at -P 1 with appendfsync always on every server.
func runAlways(res *results, dur *durability, specs []serverSpec, tmp string, args benchArgs, rounds int) error {
	servers, err := startAll(specs, tmp)
	if err != nil {
		return err
	}
	defer stopAll(servers)
	dur.wal = map[string][3]int64{}
	before := map[string][3]int64{}
	for _, s := range servers {
		if strings.HasPrefix(s.name, "strata") {
			before[s.name], err = walCounters(s)
			if err != nil {
				return err
			}
		}
	}
	args.pipeline = 1
	for round := 1; round <= rounds; round++ {
		for _, s := range rotate(servers, round) {
			smp, err := measure(args, s, "set")
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			res.add(key{"always", "set", 1}, s.name, smp)
			fmt.Fprintf(os.Stderr, "round %d  always   set        P=1   %-12s %10.0f rps  p50 %6.3f ms  p99 %6.3f ms  cpu %6.2f us/req\n",
				round, s.name, smp.rps, smp.p50, smp.p99, smp.cpu)
		}
	}
	for name, b := range before {
		for _, s := range servers {
			if s.name != name {
				continue
			}
			a, err := walCounters(s)
			if err != nil {
				return err
			}
			dur.wal[name] = [3]int64{a[0] - b[0], a[1] - b[1], a[2] - b[2]}
		}
	}
	return nil
}

// walCounters reads wal_records, wal_writes and wal_syncs from INFO engine.
func walCounters(s *server) ([3]int64, error) {
	m, err := s.info("engine")
	if err != nil {
		return [3]int64{}, fmt.Errorf("%s: INFO engine: %w", s.name, err)
	}
	var out [3]int64
	for i, f := range []string{"wal_records", "wal_writes", "wal_syncs"} {
		v, err := strconv.ParseInt(m[f], 10, 64)
		if err != nil {
			return out, fmt.Errorf("%s: INFO engine has no %s", s.name, f)
		}
		out[i] = v
	}
	return out, nil
}

// rotate returns servers in the order of a round: each round starts with
// the next server, so that none always runs right after the others'
// previous test (whose background work, Strata's flushes and compactions,
// may still use the CPU).
func rotate(servers []*server, round int) []*server {
	k := (round - 1) % len(servers)
	return append(append([]*server(nil), servers[k:]...), servers[:k]...)
}

func startAll(specs []serverSpec, tmp string) ([]*server, error) {
	var servers []*server
	for _, spec := range specs {
		s, err := start(spec, tmp)
		if err != nil {
			stopAll(servers)
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

func stopAll(servers []*server) {
	for _, s := range servers {
		s.stop()
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
