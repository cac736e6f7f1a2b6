package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// testServer is an in-process server on a free loopback port.
type testServer struct {
	s    *Server
	addr string
	done chan error
	dir  string
}

func startServer(t testing.TB, dir string, overrides ...string) *testServer {
	t.Helper()
	cfg := NewConfig()
	args := append([]string{"--port", "0", "--dir", dir, "--memtable-size", "1mb", "--workers", testWorkers()}, overrides...)
	if err := cfg.ApplyArgs(args); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{s: s, addr: s.Addr().String(), done: make(chan error, 1), dir: dir}
	go func() { ts.done <- s.Serve() }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// testWorkers is the workers setting of test servers: the thread count the
// test process runs with (go test -cpu included), fixed, so that no
// server's automatic choice (workers 0, workers.go) changes the threads of
// the whole process under the other tests.
func testWorkers() string { return strconv.Itoa(runtime.GOMAXPROCS(0)) }

func (ts *testServer) stop(t testing.TB) {
	if ts.s == nil {
		return
	}
	ts.s.Shutdown()
	if err := <-ts.done; err != nil {
		t.Errorf("serve: %v", err)
	}
	ts.s = nil
}

func (ts *testServer) client(t testing.TB, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// expectErr requires err to be a server error with exactly msg.
func expectErr(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil || err.Error() != msg {
		t.Fatalf("got error %v, want %q", err, msg)
	}
}

func TestStringsAndKeys(t *testing.T) {
	ts := startServer(t, t.TempDir())
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := ts.client(t, proto)
			if err := c.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Fatal(v, err)
			}
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, _ := c.Get(ctx, "k").Result(); v != "v" {
				t.Fatalf("get: %q", v)
			}
			if _, err := c.Get(ctx, "missing").Result(); err != redis.Nil {
				t.Fatalf("missing: %v", err)
			}
			// SET options.
			if ok, _ := c.SetNX(ctx, "k", "x", 0).Result(); ok {
				t.Fatal("SETNX overwrote")
			}
			if v, err := c.SetArgs(ctx, "k", "w", redis.SetArgs{Get: true}).Result(); err != nil || v != "v" {
				t.Fatalf("SET GET: %q %v", v, err)
			}
			if err := c.SetArgs(ctx, "nx", "1", redis.SetArgs{Mode: "XX"}).Err(); err != redis.Nil {
				t.Fatalf("SET XX on missing: %v", err)
			}
			if err := c.Set(ctx, "e", "1", 50*time.Second).Err(); err != nil {
				t.Fatal(err)
			}
			if d, _ := c.TTL(ctx, "e").Result(); d <= 40*time.Second || d > 50*time.Second {
				t.Fatalf("ttl %v", d)
			}
			expectErr(t, c.Do(ctx, "set", "k", "v", "ex", "0").Err(), "ERR invalid expire time in 'set' command")
			expectErr(t, c.Do(ctx, "set", "k", "v", "ex", "abc").Err(), "ERR value is not an integer or out of range")
			expectErr(t, c.Do(ctx, "set", "k", "v", "nx", "xx").Err(), "ERR syntax error")
			expectErr(t, c.Do(ctx, "set", "k", "v", "ex", "10", "px", "100").Err(), "ERR syntax error")
			expectErr(t, c.Do(ctx, "get").Err(), "ERR wrong number of arguments for 'get' command")
			expectErr(t, c.Do(ctx, "nosuchcmd", "a", "b").Err(), "ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b' ")
			// Counters.
			if n, _ := c.IncrBy(ctx, "ctr", 5).Result(); n != 5 {
				t.Fatal(n)
			}
			if n, _ := c.Decr(ctx, "ctr").Result(); n != 4 {
				t.Fatal(n)
			}
			expectErr(t, c.Incr(ctx, "k").Err(), "ERR value is not an integer or out of range")
			if f, _ := c.IncrByFloat(ctx, "fl", 10.5).Result(); f != 10.5 {
				t.Fatal(f)
			}
			if v, _ := c.Do(ctx, "incrbyfloat", "fl", "0.1").Text(); v != "10.6" {
				t.Fatalf("incrbyfloat: %q", v)
			}
			// Ranges and appends.
			if n, _ := c.Append(ctx, "s", "hello").Result(); n != 5 {
				t.Fatal(n)
			}
			if v, _ := c.GetRange(ctx, "s", 1, -2).Result(); v != "ell" {
				t.Fatal(v)
			}
			if n, _ := c.SetRange(ctx, "s", 7, "x").Result(); n != 8 {
				t.Fatal(n)
			}
			if v, _ := c.Get(ctx, "s").Result(); v != "hello\x00\x00x" {
				t.Fatalf("%q", v)
			}
			// Multi-key.
			if err := c.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
				t.Fatal(err)
			}
			vals, _ := c.MGet(ctx, "a", "b", "zz").Result()
			if len(vals) != 3 || vals[0] != "1" || vals[1] != "2" || vals[2] != nil {
				t.Fatalf("mget %v", vals)
			}
			if ok, _ := c.MSetNX(ctx, "a", "x", "c", "3").Result(); ok {
				t.Fatal("MSETNX with an existing key")
			}
			if n, _ := c.Exists(ctx, "a", "a", "c").Result(); n != 2 {
				t.Fatal(n)
			}
			// Keyspace.
			if typ, _ := c.Type(ctx, "a").Result(); typ != "string" {
				t.Fatal(typ)
			}
			if err := c.Rename(ctx, "a", "a2").Err(); err != nil {
				t.Fatal(err)
			}
			expectErr(t, c.Rename(ctx, "a", "a3").Err(), "ERR no such key")
			if ok, _ := c.Expire(ctx, "a2", time.Hour).Result(); !ok {
				t.Fatal("expire")
			}
			if ok, _ := c.ExpireNX(ctx, "a2", time.Hour).Result(); ok {
				t.Fatal("EXPIRE NX on a key with a TTL")
			}
			if ok, _ := c.Persist(ctx, "a2").Result(); !ok {
				t.Fatal("persist")
			}
			if d, _ := c.TTL(ctx, "a2").Result(); d != -1 {
				t.Fatalf("ttl after persist %v", d)
			}
			keys, _ := c.Keys(ctx, "a*").Result()
			if strings.Join(keys, ",") != "a2" {
				t.Fatalf("keys %v", keys)
			}
			if n, _ := c.Del(ctx, "a2", "b", "nope").Result(); n != 2 {
				t.Fatal(n)
			}
			if n, _ := c.DBSize(ctx).Result(); n < 3 {
				t.Fatalf("dbsize %d", n)
			}
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if n, _ := c.DBSize(ctx).Result(); n != 0 {
				t.Fatalf("dbsize after flushdb %d", n)
			}
		})
	}
}

