package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
	"github.com/strata-db/strata/server/resp"
)

// client is one connection. Its fields are owned by the connection's
// goroutine, except those read by CLIENT LIST / KILL (atomics or set once),
// and while it waits in a combining slot (combine.go), when the holder
// that serves it uses its reader, reply writer, command cache, buffers,
// batch key and keyspace in its stead.
type client struct {
	coal            coalesced // coalesce.go
	s               *Server
	id              int64
	conn            net.Conn
	r               *resp.Reader
	w               *resp.Writer
	created         time.Time
	addr            string
	laddr           string
	db              int
	authed          bool
	proto           int
	name            atomic.Pointer[string]
	lastCmd         atomic.Pointer[command]
	lastInteraction atomic.Int64
	// closeAfterReply ends the connection once pending replies are flushed
	// (QUIT, protocol errors, CLIENT KILL of itself).
	closeAfterReply bool
	// cr is what r reads: the connection, plus bytes read while blocked.
	cr connReader
	// blocked is set while the client waits in a blocking command.
	blocked atomic.Bool

	// Transactions (cmd_multi.go).
	multi      bool        // between MULTI and EXEC/DISCARD
	multiErr   bool        // a command was refused while queuing
	queued     []queuedCmd // commands queued for EXEC
	watched    []watchedKey
	watchDirty atomic.Bool // a watched key was written (set by keyEvents)
	inExec     bool        // running EXEC's commands
	txks       *codec.Keyspace

	// async: output goes through out and its drain goroutine rather than
	// straight to conn (outbox.go). Set once, by the client's goroutine.
	async bool
	out   outbox
	subs  clientSubs
	// mem declares the client's buffers to jemallocprof (clientmem.go).
	mem clientMem

	// bufs is the scratch space of GET and SET (kdb): the connection runs
	// one command at a time and writes each reply before the next.
	bufs codec.Buffers
	// batch is the key batch of pipelined writes to one key (keybatch.go).
	batch keyBatch
	// comb is the client's place in a combining queue (combine.go).
	comb combineWait
	// cmds caches the last command looked up.
	cmds cmdCache

	// Replies wait for the WAL (flush): logPending is set by a command that
	// may have committed since the last flush, and logMark is the reply
	// buffer's length before its reply.
	logPending bool
	logMark    int
	logWaiter  lsm.LogWaiter
}

const protectedModeMessage = "DENIED Strata is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Strata you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Strata from the same host the server is running, however MAKE SURE Strata is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Strata configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

func (s *Server) limits() resp.Limits {
	return resp.Limits{
		MaxBulkLen:       s.cfg.Int("proto-max-bulk-len"),
		QueryBufferLimit: s.cfg.Int("client-query-buffer-limit"),
	}
}

func isLoopback(addr net.Addr) bool {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return addr.Network() == "unix"
}

// serveConn runs one client: read every buffered command, run them all,
// then flush the replies once.
func (s *Server) serveConn(conn net.Conn) {
	defer conn.Close()
	s.stats.connections.Add(1)
	c := &client{
		s: s, id: s.nextClientID.Add(1), conn: conn, created: time.Now(),
		addr: conn.RemoteAddr().String(), laddr: conn.LocalAddr().String(), proto: 2,
	}
	c.lastInteraction.Store(time.Now().UnixNano())
	c.mem.init()
	defer c.mem.release()
	c.w = resp.NewWriter(2)
	c.out.init(s, conn, c.addr)
	if s.cfg.Bool("protected-mode") && s.cfg.Get("requirepass") == "" && !isLoopback(conn.RemoteAddr()) {
		c.w.Error(protectedModeMessage)
		c.w.Flush(conn)
		s.stats.rejected.Add(1)
		return
	}
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return
	}
	if int64(len(s.mu.clients)) >= s.cfg.Int("maxclients") {
		s.mu.Unlock()
		c.w.Error(errMaxClients)
		c.w.Flush(conn)
		s.stats.rejected.Add(1)
		return
	}
	s.mu.clients[c.id] = c
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mu.clients, c.id)
		s.mu.Unlock()
		c.unwatchAll()
	}()
	defer func() {
		s.unsubscribeAll(c)
		c.out.close()
	}()
	c.authed = s.cfg.Get("requirepass") == ""
	c.cr.conn = conn
	c.cr.mem = &c.mem.pending
	c.r = resp.NewReader(&c.cr, s.limits())
	c.r.SetBufferHook(func(_, newCap int) { c.mem.query.set(newCap) })
	c.r.SetAuthRequired(!c.authed)
	defer c.endBatch() // commands run before the client went away take effect
	for {
		args, err := c.r.ReadCommand()
		if err != nil {
			c.endBatch()
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				// Reply with Redis's protocol error, then close as Redis does.
				c.w.Error(pe.Error())
				c.finalFlush()
				s.logger.Debug("protocol error", "client", c.addr, "err", err)
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logger.Debug("client read", "client", c.addr, "err", err)
			}
			return
		}
		// One clock reading per command: idle time, the slow log, and the
		// instant GET judges expiry at (codec.Buffers.SetNow).
		now := time.Now()
		c.lastInteraction.Store(now.UnixNano())
		c.bufs.SetNow(now.UnixMilli())
		s.dispatch(c, args, now)
		c.mem.reply.set(c.w.Cap())
		if c.closeAfterReply {
			c.endBatch()
			c.finalFlush()
			return
		}
		// Keep executing while complete commands are buffered; flush once
		// before the reader would block (HasCommand parses ahead). Replies
		// wait for the key batch's commit (keybatch.go).
		if more := c.r.HasCommand(); !more || c.w.Len() > 64<<10 {
			c.endBatch()
			if !more {
				// The end of a batch (not a flush of a large reply in
				// the middle of one): the workers setting's measure of
				// pipelining.
				s.stats.flushes.Add(1)
			}
			err := c.flush()
			c.mem.reply.set(c.w.Cap())
			if err != nil {
				return
			}
		} else {
			c.prefetchNext()
		}
	}
}

