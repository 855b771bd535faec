//go:build !unix

package hilbench

import "os/exec"

// killGroupOnCancel bounds how long Wait waits for output after cancellation; without Unix
// process groups only the direct child is killed.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.WaitDelay = processWaitDelay
}
