// Package storetest is the conformance suite of the storage engines: the
// cases that every [store.Store] must pass, whatever it stores in. An
// engine's tests call [Run] with a function that opens an empty store;
// SQLite (store/sqlite) and ClickHouse (store/clickhouse) both do.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/store"
)

// Opener opens a new, empty store for one test, closed when the test ends
// (t.Cleanup).
type Opener func(t *testing.T) store.Store

// Pruner is a store with retention: Prune deletes the traces, spans and
// rollups older than cutoff (an engine may keep them up to a day longer,
// if it deletes by whole days) and returns how many rows it deleted.
type Pruner interface {
	Prune(ctx context.Context, cutoff time.Time) (int, error)
}

// PairOpener opens two stores on one new, empty database, as two receivers
// (or processes) sharing it would, both closed when the test ends.
type PairOpener func(t *testing.T) (store.Store, store.Store)

// Run runs every case against stores that open makes. The cases of
// several stores on one database use pair when it is given, else two
// callers of one store.
func Run(t *testing.T, open Opener, pair ...PairOpener) {
	if len(pair) == 0 {
		pair = []PairOpener{func(t *testing.T) (store.Store, store.Store) {
			st := open(t)
			return st, st
		}}
	}
	cases := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"IngestNothingOnCancel", testIngestNothingOnCancel},
		{"ReplaceAndDistributedTrace", testReplace},
		{"LookupByKSUIDAndHex", testLookup},
		{"NamespaceIsolation", testNamespaces},
		{"Keys", testKeys},
		{"ListFilters", testListFilters},
		{"Query", testQuery},
		{"Pages", testPages},
		{"ServicePicker", testServicePicker},
		{"ServicesOfADistributedTrace", testServices},
		{"ErrorVerdictsAndRegressions", testVerdicts},
		{"JoinedErrorsGroupAtTheirCauses", testJoinedErrors},
		{"Rollups", testRollups},
		{"FoldsCountCalls", testFolds},
		{"LargeRequestSentTwice", testLarge},
		{"SlowSpans", testSlow},
		{"Health", testHealth},
		{"Apps", testApps},
		{"Retention", testRetention},
		{"AlertRecords", testAlertRecords},
		{"Series", testSeries},
		{"WindowOfHours", testWindow},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"KeyLifecycle", testKeyLifecycle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
	t.Run("RunNumbers", func(t *testing.T) { testRunNumbers(t, pair[0]) })
}

// t0 is the start of the spans of most cases: a fixed time, far enough in
// the past that nothing is running, in the retention of no engine's tests.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func traceID(n byte) spantree.TraceID {
	var p [16]byte
	p[0], p[15] = 0xab, n
	return spantree.TraceIDFromW3C(p, t0)
}

// sp makes a span of trace tr: id and parent (0: a root), start and
// duration in ms from t0, and a status; a failed span's error names it.
func sp(tr spantree.TraceID, id, parent byte, name string, startMs, durMs int, status spantree.Status) spantree.SpanData {
	s := spantree.SpanData{TraceID: tr, SpanID: spantree.SpanID{id, 0xee}, Name: name, Location: name + ".go:1",
		Start: t0.Add(time.Duration(startMs) * time.Millisecond), Status: status}
	if parent != 0 {
		s.ParentID = spantree.SpanID{parent, 0xee}
	}
	if status != spantree.StatusStarted {
		s.End = s.Start.Add(time.Duration(durMs) * time.Millisecond)
	}
	if status == spantree.StatusFailed {
		s.Error = &spantree.ErrorInfo{Type: "*errors.errorString", Message: "boom " + name}
	}
	return s
}

func ingest(t *testing.T, st store.Store, ns string, tags map[string]string, spans ...spantree.SpanData) {
	t.Helper()
	n, err := st.Ingest(context.Background(), ns, []spantree.Batch{{Tags: tags, Spans: spans}})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(spans) {
		t.Fatalf("Ingest = %d; want %d", n, len(spans))
	}
}

