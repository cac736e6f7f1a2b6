package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// sample is one redis-benchmark measurement of one test.
type sample struct {
	rps      float64
	p50, p99 float64 // milliseconds
	// cpu is the server's CPU time per request over the run, in
	// microseconds (user and system, all its threads); 0 where unknown.
	cpu float64
}

// benchArgs are the redis-benchmark options shared by every run.
type benchArgs struct {
	bin       string
	clients   int
	dataSize  int
	keyspace  int
	requests  int
	pipeline  int
	extraArgs []string
}

// runTest runs redis-benchmark for one test (a -t name such as "set" or
// "lrange_100") against port and returns the row of that test. Tests that
// prepare data first (LRANGE_100 runs an LPUSH) print more rows; only the
// named test's row is kept.
func runTest(a benchArgs, port int, test string) (sample, error) {
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", strconv.Itoa(a.clients), "-n", strconv.Itoa(a.requests),
		"-P", strconv.Itoa(a.pipeline), "-d", strconv.Itoa(a.dataSize),
		"-r", strconv.Itoa(a.keyspace), "--csv", "-t", test}
	args = append(args, a.extraArgs...)
	cmd := exec.Command(a.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("redis-benchmark %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return parseCSV(stdout.Bytes(), test)
}

// parseCSV finds the row of test in redis-benchmark 7's --csv output:
//
//	"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
//	"LRANGE_100 (first 100 elements)","23501.76","16.981",...
func parseCSV(out []byte, test string) (sample, error) {
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return sample{}, fmt.Errorf("parsing redis-benchmark output: %w\n%s", err, out)
	}
	if len(rows) < 2 {
		return sample{}, fmt.Errorf("no result rows in redis-benchmark output:\n%s", out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, k := range []string{"test", "rps", "p50_latency_ms", "p99_latency_ms"} {
		if _, ok := col[k]; !ok {
			return sample{}, fmt.Errorf("redis-benchmark output lacks column %q (redis-benchmark 7 needed):\n%s", k, out)
		}
	}
	want := strings.ToUpper(test)
	for _, row := range rows[1:] {
		name := row[col["test"]]
		if name != want && !strings.HasPrefix(name, want+" ") {
			continue
		}
		var s sample
		var errs [3]error
		s.rps, errs[0] = strconv.ParseFloat(row[col["rps"]], 64)
		s.p50, errs[1] = strconv.ParseFloat(row[col["p50_latency_ms"]], 64)
		s.p99, errs[2] = strconv.ParseFloat(row[col["p99_latency_ms"]], 64)
		for _, e := range errs {
			if e != nil {
				return sample{}, fmt.Errorf("row %q: %w", row, e)
			}
		}
		return s, nil
	}
	return sample{}, fmt.Errorf("no row for %s in redis-benchmark output:\n%s", want, out)
}
