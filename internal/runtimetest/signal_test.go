//go:build unix

package runtimetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
)

var sigFns = [...]spantree.Func{
	{Name: "t.server", Loc: "signal_test.go:1", Kind: spantree.KindMain},
	{Name: "t.request", Loc: "signal_test.go:2"},
}

func sigRequest() error {
	__sp := spantree.Start(&sigFns[1])
	defer __sp.Done()
	return nil
}

// sigServer serves one request, then sends itself SIGTERM. With a channel
// (the program handles the signal) it returns when the signal arrives;
// without one it waits to die of it.
func sigServer(ch chan os.Signal) {
	__sp := spantree.Start(&sigFns[0])
	defer __sp.Done()
	_ = sigRequest()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		panic(err)
	}
	if ch == nil {
		select {} // the runtime flushes, then the default action ends the process
	}
	<-ch
}

// TestSignalChild is the process TestSignals stops with SIGTERM.
func TestSignalChild(t *testing.T) {
	switch os.Getenv("SPANTREE_TEST_SIGNAL") {
	case "":
		t.Skip("run by TestSignals")
	case "own":
		ch := make(chan os.Signal, 1)
		spantree.Notify(ch, syscall.SIGTERM) // what spangen writes for signal.Notify
		sigServer(ch)
	default:
		sigServer(nil)
	}
}

// TestSignals checks that SIGTERM delivers the spans of a process that
// does not handle it (which still dies of the signal, its running spans
// ended as failed), and leaves a process that handles it to its own
// shutdown.
func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		signaled   bool   // the child dies of SIGTERM
		rootStatus string // of t.server
		rootError  string
	}{
		{mode: "die", signaled: true, rootStatus: "failed", rootError: "terminated by SIGTERM"},
		{mode: "own", rootStatus: "succeeded"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			sink := filepath.Join(t.TempDir(), "spans.json")
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "SPANTREE_TEST_SIGNAL="+tc.mode, "SPANTREE_SINK=json:"+sink)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			signaled := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() &&
				ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM
			if signaled != tc.signaled || !tc.signaled && err != nil {
				t.Fatalf("child: %v (died of SIGTERM: %v; want %v)\n%s", err, signaled, tc.signaled, out)
			}
			b, err := os.ReadFile(sink)
			if err != nil {
				t.Fatal(err)
			}
			type line struct {
				Name   string
				Status string
				Error  *struct{ Message string }
				Attrs  map[string]any
			}
			got := map[string]line{}
			for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
				var s line
				if err := json.Unmarshal(l, &s); err != nil {
					t.Fatalf("sink line %q: %v", l, err)
				}
				got[s.Name] = s // a span published running, then ended: the last copy
			}
			if s, ok := got["t.request"]; !ok || s.Status != "succeeded" {
				t.Errorf("t.request: %+v (found %v); want succeeded\n%s", s, ok, b)
			}
			root, ok := got["t.server"]
			if !ok || root.Status != tc.rootStatus {
				t.Fatalf("t.server: %+v (found %v); want %s\n%s", root, ok, tc.rootStatus, b)
			}
			if tc.rootError != "" {
				if root.Error == nil || root.Error.Message != tc.rootError {
					t.Errorf("t.server error = %+v; want %q", root.Error, tc.rootError)
				}
				if code, _ := root.Attrs["process.exit.code"].(float64); code != 143 {
					t.Errorf("t.server process.exit.code = %v; want 143", root.Attrs["process.exit.code"])
				}
			}
		})
	}
}
