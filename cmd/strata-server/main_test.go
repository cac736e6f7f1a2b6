package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// buildServer builds strata-server into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "strata-server")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// command sends one inline command and returns the first reply line.
func command(addr, cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s\r\n", cmd); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

// TestProfileFlag runs the real binary under each --profile mode, stops it
// gracefully (SIGTERM, or SHUTDOWN) and parses the profile it wrote.
func TestProfileFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildServer(t)
	for _, tc := range []struct{ mode, stop string }{
		{"cpu", "sigterm"}, {"mem", "shutdown"}, {"mutex", "sigterm"}, {"block", "shutdown"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			data, profDir := t.TempDir(), ""
			args := []string{"--port", fmt.Sprint(freePort(t)), "--dir", data, "--memtable-size", "1mb", "--profile", tc.mode}
			if tc.mode == "mem" || tc.mode == "block" {
				profDir = filepath.Join(t.TempDir(), "profiles")
				args = append(args, "--profile-dir", profDir)
			}
			addr := "127.0.0.1:" + args[1]
			cmd := exec.Command(bin, args...)
			stderr := &lockedBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				select {
				case <-exited:
				default:
					cmd.Process.Kill()
					<-exited
				}
			})
			deadline := time.Now().Add(30 * time.Second)
			for {
				if r, err := command(addr, "PING"); err == nil && r == "+PONG" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("server did not start:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond) // polling for process start
			}
			for i := range 200 {
				if r, err := command(addr, fmt.Sprintf("SET k%d %s", i, strings.Repeat("v", 100))); err != nil || r != "+OK" {
					t.Fatalf("SET: %q %v", r, err)
				}
			}
			if tc.stop == "sigterm" {
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			} else {
				command(addr, "SHUTDOWN") // the connection closes as the server goes
			}
			select {
			case <-exited:
				if waitErr != nil {
					t.Fatalf("exit: %v\n%s", waitErr, stderr.String())
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("server did not exit\n%s", stderr.String())
			}
			if profDir == "" {
				profDir = data
			}
			path := filepath.Join(profDir, tc.mode+".pprof")
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("no profile: %v\n%s", err, stderr.String())
			}
			defer f.Close()
			p, err := profile.Parse(f)
			if err != nil {
				t.Fatalf("%s does not parse: %v", path, err)
			}
			if len(p.SampleType) == 0 {
				t.Fatalf("%s has no sample types", path)
			}
			if tc.mode == "mem" && len(p.Sample) == 0 {
				t.Fatalf("%s has no samples", path)
			}
			if !strings.Contains(stderr.String(), "profile written") {
				t.Fatalf("no log of the written profile:\n%s", stderr.String())
			}
		})
	}
}

// lockedBuffer collects a process's stderr for messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProfileFlags(t *testing.T) {
	mode, dir, rest, err := profileFlags([]string{"--port", "1", "--profile", "cpu", "--profile-dump-root", "/x", "--profile-dir", "/p"})
	if err != nil || mode != "cpu" || dir != "/p" || strings.Join(rest, " ") != "--port 1 --profile-dump-root /x" {
		t.Fatalf("got %q %q %q %v", mode, dir, rest, err)
	}
	for _, bad := range [][]string{{"--profile", "heap"}, {"--profile"}, {"--profile-dir", "/p"}, {"--profile", "--port", "1"}} {
		if _, _, _, err := profileFlags(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
