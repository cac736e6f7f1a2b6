package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-db/strata/codec"
)

func TestConfigFileAndRewrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "strata.conf")
	os.WriteFile(path, []byte("# comment kept\nport 7000\nrequirepass \"\"\nmaxclients 50\nbind 127.0.0.1 ::1\n"), 0o644)
	c := NewConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if c.Get("port") != "7000" || c.Get("requirepass") != "" || c.Int("maxclients") != 50 || c.Get("bind") != "127.0.0.1 ::1" {
		t.Fatalf("loaded %v", c.values)
	}
	if err := c.ApplyArgs([]string{"--maxclients", "60", "--memtable-size", "2mb"}); err != nil {
		t.Fatal(err)
	}
	if c.Int("maxclients") != 60 || c.Int("memtable-size") != 2<<20 {
		t.Fatalf("overrides: %v", c.values)
	}
	if _, msg := c.ConfigSet([]string{"timeout", "15"}); msg != "" {
		t.Fatal(msg)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{"# comment kept", "port 7000", "maxclients 60", "timeout 15", "memtable-size 2097152"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	c2 := NewConfig()
	if err := c2.LoadFile(path); err != nil {
		t.Fatalf("reloading the rewritten file: %v\n%s", err, text)
	}
	if c2.Int("timeout") != 15 || c2.Int("maxclients") != 60 {
		t.Fatalf("reloaded %v", c2.values)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"port abc", "argument couldn't be parsed into an integer"},
		{"port 70000", "argument must be between 0 and 65535 inclusive"},
		{"appendonly maybe", "argument must be 'yes' or 'no'"},
		{"appendfsync sometimes", "argument(s) must be one of the following: always, everysec, no"},
		{"nosuchsetting 1", "Bad directive or wrong number of arguments"},
		{"dir \"unclosed", "Unbalanced quotes in configuration line"},
		{"memtable-size 12parsecs", "argument must be a memory value"},
	} {
		err := NewConfig().loadString(tc.text, "test.conf")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "at line 1") {
			t.Errorf("%q: got %v, want %q", tc.text, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{{"1k", 1000, true}, {"1kb", 1024, true}, {"2MB", 2 << 20, true}, {"1g", 1e9, true}, {"7", 7, true}, {"-1", 0, false}, {"x", 0, false}} {
		v, ok := parseMemory(tc.in)
		if ok != tc.ok || v != tc.want {
			t.Errorf("parseMemory(%q) = %d, %v", tc.in, v, ok)
		}
	}
}

// TestRewriteQuotingRoundTrips: values with spaces, quotes, backslashes,
// control bytes and non-ASCII survive CONFIG REWRITE and a reload.
func TestRewriteQuotingRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strata.conf")
	os.WriteFile(path, nil, 0o644)
	c := NewConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"plain", "two words", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "caf\xc3\xa9", "\x00\x01\xff", "it's"} {
		if _, msg := c.ConfigSet([]string{"requirepass", v}); msg != "" {
			t.Fatal(msg)
		}
		if err := c.Rewrite(); err != nil {
			t.Fatal(err)
		}
		c2 := NewConfig()
		if err := c2.LoadFile(path); err != nil {
			data, _ := os.ReadFile(path)
			t.Fatalf("%q: reload: %v\n%s", v, err, data)
		}
		if got := c2.Get("requirepass"); got != v {
			t.Fatalf("%q came back as %q", v, got)
		}
	}
}

// TestSaveSetting: redis-benchmark and other tools read CONFIG GET save;
// Strata writes no RDB snapshots, so only the empty schedule is valid.
func TestSaveSetting(t *testing.T) {
	c := NewConfig()
	if got := c.Get("save"); got != "" {
		t.Fatalf("save = %q", got)
	}
	if _, msg := c.ConfigSet([]string{"save", ""}); msg != "" {
		t.Fatalf("CONFIG SET save \"\": %s", msg)
	}
	_, msg := c.ConfigSet([]string{"save", "3600 1 300 100"})
	if !strings.HasPrefix(msg, "ERR CONFIG SET failed (possibly related to argument 'save') - ") || !strings.Contains(msg, "no RDB snapshots") {
		t.Fatalf("CONFIG SET save 3600 1: %q", msg)
	}
	if err := NewConfig().loadString("save 900 1", "test.conf"); err == nil || !strings.Contains(err.Error(), "no RDB snapshots") {
		t.Fatalf("config file save 900 1: %v", err)
	}
	if err := NewConfig().loadString(`save ""`, "test.conf"); err != nil {
		t.Fatalf(`config file save "": %v`, err)
	}
}