func traces(t *testing.T, st store.Store, ns string, q store.TraceQuery) []store.TraceSummary {
	t.Helper()
	list, err := st.Traces(context.Background(), ns, q)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func groups(t *testing.T, st store.Store, ns string) []store.ErrorGroup {
	t.Helper()
	gs, err := st.ErrorGroups(context.Background(), ns, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// testIngestNothingOnCancel: an Ingest whose context has ended stores
// nothing of its spans (all or nothing), and the store goes on working.
func testIngestNothingOnCancel(t *testing.T, open Opener) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr := traceID(1)
	if _, err := st.Ingest(ctx, "ns", []spantree.Batch{{Spans: []spantree.SpanData{sp(tr, 1, 0, "main", 0, 10, spantree.StatusFailed)}}}); err == nil {
		t.Fatal("Ingest with a cancelled context succeeded")
	}
	if _, err := st.Trace(context.Background(), "ns", tr); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Trace after a cancelled Ingest = %v; want store.ErrNotFound", err)
	}
	if gs := groups(t, st, "ns"); len(gs) != 0 {
		t.Errorf("error groups after a cancelled Ingest: %+v", gs)
	}
	if n, err := st.Ingest(context.Background(), "ns", []spantree.Batch{{}}); err != nil || n != 0 {
		t.Errorf("Ingest of no spans = %d, %v; want 0, nil", n, err)
	}
	ingest(t, st, "ns", nil, sp(tr, 1, 0, "main", 0, 10, spantree.StatusSucceeded))
	if list := traces(t, st, "ns", store.TraceQuery{}); len(list) != 1 {
		t.Errorf("Traces after a later Ingest = %+v; want one", list)
	}
}

// spanLines describes a trace's spans as "name status duration".
func spanLines(tr *store.Trace) []string {
	var out []string
	for _, s := range tr.Spans {
		out = append(out, fmt.Sprintf("%s %s %v", s.Name, s.Status, s.Duration()))
	}
	return out
}

// testReplace: a span sent again replaces its copy, a finished copy is
// never replaced by a late running one, and the spans of one trace sent by
// two processes with different KSUID prefixes make one trace.
func testReplace(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	tr := traceID(1)
	root := sp(tr, 1, 0, "main.main", 0, 3000, spantree.StatusSucceeded)
	running := sp(tr, 1, 0, "main.main", 0, 0, spantree.StatusStarted)
	child := sp(tr, 2, 1, "main.work", 1000, 1000, spantree.StatusSucceeded)
	remote := sp(tr, 3, 2, "worker.handle", 1100, 500, spantree.StatusSucceeded)
	remote.TraceID = spantree.TraceIDFromW3C(tr.Payload(), t0.Add(time.Hour))
	ingest(t, st, "ns", map[string]string{"service": "api"}, running, child)
	ingest(t, st, "ns", map[string]string{"service": "worker"}, remote)
	ingest(t, st, "ns", map[string]string{"service": "api"}, root)
	ingest(t, st, "ns", map[string]string{"service": "api"}, running) // late copy
	ingest(t, st, "ns", map[string]string{"service": "api"}, root, child)
	got, err := st.Trace(ctx, "ns", tr)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"main.main succeeded 3s", "main.work succeeded 1s", "worker.handle succeeded 500ms"}
	if diff := cmp.Diff(want, spanLines(got)); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if got.TraceID != tr {
		t.Errorf("trace_id = %s; want the first seen, %s", got.TraceID, tr)
	}
	wantList := []store.TraceSummary{{TraceID: tr, Hex: tr.Hex(), Name: "main.main", App: "api", Start: t0, Duration: int64(3 * time.Second),
		Status: spantree.StatusSucceeded, Spans: 3, Tags: map[string]string{"service": "api"}}}
	// Run numbers, which an engine may give some seconds later, are
	// RunNumbers' to check.
	if diff := cmp.Diff(wantList, traces(t, st, "ns", store.TraceQuery{}), cmpopts.IgnoreFields(store.TraceSummary{}, "Run")); diff != "" {
		t.Errorf("Traces (-want +got):\n%s", diff)
	}
	// Running only: the trace is running, its root the running span.
	tr2 := traceID(2)
	ingest(t, st, "ns", map[string]string{"service": "api"}, sp(tr2, 1, 0, "main.main", 5000, 0, spantree.StatusStarted))
	list := traces(t, st, "ns", store.TraceQuery{Status: spantree.StatusStarted})
	if len(list) != 1 || list[0].TraceID != tr2 || list[0].Duration != 0 {
		t.Errorf("running traces = %+v; want trace 2, duration 0", list)
	}
}

// testLookup: a trace is found by its KSUID, by another KSUID of the same
// payload and by its 32-hex id; an unknown one is store.ErrNotFound.
func testLookup(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	tr := traceID(7)
	ingest(t, st, "ns", nil, sp(tr, 1, 0, "main", 0, 10, spantree.StatusSucceeded))
	hex, err := spantree.ParseTraceID(tr.Hex())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []spantree.TraceID{tr, spantree.TraceIDFromW3C(tr.Payload(), t0.Add(-time.Hour)), hex} {
		got, err := st.Trace(ctx, "ns", id)
		if err != nil {
			t.Fatalf("Trace(%s): %v", id, err)
		}
		if got.TraceID != tr || got.Hex != tr.Hex() || len(got.Spans) != 1 {
			t.Errorf("Trace(%s) = %s %s, %d spans; want %s %s, 1", id, got.TraceID, got.Hex, len(got.Spans), tr, tr.Hex())
		}
	}
	if _, err := st.Trace(ctx, "ns", traceID(8)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Trace of an unknown id = %v; want store.ErrNotFound", err)
	}
}

