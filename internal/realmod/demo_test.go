package realmod

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/wire"
)

var traceLine = regexp.MustCompile(`(?m)^trace [0-9A-Za-z]{27}( \([0-9a-f]{32}\))?`)

var update = flag.Bool("update", false, "rewrite the golden files in golden/demo")

// TestDemo instruments the sample program in testdata/demo as `make demo`
// does, and compares its rewritten source and its rendered trees (durations
// masked) with golden/demo.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goldenDir := filepath.Join(root, "golden", "demo")
	dir := filepath.Join(t.TempDir(), "demo")
	copyTree(t, filepath.Join(root, "testdata", "demo"), dir)

	spangen := filepath.Join(t.TempDir(), "spangen")
	run(t, root, nil, "go", "build", "-o", spangen, "./cmd/spangen")
	run(t, dir, nil, spangen, "-w", "-replace", root, "./...")

	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, name := range names {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join(goldenDir, filepath.Base(name)+".golden"), got)
	}

	sink := filepath.Join(t.TempDir(), "spans.json")
	run(t, dir, []string{"SPANTREE_SINK=json:" + sink}, "go", "run", ".")
	golden(t, filepath.Join(goldenDir, "tree.golden"), renderTrees(t, sink))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/realmod -run TestDemo -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", filepath.Base(name), diff)
	}
}

// renderTrees draws every trace of a json sink file as the tree sink would,
// durations masked, traces ordered by their root's name.
func renderTrees(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Keyed by the 16-byte payload: a trace continued from a traceparent
	// has its own KSUID time prefix (the contract's rule for receivers).
	traces := map[[16]byte]*spantree.Trace{}
	index := map[spantree.SpanID]int{}
	lines := wire.NewLines(f)
	for lines.Scan() {
		var d spantree.SpanData
		if err := json.Unmarshal(lines.Bytes(), &d); err != nil {
			t.Fatalf("bad span line: %v", err)
		}
		tr := traces[d.TraceID.Payload()]
		if tr == nil {
			tr = &spantree.Trace{ID: d.TraceID, Complete: true}
			traces[d.TraceID.Payload()] = tr
		}
		if i, ok := index[d.SpanID]; ok {
			tr.Spans[i] = d // published again: the later copy wins
			continue
		}
		index[d.SpanID] = len(tr.Spans)
		tr.Spans = append(tr.Spans, d)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	var list []*spantree.Trace
	for _, tr := range traces {
		stableGoroutines(tr)
		list = append(list, tr)
	}
	rootName := func(tr *spantree.Trace) string {
		for _, s := range tr.Spans {
			if s.ParentID.IsZero() {
				return s.Name
			}
		}
		return ""
	}
	sort.Slice(list, func(i, j int) bool { return rootName(list[i]) < rootName(list[j]) })
	var b bytes.Buffer
	for _, tr := range list {
		if err := spantree.WriteTree(&b, tr, spantree.TreeOptions{MaskDurations: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Trace ids are random: mask them like the durations.
	return traceLine.ReplaceAll(b.Bytes(), []byte("trace …"))
}

// stableGoroutines reorders the goroutine children of each span, which run
// concurrently and so start in any order, by name and outcome: their start
// times are swapped among them (the tree is drawn in start order and
// durations are masked).
func stableGoroutines(tr *spantree.Trace) {
	kids := map[spantree.SpanID][]int{}
	for i, s := range tr.Spans {
		if s.Goroutine && !s.ParentID.IsZero() {
			kids[s.ParentID] = append(kids[s.ParentID], i)
		}
	}
	for _, idx := range kids {
		starts := make([]spantree.SpanData, len(idx))
		for j, i := range idx {
			starts[j] = tr.Spans[i]
		}
		sort.Slice(starts, func(a, b int) bool { return starts[a].Start.Before(starts[b].Start) })
		order := slices.Clone(idx)
		key := func(i int) string {
			s := tr.Spans[i]
			k := s.Name + "\x00" + string(s.Status)
			if s.Error != nil {
				k += "\x00" + s.Error.Message
			}
			return k
		}
		sort.SliceStable(order, func(a, b int) bool { return key(order[a]) < key(order[b]) })
		for j, i := range order {
			d := starts[j].Start.Sub(tr.Spans[i].Start)
			tr.Spans[i].Start = tr.Spans[i].Start.Add(d)
			if !tr.Spans[i].End.IsZero() {
				tr.Spans[i].End = tr.Spans[i].End.Add(d)
			}
		}
	}
}
