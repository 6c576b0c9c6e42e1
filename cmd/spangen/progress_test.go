package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestProgress: on a terminal, a run over a second shows packages done on
// one line rewritten in place and cleared at the end; a shorter run, or
// output that is no terminal, shows nothing.
func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tty     bool
		elapsed time.Duration
		want    string
	}{
		{"terminal, long run", true, 2 * time.Second, "\rspangen: 1/2 packages\rspangen: 2/2 packages\r\033[K"},
		{"terminal, short run", true, 0, ""},
		{"pipe, long run", false, 2 * time.Second, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			p := newProgress(&b, tc.tty, 2)
			p.start = p.start.Add(-tc.elapsed)
			p.done()
			p.done()
			p.end()
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}
