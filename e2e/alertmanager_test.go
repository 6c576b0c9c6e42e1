//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spantree/spantree/alert"
	"github.com/spantree/spantree/client"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// alertmanagerConfig routes every alert to a receiver that sends nothing:
// the test reads what arrived through Alertmanager's own API.
const alertmanagerConfig = `route:
  receiver: nowhere
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: nowhere
`

// TestAlertmanager runs a real Alertmanager (Debian's
// prometheus-alertmanager) and a real `spantree serve` whose rules file
// asks for an alert on an error group nobody judged. A failed span makes it
// fire: it reaches Alertmanager (its v2 API lists it) and a webhook (whose
// signature the test checks). The receiver restarts and sends nothing
// again; then the group is silenced and the alert resolves at both.
func TestAlertmanager(t *testing.T) {
	amBin := ""
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			amBin = p
			break
		}
	}
	if amBin == "" {
		t.Skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run does)")
	}
	dir := t.TempDir()
	am := startAlertmanager(t, amBin, dir)
	hook := newSignedHook(t, "s3cret")

	bin := filepath.Join(dir, "spantree")
	if b, err := exec.Command("go", "build", "-o", bin, "../cmd/spantree").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/spantree: %v\n%s", err, b)
	}
	db := filepath.Join(dir, "spans.db")
	out, err := exec.Command(bin, "key", "create", "-db", db, "acme").Output()
	if err != nil {
		t.Fatalf("spantree key create: %v", err)
	}
	key := strings.TrimSpace(string(out))
	rules := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(rules, []byte(`{"rules":[{"id":"untriaged","kind":"new_group","labels":{"team":"pay"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	serve := func() (stop func()) {
		cmd := exec.Command(bin, "serve", "-addr", addr, "-db", db, "-alert-rules", rules, "-alert-interval", "1s",
			"-alert-webhook", hook.srv.URL, "-alertmanager", am)
		cmd.Env = append(os.Environ(), "SPANTREE_WEBHOOK_SECRET=s3cret")
		logf, err := os.OpenFile(filepath.Join(dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "spantree serve", func() bool {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == 200
		})
		return func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			logf.Close()
		}
	}
	stop := serve()
	defer func() { stop() }()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			t.Logf("spantree serve said:\n%s", b)
		}
	}()

	ctx := context.Background()
	c := client.New("http://"+addr, key)
	now := time.Now().UTC()
	span := spantree.SpanData{TraceID: spantree.NewTraceID(now), SpanID: spantree.SpanID{1}, Name: "shop.charge", Location: "shop/charge.go:10",
		Start: now.Add(-time.Second), End: now, Status: spantree.StatusFailed,
		Error: &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}}
	if _, err := c.Ingest(ctx, spantree.Batch{Tags: map[string]string{"service": "shop", "version": "1.0"}, Spans: []spantree.SpanData{span}}); err != nil {
		t.Fatal(err)
	}
	groups, err := c.Errors(ctx, 0)
	if err != nil || len(groups) != 1 {
		t.Fatalf("error groups = %v, %v; want one", groups, err)
	}
	fp := groups[0].Fingerprint

	n := hook.next(t)
	if n.State != alert.StateFiring || n.Rule != "untriaged" || n.Labels["fingerprint"] != fp || n.Labels["team"] != "pay" {
		t.Errorf("webhook got %+v; want untriaged firing for group %s with team=pay", n, fp)
	}
	if !strings.HasPrefix(n.URL, "http://"+addr+"/ui/#/errors?fp=") {
		t.Errorf("notification url = %q; want the web view's page of the group", n.URL)
	}
	waitFor(t, 30*time.Second, "the alert at Alertmanager", func() bool {
		as := amAlerts(t, am)
		return len(as) == 1 && as[0].Status.State == "active" && as[0].Labels["fingerprint"] == fp &&
			as[0].Labels["app"] == "shop" && strings.Contains(as[0].Annotations["summary"], "card declined")
	})

	// A restart sends nothing again: the firing state is in the database.
	stop()
	stop = serve()
	time.Sleep(3 * time.Second) // three evaluations
	hook.none(t)

	if _, err := c.Annotate(ctx, fp, store.Annotation{Kind: store.KindSilenced, Severity: store.SeverityOK}); err != nil {
		t.Fatal(err)
	}
	n = hook.next(t)
	if n.State != alert.StateResolved || n.Labels["fingerprint"] != fp || n.EndsAt.IsZero() {
		t.Errorf("webhook got %+v; want the resolution of group %s", n, fp)
	}
	waitFor(t, 30*time.Second, "the alert resolved at Alertmanager", func() bool { return len(amAlerts(t, am)) == 0 })
	var got struct{ Alerts []alert.Alert }
	if err := getJSON("http://"+addr+"/v1/alerts", key, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].State != alert.StateResolved {
		t.Errorf("GET /v1/alerts = %+v; want the resolved alert", got.Alerts)
	}
	hook.none(t)
}

// startAlertmanager runs Alertmanager on a loopback port, without
// clustering, until the test ends, and returns its base URL.
func startAlertmanager(t *testing.T, bin, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(alertmanagerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	logf, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("alertmanager said:\n%s", b)
		}
	})
	base := "http://" + addr
	waitFor(t, 30*time.Second, "alertmanager", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return base
}

// amAlert is what Alertmanager's GET /api/v2/alerts says of an alert.
type amAlert struct {
	Labels      map[string]string
	Annotations map[string]string
	Status      struct{ State string }
	EndsAt      time.Time
}

// amAlerts lists the alerts Alertmanager holds active (not resolved).
func amAlerts(t *testing.T, base string) []amAlert {
	t.Helper()
	var out []amAlert
	if err := getJSON(base+"/api/v2/alerts?filter="+url.QueryEscape(`alertname="untriaged"`), "", &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func getJSON(u, key string, v any) error {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// signedHook is a webhook that checks each body's X-Spantree-Signature
// against its secret and hands over what it got.
type signedHook struct {
	srv *httptest.Server
	ch  chan alert.Notification
}

func newSignedHook(t *testing.T, secret string) *signedHook {
	h := &signedHook{ch: make(chan alert.Notification, 16)}
	var mu sync.Mutex
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(bufio.NewReader(r.Body))
		if got, want := r.Header.Get("X-Spantree-Signature"), alert.Sign([]byte(secret), body); got != want {
			t.Errorf("X-Spantree-Signature = %q; want %q", got, want)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n alert.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		h.ch <- n
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *signedHook) next(t *testing.T) alert.Notification {
	t.Helper()
	select {
	case n := <-h.ch:
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no notification at the webhook within 30s")
		return alert.Notification{}
	}
}

func (h *signedHook) none(t *testing.T) {
	t.Helper()
	select {
	case n := <-h.ch:
		t.Errorf("webhook got %+v; want nothing more", n)
	default:
	}
}