func TestScanVisitsEveryKey(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctx := context.Background()
	c := ts.client(t, 2)
	want := map[string]bool{}
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("key:%03d", i)
		want[k] = true
		c.Set(ctx, k, "v", 0)
	}
	c.Set(ctx, "other", "v", 0)
	seen := map[string]bool{}
	iter := c.Scan(ctx, 0, "key:*", 37).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()] = true
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Fatalf("scan returned %d keys, want %d", len(seen), len(want))
	}
	expectErr(t, c.Do(ctx, "scan", "abc").Err(), "ERR invalid cursor")
}

func TestConfigAndAdmin(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctx := context.Background()
	c := ts.client(t, 2)
	v, err := c.ConfigGet(ctx, "appendfsync").Result()
	if err != nil || v["appendfsync"] != "everysec" {
		t.Fatal(v, err)
	}
	if err := c.ConfigSet(ctx, "timeout", "30").Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.ConfigGet(ctx, "timeout").Result(); v["timeout"] != "30" {
		t.Fatal(v)
	}
	expectErr(t, c.ConfigSet(ctx, "nosuch", "1").Err(), "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
	expectErr(t, c.ConfigSet(ctx, "timeout", "x").Err(), "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer")
	expectErr(t, c.ConfigSet(ctx, "port", "1234").Err(), "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config")
	expectErr(t, c.ConfigRewrite(ctx).Err(), "ERR The server is running without a config file")
	if id, err := c.ClientID(ctx).Result(); err != nil || id <= 0 {
		t.Fatal(id, err)
	}
	if err := c.Do(ctx, "client", "setname", "me").Err(); err != nil {
		t.Fatal(err)
	}
	list, _ := c.ClientList(ctx).Result()
	if !strings.Contains(list, "name=me") {
		t.Fatalf("client list: %s", list)
	}
	info, _ := c.Info(ctx, "server", "engine").Result()
	if !strings.Contains(info, "redis_version:7.") || !strings.Contains(info, "level0:files=") {
		t.Fatalf("info: %s", info)
	}
	raw := dialRaw(t, ts.addr)
	raw.mustDo(t, "SELECT", "9")
	raw.mustDo(t, "SET", "ttl1", "v", "EX", "3600")
	raw.mustDo(t, "SET", "nottl", "v")
	if info := c.Info(ctx, "keyspace").Val(); !strings.Contains(info, "db9:keys=2,expires=1,avg_ttl=") {
		t.Fatalf("info keyspace: %s", info)
	}
	if n, _ := c.Do(ctx, "command", "count").Int(); n < 50 {
		t.Fatalf("command count %d", n)
	}
	expectErr(t, c.Do(ctx, "flushmemtable", "bogus").Err(), "ERR syntax error")
	if err := c.Do(ctx, "flushmemtable").Err(); err != nil {
		t.Fatal(err)
	}
	expectErr(t, c.Do(ctx, "config", "bogus").Err(), "ERR unknown subcommand 'bogus'. Try CONFIG HELP.")
	expectErr(t, c.Do(ctx, "config", "get").Err(), "ERR wrong number of arguments for 'config|get' command")
}

func TestAuth(t *testing.T) {
	ts := startServer(t, t.TempDir(), "--requirepass", "s3cret")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	expectErr(t, c.Get(ctx, "k").Err(), "NOAUTH Authentication required.")
	expectErr(t, c.Do(ctx, "auth", "wrong").Err(), "WRONGPASS invalid username-password pair or user is disabled.")
	good := redis.NewClient(&redis.Options{Addr: ts.addr, Password: "s3cret", Protocol: 3, DisableIdentity: true})
	defer good.Close()
	if err := good.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestPersistence restarts the server and finds every write, in each WAL
// mode; with the WAL disabled, data survives a clean shutdown because Close
// flushes.
func TestPersistence(t *testing.T) {
	for _, mode := range [][]string{
		{"--appendonly", "yes", "--appendfsync", "always"},
		{"--appendonly", "yes", "--appendfsync", "everysec"},
		{"--appendonly", "no"},
	} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			dir := t.TempDir()
			ts := startServer(t, dir, mode...)
			ctx := context.Background()
			c := ts.client(t, 2)
			for i := 0; i < 2000; i++ {
				if err := c.Set(ctx, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			c.Close()
			ts.stop(t)
			ts2 := startServer(t, dir, mode...)
			c2 := ts2.client(t, 2)
			for i := 0; i < 2000; i += 97 {
				if v, err := c2.Get(ctx, fmt.Sprintf("k%d", i)).Result(); err != nil || v != fmt.Sprintf("v%d", i) {
					t.Fatalf("k%d after restart: %q %v", i, v, err)
				}
			}
		})
	}
}

// TestProtocolErrors sends malformed input on a raw connection: the server
// answers with Redis's error and closes, and keeps serving others.
func TestProtocolErrors(t *testing.T) {
	ts := startServer(t, t.TempDir())
	for _, tc := range []struct{ in, want string }{
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
		{"*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"set \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	} {
		conn, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		conn.Write([]byte(tc.in))
		buf := make([]byte, 512)
		var got []byte
		for {
			n, err := conn.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
					t.Fatalf("%q: read: %v", tc.in, err)
				}
				break
			}
		}
		conn.Close()
		if string(got) != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	c := ts.client(t, 2)
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("server stopped serving: %v", err)
	}
}

