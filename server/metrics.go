package server

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// Metrics. GET /metrics answers in the Prometheus text format. With an API
// key (X-API-Key, or Authorization: Bearer KEY, which is how Prometheus
// sends a scrape's credentials) it serves that namespace's RED series, per
// app (the service tag) and span name: calls, failures and a duration
// histogram of the finished spans the receiver accepted since it started
// (counters, so a restart is a reset, which rate() takes in its stride).
// Without a key it serves the receiver's own: spans and batches ingested,
// requests refused, and the Go and process collectors.
//
// The series are kept in memory, fed at ingest, not read back from the
// store: a scrape costs what the series count, whatever the span volume.
// Label values are bounded: past maxSeries (app, name) pairs in a
// namespace, new span names count under name="other". A folded span counts
// its calls (fold count), at their mean duration. A span sent again (a
// sink's retry after a lost answer) counts again.

// maxSeries bounds the (app, name) pairs of a namespace's metrics.
const maxSeries = 2000

// durationBuckets are the histogram's upper bounds, in seconds.
var durationBuckets = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

var (
	callsDesc = prometheus.NewDesc("spantree_span_calls_total",
		"Finished calls of a function (spans, folded calls counted one by one), by app and span name.",
		[]string{"app", "name"}, nil)
	failuresDesc = prometheus.NewDesc("spantree_span_failures_total",
		"Failed calls of a function, by app and span name.",
		[]string{"app", "name"}, nil)
	durationDesc = prometheus.NewDesc("spantree_span_duration_seconds",
		"Duration of the calls of a function, by app and span name.",
		[]string{"app", "name"}, nil)
)

// seriesKey is one (app, name) pair.
type seriesKey struct{ app, name string }

// series is what a namespace's metrics hold for one pair.
type series struct {
	calls, failed uint64
	sum           float64 // seconds
	hist          store.Histogram
}

// nsMetrics is one namespace's series and the registry that serves them.
type nsMetrics struct {
	mu     sync.Mutex
	series map[seriesKey]*series
	reg    *prometheus.Registry
}

// Describe and Collect make nsMetrics a prometheus.Collector.
func (m *nsMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- callsDesc
	ch <- failuresDesc
	ch <- durationDesc
}

func (m *nsMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, s := range m.series {
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.CounterValue, float64(s.calls), k.app, k.name)
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(s.failed), k.app, k.name)
		buckets := make(map[float64]uint64, len(durationBuckets))
		total := s.hist.Count()
		for _, le := range durationBuckets {
			buckets[le] = total - s.hist.Above(time.Duration(le*float64(time.Second)))
		}
		ch <- prometheus.MustNewConstHistogram(durationDesc, total, s.sum, buckets, k.app, k.name)
	}
}

// observe counts the finished spans of b.
func (m *nsMetrics) observe(b *spantree.Batch) {
	app := b.Tags["service"]
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range b.Spans {
		d := &b.Spans[i]
		if d.Status == spantree.StatusStarted {
			continue
		}
		k := seriesKey{app, d.Name}
		s := m.series[k]
		if s == nil {
			if len(m.series) >= maxSeries {
				k.name = "other"
				s = m.series[k]
			}
			if s == nil {
				s = &series{}
				m.series[k] = s
			}
		}
		n, dur := uint64(1), d.End.Sub(d.Start)
		if f := d.Fold; f != nil && f.Count > 1 {
			n, dur = uint64(f.Count), time.Duration(f.TotalNS/f.Count)
		}
		s.calls += n
		if d.Status == spantree.StatusFailed {
			s.failed += n
		}
		s.sum += dur.Seconds() * float64(n)
		s.hist.AddN(dur, n)
	}
}

// metrics holds every namespace's series and the receiver's own.
type metrics struct {
	mu  sync.Mutex
	ns  map[string]*nsMetrics
	own *prometheus.Registry

	spans, batches prometheus.Counter
	refused        *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{ns: map[string]*nsMetrics{}, own: prometheus.NewRegistry()}
	m.spans = prometheus.NewCounter(prometheus.CounterOpts{Name: "spantree_receiver_spans_total",
		Help: "Spans the receiver stored (acknowledged with 202)."})
	m.batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "spantree_receiver_batches_total",
		Help: "Ingest requests the receiver stored."})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "spantree_receiver_refused_total",
		Help: "Ingest requests the receiver refused, by HTTP status."}, []string{"code"})
	m.own.MustRegister(m.spans, m.batches, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// namespace returns ns's metrics, creating them.
func (m *metrics) namespace(ns string) *nsMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.ns[ns]
	if n == nil {
		n = &nsMetrics{series: map[seriesKey]*series{}, reg: prometheus.NewRegistry()}
		n.reg.MustRegister(n)
		m.ns[ns] = n
	}
	return n
}

// ingested counts batches stored in ns.
func (m *metrics) ingested(ns string, batches []spantree.Batch) {
	n := m.namespace(ns)
	for i := range batches {
		n.observe(&batches[i])
		m.spans.Add(float64(len(batches[i].Spans)))
	}
	m.batches.Inc()
}

// metricsKey is the API key of a scrape: X-API-Key, or a bearer token.
func metricsKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// metricsHandler is GET /metrics.
func (s *server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	key := metricsKey(r)
	if key == "" {
		promhttp.HandlerFor(s.metrics.own, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return
	}
	r.Header.Set("X-API-Key", key)
	ns, err := s.ns(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	promhttp.HandlerFor(s.metrics.namespace(ns).reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
