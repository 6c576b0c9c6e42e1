package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store"
	"github.com/spantree/spantree/store/sqlite"
)

// fullStore is a SQLite store whose disk can be made full: writes then fail
// with store.ErrFull, as the SQLite store's do on SQLITE_FULL, and Ready
// says so until a write succeeds.
type fullStore struct {
	*sqlite.Store
	full, failing atomic.Bool
}

func (f *fullStore) Ingest(ctx context.Context, ns string, b []spantree.Batch) (int, error) {
	if f.full.Load() {
		f.failing.Store(true)
		return 0, fmt.Errorf("test.db: %w: database or disk is full", store.ErrFull)
	}
	f.failing.Store(false)
	return f.Store.Ingest(ctx, ns, b)
}

func (f *fullStore) Ready(ctx context.Context) error {
	if f.failing.Load() {
		return fmt.Errorf("test.db: %w", store.ErrFull)
	}
	return f.Store.Ready(ctx)
}

// TestDiskFullAnswers: while the disk is full, ingest gets 507 with
// Retry-After and a JSON error (OTLP: the same status with a Status
// message), and /healthz 503 with the reason; both recover by themselves
// once a write succeeds.
func TestDiskFullAnswers(t *testing.T) {
	sq, err := sqlite.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	key, err := sq.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	st := &fullStore{Store: sq}
	srv := httptest.NewServer(server.New(st, server.Options{}))
	defer srv.Close()
	e := &env{t: t, st: sq, srv: srv, key: key}

	st.full.Store(true)
	status, hdr, body := e.send("POST", "/v1/spans", key, []byte(oneSpanBody))
	var msg struct{ Error string }
	if err := json.Unmarshal(body, &msg); status != 507 || hdr.Get("Retry-After") == "" || err != nil || msg.Error == "" {
		t.Errorf("POST /v1/spans on a full disk = %d (Retry-After %q) %s; want 507 with Retry-After and a JSON error", status, hdr.Get("Retry-After"), body)
	}
	otlpBody := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","startTimeUnixNano":"1764064800000000000","endTimeUnixNano":"1764064801000000000"}]}]}]}`
	if status, hdr, body := e.send("POST", "/v1/traces", key, []byte(otlpBody), "Content-Type", "application/json"); status != 507 || hdr.Get("Retry-After") == "" {
		t.Errorf("POST /v1/traces on a full disk = %d (Retry-After %q) %s; want 507 with Retry-After", status, hdr.Get("Retry-After"), body)
	}
	status, _, body = e.send("GET", "/healthz", "", nil)
	var hz struct {
		OK    bool
		Error string
	}
	if err := json.Unmarshal(body, &hz); status != 503 || err != nil || hz.OK || hz.Error == "" {
		t.Errorf("GET /healthz on a full disk = %d %s; want 503 with a reason", status, body)
	}

	st.full.Store(false)
	if status, _, body := e.send("POST", "/v1/spans", key, []byte(oneSpanBody)); status != 202 {
		t.Errorf("POST /v1/spans once there is room = %d %s; want 202", status, body)
	}
	if status, _, body := e.send("GET", "/healthz", "", nil); status != 200 {
		t.Errorf("GET /healthz after a write succeeded = %d %s; want 200", status, body)
	}
}
