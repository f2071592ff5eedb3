//go:build !windows

package connector

import (
	"os/exec"
	"syscall"
)

// detach starts the new version in a session of its own, so that it keeps
// running when the previous version exits.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
