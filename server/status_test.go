package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/strata-db/strata/internal/vfs/errorfs"
	"github.com/strata-db/strata/jemallocprof"
	"github.com/strata-db/strata/lsm"
)

// httpGet fetches url (with optional auth) and returns the status and body.
func httpGet(t *testing.T, url string, auth func(*http.Request)) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func statusURL(ts *testServer, path string) string {
	return "http://" + ts.s.StatusAddr().String() + path
}

// heapProfile fetches /debug/pprof/heap and requires a profile with samples.
func heapProfile(t *testing.T, ts *testServer) *profile.Profile {
	t.Helper()
	code, body := httpGet(t, statusURL(ts, "/debug/pprof/heap"), nil)
	if code != 200 || len(body) == 0 {
		t.Fatalf("/debug/pprof/heap: %d, %d bytes", code, len(body))
	}
	p, err := profile.ParseData(body)
	if err != nil {
		t.Fatalf("/debug/pprof/heap does not parse: %v", err)
	}
	if len(p.Sample) == 0 {
		t.Fatal("/debug/pprof/heap has no samples")
	}
	return p
}

func scrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, statusURL(ts, "/metrics"), nil)
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// metricValue returns the value of the family's sample whose labels
// include want (name=value pairs).
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("/metrics has no %s", name)
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	t.Fatalf("/metrics %s has no sample with %v", name, want)
	return 0
}

func TestStatusServer(t *testing.T) {
	ts := startServer(t, t.TempDir(), "--status-addr", "127.0.0.1:0")
	c := dialRaw(t, ts.addr)
	c.mustDo(t, "SET", "k", "v")
	c.mustDo(t, "HSET", "h", "f", "v")

	if code, body := httpGet(t, statusURL(ts, "/healthz"), nil); code != 200 || string(body) != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := httpGet(t, statusURL(ts, "/debug/pprof/"), nil); code != 200 || !strings.Contains(string(body), "heap") {
		t.Fatalf("/debug/pprof/: %d", code)
	}
	heapProfile(t, ts)

	fams := scrape(t, ts)
	for _, name := range []string{"strata_engine_level_files", "strata_engine_compactions_total", "strata_engine_flushes_total",
		"strata_engine_write_stalls_total", "strata_engine_block_cache_hits_total", "strata_engine_wal_bytes_total",
		"strata_engine_wal_sync_seconds_total",
		"go_goroutines", "process_resident_memory_bytes", "strata_memory_used_bytes"} {
		metricValue(t, fams, name)
	}
	if f := fams["go_sched_latencies_seconds"]; f == nil || len(f.Metric) == 0 || f.Metric[0].Histogram == nil {
		t.Fatal("/metrics has no histogram of the scheduler's latencies")
	}
	if v := metricValue(t, fams, "strata_engine_level_files", "level", "6"); v < 0 {
		t.Fatalf("level 6 files %v", v)
	}
	if v := metricValue(t, fams, "strata_memory_tracked_bytes", "purpose", "client_query"); v < 16<<10 {
		t.Fatalf("tracked client_query = %v", v)
	}
	for _, p := range jemallocprof.Purposes() {
		metricValue(t, fams, "strata_memory_tracked_bytes", "purpose", p.String())
	}
	if v := metricValue(t, fams, "strata_keyspace_keys", "db", "0"); v != 2 {
		t.Fatalf("keyspace_keys{db=0} = %v", v)
	}
	if v := metricValue(t, fams, "strata_connected_clients"); v != 1 {
		t.Fatalf("connected_clients = %v", v)
	}
	if v := metricValue(t, fams, "strata_commands_processed_total"); v < 2 {
		t.Fatalf("commands_processed_total = %v", v)
	}
	if v := metricValue(t, fams, "strata_engine_wal_bytes_total"); v <= 0 {
		t.Fatalf("wal bytes = %v", v)
	}

	// Under write load from 50 clients, the heap profile and the metrics
	// still come whole.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writes atomic.Int64
	for i := range 50 {
		cl := ts.client(t, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				if cl.Set(ctx, fmt.Sprintf("w:%d:%d", i, n%100), strings.Repeat("x", 256), 0).Err() != nil {
					return
				}
				writes.Add(1)
			}
		}()
	}
	waitUntil(t, 30*time.Second, "write load", func() bool { return writes.Load() >= 2000 })
	for range 3 {
		heapProfile(t, ts)
		scrape(t, ts)
	}
	cancel()
	wg.Wait()

	// The status server stops with the server.
	addr := ts.s.StatusAddr().String()
	ts.stop(t)
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the status server still accepts connections after Shutdown")
	}
}

