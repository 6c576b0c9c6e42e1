//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spantree/spantree/internal/proctest"
)

// jaegerConfig runs Jaeger with memory storage, an OTLP/HTTP receiver and
// the query API on the given loopback ports, and nothing else listening.
const jaegerConfig = `
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// freePort returns a loopback port nothing listens on. The fixed ports
// (4318, 16686) are not used so that a Jaeger already running on the
// machine does not get in the way.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startJaeger runs Jaeger until the test ends and returns the base URLs of
// its query API and its OTLP/HTTP receiver.
func startJaeger(t *testing.T) (query, otlp string) {
	t.Helper()
	bin := os.Getenv("SPANTREE_JAEGER")
	if bin == "" {
		t.Fatal("SPANTREE_JAEGER is not set: run `make e2e`, or SPANTREE_JAEGER=$(e2e/jaeger.sh) go test -tags e2e ./e2e")
	}
	qport, gport, oport := freePort(t), freePort(t), freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(jaegerConfig, qport, gport, oport)), 0o644); err != nil {
		t.Fatal(err)
	}
	proctest.Start(t, exec.Command(bin, "--config", cfg), dir, "jaeger")
	query = fmt.Sprintf("http://127.0.0.1:%d", qport)
	otlp = fmt.Sprintf("http://127.0.0.1:%d", oport)
	// Ready when both the query API answers and the receiver accepts
	// connections.
	waitFor(t, 60*time.Second, "jaeger to start", func() bool {
		resp, err := http.Get(query + "/api/services")
		if err != nil {
			return false
		}
		resp.Body.Close()
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", oport))
		if err != nil {
			return false
		}
		c.Close()
		return resp.StatusCode == http.StatusOK
	})
	return query, otlp
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// build compiles a test program (a package under e2e/testdata).
func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, "./e2e/testdata/"+pkg)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// The Jaeger query API's trace format (/api/traces).
type (
	jTrace struct {
		TraceID   string              `json:"traceID"`
		Spans     []jSpan             `json:"spans"`
		Processes map[string]jProcess `json:"processes"`
	}
	jSpan struct {
		TraceID       string `json:"traceID"`
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			TraceID string `json:"traceID"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		Tags      []jKV  `json:"tags"`
		Logs      []jLog `json:"logs"`
		ProcessID string `json:"processID"`
	}
	jProcess struct {
		ServiceName string `json:"serviceName"`
		Tags        []jKV  `json:"tags"`
	}
	jLog struct {
		Fields []jKV `json:"fields"`
	}
	jKV struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	}
)

func kv(list []jKV) map[string]string {
	m := map[string]string{}
	for _, f := range list {
		m[f.Key] = fmt.Sprint(f.Value)
	}
	return m
}

func (s *jSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

func traces(t *testing.T, query, service string) []jTrace {
	t.Helper()
	resp, err := http.Get(query + "/api/traces?limit=50&service=" + service)
	if err != nil {
		t.Fatalf("query jaeger: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Data []jTrace `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("query jaeger: decode /api/traces: %v", err)
	}
	return body.Data
}

// funcLines maps each function of a test program to the line of its
// declaration (or of the HandleFunc call of a handler literal), which is
// what the program's spans must report as code.lineno.
func funcLines(t *testing.T, pkg string, marks map[string]string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", pkg, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		for name, mark := range marks {
			if strings.HasPrefix(strings.TrimSpace(sc.Text()), mark) {
				lines[name] = n
			}
		}
	}
	return lines
}

