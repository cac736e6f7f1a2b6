package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is one running server process under test.
type server struct {
	name string // "strata", "redis", "strata-base"
	port int
	dir  string
	cmd  *exec.Cmd
	log  *os.File
}

// serverSpec says how to start one server: its binary, its kind ("strata"
// or "redis") and the fsync policy.
type serverSpec struct {
	name        string
	kind        string
	bin         string
	appendfsync string
	// extra are further command-line arguments (-baseline-args).
	extra []string
}

// freePort asks the kernel for a free loopback port. The port is released
// before the server binds it, so another process could take it meanwhile;
// the server then fails to start and the run stops with its log.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start launches a server in a fresh directory under parent and waits until
// it answers PING.
func start(spec serverSpec, parent string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, spec.name+"-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	var args []string
	switch spec.kind {
	case "strata":
		// Strata's defaults are appendonly yes, appendfsync everysec.
		args = []string{"--bind", "127.0.0.1", "--port", p, "--dir", dir, "--loglevel", "warning"}
		if spec.appendfsync != "everysec" {
			args = append(args, "--appendfsync", spec.appendfsync)
		}
		args = append(args, spec.extra...)
	case "redis":
		args = []string{"--bind", "127.0.0.1", "--port", p, "--dir", dir, "--save", "",
			"--appendonly", "yes", "--appendfsync", spec.appendfsync, "--daemonize", "no",
			"--loglevel", "warning", "--logfile", ""}
	default:
		return nil, fmt.Errorf("unknown server kind %q", spec.kind)
	}
	cmd := exec.Command(spec.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", spec.name, err)
	}
	s := &server{name: spec.name, port: port, dir: dir, cmd: cmd, log: logf}
	running.add(s)
	if err := s.waitReady(30 * time.Second); err != nil {
		s.stop()
		b, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s did not start: %w\n%s", spec.name, err, b)
	}
	return s, nil
}

// waitReady dials the server until it answers PING or the deadline passes.
func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := s.command("PING")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		if s.cmd.ProcessState != nil {
			return errors.New("exited")
		}
		time.Sleep(20 * time.Millisecond) // polling a process we do not control
	}
}

// command sends one inline command and returns the reply's text (a simple
// string or a bulk string's content).
func (s *server) command(line string) (string, error) {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(line + "\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	head, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	head = strings.TrimRight(head, "\r\n")
	switch {
	case strings.HasPrefix(head, "+"):
		return head[1:], nil
	case strings.HasPrefix(head, "-"):
		return "", errors.New(head[1:])
	case strings.HasPrefix(head, "$"):
		n, err := strconv.Atoi(head[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("bad bulk header %q", head)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return head, nil
}

// info returns the fields of an INFO section as a map.
func (s *server) info(section string) (map[string]string, error) {
	text, err := s.command("INFO " + section)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// running is the set of started servers, stopped on SIGINT or SIGTERM too.
var running = &serverSet{m: map[*server]bool{}}

type serverSet struct {
	mu sync.Mutex
	m  map[*server]bool
}

func (r *serverSet) add(s *server) {
	r.mu.Lock()
	r.m[s] = true
	r.mu.Unlock()
}

// stopAll stops every server still running (after a signal).
func (r *serverSet) stopAll() {
	r.mu.Lock()
	var all []*server
	for s := range r.m {
		all = append(all, s)
	}
	r.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
}

// stop sends SIGTERM, waits for the process and removes its directory.
func (s *server) stop() {
	running.mu.Lock()
	if !running.m[s] {
		running.mu.Unlock()
		return
	}
	delete(running.m, s)
	running.mu.Unlock()
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
	s.log.Close()
	os.RemoveAll(s.dir)
}
