package spanhttp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAnnounce: with stderr a terminal, each sink prints the id of the
// first maxAnnounced complete traces it is given, then says it stops;
// incomplete publications print nothing, and neither does a sink whose
// stderr is not a terminal.
func TestAnnounce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	for _, kind := range sinkKinds {
		for _, tty := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tty=%v", kind.name, tty), func(t *testing.T) {
				s, exp := kind.open(t, srv.URL)
				exp.announcing = tty
				said := captureWarnings(exp)
				var want []string
				running := sinkTrace(2, "pkg.Serve")
				running.Complete = false
				s.Export(context.Background(), running)
				for i := range maxAnnounced + 5 {
					tr := sinkTrace(3, fmt.Sprintf("pkg.Job%d", i))
					s.Export(context.Background(), tr)
					if i < maxAnnounced {
						want = append(want, fmt.Sprintf("trace %s (pkg.Job%d, 3 spans) sent to %s", tr.ID, i, exp.ep.url))
					}
				}
				want = append(want, "more traces sent to "+exp.ep.url+"; spantree traces lists them")
				if !tty {
					want = nil
				}
				// The runtime module has no dependencies, go-cmp included.
				if got := said(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("announced:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				s.Flush(context.Background())
			})
		}
	}
}
