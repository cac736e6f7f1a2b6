package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// Server is a running Strata server: the engine, the keyspace on it, and
// the client connections.
type Server struct {
	cfg    *Config
	logger *slog.Logger
	db     *lsm.DB
	ks     *codec.Keyspace
	// events receives the keyspace's modified keys (WATCH, blocked clients);
	// serveMu serialises the serving of blocked clients (blocking.go).
	events  *keyEvents
	serveMu sync.Mutex
	// comb queues the clients waiting for a key batch's stripe
	// (combine.go).
	comb combiner

	listeners []net.Listener
	// status is the HTTP status server, nil when status-addr is empty.
	status *statusServer
	start  time.Time
	runID  string

	mu struct {
		sync.Mutex
		clients map[int64]*client
		closed  bool
	}
	nextClientID atomic.Int64
	stats        struct {
		connections atomic.Int64
		commands    atomic.Int64
		rejected    atomic.Int64
		expiredKeys atomic.Int64
		netInput    atomic.Int64
		netOutput   atomic.Int64
		// flushes counts the writes of replies to a client's batch of
		// commands (the workers setting's measure of pipelining).
		flushes      atomic.Int64
		keyspaceHits atomic.Int64
		keyspaceMiss atomic.Int64
		// outputLimitKills counts clients closed for their output
		// buffer limit (Redis 7.0's INFO has no field for it).
		outputLimitKills atomic.Int64
	}
	// obLimits is the parsed client-output-buffer-limit (outlimit.go).
	obLimits atomic.Pointer[outputLimits]
	pubsub   pubsub
	slowlog  slowlog
	workers  workers // workers.go
	lastSave atomic.Int64
	// saving is set while SAVE or BGSAVE writes a checkpoint.
	saving     atomic.Bool
	lastSaveOK atomic.Bool

	// memStartup is used_memory once the engine had opened; memPeak the
	// highest used_memory seen (memstats.go).
	memStartup int64
	memPeak    atomic.Int64

	shutdownOnce sync.Once
	shutdownCh   chan struct{}
	wg           sync.WaitGroup
}

// Open opens the engine in the configured directory and prepares the
// server; Serve starts accepting clients.
func Open(cfg *Config, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, logger: logger, start: time.Now(), shutdownCh: make(chan struct{})}
	s.mu.clients = make(map[int64]*client)
	s.runID = newRunID()
	s.loadOutputLimits()
	s.slowlog.threshold.Store(cfg.Int("slowlog-log-slower-than"))
	s.workers.syncEach = cfg.Bool("appendonly") && cfg.Get("appendfsync") == "always"
	s.workers.set(cfg.Int("workers"), true)
	s.pubsub.init()
	opts := &lsm.Options{
		MemTableSize:   int(cfg.Int("memtable-size")),
		BlockCacheSize: cfg.Int("block-cache-size"),
		Logger:         logger,
		FS:             cfg.engineFS, // nil: the OS filesystem
		// Compactions drop expired strings: the in-engine half of expiry.
		CompactionFilter:      codec.CompactionDropFunc(func() int64 { return time.Now().UnixMilli() }),
		CompactionFilterScope: codec.CompactionScope,
		SplitOutput:           codec.SplitTables,
		// Clients read what they wrote last: cache it as it is flushed.
		CacheFlushedBlocks:   true,
		CacheCompactedBlocks: true,
	}
	bottom, err := lsm.ParseCompression(cfg.Get("bottommost-compression"))
	if err != nil {
		return nil, err
	}
	opts.BottommostCompression = bottom
	// A zero budget still opens a cache (emptied below), so CONFIG SET
	// block-cache-size can grow it at run time.
	zeroCache := opts.BlockCacheSize == 0
	if zeroCache {
		opts.BlockCacheSize = 1
	}
	if cfg.Bool("appendonly") {
		mode, err := lsm.ParseWALMode(cfg.Get("appendfsync"))
		if err != nil {
			return nil, err
		}
		opts.WALMode = mode
	} else {
		opts.WALMode = lsm.WALDisabled
	}
	dir := filepath.Join(cfg.Get("dir"), "db")
	db, err := lsm.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	s.db = db
	if zeroCache {
		if err := db.SetBlockCacheSize(0); err != nil {
			db.Close()
			return nil, err
		}
	}
	s.events = newKeyEvents()
	// Open counts every database's keys: a read of the whole keyspace's
	// metadata and expiry index, once, so that DBSIZE and INFO are O(1).
	s.ks, err = codec.Open(engineStore{db}, &codec.Options{MaxStringLen: cfg.Int("proto-max-bulk-len"), Notifier: s.events})
	if err != nil {
		db.Close()
		return nil, err
	}
	s.lastSave.Store(time.Now().Unix())
	s.lastSaveOK.Store(true)
	s.memStartup = usedMemory()
	s.notePeak(s.memStartup)
	return s, nil
}

