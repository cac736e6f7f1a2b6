package server

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestConnectionCommands(t *testing.T) {
	ts := startServer(t, t.TempDir())
	ctx := context.Background()
	c := ts.client(t, 2)

	// CLIENT KILL ID closes another client; SKIPME spares the caller.
	victim := dialRaw(t, ts.addr)
	vid := victim.mustDo(t, "CLIENT", "ID").Int
	if n, err := c.Do(ctx, "client", "kill", "id", vid).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID: %d %v", n, err)
	}
	if _, err := victim.do("PING"); err == nil {
		t.Fatal("killed client still answers")
	}
	expectErr(t, c.Do(ctx, "client", "kill", "1.2.3.4:5").Err(), "ERR No such client")
	expectErr(t, c.Do(ctx, "client", "kill", "id", "0").Err(), "ERR client-id should be greater than 0")

	// HELLO 3 with SETNAME, then RESET back to RESP2 and no name.
	raw := dialRaw(t, ts.addr)
	if v := raw.mustDo(t, "HELLO", "3", "SETNAME", "hello-client"); len(v.Elems) != 14 {
		t.Fatalf("HELLO 3 reply: %s", v)
	}
	if v := raw.mustDo(t, "CLIENT", "GETNAME"); v.Str != "hello-client" {
		t.Fatalf("name after HELLO SETNAME: %s", v)
	}
	if v := raw.mustDo(t, "RESET"); v.Str != "RESET" {
		t.Fatalf("RESET: %s", v)
	}
	if v := raw.mustDo(t, "CLIENT", "GETNAME"); !v.Nil {
		t.Fatalf("name after RESET: %s", v)
	}

	// COMMAND INFO, DOCS and LIST describe the table.
	info, err := c.Do(ctx, "command", "info", "get", "nosuch").Slice()
	if err != nil || len(info) != 2 || info[1] != nil {
		t.Fatalf("COMMAND INFO: %v %v", info, err)
	}
	if e := info[0].([]any); e[0] != "get" || e[1] != int64(2) || e[3] != int64(1) {
		t.Fatalf("COMMAND INFO get: %v", e)
	}
	docs, err := c.Do(ctx, "command", "docs", "set").Slice()
	if err != nil || len(docs) != 2 || docs[0] != "set" {
		t.Fatalf("COMMAND DOCS: %v %v", docs, err)
	}
	list, err := c.Do(ctx, "command", "list", "filterby", "pattern", "get*").StringSlice()
	if err != nil || !slices.Contains(list, "getrange") || slices.Contains(list, "set") {
		t.Fatalf("COMMAND LIST FILTERBY: %v %v", list, err)
	}

	// maxclients refuses the connection over the limit with Redis's error.
	c.ConfigSet(ctx, "maxclients", "3")
	a, b := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
	a.mustDo(t, "PING")
	b.mustDo(t, "PING")
	over := dialRaw(t, ts.addr)
	if v, err := over.do("PING"); err == nil && v.Str != "ERR max number of clients reached" {
		t.Fatalf("client over maxclients: %s", v)
	}
	c.ConfigSet(ctx, "maxclients", "10000")

	// timeout closes an idle client; an active one stays.
	c.ConfigSet(ctx, "timeout", "1")
	idle := dialRaw(t, ts.addr)
	idle.mustDo(t, "PING")
	// Send nothing more: the server must close the connection (EOF).
	idle.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := idle.br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("idle client not closed by timeout: %v", err)
	}
	c.ConfigSet(ctx, "timeout", "0")

	// SHUTDOWN stops the server.
	s2 := redis.NewClient(&redis.Options{Addr: ts.addr, DisableIdentity: true})
	defer s2.Close()
	s2.Do(ctx, "shutdown")
	if err := <-ts.done; err != nil {
		t.Fatalf("serve after SHUTDOWN: %v", err)
	}
	ts.s = nil
}