// prefetchNext hints the engine to start loading what the next buffered
// command reads first when that command is the one the client ran last (a
// pipeline of GETs, SETs, SADDs...): its element's data key if it names
// one (command.elemArg), else its key's metadata. Those loads, cache
// misses in a large memtable, then overlap the replying and parsing that
// come before the command reads. The command is recognised through the
// client's command cache only, so the hint costs no lookup; it changes
// nothing but timing. A pipeline of writes to one key (a key batch) hints
// only elements: its key's metadata is in the caches.
func (c *client) prefetchNext() {
	args, ok := c.r.Peek()
	if !ok {
		return
	}
	cmd := c.cmds.cached(args)
	if cmd == nil || cmd.firstKey != 1 || len(args) < 2 {
		return
	}
	if elem, ok := cmd.elem(args); ok && c.hintElement(args[1], elem) {
		return
	}
	// No element, or a key the client's last write did not open: its
	// metadata.
	if b := &c.batch; b.valid && b.db == c.db && string(b.key) == string(args[1]) {
		return // the key the last write read: its metadata is in the caches
	}
	if prefetchHinted != nil {
		prefetchHinted(args[1], nil)
	}
	c.kdb().Prefetch(args[1])
}

// hintElement hints the engine with the data key of elem in key if key is
// the complex key the client's last write opened (codec.DB.PrefetchElement),
// and reports whether it did.
func (c *client) hintElement(key, elem []byte) bool {
	if !c.kdb().PrefetchElement(key, elem) {
		return false
	}
	if prefetchHinted != nil {
		prefetchHinted(key, elem)
	}
	return true
}

// prefetchHinted is a test hook, nil outside tests: prefetchNext and
// hintElement call it with each key they hint (and the element, if any).
var prefetchHinted func(key, elem []byte)

// flush sends the buffered replies: in sync mode by writing them to the
// connection, in async mode by appending them to the outbox (outbox.go).
// A client switches to async mode here when its class has limits.
//
// Commits do not wait for their WAL write (engineStore.Commit), so before
// replies that may acknowledge a write go out, flush waits until everything
// committed so far is in the WAL: one wait, and usually one WAL write, for
// a whole pipeline. If the WAL failed, the replies from the first such
// command on are replaced by the error and the connection is closed after
// it (errLogFailed): the client never sees a write acknowledged that did
// not reach the log, and the engine has turned read-only.
func (c *client) flush() error {
	if c.logPending {
		c.logPending = false
		if err := c.s.db.WaitLogged(&c.logWaiter); err != nil {
			c.w.Truncate(c.logMark)
			c.replyErr(err)
			c.closeAfterReply = true
			if ferr := c.send(); ferr != nil {
				return ferr
			}
			return errLogFailed
		}
	}
	return c.send()
}

// errLogFailed ends a connection whose replies waited for a WAL write that
// failed.
var errLogFailed = errors.New("server: WAL write failed")

// needLog notes that the replies from here on may acknowledge writes that
// must reach the WAL before they are sent.
func (c *client) needLog() {
	if !c.logPending {
		c.logPending, c.logMark = true, c.w.Len()
		c.s.db.MarkLog(&c.logWaiter)
	}
}

// send is flush without the wait for the WAL.
func (c *client) send() error {
	if !c.async {
		if !c.s.outputLimits()[classNormal].enabled() {
			n := c.w.Len()
			err := c.w.Flush(c.conn)
			c.s.stats.netOutput.Add(int64(n))
			return err
		}
		c.async = true
	}
	err := c.out.appendReplies(c.w.Buffer(), c.proto, true)
	c.w.Reset()
	return err
}