func TestStatusServerLoopbackRule(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		cfg := NewConfig()
		if err := cfg.ApplyArgs([]string{"--port", "0", "--dir", t.TempDir(), "--status-addr", addr}); err != nil {
			t.Fatal(err)
		}
		s, err := Open(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Listen()
		if !errors.Is(err, errStatusNotLoopback) {
			t.Fatalf("status-addr %s without requirepass: %v", addr, err)
		}
		if !strings.Contains(err.Error(), "set requirepass") {
			t.Fatalf("unclear error: %v", err)
		}
		s.db.Close()
	}

	// With a password the status server may listen anywhere, and every
	// request must carry the password.
	ts := startServer(t, t.TempDir(), "--status-addr", "0.0.0.0:0", "--requirepass", "s3cret")
	url := "http://127.0.0.1:" + portOf(t, ts.s.StatusAddr()) + "/healthz"
	for _, tc := range []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"none", nil, 401},
		{"basic", func(r *http.Request) { r.SetBasicAuth("default", "s3cret") }, 200},
		{"basic, empty user", func(r *http.Request) { r.SetBasicAuth("", "s3cret") }, 200},
		{"basic, wrong password", func(r *http.Request) { r.SetBasicAuth("default", "nope") }, 401},
		{"basic, other user", func(r *http.Request) { r.SetBasicAuth("admin", "s3cret") }, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 200},
		{"bearer, wrong", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cre") }, 401},
	} {
		if code, body := httpGet(t, url, tc.auth); code != tc.want {
			t.Fatalf("%s: %d %q, want %d", tc.name, code, body, tc.want)
		}
	}
	// Clearing the password leaves a public status server refusing all.
	c := dialRaw(t, ts.addr)
	c.expectDo(t, "+OK", "AUTH", "s3cret")
	c.expectDo(t, "+OK", "CONFIG", "SET", "requirepass", "")
	if code, _ := httpGet(t, url, nil); code != 403 {
		t.Fatalf("public status server without a password: %d, want 403", code)
	}

	// A loopback name is fine without a password.
	ts2 := startServer(t, t.TempDir(), "--status-addr", "localhost:0")
	if code, _ := httpGet(t, statusURL(ts2, "/healthz"), nil); code != 200 {
		t.Fatalf("localhost status server: %d", code)
	}
}

func portOf(t *testing.T, a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestHealthzReadOnly: once a background I/O error has made the engine
// read-only, /healthz answers 503 with the error.
func TestHealthzReadOnly(t *testing.T) {
	full := errorfs.NewToggle(syscall.ENOSPC, errorfs.WriteOps)
	ts, err := openFaultServer(t, t.TempDir(), full, "--status-addr", "127.0.0.1:0", "--appendonly", "no")
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, ts.addr)
	c.expectDo(t, "+OK", "SET", "k", "v")
	if code, _ := httpGet(t, statusURL(ts, "/healthz"), nil); code != 200 {
		t.Fatalf("healthy: %d", code)
	}
	full.On()
	c.mustDo(t, "FLUSHMEMTABLE") // fails: the disk is "full"
	waitUntil(t, 10*time.Second, "the engine to turn read-only", func() bool {
		return ts.s.db.Metrics().BackgroundError != nil
	})
	code, body := httpGet(t, statusURL(ts, "/healthz"), nil)
	if code != 503 || !strings.HasPrefix(string(body), "read-only: ") || !strings.Contains(string(body), "no space left on device") {
		t.Fatalf("read-only engine: %d %q", code, body)
	}
	fams := scrape(t, ts)
	if v := metricValue(t, fams, "strata_engine_read_only"); v != 1 {
		t.Fatalf("strata_engine_read_only = %v", v)
	}
	full.Off()
	// Closing a read-only engine reports its error; that is expected here.
	ts.s.Shutdown()
	if err := <-ts.done; !errors.Is(err, lsm.ErrReadOnly) {
		t.Fatalf("serve: %v", err)
	}
	ts.s = nil
}