// TestJaeger: a client and a server, both instrumented and sending to
// Jaeger over OTLP/HTTP, one calling the other, give one trace that holds
// both services' spans with the right parents, errors and code attributes.
func TestJaeger(t *testing.T) {
	query, otlpURL := startJaeger(t)
	serverBin, clientBin := build(t, "server"), build(t, "client")
	sink := "otlp+" + otlpURL

	server := exec.Command(serverBin)
	server.Env = append(os.Environ(), "SPANTREE_SINK="+sink, "SPANTREE_SERVICE=e2e-server", "SPANTREE_TAGS=env=e2e,team=pricing")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serverErr strings.Builder
	server.Stderr = &serverErr
	if err := server.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	defer server.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the server's address: %v (stderr: %s)", err, serverErr.String())
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	client := exec.Command(clientBin, "http://"+addr)
	client.Env = append(os.Environ(), "SPANTREE_SINK="+sink, "SPANTREE_SERVICE=e2e-client")
	out, err := client.CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	wantOut := "apple: 3\ndurian: GET http://" + addr + "/price?item=durian: 404 Not Found\n"
	if string(out) != wantOut {
		t.Errorf("client output:\n%s\nwant:\n%s", out, wantOut)
	}
	server.Process.Signal(syscall.SIGTERM) // it shuts down and flushes
	if err := server.Wait(); err != nil {
		t.Errorf("server: %v\n%s", err, serverErr.String())
	}
	if strings.Contains(serverErr.String(), "spantree:") {
		t.Errorf("the server's runtime complained:\n%s", serverErr.String())
	}

	// 8 client spans (main, run, fetch x2, health, and the client span of
	// each request x3) and 7 server spans (price handler x2, price x2,
	// lookup x2, healthz handler).
	const wantSpans = 15
	var tr jTrace
	waitFor(t, 30*time.Second, "the trace in jaeger", func() bool {
		found := traces(t, query, "e2e-client")
		if len(found) != 1 {
			return false
		}
		tr = found[0]
		return len(tr.Spans) >= wantSpans
	})
	if len(tr.Spans) != wantSpans {
		t.Errorf("trace %s has %d spans; want %d", tr.TraceID, len(tr.Spans), wantSpans)
	}

	byID := map[string]*jSpan{}
	for i := range tr.Spans {
		byID[tr.Spans[i].SpanID] = &tr.Spans[i]
	}
	service := func(s *jSpan) string { return tr.Processes[s.ProcessID].ServiceName }

	// The tree: each span as "service name <- parent's service name".
	var edges []string
	for i := range tr.Spans {
		s := &tr.Spans[i]
		edge := service(s) + " " + s.OperationName + " <- "
		if p := byID[s.parent()]; p != nil {
			edge += service(p) + " " + p.OperationName
		} else if s.parent() != "" {
			edge += "missing parent " + s.parent()
		}
		edges = append(edges, edge)
	}
	sort.Strings(edges)
	wantEdges := []string{
		"e2e-client HTTP GET <- e2e-client main.fetch",
		"e2e-client HTTP GET <- e2e-client main.fetch",
		"e2e-client HTTP GET <- e2e-client main.health",
		"e2e-client main.fetch <- e2e-client main.run",
		"e2e-client main.fetch <- e2e-client main.run",
		"e2e-client main.health <- e2e-client main.run",
		"e2e-client main.main <- ",
		"e2e-client main.run <- e2e-client main.main",
		"e2e-server main.lookup <- e2e-server main.price",
		"e2e-server main.lookup <- e2e-server main.price",
		"e2e-server main.main.HandleFunc(/healthz) <- e2e-client HTTP GET",
		"e2e-server main.main.HandleFunc(/price) <- e2e-client HTTP GET",
		"e2e-server main.main.HandleFunc(/price) <- e2e-client HTTP GET",
		"e2e-server main.price <- e2e-server main.main.HandleFunc(/price)",
		"e2e-server main.price <- e2e-server main.main.HandleFunc(/price)",
	}
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("trace tree (-want +got):\n%s", diff)
	}

	// Resource attributes: service.name and SPANTREE_TAGS.
	for _, p := range tr.Processes {
		if p.ServiceName != "e2e-server" {
			continue
		}
		tags := kv(p.Tags)
		if tags["env"] != "e2e" || tags["team"] != "pricing" {
			t.Errorf("e2e-server process tags = %v; want env=e2e and team=pricing", tags)
		}
	}

	// Code attributes: the function, the file and the line of every span.
	lines := map[string]map[string]int{
		"e2e-client": funcLines(t, "client", map[string]string{
			"main.main": "func main()", "main.run": "func run(", "main.fetch": "func fetch(", "main.health": "func health(",
		}),
		"e2e-server": funcLines(t, "server", map[string]string{
			"main.main.HandleFunc(/price)": `mux.HandleFunc("/price"`, "main.main.HandleFunc(/healthz)": `mux.HandleFunc("/healthz"`,
			"main.price": "func price(", "main.lookup": "func lookup(",
		}),
	}
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if strings.HasPrefix(s.OperationName, "HTTP ") {
			continue // a client span: no code of the program's
		}
		svc := service(s)
		got := kv(s.Tags)
		want := map[string]string{
			"code.function": s.OperationName,
			"code.filepath": "e2e/testdata/" + strings.TrimPrefix(svc, "e2e-") + "/main.go",
			"code.lineno":   fmt.Sprint(lines[svc][s.OperationName]),
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s: %s = %q; want %q", svc, s.OperationName, k, got[k], v)
			}
		}
	}

	// HTTP on spans: OpenTelemetry's names and kinds, on the handler spans
	// and on the client spans of the requests.
	var httpSpans []string
	for i := range tr.Spans {
		s := &tr.Spans[i]
		tags := kv(s.Tags)
		if tags["http.request.method"] == "" {
			continue
		}
		httpSpans = append(httpSpans, strings.Join([]string{service(s), s.OperationName, tags["span.kind"],
			tags["http.request.method"], tags["http.route"], tags["server.address"], tags["url.path"],
			tags["http.response.status_code"]}, " "))
	}
	sort.Strings(httpSpans)
	host := strings.Split(addr, ":")[0]
	wantHTTP := []string{
		"e2e-client HTTP GET client GET  " + host + " /healthz 200",
		"e2e-client HTTP GET client GET  " + host + " /price 200",
		"e2e-client HTTP GET client GET  " + host + " /price 404",
		"e2e-server main.main.HandleFunc(/healthz) server GET /healthz   200",
		"e2e-server main.main.HandleFunc(/price) server GET /price   200",
		"e2e-server main.main.HandleFunc(/price) server GET /price   404",
	}
	if diff := cmp.Diff(wantHTTP, httpSpans); diff != "" {
		t.Errorf("HTTP spans: service, name, kind, method, route, host, path, status (-want +got):\n%s", diff)
	}

	// Errors: the failed spans have status ERROR and an exception event;
	// the others none.
	wantFailed := map[string]string{ // service op -> exception.message
		"e2e-server main.lookup": "not found",
		"e2e-server main.price":  `price of "durian": not found`,
		"e2e-client main.fetch":  "GET http://" + addr + "/price?item=durian: 404 Not Found",
	}
	failed := map[string]int{}
	for i := range tr.Spans {
		s := &tr.Spans[i]
		name := service(s) + " " + s.OperationName
		tags := kv(s.Tags)
		isErr := tags["otel.status_code"] == "ERROR" || tags["error"] == "true"
		var exception map[string]string
		for _, l := range s.Logs {
			if f := kv(l.Fields); f["event"] == "exception" {
				exception = f
			}
		}
		if !isErr {
			if exception != nil {
				t.Errorf("%s: exception event %v on a span without error status", name, exception)
			}
			continue
		}
		failed[name]++
		msg, ok := wantFailed[name]
		if !ok {
			t.Errorf("%s: status ERROR; want no error", name)
			continue
		}
		if exception == nil {
			t.Errorf("%s: status ERROR without an exception event; logs: %v", name, s.Logs)
			continue
		}
		if exception["exception.message"] != msg || exception["exception.type"] == "" {
			t.Errorf("%s: exception = %v; want exception.message %q and a type", name, exception, msg)
		}
		if tags["otel.status_description"] != msg {
			t.Errorf("%s: status message = %q; want %q", name, tags["otel.status_description"], msg)
		}
	}
	if diff := cmp.Diff(map[string]int{"e2e-server main.lookup": 1, "e2e-server main.price": 1, "e2e-client main.fetch": 1}, failed); diff != "" {
		t.Errorf("failed spans (-want +got):\n%s", diff)
	}
	// The handler that answered 404 handled the error: an event, no status.
	handled := 0
	for i := range tr.Spans {
		s := &tr.Spans[i]
		for _, l := range s.Logs {
			if f := kv(l.Fields); f["event"] == "handled_error" && s.OperationName == "main.main.HandleFunc(/price)" {
				handled++
			}
		}
	}
	if handled != 1 {
		t.Errorf("handled_error events on the price handlers = %d; want 1", handled)
	}
	if t.Failed() {
		b, _ := json.MarshalIndent(tr, "", "  ")
		t.Logf("trace from jaeger:\n%s", b)
	}
}