// TestConfigDefaultsParsed checks that every default reads as the value it
// spells: memory defaults such as "64mb" were once stored raw, so Int read
// them as 0 and the server ran with no block cache.
func TestConfigDefaultsParsed(t *testing.T) {
	c := NewConfig()
	for name, want := range map[string]int64{
		"block-cache-size":          256 << 20,
		"memtable-size":             64 << 20,
		"client-query-buffer-limit": 1 << 30,
		"proto-max-bulk-len":        512 << 20,
		"databases":                 16,
	} {
		if got := c.Int(name); got != want {
			t.Errorf("%s: Int = %d (stored %q), want %d", name, got, c.Get(name), want)
		}
	}
	for _, s := range configTable {
		if s.kind == kindMemory || s.kind == kindInt {
			if _, err := strconv.ParseInt(c.Get(s.name), 10, 64); err != nil {
				t.Errorf("%s: default %q is not a number of bytes", s.name, c.Get(s.name))
			}
		}
	}
	// A rewrite of an untouched config adds nothing.
	path := filepath.Join(t.TempDir(), "strata.conf")
	os.WriteFile(path, []byte("port 7000\n"), 0o644)
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "port 7000\n" {
		t.Errorf("rewrite of defaults wrote:\n%s", data)
	}
}

// TestDefaultBlockCache checks that a server started without
// block-cache-size caches data blocks: a second read of flushed keys hits.
func TestDefaultBlockCache(t *testing.T) {
	dir := t.TempDir()
	cfg := NewConfig()
	if err := cfg.ApplyArgs([]string{"--port", "0", "--dir", dir}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.db.Close()
	db := s.ks.DB(0)
	for i := range 1000 {
		if _, err := db.Set(fmt.Appendf(nil, "k%04d", i), []byte("value"), codec.SetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for i := range 1000 {
			if _, ok, err := db.Get(fmt.Appendf(nil, "k%04d", i)); err != nil || !ok {
				t.Fatalf("k%04d: %v %v", i, ok, err)
			}
		}
	}
	if m := s.db.Metrics().BlockCache; m.Hits < 1000 || m.Bytes == 0 {
		t.Fatalf("block cache after two passes over flushed keys: %v", m)
	}
}

// TestBottommostCompressionSetting checks the setting's default, its
// values and its error, and that the server opens with each value.
func TestBottommostCompressionSetting(t *testing.T) {
	if got := NewConfig().Get("bottommost-compression"); got != "fast" {
		t.Fatalf("default %q, want fast", got)
	}
	if err := NewConfig().ApplyArgs([]string{"--bottommost-compression", "lz77"}); err == nil ||
		!strings.Contains(err.Error(), "argument(s) must be one of the following: fast, zstd") {
		t.Fatalf("bad value: %v", err)
	}
	for _, v := range []string{"fast", "ZSTD"} {
		cfg := NewConfig()
		if err := cfg.ApplyArgs([]string{"--port", "0", "--dir", t.TempDir(), "--bottommost-compression", v}); err != nil {
			t.Fatal(err)
		}
		s, err := Open(cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		want := strings.ToLower(v)
		if got := s.db.Options().BottommostCompression.String(); got != want {
			t.Errorf("%s: engine's bottommost compression %q", v, got)
		}
		s.db.Close()
	}
}

// TestWorkersSetting checks that workers sets GOMAXPROCS at start and on
// CONFIG SET, that 0 restores the runtime's default, and its bounds. The
// setting is process-wide: the test puts GOMAXPROCS back as it found it.
func TestWorkersSetting(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	// A value other than the default, so that every step below changes it.
	n := def + 1

	ts := startServer(t, t.TempDir(), "--workers", strconv.Itoa(n))
	if got := runtime.GOMAXPROCS(0); got != n {
		t.Fatalf("GOMAXPROCS after start with workers %d: %d", n, got)
	}
	c := ts.client(t, 2)
	ctx := context.Background()
	if err := c.ConfigSet(ctx, "workers", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS after CONFIG SET workers 1: %d", got)
	}
	if info := c.Info(ctx, "server").Val(); !strings.Contains(info, "\r\nactive_workers:1\r\n") {
		t.Fatalf("INFO server with workers 1 lacks active_workers:1:\n%s", info)
	}
	// The server still answers with one thread.
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k on one worker: %q %v", got, err)
	}
	if err := c.ConfigSet(ctx, "workers", "0").Err(); err != nil {
		t.Fatal(err)
	}
	// 0: the automatic choice, starting from the runtime's default.
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Fatalf("GOMAXPROCS after CONFIG SET workers 0: %d, want the default %d", got, def)
	}
	if auto, _ := ts.s.workers.mode(); auto != (def > 1 && idleKnown) {
		t.Fatalf("workers 0 with %d CPUs: automatic choice %v", def, auto)
	}
	if got := c.ConfigGet(ctx, "workers").Val()["workers"]; got != "0" {
		t.Fatalf("CONFIG GET workers: %q", got)
	}
	// A fixed count ends the automatic choice.
	if err := c.ConfigSet(ctx, "workers", strconv.Itoa(def)).Err(); err != nil {
		t.Fatal(err)
	}
	if auto, _ := ts.s.workers.mode(); auto {
		t.Fatal("workers N left the automatic choice running")
	}
	expectErr(t, c.ConfigSet(ctx, "workers", "-1").Err(),
		"ERR CONFIG SET failed (possibly related to argument 'workers') - argument must be between 0 and 1024 inclusive")
	expectErr(t, c.ConfigSet(ctx, "workers", "many").Err(),
		"ERR CONFIG SET failed (possibly related to argument 'workers') - argument couldn't be parsed into an integer")
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Fatalf("GOMAXPROCS changed by a refused CONFIG SET: %d", got)
	}
}
