package server

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Connection and server administration commands.

func init() {
	register(
		&command{name: "ping", arity: -1, flags: flagFast, group: "connection", summary: "Returns the server's liveliness response.", handler: cmdPing},
		&command{name: "echo", arity: 2, flags: flagFast, group: "connection", summary: "Returns the given string.", handler: cmdEcho},
		&command{name: "quit", arity: -1, flags: flagNoAuth | flagFast, group: "connection", summary: "Closes the connection.", handler: cmdQuit},
		&command{name: "select", arity: 2, flags: flagFast, group: "connection", summary: "Changes the selected database.", handler: cmdSelect},
		&command{name: "auth", arity: -2, flags: flagNoAuth | flagFast, group: "connection", summary: "Authenticates the connection.", handler: cmdAuth},
		&command{name: "hello", arity: -1, flags: flagNoAuth | flagFast, group: "connection", summary: "Handshakes with the server.", handler: cmdHello},
		&command{name: "reset", arity: 1, flags: flagNoAuth | flagFast, group: "connection", summary: "Resets the connection.", handler: cmdReset},
		&command{name: "time", arity: 1, flags: flagFast, group: "server", summary: "Returns the server time.", handler: cmdTime},
		&command{name: "lastsave", arity: 1, flags: flagFast, group: "server", summary: "Returns the Unix timestamp of the last successful save to disk.", handler: cmdLastSave},
		&command{name: "flushmemtable", arity: -1, flags: flagAdmin | flagWrite, group: "server", summary: "Flushes the engine's memtables to disk, making every earlier write durable.", handler: cmdFlushMemtable},
		&command{name: "shutdown", arity: -1, flags: flagAdmin | flagNoAuth, group: "server", summary: "Synchronously saves the database(s) to disk and shuts down the server.", handler: cmdShutdown},
		&command{name: "config", arity: -2, group: "server", summary: "A container for server configuration commands.", subs: map[string]*command{
			"get":       {name: "get", arity: -3, flags: flagAdmin, summary: "Returns the effective values of configuration parameters.", handler: cmdConfigGet},
			"set":       {name: "set", arity: -4, flags: flagAdmin, summary: "Sets configuration parameters in-flight.", handler: cmdConfigSet},
			"rewrite":   {name: "rewrite", arity: 2, flags: flagAdmin, summary: "Persists the effective configuration to file.", handler: cmdConfigRewrite},
			"resetstat": {name: "resetstat", arity: 2, flags: flagAdmin, summary: "Resets the server's statistics.", handler: cmdConfigResetStat},
			"help":      {name: "help", arity: 2, summary: "Returns helpful text about the different subcommands.", handler: cmdConfigHelp},
		}},
		&command{name: "client", arity: -2, group: "connection", summary: "A container for client connection commands.", subs: map[string]*command{
			"id":      {name: "id", arity: 2, summary: "Returns the unique client ID of the connection.", handler: cmdClientID},
			"setname": {name: "setname", arity: 3, summary: "Sets the connection name.", handler: cmdClientSetName},
			"getname": {name: "getname", arity: 2, summary: "Returns the name of the connection.", handler: cmdClientGetName},
			"list":    {name: "list", arity: -2, flags: flagAdmin, summary: "Lists open connections.", handler: cmdClientList},
			"info":    {name: "info", arity: 2, summary: "Returns information about the connection.", handler: cmdClientInfo},
			"kill":    {name: "kill", arity: -3, flags: flagAdmin, summary: "Terminates open connections.", handler: cmdClientKill},
			"help":    {name: "help", arity: 2, summary: "Returns helpful text about the different subcommands.", handler: cmdClientHelp},
		}},
	)
}

func cmdPing(c *client, args [][]byte) {
	if len(args) <= 2 && c.async && c.proto == 2 && c.subs.subscribed() {
		pingSubscribed(c, args)
		return
	}
	switch len(args) {
	case 1:
		c.w.SimpleString("PONG")
	case 2:
		c.w.Bulk(args[1])
	default:
		c.w.Error(fmt.Sprintf(errWrongArity, "ping"))
	}
}

func cmdEcho(c *client, args [][]byte) { c.w.Bulk(args[1]) }

func cmdQuit(c *client, args [][]byte) {
	c.w.SimpleString("OK")
	c.closeAfterReply = true
}

func cmdSelect(c *client, args [][]byte) {
	// getIntFromObjectOrReply: an integer, then within a C int.
	n, ok := parseInt(args[1])
	if !ok {
		c.w.Error(errNotInteger)
		return
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.w.Error(fmt.Sprintf("ERR value is out of range, value must between %d and %d", math.MinInt32, math.MaxInt32))
		return
	}
	if n < 0 || n >= c.s.cfg.Int("databases") {
		c.w.Error(errDBIndex)
		return
	}
	c.db = int(n)
	c.w.SimpleString("OK")
}

// checkPassword compares in constant time.
func (s *Server) checkPassword(user, pass string) bool {
	want := s.cfg.Get("requirepass")
	if user != "default" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1
}

