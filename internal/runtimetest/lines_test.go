package runtimetest

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	spantree "github.com/spantree/spantree/runtime"
)

// viaSpanData is a json sink behind a wrapper, so that the runtime hands it
// SpanData (it hands json lines only to *spantree.JSON itself).
type viaSpanData struct{ *spantree.JSON }

// lockedBuffer is a bytes.Buffer that the exporters of two sinks can write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJSONLinesMatchSpanData checks that the lines the runtime encodes
// straight from its records for a json sink are the bytes the same sink
// writes for the SpanData of the same publication: plain spans, folds,
// errors and handled errors, panics, goroutines and contexts.
func TestJSONLinesMatchSpanData(t *testing.T) {
	var lines, data lockedBuffer
	tags := map[string]string{"service": "lines"}
	restore := spantree.SetSinks(spantree.NewJSON(&lines).WithTags(tags), viaSpanData{spantree.NewJSON(&data).WithTags(tags)})
	defer restore()
	_ = outer()
	loop(1000)
	func() {
		defer func() { _ = recover() }()
		panics()
	}()
	_ = withCtx(context.Background())
	// A goroutine that outlives its root sends an update after the root's
	// publication; flush until both sinks have written the same number of
	// lines (a bound on waiting, not on speed).
	var got, want string
	for range 100 {
		spantree.Flush()
		got, want = lines.String(), data.String()
		if strings.Count(got, "\n") == strings.Count(want, "\n") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(want, "\n"); n < 10 {
		t.Fatalf("%d lines written; want the spans of four traces", n)
	}
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("json lines (-from SpanData +from records):\n%s", diff)
	}
}
