package server

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes a child process get SIGKILL when the test process
// dies, so a crashed test leaves no server behind.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
