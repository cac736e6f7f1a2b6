//go:build !linux

package server

import "os/exec"

// dieWithTest is a no-op where Pdeathsig does not exist.
func dieWithTest(cmd *exec.Cmd) {}