// testNamespaces: nothing of one namespace is seen from another.
func testNamespaces(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	ingest(t, st, "acme", map[string]string{"service": "api", "version": "1"}, sp(traceID(1), 1, 0, "a.main", 0, 10, spantree.StatusFailed))
	ingest(t, st, "other", map[string]string{"service": "web"}, sp(traceID(2), 1, 0, "o.main", 0, 10, spantree.StatusSucceeded))
	if _, err := st.Trace(ctx, "other", traceID(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Trace of acme's trace from other = %v; want store.ErrNotFound", err)
	}
	if _, err := st.Trace(ctx, "nobody", traceID(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Trace from a namespace that does not exist = %v; want store.ErrNotFound", err)
	}
	names := func(list []store.TraceSummary) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.Name)
		}
		return out
	}
	for ns, want := range map[string][]string{"acme": {"a.main"}, "other": {"o.main"}, "nobody": nil} {
		if diff := cmp.Diff(want, names(traces(t, st, ns, store.TraceQuery{}))); diff != "" {
			t.Errorf("%s: traces (-want +got):\n%s", ns, diff)
		}
	}
	if gs := groups(t, st, "other"); len(gs) != 0 {
		t.Errorf("other: error groups %+v; want none", gs)
	}
	if gs := groups(t, st, "acme"); len(gs) != 1 {
		t.Errorf("acme: error groups %+v; want one", gs)
	} else if _, err := st.Annotate(ctx, "other", gs[0].Fingerprint, store.Annotation{Kind: store.KindCrash, Severity: store.SeverityAlert}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Annotate of acme's group from other = %v; want store.ErrNotFound", err)
	}
	apps, err := st.Apps(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].Name != "web" {
		t.Errorf("other: apps %+v; want web only", apps)
	}
	n := 0
	if err := st.ScanRollups(ctx, "other", t0.Add(-time.Hour), t0.Add(time.Hour), func(r *store.Rollup) error {
		if r.Name != "o.main" {
			t.Errorf("other: rollup of %s", r.Name)
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.ScanSpans(ctx, "other", t0.Add(-time.Hour), t0.Add(time.Hour), func(s *store.SpanStat) error {
		if s.Name != "o.main" {
			t.Errorf("other: span %s", s.Name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("other: %d rollups; want 1", n)
	}
	nss, err := st.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "other"}, nss); diff != "" {
		t.Errorf("Namespaces (-want +got):\n%s", diff)
	}
}

// testKeys: a key authenticates as its namespace, made if needed; an
// unknown or empty key does not.
func testKeys(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	ka, err := st.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := st.CreateKey(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{ka: "acme", kb: "beta"} {
		got, err := st.Authenticate(ctx, key)
		if err != nil || got != want {
			t.Errorf("Authenticate = %q, %v; want %q", got, err, want)
		}
	}
	for _, key := range []string{"", "stk_nope", ka + "x"} {
		if _, err := st.Authenticate(ctx, key); !errors.Is(err, store.ErrUnauthorized) {
			t.Errorf("Authenticate(%q) = %v; want store.ErrUnauthorized", key, err)
		}
	}
	if _, err := st.CreateKey(ctx, ""); err == nil {
		t.Error("CreateKey of an empty namespace succeeded")
	}
	nss, err := st.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "beta"}, nss); diff != "" {
		t.Errorf("Namespaces (-want +got):\n%s", diff)
	}
}

// testListFilters: each filter of store.TraceQuery, newest first.
func testListFilters(t *testing.T, open Opener) {
	st := open(t)
	ingest(t, st, "ns", map[string]string{"service": "api", "env": "prod"},
		sp(traceID(1), 1, 0, "api.get", 0, 10, spantree.StatusSucceeded),
		sp(traceID(2), 1, 0, "api.get", 1000, 200, spantree.StatusFailed),
		sp(traceID(2), 2, 1, "db.query", 1000, 150, spantree.StatusSucceeded))
	ingest(t, st, "ns", map[string]string{"service": "cron", "env": "dev"}, sp(traceID(3), 1, 0, "cron.run", 2000, 1000, spantree.StatusSucceeded))
	tests := []struct {
		q    store.TraceQuery
		want []byte // trace numbers, newest first
	}{
		{store.TraceQuery{}, []byte{3, 2, 1}},
		{store.TraceQuery{Status: spantree.StatusFailed}, []byte{2}},
		{store.TraceQuery{Name: "db.query"}, []byte{2}},
		{store.TraceQuery{Tags: map[string]string{"env": "prod"}}, []byte{2, 1}},
		{store.TraceQuery{Tags: map[string]string{"env": "prod", "service": "cron"}}, nil},
		{store.TraceQuery{MinDuration: 100 * time.Millisecond}, []byte{3, 2}},
		{store.TraceQuery{Since: t0.Add(500 * time.Millisecond)}, []byte{3, 2}},
		{store.TraceQuery{Limit: 1}, []byte{3}},
		{store.TraceQuery{Status: spantree.StatusSucceeded, Tags: map[string]string{"service": "api"}}, []byte{1}},
	}
	for _, tt := range tests {
		var got []byte
		for _, s := range traces(t, st, "ns", tt.q) {
			got = append(got, s.TraceID.Payload()[15])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Traces(%+v) (-want +got):\n%s", tt.q, diff)
		}
	}
	list := traces(t, st, "ns", store.TraceQuery{Name: "db.query"})
	if len(list) == 1 && (list[0].Spans != 2 || list[0].Errors != 1 || list[0].Name != "api.get" || list[0].Duration != int64(200*time.Millisecond)) {
		t.Errorf("trace 2 = %+v; want api.get, 2 spans, 1 error, 200ms", list[0])
	}
}

// testServices: each span of a trace that crosses two processes keeps its
// own process's tags (the server's spans arrive first, as they end first);
// the trace lists its services, root's first, and shows the root's tags;
// filters by service or tag find the traces with spans of that service,
// not only those rooted in it.
func testServices(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	shop := map[string]string{"service": "shopd", "version": "1.0"}
	pay := map[string]string{"service": "payd", "version": "2.3", "region": "eu"}
	tr := traceID(1)
	ingest(t, st, "ns", pay, sp(tr, 3, 2, "pay.Handle", 10, 50, spantree.StatusSucceeded),
		sp(tr, 4, 3, "pay.charge", 20, 30, spantree.StatusSucceeded))
	ingest(t, st, "ns", shop, sp(tr, 1, 0, "shop.main", 0, 100, spantree.StatusSucceeded),
		sp(tr, 2, 1, "shop.checkout", 5, 60, spantree.StatusSucceeded))
	ingest(t, st, "ns", pay, sp(traceID(2), 1, 0, "pay.Refund", 1000, 5, spantree.StatusSucceeded))

	got, err := st.Trace(ctx, "ns", tr)
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]string{}
	for _, s := range got.Spans {
		services[s.Name] = s.Service
	}
	wantServices := map[string]string{"shop.main": "shopd", "shop.checkout": "shopd", "pay.Handle": "payd", "pay.charge": "payd"}
	if diff := cmp.Diff(wantServices, services); diff != "" {
		t.Errorf("services of the spans (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shopd", "payd"}, got.Services); diff != "" {
		t.Errorf("Services (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(shop, got.Tags); diff != "" {
		t.Errorf("Tags (-want +got), the root's process's:\n%s", diff)
	}
	procs := map[string][]string{}
	for _, p := range got.Processes {
		for _, id := range p.Spans {
			procs[p.Tags["service"]+" "+p.Tags["version"]] = append(procs[p.Tags["service"]+" "+p.Tags["version"]], id.String()[:2])
		}
		if p.Tags["service"] == "payd" && p.Tags["region"] != "eu" {
			t.Errorf("payd's process tags = %v; want its region too", p.Tags)
		}
	}
	if diff := cmp.Diff(map[string][]string{"shopd 1.0": {"01", "02"}, "payd 2.3": {"03", "04"}}, procs); diff != "" {
		t.Errorf("Processes: span ids by service and version (-want +got):\n%s", diff)
	}

	list := traces(t, st, "ns", store.TraceQuery{Tags: map[string]string{"service": "shopd"}})
	if len(list) != 1 || list[0].TraceID != tr || list[0].App != "shopd" {
		t.Fatalf("Traces(service shopd) = %+v; want trace 1, app shopd", list)
	}
	if diff := cmp.Diff(shop, list[0].Tags); diff != "" {
		t.Errorf("trace 1's summary tags (-want +got), the root's process's:\n%s", diff)
	}
	tests := []struct {
		tags map[string]string
		want []byte // trace numbers, newest first
	}{
		{map[string]string{"service": "payd"}, []byte{2, 1}},
		{map[string]string{"version": "2.3"}, []byte{2, 1}},
		{map[string]string{"version": "1.0"}, []byte{1}},
		{map[string]string{"region": "eu"}, []byte{2, 1}},
		{map[string]string{"service": "payd", "region": "eu"}, []byte{2, 1}},
		{map[string]string{"service": "nobody"}, nil},
	}
	for _, tt := range tests {
		var got []byte
		for _, s := range traces(t, st, "ns", store.TraceQuery{Tags: tt.tags}) {
			got = append(got, s.TraceID.Payload()[15])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Traces(tags %v) (-want +got):\n%s", tt.tags, diff)
		}
	}
}

// testJoinedErrors: a function that joins the errors its goroutines
// handed over (errors.Join) fails with all their messages; the groups are
// its causes', not one more for the join.
func testJoinedErrors(t *testing.T, open Opener) {
	st := open(t)
	tr := traceID(1)
	root := sp(tr, 1, 0, "main.fetchAll", 0, 100, spantree.StatusFailed)
	one := sp(tr, 3, 2, "main.fetchOne", 1, 10, spantree.StatusFailed)
	two := sp(tr, 5, 4, "main.fetchTwo", 1, 20, spantree.StatusFailed)
	root.Error = &spantree.ErrorInfo{Type: "*errors.joinError", Message: one.Error.Message + "\n" + two.Error.Message}
	g1 := sp(tr, 2, 1, "main.fetchAll.func1", 0, 11, spantree.StatusSucceeded)
	g2 := sp(tr, 4, 1, "main.fetchAll.func1", 0, 21, spantree.StatusSucceeded)
	g1.Goroutine, g2.Goroutine = true, true
	ingest(t, st, "ns", map[string]string{"service": "api"}, root, g1, one, g2, two)
	var names []string
	for _, g := range groups(t, st, "ns") {
		names = append(names, g.Name)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"main.fetchOne", "main.fetchTwo"}, names); diff != "" {
		t.Errorf("error groups by span name (-want +got):\n%s", diff)
	}
}

// testVerdicts: failures group by fingerprint at the span they started
// in; a span sent again counts once; a verdict is inherited by later
// occurrences of its version and lifted (regressed) by a newer version,
// until judged again.
func testVerdicts(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	fail := func(tr byte, version string) {
		t.Helper()
		ingest(t, st, "ns", map[string]string{"service": "api", "version": version},
			sp(traceID(tr), 1, 0, "main.main", 0, 1000, spantree.StatusFailed),
			sp(traceID(tr), 2, 1, "db.query", 0, 1, spantree.StatusFailed))
	}
	fail(1, "1.9.0")
	fail(1, "1.9.0") // sent twice: one occurrence
	fail(2, "1.9.0")
	gs := groups(t, st, "ns")
	if len(gs) != 1 || gs[0].Name != "db.query" || gs[0].Count != 2 || gs[0].Annotation != nil || gs[0].Regressed ||
		gs[0].Type != "*errors.errorString" || gs[0].App != "api" || gs[0].LastVersion != "1.9.0" || gs[0].GroupingVersion != store.GroupingVersion {
		t.Fatalf("ErrorGroups = %+v; want one unjudged db.query group of 2", gs)
	}
	fp := gs[0].Fingerprint
	if gs[0].FirstSeen != t0.Add(time.Millisecond) || gs[0].LastSeen != t0.Add(time.Millisecond) {
		t.Errorf("first and last seen %v, %v; want %v", gs[0].FirstSeen, gs[0].LastSeen, t0.Add(time.Millisecond))
	}
	if _, err := st.Annotate(ctx, "ns", "ffff", store.Annotation{Kind: store.KindCrash, Severity: store.SeverityOK}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Annotate of an unknown group = %v; want store.ErrNotFound", err)
	}
	if _, err := st.Annotate(ctx, "ns", fp, store.Annotation{Kind: "oops", Severity: store.SeverityOK}); err == nil {
		t.Error("Annotate with a bad kind succeeded")
	}
	g, err := st.Annotate(ctx, "ns", fp, store.Annotation{Kind: store.KindSilenced, Severity: store.SeverityOK, Note: "retried upstream"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Annotation == nil || g.Annotation.Version != "1.9.0" || g.Annotation.Note != "retried upstream" || g.Annotation.Updated.IsZero() || g.Regressed {
		t.Errorf("Annotate = %+v; want silenced at version 1.9.0", g)
	}
	fail(3, "1.9.0") // same version: inherits the verdict quietly
	tr, err := st.Trace(ctx, "ns", traceID(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Errors) != 1 || tr.Errors[0].Fingerprint != fp || tr.Errors[0].SpanID != (spantree.SpanID{2, 0xee}) ||
		tr.Errors[0].Annotation == nil || tr.Errors[0].Annotation.Note != "retried upstream" || tr.Errors[0].Regressed {
		t.Errorf("trace 3 errors = %+v; want the inherited verdict on span 2, not regressed", tr.Errors)
	}
	fail(4, "1.10.0") // newer: regressed
	gs = groups(t, st, "ns")
	if len(gs) != 1 || !gs[0].Regressed || gs[0].Count != 4 || gs[0].LastVersion != "1.10.0" {
		t.Errorf("ErrorGroups after 1.10.0 = %+v; want the group regressed, count 4", gs)
	}
	if tr, err := st.Trace(ctx, "ns", traceID(4)); err != nil || len(tr.Errors) != 1 || !tr.Errors[0].Regressed {
		t.Errorf("trace 4 = %+v, %v; want its error regressed", tr, err)
	}
	g, err = st.Annotate(ctx, "ns", fp, store.Annotation{Kind: store.KindCrash, Severity: store.SeverityAlert})
	if err != nil {
		t.Fatal(err)
	}
	if g.Regressed || g.Annotation.Version != "1.10.0" || g.Annotation.Kind != store.KindCrash {
		t.Errorf("Annotate again = %+v; want a crash at 1.10.0, not regressed", g)
	}
	fail(5, "1.11.0") // a crash verdict does not regress
	if gs := groups(t, st, "ns"); len(gs) != 1 || gs[0].Regressed || gs[0].Annotation.Severity != store.SeverityAlert {
		t.Errorf("ErrorGroups after 1.11.0 = %+v; want the alert kept, not regressed", gs)
	}
	since, err := st.ErrorGroups(ctx, "ns", t0.Add(time.Hour))
	if err != nil || len(since) != 0 {
		t.Errorf("ErrorGroups since after the last one = %+v, %v; want none", since, err)
	}
}

// rollupCounts is what the rollups say per span name: count, failed, roots,
// failed roots, max in ms.
type rollupCounts map[string][5]int

func readRollups(t *testing.T, st store.Store, ns string) (rollupCounts, map[string][]string) {
	t.Helper()
	got := rollupCounts{}
	fps := map[string][]string{}
	err := st.ScanRollups(context.Background(), ns, t0.Add(-time.Hour), t0.Add(time.Hour), func(r *store.Rollup) error {
		c := got[r.Name]
		c[0] += r.Count
		c[1] += r.Failed
		c[2] += r.Roots
		c[3] += r.RootsFailed
		c[4] = max(c[4], int(r.Max/time.Millisecond))
		got[r.Name] = c
		if int(r.Hist.Count()) != r.Count {
			t.Errorf("%s at %s: histogram counts %d; rollup %d", r.Name, r.Minute, r.Hist.Count(), r.Count)
		}
		if r.Minute.Truncate(store.RollupMinute) != r.Minute {
			t.Errorf("%s: minute %v is not the start of a minute", r.Name, r.Minute)
		}
		fps[r.Name] = append(fps[r.Name], r.Fingerprints...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, fps
}

// testRollups: a span counts once in the rollups, with its first finished
// copy, however it is sent again.
func testRollups(t *testing.T, open Opener) {
	tr := traceID(1)
	root := sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded)
	running := sp(tr, 1, 0, "main", 0, 0, spantree.StatusStarted)
	child := sp(tr, 2, 1, "step", 10, 20, spantree.StatusFailed)
	slower := sp(tr, 2, 1, "step", 10, 50, spantree.StatusFailed) // a later copy: not counted
	tests := []struct {
		name    string
		batches [][]spantree.SpanData // one Ingest call each
		want    rollupCounts
	}{
		{"once", [][]spantree.SpanData{{root, child}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running then finished", [][]spantree.SpanData{{running, child}, {root}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running only", [][]spantree.SpanData{{running}}, rollupCounts{}},
		{"finished then running", [][]spantree.SpanData{{root}, {running}},
			rollupCounts{"main": {1, 0, 1, 0, 100}}},
		{"sent twice", [][]spantree.SpanData{{root, child}, {root, slower}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"twice in one batch", [][]spantree.SpanData{{root, child, root, slower}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
		{"running and finished in one batch", [][]spantree.SpanData{{running, root, root}},
			rollupCounts{"main": {1, 0, 1, 0, 100}}},
		{"the same request three times", [][]spantree.SpanData{{root, child}, {root, child}, {root, child}},
			rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {1, 1, 0, 0, 20}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := open(t)
			for _, spans := range tt.batches {
				ingest(t, st, "ns", map[string]string{"service": "app"}, spans...)
			}
			got, fps := readRollups(t, st, "ns")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rollups: count, failed, roots, failed roots, max ms (-want +got):\n%s", diff)
			}
			if _, ok := tt.want["step"]; ok && len(fps["step"]) != 1 {
				t.Errorf("fingerprints of step: %v; want one", fps["step"])
			}
		})
	}
}

// testFolds: a folded span stands for fold.count calls; the rollups and the
// error groups count calls, not rows, and a folded span sent again once.
func testFolds(t *testing.T, open Opener) {
	fold := func(s spantree.SpanData, count int64) spantree.SpanData {
		s.Fold = &spantree.Fold{Count: count, TotalNS: count * int64(2*time.Millisecond), MinNS: int64(time.Millisecond), MaxNS: int64(3 * time.Millisecond)}
		return s
	}
	tests := []struct {
		name      string
		spans     func(tr spantree.TraceID) []spantree.SpanData
		want      rollupCounts
		wantCalls map[string]int // error group counts by span name
	}{
		{"folded successes", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded),
				fold(sp(tr, 2, 1, "step", 1, 90, spantree.StatusSucceeded), 40)}
		}, rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {40, 0, 0, 0, 3}}, map[string]int{}},
		{"folded failures", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{sp(tr, 1, 0, "main", 0, 100, spantree.StatusSucceeded),
				fold(sp(tr, 2, 1, "step", 1, 90, spantree.StatusFailed), 25),
				sp(tr, 3, 1, "step", 95, 2, spantree.StatusFailed)}
		}, rollupCounts{"main": {1, 0, 1, 0, 100}, "step": {26, 26, 0, 0, 3}}, map[string]int{"step": 26}},
		{"a fold of one call", func(tr spantree.TraceID) []spantree.SpanData {
			return []spantree.SpanData{fold(sp(tr, 1, 0, "main", 0, 7, spantree.StatusSucceeded), 1)}
		}, rollupCounts{"main": {1, 0, 1, 0, 7}}, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := open(t)
			spans := tt.spans(traceID(1))
			for range 2 {
				ingest(t, st, "ns", map[string]string{"service": "app"}, spans...)
			}
			got, _ := readRollups(t, st, "ns")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rollups: count, failed, roots, failed roots, max ms (-want +got):\n%s", diff)
			}
			gotCalls := map[string]int{}
			for _, g := range groups(t, st, "ns") {
				gotCalls[g.Name] += g.Count
			}
			if diff := cmp.Diff(tt.wantCalls, gotCalls); diff != "" {
				t.Errorf("error group counts by span name (-want +got):\n%s", diff)
			}
		})
	}
}

// testLarge: a request of several large batches, sent twice, is stored
// once, span by span, trace by trace and in the rollups.
func testLarge(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	const traces, per = 50, 100
	var batches []spantree.Batch
	for b := range 3 {
		batch := spantree.Batch{Tags: map[string]string{"service": "app"}}
		for i := range traces {
			tr := traceID(byte(i + 1))
			for j := range per {
				if j%3 != b {
					continue
				}
				if j == 0 {
					batch.Spans = append(batch.Spans, sp(tr, 1, 0, "main", i*1000, 500, spantree.StatusSucceeded))
					continue
				}
				s := sp(tr, byte(j+1), 1, fmt.Sprintf("step%d", j%5), i*1000+j, 2, spantree.StatusSucceeded)
				batch.Spans = append(batch.Spans, s)
			}
		}
		batches = append(batches, batch)
	}
	for range 2 {
		n, err := st.Ingest(ctx, "ns", batches)
		if err != nil {
			t.Fatal(err)
		}
		if n != traces*per {
			t.Fatalf("Ingest = %d; want %d", n, traces*per)
		}
	}
	stored := 0
	if err := st.ScanSpans(ctx, "ns", t0.Add(-time.Hour), t0.Add(time.Hour), func(*store.SpanStat) error {
		stored++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if stored != traces*per {
		t.Errorf("ScanSpans: %d spans; want %d", stored, traces*per)
	}
	list, err := st.Traces(ctx, "ns", store.TraceQuery{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != traces {
		t.Errorf("%d traces; want %d", len(list), traces)
	}
	for _, s := range list {
		if s.Spans != per || s.Name != "main" {
			t.Errorf("trace %s: %s of %d spans; want main of %d", s.TraceID, s.Name, s.Spans, per)
			break
		}
	}
	got, _ := readRollups(t, st, "ns")
	total := 0
	for _, c := range got {
		total += c[0]
	}
	if total != traces*per || got["main"][2] != traces {
		t.Errorf("rollups count %d calls, %d roots; want %d, %d", total, got["main"][2], traces*per, traces)
	}
}

// testSlow: the slow-span analysis over the store's rollups.
func testSlow(t *testing.T, open Opener) {
	st := open(t)
	now := time.Now().UTC().Add(-time.Minute)
	var spans []spantree.SpanData
	for i := 1; i <= 100; i++ {
		s := sp(traceID(byte(i)), 1, 0, "api.get", 0, i, spantree.StatusSucceeded)
		s.TraceID = spantree.TraceIDFromW3C(s.TraceID.Payload(), now)
		s.Start, s.End = now, now.Add(time.Duration(i)*time.Millisecond)
		spans = append(spans, s)
	}
	ingest(t, st, "ns", map[string]string{"service": "api"}, spans...)
	got, err := store.Slow(context.Background(), st, "ns", time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Slow = %+v; want one span", got)
	}
	s := got[0]
	want := []float64{50, 95, 99, 100}
	ests := []float64{float64(s.P50) / 1e6, float64(s.P95) / 1e6, float64(s.P99) / 1e6, float64(s.Max) / 1e6}
	within := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.03*math.Max(a, b) })
	if diff := cmp.Diff(want, ests, within); diff != "" || s.Max != int64(100*time.Millisecond) || s.Count != 100 || s.SlowCount != 1 || s.App != "api" {
		t.Errorf("Slow p50, p95, p99, max in ms (-want +got):\n%s\nmax %v, count %d, slow %d, app %q; want 100ms, 100, 1, api", diff, time.Duration(s.Max), s.Count, s.SlowCount, s.App)
	}
	if len(s.Slowest) == 0 || s.Slowest[0] != spans[99].TraceID {
		t.Errorf("Slowest = %v; want %s first", s.Slowest, spans[99].TraceID)
	}
}

// testHealth: the health report over the store: traces and failures from
// the rollups' roots, unjudged and alerting groups, a slow-span regression
// against the baseline windows.
func testHealth(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	until := time.Now().UTC().Truncate(time.Minute)
	since := until.Add(-time.Hour)
	var spans []spantree.SpanData
	n := byte(0)
	add := func(at time.Time, d time.Duration, status spantree.Status) {
		n++
		s := sp(traceID(n), 1, 0, "api.get", 0, 0, status)
		s.TraceID = spantree.TraceIDFromW3C(s.TraceID.Payload(), at)
		s.Start, s.End = at, at.Add(d)
		spans = append(spans, s)
	}
	for i := range 40 { // the baseline: fast
		add(since.Add(-time.Duration(i+1)*time.Minute), 10*time.Millisecond, spantree.StatusSucceeded)
	}
	for i := range 30 { // the window: slow, two failures
		status := spantree.StatusSucceeded
		if i < 2 {
			status = spantree.StatusFailed
		}
		add(since.Add(time.Duration(i)*time.Minute), 100*time.Millisecond, status)
	}
	ingest(t, st, "ns", map[string]string{"service": "api", "version": "2"}, spans...)
	h, err := store.ComputeHealth(ctx, st, "ns", since, until)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Apps) != 1 {
		t.Fatalf("Health = %+v; want one app", h)
	}
	a := h.Apps[0]
	if a.App != "api" || a.Traces != 30 || a.Failed != 2 || a.Unannotated != 1 || h.Status != store.SeverityWarn || len(a.SlowRegressions) != 1 {
		t.Errorf("Health = %+v; want api warn: 30 traces, 2 failed, one unjudged group, one slow regression", h)
	}
	gs := groups(t, st, "ns")
	if len(gs) != 1 {
		t.Fatalf("ErrorGroups = %+v; want one", gs)
	}
	if _, err := st.Annotate(ctx, "ns", gs[0].Fingerprint, store.Annotation{Kind: store.KindCrash, Severity: store.SeverityAlert}); err != nil {
		t.Fatal(err)
	}
	h, err = store.ComputeHealth(ctx, st, "ns", since, until)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != store.SeverityAlert || cmp.Diff([]string{gs[0].Fingerprint}, h.Apps[0].AlertErrors) != "" {
		t.Errorf("Health after an alert verdict = %+v; want alert naming %s", h, gs[0].Fingerprint)
	}
	rows, err := store.Dashboard(ctx, st, "ns", since, until)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "api.get" || rows[0].Failed != 2 || rows[0].Verdict != store.SeverityAlert {
		t.Errorf("Dashboard = %+v; want api.get, 2 failed, verdict alert", rows)
	}
}

// testApps: apps by name, their versions in the order seen, spans counted
// as received.
func testApps(t *testing.T, open Opener) {
	st := open(t)
	tr := traceID(1)
	ingest(t, st, "ns", map[string]string{"service": "web", "version": "1.0"}, sp(tr, 1, 0, "main", 0, 10, spantree.StatusSucceeded))
	ingest(t, st, "ns", map[string]string{"service": "api", "version": "2.0"}, sp(tr, 2, 1, "a", 1, 5, spantree.StatusSucceeded), sp(tr, 3, 1, "b", 2, 5, spantree.StatusSucceeded))
	ingest(t, st, "ns", map[string]string{"service": "api", "version": "1.5"}, sp(tr, 2, 1, "a", 1, 5, spantree.StatusSucceeded))
	ingest(t, st, "ns", map[string]string{"service": "api", "version": "2.0"}, sp(tr, 4, 1, "c", 3, 20, spantree.StatusSucceeded))
	apps, err := st.Apps(context.Background(), "ns")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.App{
		{Name: "api", Versions: []string{"2.0", "1.5"}, Spans: 4, LastSeen: t0.Add(23 * time.Millisecond)},
		{Name: "web", Versions: []string{"1.0"}, Spans: 1, LastSeen: t0.Add(10 * time.Millisecond)},
	}
	if diff := cmp.Diff(want, apps); diff != "" {
		t.Errorf("Apps (-want +got):\n%s", diff)
	}
}

// testRetention: Prune deletes what is older than the cutoff, in every
// namespace, keeps what is recent, and deletes nothing the second time.
func testRetention(t *testing.T, open Opener) {
	st := open(t)
	p, ok := st.(Pruner)
	if !ok {
		t.Skip("the store has no retention")
	}
	ctx := context.Background()
	now := time.Now().UTC()
	batch := func(start time.Time, n, first int) spantree.Batch {
		b := spantree.Batch{Tags: map[string]string{"service": "api"}}
		for i := range n {
			s := start.Add(time.Duration(i) * time.Second)
			var payload [16]byte
			payload[0], payload[1], payload[2] = 0xcd, byte(first+i), byte((first+i)>>8)
			b.Spans = append(b.Spans, spantree.SpanData{TraceID: spantree.TraceIDFromW3C(payload, s), SpanID: spantree.SpanID{1}, Name: "main.main",
				Start: s, End: s.Add(time.Millisecond), Status: spantree.StatusSucceeded})
		}
		return b
	}
	old, recent := now.Add(-30*24*time.Hour), now.Add(-time.Hour)
	for _, ns := range []string{"acme", "other"} {
		if _, err := st.Ingest(ctx, ns, []spantree.Batch{batch(old, 200, 0), batch(recent, 30, 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := now.Add(-14 * 24 * time.Hour)
	n, err := p.Prune(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2*200 {
		t.Errorf("Prune deleted %d rows; want at least the %d old spans", n, 2*200)
	}
	for _, ns := range []string{"acme", "other"} {
		list := traces(t, st, ns, store.TraceQuery{Limit: store.MaxLimit})
		if len(list) != 30 {
			t.Errorf("%s: %d traces after Prune; want the 30 recent ones", ns, len(list))
		}
		calls := 0
		err = st.ScanRollups(ctx, ns, old.Add(-time.Hour), now, func(r *store.Rollup) error {
			if r.Minute.Before(cutoff) {
				t.Errorf("%s: rollup of %v kept", ns, r.Minute)
			}
			calls += r.Count
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if calls != 30 {
			t.Errorf("%s: %d calls in the rollups after Prune; want 30", ns, calls)
		}
		spans := 0
		if err := st.ScanSpans(ctx, ns, old.Add(-time.Hour), now, func(*store.SpanStat) error { spans++; return nil }); err != nil {
			t.Fatal(err)
		}
		if spans != 30 {
			t.Errorf("%s: %d spans after Prune; want 30", ns, spans)
		}
	}
	if n, err := p.Prune(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("Prune again = %d, %v; want 0, nil", n, err)
	}
}
