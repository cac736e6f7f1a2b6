package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SLOWLOG: commands slower than slowlog-log-slower-than microseconds, the
// newest first, at most slowlog-max-len of them, in Redis's entry format.

func init() {
	register(&command{name: "slowlog", arity: -2, group: "server", summary: "A container for slow log commands.", subs: map[string]*command{
		"get":   {name: "get", arity: -2, flags: flagAdmin, summary: "Returns the slow log's entries.", handler: cmdSlowlogGet},
		"len":   {name: "len", arity: 2, flags: flagAdmin, summary: "Returns the number of entries in the slow log.", handler: cmdSlowlogLen},
		"reset": {name: "reset", arity: 2, flags: flagAdmin, summary: "Clears all entries from the slow log.", handler: cmdSlowlogReset},
		"help":  {name: "help", arity: 2, summary: "Show helpful text about the different subcommands.", handler: cmdSlowlogHelp},
	}})
}

const (
	slowlogMaxArgc   = 32  // arguments kept per entry (Redis's SLOWLOG_ENTRY_MAX_ARGC)
	slowlogMaxString = 128 // bytes kept per argument (SLOWLOG_ENTRY_MAX_STRING)
)

type slowlogEntry struct {
	id         int64
	at         int64 // Unix seconds
	micros     int64
	args       []string
	addr, name string
}

type slowlog struct {
	// threshold is slowlog-log-slower-than in microseconds (-1: off), kept
	// here so that the check after every command reads no configuration.
	threshold atomic.Int64
	mu        sync.Mutex
	entries   []slowlogEntry // newest first
	nextID    int64
}

func (l *slowlog) maybeAdd(s *Server, c *client, args [][]byte, d time.Duration) {
	threshold := l.threshold.Load()
	if threshold < 0 || d.Microseconds() < threshold {
		return
	}
	e := slowlogEntry{at: time.Now().Unix(), micros: d.Microseconds(), addr: c.addr}
	if p := c.name.Load(); p != nil {
		e.name = *p
	}
	n := min(len(args), slowlogMaxArgc)
	for i := 0; i < n; i++ {
		a := args[i]
		if i == slowlogMaxArgc-1 && len(args) > slowlogMaxArgc {
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-slowlogMaxArgc+1))
			break
		}
		if len(a) > slowlogMaxString {
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxString], len(a)-slowlogMaxString))
			continue
		}
		e.args = append(e.args, string(a)) // copy: args alias the read buffer
	}
	max := int(s.cfg.Int("slowlog-max-len"))
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowlogEntry{e}, l.entries...)
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
	l.mu.Unlock()
}

func cmdSlowlogGet(c *client, args [][]byte) {
	count := 10
	if len(args) > 3 {
		// Redis 7.0's wording for SLOWLOG GET with too many arguments.
		c.w.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try SLOWLOG HELP.", truncate(string(args[1]), 128)))
		return
	}
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < -1 {
			c.w.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = int(n)
		if n == -1 {
			count = 1 << 30
		}
	}
	l := &c.s.slowlog
	l.mu.Lock()
	entries := l.entries[:min(count, len(l.entries))]
	entries = append([]slowlogEntry(nil), entries...)
	l.mu.Unlock()
	c.w.ArrayHeader(len(entries))
	for _, e := range entries {
		c.w.ArrayHeader(6)
		c.w.Integer(e.id)
		c.w.Integer(e.at)
		c.w.Integer(e.micros)
		c.w.ArrayHeader(len(e.args))
		for _, a := range e.args {
			c.w.BulkString(a)
		}
		c.w.BulkString(e.addr)
		c.w.BulkString(e.name)
	}
}

func cmdSlowlogLen(c *client, args [][]byte) {
	c.s.slowlog.mu.Lock()
	n := len(c.s.slowlog.entries)
	c.s.slowlog.mu.Unlock()
	c.w.Integer(int64(n))
}

func cmdSlowlogReset(c *client, args [][]byte) {
	c.s.slowlog.mu.Lock()
	c.s.slowlog.entries = nil
	c.s.slowlog.mu.Unlock()
	c.w.SimpleString("OK")
}

func cmdSlowlogHelp(c *client, args [][]byte) {
	replyHelp(c, "SLOWLOG", strings.Split(strings.TrimSpace(`GET [<count>]
    Return top <count> entries from the slowlog (default: 10, -1 mean all).
    Entries are made of:
    id, timestamp, time in microseconds, arguments array, client IP and port,
    client name
LEN
    Return the length of the slowlog.
RESET
    Reset the slowlog.`), "\n"))
}
