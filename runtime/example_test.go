package spantree_test

import (
	"context"
	"errors"
	"os"
	"time"

	spantree "github.com/spantree/spantree/runtime"
)

// What spangen writes: one descriptor per function, built once, and two
// statements at the top of its body.
var exampleFns = [...]spantree.Func{
	{Name: "main.load", Loc: "main.go:12"},
}

func load(ctx context.Context, path string) error {
	ctx, __sp := spantree.StartContext(ctx, &exampleFns[0])
	defer __sp.Done()
	if path == "" {
		return __sp.Err(errors.New("no path"))
	}
	_ = ctx
	return nil
}

func ExampleStartContext() {
	// A sink that prints each trace as a tree, durations masked so that the
	// output is stable.
	restore := spantree.SetSinks(spantree.NewTree(os.Stdout, spantree.TreeOptions{MaskDurations: true}))
	defer restore()

	_ = load(context.Background(), "")
	spantree.Flush()
	// The first line (trace ids) differs on every run, so this example is
	// compiled but its output is not checked.
}

func ExampleWriteTree() {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	id, _ := spantree.ParseTraceID("36CeVJ1ZfpO8pJmuMTkyWjL7yh1")
	root := spantree.SpanID{1}
	t := &spantree.Trace{ID: id, Complete: true, Spans: []spantree.SpanData{
		{TraceID: id, SpanID: root, Name: "main.main", Location: "main.go:20", Start: start, End: start.Add(14 * time.Millisecond), Status: spantree.StatusSucceeded},
		{TraceID: id, SpanID: spantree.SpanID{2}, ParentID: root, Name: "main.step", Location: "main.go:50", Start: start, End: start.Add(10 * time.Millisecond), Status: spantree.StatusSucceeded,
			Fold: &spantree.Fold{Count: 10, TotalNS: 10_700_000, MinNS: 1_050_000, MaxNS: 1_120_000}},
		{TraceID: id, SpanID: spantree.SpanID{3}, ParentID: root, Name: "main.fetch", Location: "fetch.go:18", Start: start.Add(11 * time.Millisecond), End: start.Add(12 * time.Millisecond), Status: spantree.StatusFailed,
			Error: &spantree.ErrorInfo{Type: "*url.Error", Message: `Get "http://127.0.0.1/users": EOF`}},
	}}
	spantree.WriteTree(os.Stdout, t, spantree.TreeOptions{})
	// Output:
	// trace 36CeVJ1ZfpO8pJmuMTkyWjL7yh1 (7d1e199fc8eca2a98955dda4c569b1d3)
	// └─ ✓ main.main 14.0ms  main.go:20
	//    ├─ ✓ main.step ×10 10.7ms (min 1.05ms, max 1.12ms)  main.go:50
	//    └─ ✗ main.fetch 1.00ms  fetch.go:18
	//          error: *url.Error: Get "http://127.0.0.1/users": EOF
}

func ExampleNewJSON() {
	f, err := os.CreateTemp("", "spans-*.jsonl")
	if err != nil {
		return
	}
	defer os.Remove(f.Name())
	// SPANTREE_SINK=json:PATH does the same from the environment.
	restore := spantree.SetSinks(spantree.NewJSON(f))
	defer restore()
	_ = load(context.Background(), "config.yaml")
	spantree.Flush()
}
