package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

// receiver is a `spantree serve` process: this test binary run as
// spantree (TestMain).
type receiver struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func startReceiver(t testing.TB, db string) *receiver {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var log bytes.Buffer
	cmd := &exec.Cmd{Path: exe, Args: []string{"spantree", "serve", "-addr", addr, "-db", db, "-retain", "0"}, Stdout: &log, Stderr: &log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			t.Logf("receiver %s:\n%s", addr, log.String())
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("spantree serve -db %s exited:\n%s", db, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("spantree serve -db %s does not listen on %s", db, addr)
		}
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (r *receiver) kill() {
	r.cmd.Process.Kill()
	<-r.done
}

// clusterTrace returns the spans of trace number i: a root and two
// children.
func clusterTrace(i int) spantree.Batch {
	var p [16]byte
	p[0], p[1], p[2], p[3] = 0x77, byte(i), byte(i>>8), byte(i>>16)
	start := time.Now().UTC().Add(-time.Minute)
	tr := spantree.TraceIDFromW3C(p, start)
	b := spantree.Batch{Tags: map[string]string{"service": "api", "version": "1.0"}}
	for j := range 3 {
		s := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{byte(j + 1)}, Name: fmt.Sprintf("main.f%d", j), Location: "main.go:1",
			Start: start, End: start.Add(time.Duration(j+1) * time.Millisecond), Status: spantree.StatusSucceeded}
		if j > 0 {
			s.ParentID = spantree.SpanID{1}
		}
		b.Spans = append(b.Spans, s)
	}
	return b
}

var httpc = &http.Client{Timeout: 30 * time.Second}

// post sends b to the receiver at addr: the status and Retry-After, or
// the error of a request that got no answer.
func post(addr, key string, b spantree.Batch) (int, string, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequest("POST", "http://"+addr+"/v1/spans", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// spansOf returns how many spans the receiver at addr has of trace i, or
// -status when it cannot say.
func spansOf(t *testing.T, addr, key string, i int) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/traces/"+clusterTrace(i).Spans[0].TraceID.Hex(), nil)
	req.Header.Set("X-API-Key", key)
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -resp.StatusCode
	}
	var tr struct{ Spans []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return len(tr.Spans)
}

// TestTwoReceiversOnCluster: two receivers in front of a two-shard
// ClickHouse cluster. A trace written through one is read through the
// other; a receiver killed with SIGKILL under load loses nothing it
// acknowledged; with a shard stopped, a request gets 503 with Retry-After
// or, when nothing of it goes to that shard, 202, and the receivers take
// writes again once the shard is back.
func TestTwoReceiversOnCluster(t *testing.T) {
	srvs := chtest.StartCluster(t, "two", 2)
	db := func(i int) string { return srvs[i].URL("spantree", "cluster=two") }
	var out, errOut strings.Builder
	if code := run([]string{"key", "create", "-db", db(0), "acme"}, &out, &errOut); code != 0 {
		t.Fatalf("key create = %d: %s", code, errOut.String())
	}
	key := strings.TrimSpace(out.String())
	a, b := startReceiver(t, db(0)), startReceiver(t, db(1))

	if status, _, err := post(a.addr, key, clusterTrace(0)); err != nil || status != http.StatusAccepted {
		t.Fatalf("POST through a = %d, %v; want 202", status, err)
	}
	if n := spansOf(t, b.addr, key, 0); n != 3 {
		t.Fatalf("trace 0 through b: %d spans; want 3", n)
	}

	// Load through both; a is killed part way.
	var mu sync.Mutex
	acked := map[int]bool{0: true}
	var wg sync.WaitGroup
	next := 1
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		next++
		return next - 1
	}
	const perWorker = 60
	for w := range 4 {
		r := a
		if w%2 == 1 {
			r = b
		}
		wg.Go(func() {
			for range perWorker {
				i := take()
				status, _, err := post(r.addr, key, clusterTrace(i))
				if err == nil && status == http.StatusAccepted {
					mu.Lock()
					acked[i] = true
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	a.kill()
	wg.Wait()
	if len(acked) < perWorker {
		t.Fatalf("only %d requests acknowledged", len(acked))
	}
	lost := 0
	for i := range acked {
		if n := spansOf(t, b.addr, key, i); n != 3 {
			lost++
			t.Errorf("acknowledged trace %d: %d spans through b; want 3", i, n)
		}
	}
	t.Logf("%d requests sent, %d acknowledged, %d lost", next-1, len(acked), lost)

	// A shard stopped.
	srvs[1].Stop()
	refused := 0
	var accepted []int
	for range 20 {
		i := take()
		status, retry, err := post(b.addr, key, clusterTrace(i))
		switch {
		case err != nil:
			t.Fatal(err)
		case status == http.StatusAccepted:
			accepted = append(accepted, i)
		case status == http.StatusServiceUnavailable && retry != "":
			refused++
		default:
			t.Errorf("POST with a shard down = %d, Retry-After %q; want 503 with Retry-After, or 202", status, retry)
		}
	}
	if refused == 0 {
		t.Error("no request refused with a shard down")
	}
	if err := srvs[1].Restart(); err != nil {
		t.Fatal(err)
	}
	if err := srvs[1].Wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, i := range accepted {
		if n := spansOf(t, b.addr, key, i); n != 3 {
			t.Errorf("trace %d accepted with a shard down: %d spans once it is back; want 3", i, n)
		}
	}
	// b recovers by itself; a new receiver on the first server too.
	c := startReceiver(t, db(0))
	for _, r := range []*receiver{b, c} {
		i := take()
		if status, _, err := post(r.addr, key, clusterTrace(i)); err != nil || status != http.StatusAccepted {
			t.Errorf("POST once the shard is back = %d, %v; want 202", status, err)
		}
		if n := spansOf(t, b.addr, key, i); n != 3 {
			t.Errorf("trace %d: %d spans; want 3", i, n)
		}
	}
}
