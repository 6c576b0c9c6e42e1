package ui

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// TestEndToEnd runs the real spantree binary: `serve` on a loopback port with
// a trace ingested, and `ui` in a tmux session, driven with send-keys and read
// with capture-pane.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("end-to-end: tmux is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "spantree")
	build := exec.Command("go", "build", "-o", bin, "../cmd/spantree")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/spantree: %v\n%s", err, out)
	}
	if out, _ := exec.Command(bin, "serve", "-h").CombinedOutput(); strings.Contains(string(out), "unknown command") {
		t.Skip("end-to-end: this spantree has no serve command yet")
	}
	db := filepath.Join(dir, "spans.db")
	out, err := exec.Command(bin, "key", "create", "-db", db, "shop").Output()
	if err != nil {
		t.Fatalf("spantree key create: %v", err)
	}
	key := strings.TrimSpace(string(out))

	// The receiver, on a free loopback port.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0", "-db", db)
	serveErr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Kill()
		serve.Wait()
	}()
	addr := ""
	sc := bufio.NewScanner(serveErr)
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatal("spantree serve never said where it listens")
	}
	go func() { // keep draining the server's log
		for sc.Scan() {
		}
	}()

	ingest := func(tr *store.Trace) {
		t.Helper()
		var b bytes.Buffer
		for i := range tr.Spans {
			b.Write(tr.Spans[i].AppendJSON(nil))
			b.WriteByte('\n')
		}
		file := filepath.Join(dir, tr.TraceID.String()+".jsonl")
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "ingest", "-addr", addr, "-key", key, "-tag", "service=shop", file).CombinedOutput(); err != nil {
			t.Fatalf("spantree ingest: %v\n%s", err, out)
		}
	}
	tr := shifted(time.Now())
	ingest(tr)

	// tmux on a private socket, so nothing else of the user's is touched.
	sock := fmt.Sprintf("spantree-e2e-%d", os.Getpid())
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	defer exec.Command(tmux, "-L", sock, "kill-server").Run()
	// A session that outlives the test's own: killing the last session
	// stops the tmux server, and a new-session right after it can reach the
	// exiting server ("server exited unexpectedly").
	tm("new-session", "-d", "-s", "keep", "sleep", "600")
	screen := func() string { return tm("capture-pane", "-p", "-t", "ui") }
	waitFor := func(what string, want ...string) string {
		t.Helper()
		var s string
		// A liveness bound, not a performance check: generous, because CI
		// machines run the browser tests and this one side by side.
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			s = screen()
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(s, w)
			}
			if ok {
				return s
			}
		}
		t.Fatalf("%s: the screen never showed %q; it shows:\n%s", what, want, s)
		return ""
	}
	// Esc followed at once by a key reads as alt+key, as in any terminal
	// program: send each Escape on its own and let it settle.
	send := func(keys ...string) {
		t.Helper()
		for len(keys) > 0 {
			n := 1
			if keys[0] == "-l" {
				n = 2
			}
			tm(append([]string{"send-keys", "-t", "ui"}, keys[:n]...)...)
			if keys[0] == "Escape" {
				time.Sleep(150 * time.Millisecond)
			}
			keys = keys[n:]
		}
	}

	// The shell prints a marker after the UI exits, to show the terminal
	// came back in one piece.
	cmd := fmt.Sprintf("SPANTREE_API_KEY=%s %s ui -addr %s -refresh 300ms; echo UI-EXITED-$?; sleep 60", key, bin, addr)
	tm("new-session", "-d", "-s", "ui", "-x", "120", "-y", "32", "sh", "-c", cmd)

	waitFor("dashboard", "dashboard (last 1h)", "shop.(*Server).Checkout", "shop.dialPayments", "FAIL")

	// Live refresh: a new trace shows up without a key press.
	later := shifted(time.Now())
	id := spantree.NewTraceID(time.Now())
	later.TraceID = id
	for i := range later.Spans {
		later.Spans[i].TraceID = id
		later.Spans[i].Name = strings.Replace(later.Spans[i].Name, "Checkout", "Refund", 1)
	}
	ingest(later)
	waitFor("live refresh", "shop.(*Server).Refund")

	send("s")
	waitFor("status toggle", "status: error")
	send("s", "s", "s") // back to all
	send("/")
	send("-l", "charge")
	send("Enter")
	waitFor("query", "query: charge", "shop.charge")

	// The trace list's search takes the query language, run by the
	// receiver; one that does not parse keeps the prompt, with the error.
	send("Escape", "T")
	waitFor("trace list", "recent traces", "2 of 2 traces", "shop.(*Server).Refund")
	send("/")
	waitFor("search prompt", "search:")
	send("-l", "name:~refund duration>")
	send("Enter")
	waitFor("search error", "at 23: want a value after 'duration>'")
	send("C-u")
	send("-l", "name:~refund status:failed")
	send("Enter")
	s := waitFor("search", "query: name:~refund status:failed", "1 of 1 traces", "shop.(*Server).Refund")
	if strings.Contains(s, "shop.(*Server).Checkout") {
		t.Errorf("the search name:~refund lists the checkout trace:\n%s", s)
	}
	send("Escape")
	waitFor("search cleared", "2 of 2 traces")
	send("Escape")
	waitFor("back on the dashboard", "dashboard (last 1h)")

	send("Escape", "f")
	waitFor("find prompt", "trace id (KSUID or 32 hex):")
	send("-l", tr.Hex)
	send("Enter")
	waitFor("trace view", "trace "+tr.TraceID.String()+" · shop#1 ·", "▾ ✗ shop.(*Server).Checkout", "go shop.(*Server).Checkout.Go#1", "×250", "Handled errors")
	send("l", "j", "j")
	waitFor("navigation", "shop.dialPayments  shop/pay.go:20")
	send("a")
	waitFor("triage", "error groups", "fingerprint")
	send("w")
	waitFor("annotated", "saved: crash/warn")
	send("Escape")
	waitFor("verdict in the trace", "[crash/warn]")

	send("?")
	waitFor("help", "Everywhere", "Error groups", "mark as silenced")
	send("Escape", "Escape", "Escape")
	waitFor("back on the dashboard", "dashboard (last 1h)")

	// Run numbers: the checkout is shop's first trace, the refund its
	// second; the tags prompt finds one by its number.
	send("t")
	send("-l", "shop#2")
	send("Enter")
	s = waitFor("traces of shop#2", "recent traces", "tags: shop#2", "shop#2", "shop.(*Server).Refund")
	if strings.Contains(s, "shop.(*Server).Checkout ") {
		t.Errorf("the traces of shop#2 list the checkout, shop#1:\n%s", s)
	}
	// No tag filter again: the tags prompt, emptied, lists every trace.
	send("Escape", "t", "C-u", "Enter")
	waitFor("every trace again", "recent traces", "2 of 2 traces")
	send("Escape")
	waitFor("back on the dashboard", "dashboard (last 1h)")

	send("f")
	send("-l", "2JZqQbHJxyBDEqWcFgCkgFXsyq9")
	send("Enter")
	waitFor("unknown trace", "no trace 2JZqQbHJxyBDEqWcFgCkgFXsyq9 in this namespace")

	send("q")
	s = waitFor("quit", "UI-EXITED-0")
	if strings.Contains(s, "dashboard (last 1h)") {
		t.Errorf("after q the UI is still on screen:\n%s", s)
	}

	// A wrong key: a message on screen, not a crash.
	tm("kill-session", "-t", "ui")
	cmd = fmt.Sprintf("%s ui -addr %s -key wrong; echo UI-EXITED-$?; sleep 60", bin, addr)
	tm("new-session", "-d", "-s", "ui", "-x", "120", "-y", "20", "sh", "-c", cmd)
	waitFor("wrong key", "the receiver refused the API key (401)")
	send("q")
	waitFor("quit after a wrong key", "UI-EXITED-0")
}
