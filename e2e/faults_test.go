//go:build e2e

package e2e

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestBackendFaults: with an OTLP backend that is down, failing or never
// answering, the traced program does its work, prints what it prints and
// exits 0, and the runtime says what it dropped on stderr in a few lines,
// not one per span.
func TestBackendFaults(t *testing.T) {
	serverBin, clientBin := build(t, "server"), build(t, "client")
	server := exec.Command(serverBin)
	server.Env = append(os.Environ(), "SPANTREE_SINK=off")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		server.Process.Signal(syscall.SIGTERM)
		server.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad request", http.StatusBadRequest)
	}))
	defer rejecting.Close()
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(hang)

	tests := []struct{ name, backend string }{
		{"down", closed},
		{"503", failing.URL},
		{"400", rejecting.URL},
		{"never answers", hanging.URL},
	}
	want := "apple: 3\ndurian: GET http://" + addr + "/price?item=durian: 404 Not Found\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := exec.Command(clientBin, "http://"+addr)
			client.Env = append(os.Environ(), "SPANTREE_SINK=otlp+"+tt.backend, "SPANTREE_FLUSH_TIMEOUT=500ms")
			var out, errOut strings.Builder
			client.Stdout, client.Stderr = &out, &errOut
			if err := client.Run(); err != nil {
				t.Fatalf("client: %v\nstderr:\n%s", err, errOut.String())
			}
			if out.String() != want {
				t.Errorf("client output:\n%s\nwant:\n%s", out.String(), want)
			}
			warnings := strings.Count(errOut.String(), "spantree:")
			if warnings == 0 || warnings > 3 {
				t.Errorf("stderr has %d spantree warnings; want 1 to 3:\n%s", warnings, errOut.String())
			}
			t.Logf("stderr:\n%s", errOut.String())
		})
	}
}