func cmdAuth(c *client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	user, pass := "default", string(args[1])
	if len(args) == 3 {
		user, pass = string(args[1]), string(args[2])
	}
	if c.s.cfg.Get("requirepass") == "" && len(args) == 2 {
		c.w.Error(errAuthNotSet)
		return
	}
	if !c.s.checkPassword(user, pass) {
		c.w.Error(errWrongPass)
		return
	}
	c.authed = true
	c.r.SetAuthRequired(false)
	c.w.SimpleString("OK")
}

// cmdHello implements HELLO [protover [AUTH username password] [SETNAME clientname]].
func cmdHello(c *client, args [][]byte) {
	proto := c.proto
	if len(args) >= 2 {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			c.w.Error(errNoProto)
			return
		}
		proto = int(v)
	}
	var setName *string
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && i+2 < len(args):
			if !c.s.checkPassword(string(args[i+1]), string(args[i+2])) {
				c.w.Error(errWrongPass)
				return
			}
			c.authed = true
			c.r.SetAuthRequired(false)
			i += 2
		case opt == "setname" && i+1 < len(args):
			name := string(args[i+1])
			if !validClientName(name) {
				c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			setName = &name
			i++
		default:
			c.w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if !c.authed {
		c.w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName != nil {
		c.name.Store(setName)
	}
	c.proto = proto
	c.w.SetProtocol(proto)
	c.w.MapHeader(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(redisVersion)
	c.w.BulkString("proto")
	c.w.Integer(int64(proto))
	c.w.BulkString("id")
	c.w.Integer(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.ArrayHeader(0)
}

func cmdReset(c *client, args [][]byte) {
	c.discardMulti()
	c.s.unsubscribeAll(c)
	c.db = 0
	c.proto = 2
	c.w.SetProtocol(2)
	c.name.Store(nil)
	c.authed = c.s.cfg.Get("requirepass") == ""
	c.r.SetAuthRequired(!c.authed)
	c.w.SimpleString("RESET")
}

func cmdTime(c *client, args [][]byte) {
	now := time.Now()
	c.w.ArrayHeader(2)
	c.w.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdLastSave(c *client, args [][]byte) { c.w.Integer(c.s.lastSave.Load()) }

// cmdFlushMemtable implements FLUSHMEMTABLE [ASYNC] (Kvrocks' command):
// the memtables are written to tables, so every earlier write survives a
// crash even with the WAL disabled. ASYNC replies at once.
func cmdFlushMemtable(c *client, args [][]byte) {
	if len(args) > 2 {
		c.w.Error(fmt.Sprintf(errWrongArity, "flushmemtable"))
		return
	}
	async := false
	if len(args) == 2 {
		if !strings.EqualFold(string(args[1]), "async") {
			c.w.Error(errSyntax)
			return
		}
		async = true
	}
	if async {
		if _, err := c.s.db.AsyncFlush(); err != nil {
			c.w.Error(fmt.Sprintf(errFlushMemtable, err))
			return
		}
		c.w.SimpleString("OK")
		return
	}
	if err := c.s.db.Flush(); err != nil {
		c.w.Error(fmt.Sprintf(errFlushMemtable, err))
		return
	}
	c.s.lastSave.Store(time.Now().Unix())
	c.w.SimpleString("OK")
}

// cmdShutdown implements SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The
// engine always closes cleanly (which flushes with the WAL disabled);
// NOSAVE skips that flush in WAL-disabled mode, as Redis skips its RDB.
func cmdShutdown(c *client, args [][]byte) {
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave", "save", "now", "force":
		case "abort":
			c.w.Error("ERR No shutdown in progress.")
			return
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if !c.authed {
		c.w.Error(errNoAuth)
		return
	}
	c.s.logger.Info("User requested shutdown...")
	c.closeAfterReply = true
	go c.s.Shutdown()
}

func cmdConfigGet(c *client, args [][]byte) {
	pats := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		pats = append(pats, string(a))
	}
	kv := c.s.cfg.ConfigGet(pats)
	c.w.MapHeader(len(kv) / 2)
	for _, s := range kv {
		c.w.BulkString(s)
	}
}

func cmdConfigSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.Error(fmt.Sprintf(errWrongArity, "config|set"))
		return
	}
	pairs := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		pairs = append(pairs, string(a))
	}
	changed, msg := c.s.cfg.ConfigSet(pairs)
	if msg != "" {
		c.w.Error(msg)
		return
	}
	c.s.configChanged(changed)
	c.w.SimpleString("OK")
}

// configChanged is called after CONFIG SET changed settings: it applies
// those the server keeps a parsed copy of and the engine's budgets.
func (s *Server) configChanged(names []string) {
	for _, n := range names {
		switch n {
		case "client-output-buffer-limit":
			s.loadOutputLimits()
		case "slowlog-log-slower-than":
			s.slowlog.threshold.Store(s.cfg.Int(n))
		case "block-cache-size":
			// The engine always has a cache (see Open): this cannot fail
			// for a validated size.
			if err := s.db.SetBlockCacheSize(s.cfg.Int(n)); err != nil {
				s.logger.Error("resizing the block cache", "err", err)
			}
		case "memtable-size":
			if err := s.db.SetMemTableSize(int(s.cfg.Int(n))); err != nil {
				s.logger.Error("setting the memtable size", "err", err)
			}
		case "workers":
			s.workers.set(s.cfg.Int(n), false)
		}
	}
}

