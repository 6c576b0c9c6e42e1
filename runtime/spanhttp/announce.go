package spanhttp

import (
	"os"

	spantree "github.com/spantree/spantree/runtime"
)

// Announcing. Someone running a program by hand wants the id of the trace it
// just sent, to give to `spantree show` or to find it in a viewer. When
// stderr is a terminal, the http and OTLP sinks print one line per complete
// trace they are given, with its root's name and span count, for the first
// maxAnnounced traces of the run, and then one line saying that they stop.
// A program whose stderr is a file or a pipe (a service, CI) prints none.

// maxAnnounced is how many trace ids a run prints.
const maxAnnounced = 20

// stderrIsTerminal reports whether stderr is a character device.
func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// announce prints t's id when the exporter announces traces (see above).
func (e *exporter) announce(t *spantree.Trace) {
	if !e.announcing || !t.Complete || len(t.Spans) == 0 {
		return
	}
	n := e.announced.Add(1)
	switch {
	case n <= maxAnnounced:
		root := &t.Spans[0]
		for i := range t.Spans {
			if t.Spans[i].ParentID.IsZero() {
				root = &t.Spans[i]
				break
			}
		}
		e.warn("trace %s (%s, %d spans) sent to %s", t.ID, root.Name, len(t.Spans), e.ep.url)
	case n == maxAnnounced+1:
		e.warn("more traces sent to %s; spantree traces lists them", e.ep.url)
	}
}
