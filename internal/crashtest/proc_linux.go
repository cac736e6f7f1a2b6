package crashtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server get SIGKILL when the harness dies, so an
// interrupted run leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