func TestSaveCompactAndExpiredStrings(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.client(t, 2)
	for i := 0; i < 500; i++ {
		c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
	}
	if err := c.Do(ctx, "save").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "bgsave", "bogus").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Fatalf("bgsave bogus: %v", err)
	}
	if v, err := c.Do(ctx, "bgsave").Text(); err != nil || v != "Background saving started" {
		t.Fatalf("bgsave: %q %v", v, err)
	}
	// Wait for the background save to finish.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
		if time.Now().After(deadline) {
			t.Fatal("bgsave did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:ok") {
		t.Fatal("bgsave failed")
	}
	c.Set(ctx, "after-save", "x", 0)
	// Expired strings are dropped by compaction; live ones stay.
	if err := c.Set(ctx, "short", "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	for c.Exists(ctx, "short").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key did not expire")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// DBSIZE counts "short" until active expiry deletes it, as Redis does:
	// run the cycle now rather than wait for the server's.
	if _, err := ts.s.ks.ExpireCycle(time.Now(), 1000); err != nil {
		t.Fatal(err)
	}
	// An expired string with no expiry-index entry: the active cycle cannot
	// see it, only the server's compaction filter can drop it.
	ghost := codec.MetaKey(0, []byte("ghost"))
	meta := codec.Metadata{Type: codec.TypeString, ExpireAt: time.Now().Add(-time.Hour).UnixMilli(), Value: []byte("v")}
	if err := ts.s.db.Set(ghost, meta.Encode(nil), nil); err != nil {
		t.Fatal(err)
	}
	live := codec.MetaKey(0, []byte("k42"))
	if err := c.Do(ctx, "compact").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s.db.Get(ghost); !errors.Is(err, lsm.ErrNotFound) {
		t.Fatalf("compaction kept an expired string: %v", err)
	}
	if _, err := ts.s.db.Get(live); err != nil {
		t.Fatalf("compaction dropped a live string: %v", err)
	}
	info, _ := c.Info(ctx, "engine").Result()
	if !strings.Contains(info, "compactions:") {
		t.Fatalf("info engine: %s", info)
	}
	if n, _ := c.DBSize(ctx).Result(); n != 501 {
		t.Fatalf("dbsize after compact: %d", n)
	}
	ts.stop(t)
	// Start a server on the checkpoint: it holds the saved keys only.
	cp := t.TempDir()
	if err := os.Rename(filepath.Join(dir, "checkpoint"), filepath.Join(cp, "db")); err != nil {
		t.Fatal(err)
	}
	ts2 := startServer(t, cp)
	c2 := ts2.client(t, 2)
	if v, _ := c2.Get(ctx, "k42").Result(); v != "v" {
		t.Fatalf("checkpoint k42 = %q", v)
	}
	if n, _ := c2.Exists(ctx, "after-save").Result(); n != 0 {
		t.Fatal("checkpoint holds a key written after the save")
	}
}