// enqueueReplies appends the buffered replies of an async client to its
// outbox without waiting (pub/sub, to order them before messages). It must
// be called only between whole replies: a reply split across two appends
// (an EXEC array running SUBSCRIBE or PUBLISH) could get a message inside.
func (c *client) enqueueReplies() {
	if c.inExec {
		// EXEC's array is still being written: it is queued whole when
		// EXEC ends (a message published meanwhile may precede it).
		return
	}
	c.out.appendReplies(c.w.Buffer(), c.proto, false)
	c.w.Reset()
}

// finalFlush sends the buffered replies and, in async mode, waits until
// they are written, before the connection closes.
func (c *client) finalFlush() {
	if c.flush() == nil && c.async {
		c.out.seal()
		c.out.waitDrained()
	}
}

// dispatch runs one command, and adds the key lookups it counted (and
// those of commands run for the client by another: combine.go) to INFO's
// keyspace_hits and keyspace_misses.
func (s *Server) dispatch(c *client, args [][]byte, start time.Time) {
	s.runCommand(c, args, start)
	if hits, misses := c.bufs.TakeLookups(); hits|misses != 0 {
		s.stats.keyspaceHits.Add(hits)
		s.stats.keyspaceMiss.Add(misses)
	}
}

// runCommand runs one command (dispatch).
func (s *Server) runCommand(c *client, args [][]byte, start time.Time) {
	s.stats.commands.Add(1)
	cmd, errMsg := c.cmds.lookup(args)
	if errMsg != "" {
		c.leaveBatch()
		c.rejectCommand(args, errMsg)
		return
	}
	if !c.authed && cmd.flags&flagNoAuth == 0 {
		c.leaveBatch()
		c.multiErr = c.multi
		c.w.Error(errNoAuth)
		return
	}
	if c.async && c.proto == 2 && c.subs.subscribed() && !allowedWhileSubscribed(cmd) { // subscribers are async
		c.leaveBatch()
		c.w.Error(fmt.Sprintf(errSubscribedContext, cmd.fullName()))
		return
	}
	c.lastCmd.Store(cmd)
	if c.multi && !runsInMulti(cmd) {
		c.leaveBatch()
		c.queue(cmd, args)
		return
	}
	if cmd.coalesceKeys {
		var ran bool
		if ran, args = c.keyedRun(cmd, args, start); ran {
			s.serveReady()
			return
		}
	}
	bo := c.batchCommand(cmd, args)
	if bo == ranByHolder {
		return // and the slow log has it (combine.go)
	}
	if cmd.logged {
		c.needLog()
	}
	k, args := c.coalesce(cmd, args, bo)
	if k > 1 {
		cmd.coalesce(c, &c.coal)
		c.logCoalesced(start)
	} else {
		cmd.handler(c, args)
		s.slowlog.maybeAdd(s, c, args, time.Since(start))
	}
	c.coal.release()
	switch {
	case bo == alone:
		s.serveReady()
	case s.events.anyReady.Load():
		// Blocked clients are served after the command that readied a
		// key, once it is committed: end the batch (keybatch.go).
		c.endBatch()
	}
}

// rejectCommand replies to a command refused before it ran. Inside MULTI
// the refusal dooms the transaction, and a refused EXEC ends it at once
// with EXECABORT (even outside MULTI, and forgetting watched keys), as in
// Redis 7.
func (c *client) rejectCommand(args [][]byte, errMsg string) {
	if strings.EqualFold(string(args[0]), "exec") {
		c.discardMulti()
		c.w.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(errMsg, "ERR "))
		return
	}
	c.multiErr = c.multi
	c.w.Error(errMsg)
}

// replyErr writes err as an error reply, mapping engine and codec errors
// to Redis's wording.
func (c *client) replyErr(err error) {
	c.w.Error(errorReply(err))
}

// clientInfo is one line of CLIENT LIST / CLIENT INFO.
func (c *client) info() string {
	name := ""
	if p := c.name.Load(); p != nil {
		name = *p
	}
	cmd := "NULL"
	if p := c.lastCmd.Load(); p != nil {
		cmd = p.fullName()
	}
	flags := "N"
	if c.subs.subscribed() {
		flags = "P"
	}
	now := time.Now()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%d tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d",
		c.id, c.addr, c.laddr, name, int(now.Sub(c.created).Seconds()),
		int(now.Sub(time.Unix(0, c.lastInteraction.Load())).Seconds()), flags, c.db,
		c.subs.counts[subChannel].Load(), c.subs.counts[subPattern].Load(), c.subs.counts[subShard].Load(),
		c.out.pending(), strings.ToLower(cmd), c.proto)
}
