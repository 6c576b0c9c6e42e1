//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
)

// TestPrometheus runs a real Prometheus (Debian's prometheus package) that
// scrapes a receiver's /metrics with an API key, and checks the failure
// rate a PromQL query computes against the spans sent.
func TestPrometheus(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (apt-get install prometheus; .ci/run does)")
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "spans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	key, err := st.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(st, server.Options{}))
	defer srv.Close()

	// 30 calls of shop.charge, 12 of them failed; 5 calls of shop.list.
	var spans []spantree.SpanData
	now := time.Now().UTC()
	tr := spantree.NewTraceID(now)
	for i := range 35 {
		d := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{1, byte(i + 1)}, Name: "shop.charge", Location: "shop/charge.go:10",
			Start: now, End: now.Add(time.Duration(i+1) * time.Millisecond), Status: spantree.StatusSucceeded}
		if i >= 30 {
			d.Name = "shop.list"
		} else if i%5 < 2 {
			d.Status, d.Error = spantree.StatusFailed, &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}
		}
		spans = append(spans, d)
	}
	if _, err := client.New(srv.URL, key).Ingest(ctx, spantree.Batch{Tags: map[string]string{"service": "shop"}, Spans: spans}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	target, _ := url.Parse(srv.URL)
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: spantree
    metrics_path: /metrics
    authorization:
      credentials: %q
    static_configs:
      - targets: [%q]
`, key, target.Host)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(port))
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	query := `sum(spantree_span_failures_total{app="shop",name="shop.charge"}) / sum(spantree_span_calls_total{app="shop",name="shop.charge"})`
	deadline := time.Now().Add(90 * time.Second)
	for {
		v, ok := promQuery(t, port, query)
		if ok {
			if math.Abs(v-12.0/30) > 1e-9 {
				t.Fatalf("%s = %v; want %v (12 of 30 calls failed)", query, v, 12.0/30)
			}
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("no answer to %s within 90s; prometheus said:\n%s", query, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if v, ok := promQuery(t, port, `spantree_span_calls_total{app="shop",name="shop.list"}`); !ok || v != 5 {
		t.Errorf("shop.list calls = %v (answered: %v); want 5", v, ok)
	}
}

// promQuery asks Prometheus's query API for the single value of an instant
// query; ok is false while it has none.
func promQuery(t *testing.T, port int, q string) (v float64, ok bool) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", port, url.QueryEscape(q)))
	if err != nil {
		return 0, false // not listening yet
	}
	defer resp.Body.Close()
	var ans struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Status != "success" || len(ans.Data.Result) != 1 {
		return 0, false
	}
	s, _ := ans.Data.Result[0].Value[1].(string)
	v, err = strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsNaN(v)
}
