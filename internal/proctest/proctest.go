// Package proctest runs the processes a test or benchmark needs beside it
// (a receiver, Jaeger, an OpenID provider) for as long as it runs.
package proctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Start starts cmd with its output in dir/name.log. When tb ends, cmd is
// stopped (SIGTERM, then SIGKILL after ten seconds), and its log is shown
// if tb failed.
func Start(tb testing.TB, cmd *exec.Cmd, dir, name string) {
	tb.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("start %s: %v", name, err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if tb.Failed() {
			b, _ := os.ReadFile(logf.Name())
			tb.Logf("%s said:\n%s", name, b)
		}
	})
}
