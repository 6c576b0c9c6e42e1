package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spantree/spantree/internal/proctest"
	"github.com/spantree/spantree/store/sqlite"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// BenchmarkReceiver is `make bench-receiver`: the receiver as its users run
// it, `spantree serve` on a database file (SPANTREE_BIN; SPANTREE_BASE_BIN
// adds another build, such as main's, for before and after), and Jaeger v2
// (SPANTREE_JAEGER, see e2e/jaeger.sh) side by side in the same run, each a
// process of its own, with the load sent from this one. Every case sends
// b.N spans (run it with -benchtime Nx) as gzip bodies encoded before the
// timer starts, from 1 or 8 senders, in batches of 100 or 1000 spans, and
// reports spans/s and the receiver process's CPU seconds per million spans
// (from /proc, Linux only). A case is answered as the receiver answers:
// spantree's 202 and 200 come once the spans are committed to the database
// file; Jaeger, on memory storage as in `make e2e`, keeps nothing on disk.
//
// The spantree server keeps one database for the whole run, so later cases
// write to a larger file.
func BenchmarkReceiver(b *testing.B) {
	bin := os.Getenv("SPANTREE_BIN")
	if bin == "" {
		b.Skip("SPANTREE_BIN is not set: run `make bench-receiver`")
	}
	recvs := []*receiver{startSpantree(b, "spantree", bin)}
	if base := os.Getenv("SPANTREE_BASE_BIN"); base != "" {
		// Another build of spantree (an earlier commit), for before
		// and after in the same run.
		recvs = append(recvs, startSpantree(b, "spantree-base", base))
	}
	if jb := os.Getenv("SPANTREE_JAEGER"); jb != "" {
		recvs = append(recvs, startJaegerBench(b, jb, "memory"), startJaegerBench(b, jb, "badger"))
	}
	for _, enc := range benchEncodings {
		for _, senders := range []int{1, 8} {
			for _, batch := range []int{100, 1000} {
				for _, r := range recvs {
					path, ok := r.paths[enc.name]
					if !ok {
						continue
					}
					name := fmt.Sprintf("%s/senders=%d/batch=%d/%s", enc.name, senders, batch, r.name)
					b.Run(name, func(b *testing.B) { r.bench(b, enc, path, senders, batch) })
				}
			}
		}
	}
}

// benchEncoding is one way of sending spans.
type benchEncoding struct {
	name, contentType string
	encode            func(*batchMaker) []byte
	status            int // the answer of a stored batch
}

var benchEncodings = []benchEncoding{
	{"spans", "application/json", (*batchMaker).next, http.StatusAccepted},
	{"otlp-proto", "application/x-protobuf", (*batchMaker).nextOTLP, http.StatusOK},
	{"otlp-json", "application/json", (*batchMaker).nextOTLPJSON, http.StatusOK},
}

// nextOTLPJSON is nextOTLP in OTLP's JSON encoding.
func (m *batchMaker) nextOTLPJSON() []byte {
	m.renew()
	td := ptrace.NewTraces()
	m.fillOTLP(td)
	body, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	return m.gzip(body)
}

// receiver is a receiver process under load.
type receiver struct {
	name  string
	base  string            // http://127.0.0.1:PORT
	paths map[string]string // encoding name -> URL path
	key   string
	pid   int
}

func (r *receiver) bench(b *testing.B, enc benchEncoding, path string, senders, batch int) {
	now := time.Now()
	m := newBatchMaker(batch, now)
	bodies := make([][]byte, (b.N+batch-1)/batch)
	for i := range bodies {
		bodies[i] = enc.encode(m)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	var next atomic.Int64
	var failed atomic.Bool
	cpu0, cpuOK := procCPU(r.pid)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= int64(len(bodies)) {
					return
				}
				req, _ := http.NewRequest("POST", r.base+path, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", enc.contentType)
				req.Header.Set("Content-Encoding", "gzip")
				if r.key != "" {
					req.Header.Set("X-API-Key", r.key)
				}
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					failed.Store(true)
					return
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != enc.status {
					b.Errorf("%s %s: status %d: %s", r.name, path, resp.StatusCode, msg)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu1, _ := procCPU(r.pid)
	spans := float64(len(bodies) * batch)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	if cpuOK {
		b.ReportMetric((cpu1-cpu0).Seconds()/spans*1e6, "cpu-s/Mspans")
	}
}

// procCPU returns the user and system CPU time process pid has used, from
// /proc (Linux).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses:
	// state is the 3rd field of the line, utime and stime the 14th and 15th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ut+st) * tick, true
}

func loopbackPort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs cmd until the benchmark ends, its output in a log
// file shown if the benchmark fails, and waits until ready answers true.
func startProcess(b *testing.B, name string, cmd *exec.Cmd, ready func() bool) int {
	proctest.Start(b, cmd, b.TempDir(), name)
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			b.Fatalf("%s did not start within 60s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmd.Process.Pid
}

func startSpantree(b *testing.B, name, bin string) *receiver {
	db := filepath.Join(b.TempDir(), "bench.db")
	st, err := sqlite.Open(db)
	if err != nil {
		b.Fatal(err)
	}
	key, err := st.CreateKey(context.Background(), "acme")
	st.Close()
	if err != nil {
		b.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", loopbackPort(b))
	r := &receiver{name: name, base: "http://" + addr, key: key,
		paths: map[string]string{"spans": "/v1/spans", "otlp-proto": "/v1/traces", "otlp-json": "/v1/traces"}}
	cmd := exec.Command(bin, "serve", "-addr", addr, "-db", db)
	r.pid = startProcess(b, name, cmd, func() bool {
		resp, err := http.Get(r.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return r
}

// jaegerBenchConfig is e2e's Jaeger: the OTLP/HTTP receiver and the query
// API on loopback ports, nothing else, with the storage backend of
// jaegerBackends.
const jaegerBenchConfig = `
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
%s
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

// jaegerBackends are the storage backends Jaeger runs with: in memory, as
// `make e2e` runs it, and on disk (Badger, which it embeds, writing
// asynchronously: Badger's default SyncWrites is false).
var jaegerBackends = map[string]string{
	"memory": `        memory:
          max_traces: 10000`,
	"badger": `        badger:
          directories:
            keys: %[1]s/keys
            values: %[1]s/values
          ephemeral: false`,
}

func startJaegerBench(b *testing.B, bin, backend string) *receiver {
	qport, gport, oport := loopbackPort(b), loopbackPort(b), loopbackPort(b)
	dir := b.TempDir()
	cfg := filepath.Join(dir, "jaeger.yaml")
	storage := strings.ReplaceAll(jaegerBackends[backend], "%[1]s", dir)
	if err := os.WriteFile(cfg, fmt.Appendf(nil, jaegerBenchConfig, storage, qport, gport, oport), 0o644); err != nil {
		b.Fatal(err)
	}
	r := &receiver{name: "jaeger-" + backend, base: fmt.Sprintf("http://127.0.0.1:%d", oport),
		paths: map[string]string{"otlp-proto": "/v1/traces", "otlp-json": "/v1/traces"}}
	r.pid = startProcess(b, r.name, exec.Command(bin, "--config", cfg), func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/services", qport))
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
	return r
}