// Listen binds the configured addresses. Port 0 picks a free port (tests).
func (s *Server) Listen() error {
	port := s.cfg.Get("port")
	for _, host := range strings.Fields(s.cfg.Get("bind")) {
		host = strings.TrimPrefix(host, "-")
		ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			for _, l := range s.listeners {
				l.Close()
			}
			return fmt.Errorf("listening on %s:%s: %w", host, port, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if len(s.listeners) == 0 {
		return errors.New("no bind address configured")
	}
	if err := s.listenStatus(); err != nil {
		for _, l := range s.listeners {
			l.Close()
		}
		s.listeners = nil
		return err
	}
	return nil
}

// Addr returns the first listener's address.
func (s *Server) Addr() net.Addr { return s.listeners[0].Addr() }

// Engine returns the storage engine, for tools and benchmarks that run a
// server in process and inspect what the engine holds (bench/gcbench).
func (s *Server) Engine() *lsm.DB { return s.db }

// Serve accepts clients until Shutdown; it returns after every connection
// and background task has ended and the engine is closed.
func (s *Server) Serve() error {
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	s.wg.Add(2)
	go s.cronLoop()
	go s.workersLoop()
	s.serveStatus()
	<-s.shutdownCh
	s.stopStatus()
	s.wg.Wait()
	return s.db.Close()
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.shutdownCh:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, an aborted connection and the like
			// pass: log, back off a little and keep accepting, as Redis
			// does, rather than stop serving new clients.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger.Warn("accept", "err", err, "retry_in", backoff)
			select {
			case <-s.shutdownCh:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(conn)
		}()
	}
}

// Shutdown stops accepting clients, closes every connection and lets Serve
// close the engine (which flushes according to the WAL mode).
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		close(s.shutdownCh)
		for _, ln := range s.listeners {
			ln.Close()
		}
		s.mu.Lock()
		s.mu.closed = true
		for _, c := range s.mu.clients {
			c.conn.Close()
		}
		s.mu.Unlock()
	})
}

// Run opens, listens and serves until ctx is cancelled or SHUTDOWN.
func Run(ctx context.Context, cfg *Config, logger *slog.Logger) error {
	s, err := Open(cfg, logger)
	if err != nil {
		return err
	}
	if err := s.Listen(); err != nil {
		s.db.Close()
		return err
	}
	logger.Info("Strata ready to accept connections", "addr", s.Addr().String(), "dir", cfg.Get("dir"),
		"appendonly", cfg.Get("appendonly"), "appendfsync", cfg.Get("appendfsync"))
	if a := s.StatusAddr(); a != nil {
		logger.Info("status server listening", "addr", a.String())
	}
	go func() {
		select {
		case <-ctx.Done():
			s.Shutdown()
		case <-s.shutdownCh:
		}
	}()
	return s.Serve()
}

// Active expiry budget: each 100 ms tick deletes due keys in rounds of
// expireRound until none is due or expireBudget has passed (a quarter of
// the tick, like Redis's slow cycle), so a wave of keys expiring together
// is deleted at thousands per second without starving clients.
const (
	expireRound  = 200
	expireBudget = 25 * time.Millisecond
)

func (s *Server) activeExpire(now time.Time) {
	deadline := time.Now().Add(expireBudget)
	for {
		n, examined, err := s.ks.ExpireRound(now, expireRound)
		s.stats.expiredKeys.Add(int64(n))
		if err != nil {
			s.logger.Warn("active expiry", "err", err)
			return
		}
		if examined < expireRound || time.Now().After(deadline) {
			return
		}
	}
}

// cronLoop runs periodic work: active expiry and idle-client timeouts.
func (s *Server) cronLoop() {
	defer s.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-s.shutdownCh:
			return
		case now := <-t.C:
			s.activeExpire(now)
			s.closeIdleClients(now)
			if tick%10 == 0 {
				s.notePeak(usedMemory()) // used_memory_peak, sampled each second
			}
		}
	}
}

func (s *Server) closeIdleClients(now time.Time) {
	timeout := s.cfg.Int("timeout")
	if timeout <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.mu.clients {
		if c.blocked.Load() || c.subs.subscribed() {
			continue // blocked clients have their own timeout; subscribers wait for messages (as in Redis)
		}
		if now.Sub(time.Unix(0, c.lastInteraction.Load())) > time.Duration(timeout)*time.Second {
			c.conn.Close()
		}
	}
}

func newRunID() string {
	var b strings.Builder
	seed := uint64(time.Now().UnixNano())
	for i := 0; i < 40; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		b.WriteString(strconv.FormatUint((seed>>60)&0xf, 16))
	}
	return b.String()
}
