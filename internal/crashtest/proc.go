package crashtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a running strata-server.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	ready  chan string // receives the address once the server listens
	exited chan struct{}

	mu   sync.Mutex
	tail []string // the last lines of the server's log
}

const logTailLines = 40

// readyLine matches the line the server logs once it listens.
var readyLine = regexp.MustCompile(`ready to accept connections.* addr=(\S+)`)

// startProc starts the server on dir with port 0 and returns at once; wait
// for it with waitReady.
func startProc(bin, dir string, args []string) (*proc, error) {
	all := append([]string{"--port", "0", "--bind", "127.0.0.1", "--dir", dir, "--loglevel", "notice"}, args...)
	p := &proc{cmd: exec.Command(bin, all...), ready: make(chan string, 1), exited: make(chan struct{})}
	dieWithParent(p.cmd)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	var logDone sync.WaitGroup
	logDone.Add(1)
	go func() {
		defer logDone.Done()
		p.readLog(stderr)
	}()
	go func() {
		logDone.Wait() // Wait closes the pipe: read it to the end first
		p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *proc) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := readyLine.FindStringSubmatch(line); m != nil {
			select {
			case p.ready <- m[1]:
			default:
			}
		}
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > logTailLines {
			p.tail = p.tail[1:]
		}
		p.mu.Unlock()
	}
}

// logTail returns the last lines the server logged.
func (p *proc) logTail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// waitReady waits until the server listens, or fails when it exits first
// or does not start within timeout.
func (p *proc) waitReady(timeout time.Duration) error {
	select {
	case addr := <-p.ready:
		p.addr = addr
		return nil
	case <-p.exited:
		return fmt.Errorf("strata-server exited during start-up (%v):\n%s", p.cmd.ProcessState, p.logTail())
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("strata-server did not start within %v:\n%s", timeout, p.logTail())
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// dead reports whether the process has exited.
func (p *proc) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// term sends SIGTERM and waits for a clean exit.
func (p *proc) term(timeout time.Duration) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.kill()
		return errors.New("strata-server did not exit after SIGTERM")
	}
	if !p.cmd.ProcessState.Success() {
		return fmt.Errorf("strata-server exited with %v after SIGTERM:\n%s", p.cmd.ProcessState, p.logTail())
	}
	return nil
}