func cmdConfigRewrite(c *client, args [][]byte) {
	if err := c.s.cfg.Rewrite(); err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	c.w.SimpleString("OK")
}

func cmdConfigResetStat(c *client, args [][]byte) {
	st := &c.s.stats
	for _, v := range []interface{ Store(int64) }{&st.connections, &st.commands, &st.rejected, &st.expiredKeys,
		&st.netInput, &st.netOutput, &st.keyspaceHits, &st.keyspaceMiss} {
		v.Store(0)
	}
	c.w.SimpleString("OK")
}

func replyHelp(c *client, cmd string, lines []string) {
	c.w.ArrayHeader(len(lines) + 3) // the heading, the lines, HELP and its line
	c.w.SimpleString(fmt.Sprintf("%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd))
	for _, l := range lines {
		c.w.SimpleString(l)
	}
	c.w.SimpleString("HELP")
	c.w.SimpleString("    Prints this help.")
}

func cmdConfigHelp(c *client, args [][]byte) {
	replyHelp(c, "CONFIG", []string{
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"RESETSTAT", "    Reset statistics reported by the INFO command.",
		"REWRITE", "    Rewrite the configuration file.",
	})
}

func cmdClientID(c *client, args [][]byte) { c.w.Integer(c.id) }

func validClientName(name string) bool {
	for _, r := range name {
		if r < '!' || r > '~' {
			return false
		}
	}
	return true
}

func cmdClientSetName(c *client, args [][]byte) {
	name := string(args[2])
	if !validClientName(name) {
		c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	if name == "" {
		c.name.Store(nil)
	} else {
		c.name.Store(&name)
	}
	c.w.SimpleString("OK")
}

func cmdClientGetName(c *client, args [][]byte) {
	if p := c.name.Load(); p != nil {
		c.w.BulkString(*p)
		return
	}
	c.w.Null()
}

func (s *Server) clientsByID() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client, 0, len(s.mu.clients))
	for _, c := range s.mu.clients {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *client) int { return cmp.Compare(a.id, b.id) })
	return out
}

func cmdClientList(c *client, args [][]byte) {
	var filter map[int64]bool
	if len(args) > 2 {
		if len(args) < 4 || !strings.EqualFold(string(args[2]), "id") {
			c.w.Error(errSyntax)
			return
		}
		filter = map[int64]bool{}
		for _, a := range args[3:] {
			id, err := strconv.ParseInt(string(a), 10, 64)
			if err != nil || id <= 0 {
				c.w.Error("ERR Invalid client ID")
				return
			}
			filter[id] = true
		}
	}
	var b strings.Builder
	for _, cl := range c.s.clientsByID() {
		if filter != nil && !filter[cl.id] {
			continue
		}
		b.WriteString(cl.info())
		b.WriteByte('\n')
	}
	c.w.Verbatim("txt", []byte(b.String()))
}

func cmdClientInfo(c *client, args [][]byte) { c.w.Verbatim("txt", []byte(c.info()+"\n")) }

// cmdClientKill implements CLIENT KILL addr and CLIENT KILL <filter> <value> ...
// with the ID, ADDR, LADDR and SKIPME filters.
func cmdClientKill(c *client, args [][]byte) {
	if len(args) == 3 {
		addr := string(args[2])
		for _, cl := range c.s.clientsByID() {
			if cl.addr == addr {
				c.s.killClient(c, cl)
				c.w.SimpleString("OK")
				return
			}
		}
		c.w.Error("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.w.Error(errSyntax)
		return
	}
	var id int64
	var addr, laddr string
	skipMe := true
	for i := 2; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				c.w.Error("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.w.Error(errSyntax)
				return
			}
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	killed := 0
	for _, cl := range c.s.clientsByID() {
		if (id != 0 && cl.id != id) || (addr != "" && cl.addr != addr) || (laddr != "" && cl.laddr != laddr) {
			continue
		}
		if cl == c && skipMe {
			continue
		}
		c.s.killClient(c, cl)
		killed++
	}
	c.w.Integer(int64(killed))
}

// killClient closes cl; when cl is the caller, after its reply.
func (s *Server) killClient(self, cl *client) {
	if cl == self {
		self.closeAfterReply = true
		return
	}
	cl.conn.Close()
}

func cmdClientHelp(c *client, args [][]byte) {
	replyHelp(c, "CLIENT", []string{
		"ID", "    Return the ID of the current connection.",
		"GETNAME", "    Return the name of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, ADDR, LADDR, SKIPME.",
		"LIST [ID <id> [<id> ...]]", "    Return information about client connections.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
	})
}
