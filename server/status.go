package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The HTTP status server (status-addr; off when empty).
//
//	/debug/pprof/*  the Go runtime's profiles (net/http/pprof's handlers on
//	                our own mux, never http.DefaultServeMux)
//	/metrics        Prometheus text format (metrics.go)
//	/healthz        200 "ok" while serving with a writable engine; 503 and
//	                the engine's error once a background error has made it
//	                read-only
//
// It listens on a loopback address unless requirepass is set: start-up
// fails otherwise. With requirepass set every request must carry the
// password, as HTTP basic auth (user "default" or empty) or as
// "Authorization: Bearer <password>"; the password is read at each request,
// so CONFIG SET requirepass applies at once, and a non-loopback status
// server whose password is later cleared answers 403 to everything.

// statusServer is the running HTTP status server.
type statusServer struct {
	http     *http.Server
	ln       net.Listener
	loopback bool
}

// errStatusNotLoopback refuses a public status server without a password.
var errStatusNotLoopback = errors.New("status server: refusing a non-loopback status-addr without requirepass")

// listenStatus binds status-addr, if set. It fails for an address that is
// not loopback while requirepass is empty.
func (s *Server) listenStatus() error {
	addr := s.cfg.Get("status-addr")
	if addr == "" {
		return nil
	}
	loopback, err := loopbackAddr(addr)
	if err != nil {
		return fmt.Errorf("status-addr %q: %w", addr, err)
	}
	if !loopback && s.cfg.Get("requirepass") == "" {
		return fmt.Errorf("%w: %s is not a loopback address; set requirepass, or bind it to 127.0.0.1 or ::1", errStatusNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("status server: listening on %s: %w", addr, err)
	}
	s.status = &statusServer{ln: ln, loopback: loopback}
	s.status.http = &http.Server{
		Handler:           s.statusHandler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return nil
}

// loopbackAddr reports whether every address host:port resolves to is a
// loopback one. An empty or unspecified host (all interfaces) is not.
func loopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "" {
		return false, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return false, err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false, nil
		}
	}
	return len(ips) > 0, nil
}

// StatusAddr returns the status server's address, or nil when it is off.
func (s *Server) StatusAddr() net.Addr {
	if s.status == nil {
		return nil
	}
	return s.status.ln.Addr()
}

func (s *Server) statusHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/metrics", promhttp.HandlerFor(newMetricsRegistry(s), promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("/healthz", s.healthz)
	return s.statusAuth(mux)
}

// statusAuth checks the password when requirepass is set.
func (s *Server) statusAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := s.cfg.Get("requirepass")
		if want == "" {
			if !s.status.loopback {
				http.Error(w, "forbidden: the status server is not on loopback and requirepass is empty", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if statusPassword(r, want) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="strata", charset="UTF-8"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}

// statusPassword reports whether r carries want, as basic auth or a
// bearer token, comparing in constant time.
func statusPassword(r *http.Request, want string) bool {
	var got string
	if user, pass, ok := r.BasicAuth(); ok {
		if user != "" && user != "default" {
			return false
		}
		got = pass
	} else if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = token
	} else {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	select {
	case <-s.shutdownCh:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	default:
	}
	if err := s.db.BackgroundError(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "read-only: %s\n", oneLine(err))
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveStatus serves until stopStatus.
func (s *Server) serveStatus() {
	if s.status == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.status.http.Serve(s.status.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Warn("status server", "err", err)
		}
	}()
}

// stopStatus shuts the status server down, letting requests in progress
// finish for a few seconds (a CPU profile being taken is cut short).
func (s *Server) stopStatus() {
	if s.status == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.status.http.Shutdown(ctx); err != nil {
		s.status.http.Close()
	}
}