func TestSlowlog(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctx := context.Background()
	c := ts.client(t, 2)
	c.Do(ctx, "client", "setname", "slowpoke")
	if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	c.Do(ctx, "slowlog", "reset")
	long := strings.Repeat("x", 200)
	c.Set(ctx, "k", long, 0)
	entries, err := c.SlowLogGet(ctx, -1).Result()
	if err != nil || len(entries) < 1 {
		t.Fatalf("slowlog get: %v %v", entries, err)
	}
	var found bool
	for _, e := range entries {
		if len(e.Args) == 3 && e.Args[0] == "set" && e.Args[2] == strings.Repeat("x", 128)+"... (72 more bytes)" && e.ClientName == "slowpoke" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the SET is not in the slow log as Redis records it: %+v", entries)
	}
	if n, _ := c.Do(ctx, "slowlog", "len").Int(); n < 1 {
		t.Fatalf("slowlog len %d", n)
	}
	c.ConfigSet(ctx, "slowlog-log-slower-than", "-1")
	c.Do(ctx, "slowlog", "reset")
	c.Set(ctx, "k", "v", 0)
	if n, _ := c.Do(ctx, "slowlog", "len").Int(); n != 0 {
		t.Fatalf("slowlog disabled but len %d", n)
	}
	expectErr(t, c.Do(ctx, "slowlog", "get", "-2").Err(), "ERR count should be greater than or equal to -1")
}

func TestSwapDBPersists(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	ctx := context.Background()
	c := ts.client(t, 2)
	c.Set(ctx, "k", "zero", 0)
	if err := c.Do(ctx, "swapdb", "0", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(ctx, "k").Result(); n != 0 {
		t.Fatal("db 0 still holds the key after SWAPDB")
	}
	expectErr(t, c.Do(ctx, "swapdb", "x", "1").Err(), "ERR invalid first DB index")
	expectErr(t, c.Do(ctx, "swapdb", "0", "y").Err(), "ERR invalid second DB index")
	expectErr(t, c.Do(ctx, "swapdb", "0", "99").Err(), "ERR DB index is out of range")
	c.Close()
	ts.stop(t)
	ts2 := startServer(t, dir)
	c2 := redis.NewClient(&redis.Options{Addr: ts2.addr, DB: 1, DisableIdentity: true})
	defer c2.Close()
	if v, _ := c2.Get(ctx, "k").Result(); v != "zero" {
		t.Fatalf("db 1 after restart: %q", v)
	}
}
