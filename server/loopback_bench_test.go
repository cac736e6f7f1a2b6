package server

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// processCPU returns the user and system CPU time of this process in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkLoopbackRedisBenchmark runs redis-benchmark against a server in
// this process over loopback, so that go test's -cpuprofile and
// -memprofile profile the server under a real client load (the external
// client's CPU is not in the profile). Each iteration is one
// redis-benchmark run: use -benchtime 1x. STRATA_RB_ARGS replaces the
// redis-benchmark arguments, STRATA_RB_CONFIG adds server options:
//
//	STRATA_RB_ARGS="-t get -P 16 -n 500000" go test -run '^$' \
//	    -bench LoopbackRedisBenchmark -benchtime 1x -cpuprofile cpu.out ./server/
func BenchmarkLoopbackRedisBenchmark(b *testing.B) {
	bin := needTool(b, "redis-benchmark")
	args := strings.Fields(os.Getenv("STRATA_RB_ARGS"))
	if len(args) == 0 {
		args = strings.Fields("-t set,get -c 50 -P 16 -d 100 -r 1000000 -n 200000")
	}
	ts := startServer(b, b.TempDir(), append([]string{"--memtable-size", "64mb"}, strings.Fields(os.Getenv("STRATA_RB_CONFIG"))...)...)
	host, port := splitHostPort(b, ts.addr)
	cmds0, cpu0 := ts.s.stats.commands.Load(), processCPU()
	for b.Loop() {
		out, err := exec.Command(bin, append([]string{"-h", host, "-p", port, "--csv"}, args...)...).CombinedOutput()
		if err != nil {
			b.Fatalf("redis-benchmark: %v\n%s", err, out)
		}
		b.Logf("\n%s", out)
	}
	// The server's CPU time per command: steadier than requests/s on a
	// shared machine.
	if n := ts.s.stats.commands.Load() - cmds0; n > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(n), "cpu-ns/cmd")
	}
	m := ts.s.db.Metrics()
	b.Logf("WAL: %d records, %d writes, %d syncs", m.WAL.Records, m.WAL.Writes, m.WAL.Syncs)
}
