package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/clickhouse/chtest"
)

// runFile writes the JSON lines of traces n of file f (tags tags, the same
// on every line) to dir, and returns the file's path. Each trace is a root
// and a child; every third one's root comes first as a running copy, as a
// long-running root publishes it.
func runFile(t *testing.T, dir string, f, n int, tags map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	var enc spantree.Encoder
	start := time.Now().UTC().Add(-time.Minute)
	for i := range n {
		var p [16]byte
		p[0], p[1], p[2] = 0x73, byte(f), byte(i)
		tr := spantree.TraceIDFromW3C(p, start)
		root := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{1}, Name: "main.main", Location: "main.go:1",
			Start: start.Add(time.Duration(i) * time.Millisecond), Status: spantree.StatusSucceeded}
		root.End = root.Start.Add(time.Millisecond)
		child := root
		child.SpanID, child.ParentID, child.Name = spantree.SpanID{2}, root.SpanID, "main.work"
		spans := []spantree.SpanData{root, child}
		if i%3 == 0 {
			running := root
			running.End, running.Status = time.Time{}, spantree.StatusStarted
			spans = append([]spantree.SpanData{running}, spans...)
		}
		for _, s := range spans {
			line := enc.AppendSpan(nil, &s)
			tj, _ := json.Marshal(tags)
			b.Write(line[:len(line)-1]) // the span's object, without its '}'
			fmt.Fprintf(&b, `,"tags":%s}`+"\n", tj)
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("spans%d.jsonl", f))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// spantreeCmd runs this test binary as spantree (TestMain) with args, in a
// process of its own.
func spantreeCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &exec.Cmd{Path: exe, Args: append([]string{"spantree"}, args...)}
}

// runTags are the tags of the files of the run tests: file f has
// runTags[f%3], so that several processes send traces of one run key at
// once.
var runTags = []map[string]string{
	{"service": "shop"},
	{"service": "shop", "env": "ci"},
	{"service": "cart"},
}

// ingestAll runs one `spantree ingest` process per file at once, the
// targets taking turns, and fails the test if one fails.
func ingestAll(t *testing.T, files []string, targets [][]string) {
	t.Helper()
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() {
			args := append(append([]string{"ingest"}, targets[i%len(targets)]...), f)
			cmd := spantreeCmd(t, args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("spantree %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// checkRuns waits until the traces of the files all have a run number, then
// checks that they are 1 to n within each run key, and returns them.
func checkRuns(t *testing.T, c *client.Client, files, perFile int) map[spantree.TraceID]int64 {
	t.Helper()
	want := map[string]int{}
	for f := range files {
		want[fmt.Sprint(runTags[f%len(runTags)])] += perFile
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := c.Traces(context.Background(), store.TraceQuery{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		runs := map[spantree.TraceID]int64{}
		byKey := map[string]map[int64]spantree.TraceID{}
		for _, ts := range list {
			if ts.Run == 0 {
				continue
			}
			k := fmt.Sprint(ts.Tags)
			if byKey[k] == nil {
				byKey[k] = map[int64]spantree.TraceID{}
			}
			if other, dup := byKey[k][ts.Run]; dup {
				t.Fatalf("traces %s and %s both have run %d of %s", ts.TraceID, other, ts.Run, k)
			}
			byKey[k][ts.Run] = ts.TraceID
			runs[ts.TraceID] = ts.Run
		}
		if len(runs) == files*perFile && len(list) == files*perFile {
			for k, n := range want {
				for r := int64(1); r <= int64(n); r++ {
					if _, ok := byKey[k][r]; !ok {
						t.Errorf("%s: no trace has run %d of 1..%d", k, r, n)
					}
				}
			}
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s, %d traces listed, %d of %d numbered", len(list), len(runs), files*perFile)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testRunsAcrossProcesses: several `spantree ingest` processes at once,
// through two `spantree serve` processes on one database, number the
// traces of each run key 1 to n; the same files sent again, through the
// other receivers, change no number.
func testRunsAcrossProcesses(t *testing.T, db string, extra []string) {
	var out, errOut strings.Builder
	if code := run([]string{"key", "create", "-db", db, "acme"}, &out, &errOut); code != 0 {
		t.Fatalf("key create: %s", errOut.String())
	}
	key := strings.TrimSpace(out.String())
	r1, r2 := startReceiver(t, db), startReceiver(t, db)
	targets := [][]string{{"-addr", r1.addr, "-key", key}, {"-addr", r2.addr, "-key", key}}
	if extra != nil {
		targets = append(targets, extra)
	}
	const files, perFile = 6, 20
	dir := t.TempDir()
	var paths []string
	for f := range files {
		paths = append(paths, runFile(t, dir, f, perFile, runTags[f%len(runTags)]))
	}
	ingestAll(t, paths, targets)
	c := client.New(r1.addr, key)
	first := checkRuns(t, c, files, perFile)

	slices.Reverse(targets)
	ingestAll(t, paths, targets)
	again := checkRuns(t, client.New(r2.addr, key), files, perFile)
	for tr, r := range first {
		if again[tr] != r {
			t.Errorf("trace %s: run %d, then %d once sent again", tr, r, again[tr])
		}
	}
}

// TestRunsAcrossProcessesSQLite: two receivers and `spantree ingest -db`
// writing one SQLite file from processes of their own.
func TestRunsAcrossProcessesSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	testRunsAcrossProcesses(t, db, []string{"-db", db, "-ns", "acme"})
}

// TestRunsAcrossProcessesClickHouse: two receivers on one ClickHouse
// server (skipped without one).
func TestRunsAcrossProcessesClickHouse(t *testing.T) {
	srv := chtest.Start(t)
	testRunsAcrossProcesses(t, srv.URL("runs", ""), nil)
}
