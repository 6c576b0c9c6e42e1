package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spantree/spantree/store/sqlite"
)

func newTestServer(t *testing.T, opts Options) (*server, *httptest.Server, string) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := st.CreateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(st, opts)
	s.ns = func(r *http.Request) (string, error) { return st.Authenticate(r.Context(), r.Header.Get("X-API-Key")) }
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return s, srv, key
}

func post(t *testing.T, url, key string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/v1/spans", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(b))
}

const oneSpan = `{"spans":[{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"main.main","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded"}]}`

// TestDecodeBudget: while one request holds the whole budget, another gets
// 503 with Retry-After; once the first is answered, the budget is free again.
func TestDecodeBudget(t *testing.T) {
	const maxDecoded = 64 << 10
	s, srv, key := newTestServer(t, Options{MaxDecoded: maxDecoded, DecodeBudget: decodeWeight * (maxDecoded + 1)})
	pr, pw := io.Pipe()
	first := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/spans", pr)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- err.Error()
			return
		}
		resp.Body.Close()
		first <- resp.Status
	}()
	// More than the first buffer, so the reader grows to the largest.
	if _, err := pw.Write(bytes.Repeat([]byte(" "), 40<<10)); err != nil {
		t.Fatal(err)
	}
	// The reader's buffer grows from 512 bytes to 64 KiB, which leaves no
	// room for another request's first 512 bytes.
	for deadline := time.Now().Add(10 * time.Second); s.budget.inUse() < decodeWeight*(64<<10); {
		if time.Now().After(deadline) {
			t.Fatalf("the budget holds %d bytes; want %d", s.budget.inUse(), decodeWeight*(64<<10))
		}
		time.Sleep(time.Millisecond)
	}
	resp, body := post(t, srv.URL, key, strings.NewReader(oneSpan))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("POST while the budget is taken = %d (Retry-After %q) %s; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	pw.Write([]byte(oneSpan))
	pw.Close()
	if got := <-first; !strings.HasPrefix(got, "202") {
		t.Errorf("the request holding the budget = %s; want 202", got)
	}
	if n := s.budget.inUse(); n != 0 {
		t.Errorf("after every request was answered, %d bytes of the budget are held; want 0", n)
	}
	if resp, body := post(t, srv.URL, key, strings.NewReader(oneSpan)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST after the budget was freed = %d %s; want 202", resp.StatusCode, body)
	}
}

// TestDecodeBudgetTooSmall: a budget below what one largest body takes is
// raised to it, so that no body within the limits is refused for ever.
func TestDecodeBudgetTooSmall(t *testing.T) {
	s, srv, key := newTestServer(t, Options{MaxDecoded: 1 << 20, DecodeBudget: 1000})
	big := `{"tags":{"pad":"` + strings.Repeat("x", 200) + `"},"spans":[` + strings.Repeat(strings.TrimSuffix(strings.TrimPrefix(oneSpan, `{"spans":[`), `]}`)+",", 2000) + strings.TrimSuffix(strings.TrimPrefix(oneSpan, `{"spans":[`), `]}`) + `]}`
	if resp, body := post(t, srv.URL, key, strings.NewReader(big)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST of %d bytes = %d %s; want 202", len(big), resp.StatusCode, body)
	}
	if s.budget.limit < decodeWeight*(1<<20+1) {
		t.Errorf("budget = %d; want at least %d", s.budget.limit, decodeWeight*(1<<20+1))
	}
}

// gzipBomb returns size bytes of zeros, gzipped: one gzip member of 64 MiB
// repeated (a gzip stream may hold several), which is far quicker to make
// than compressing it all.
func gzipBomb(t testing.TB, size int) []byte {
	const member = 64 << 20
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	zw.Write(make([]byte, member))
	zw.Close()
	return bytes.Repeat(one.Bytes(), max(1, size/member))
}

// TestGzipBombs fires 64 gzip bombs at once (1 MB each, 1 GiB once
// decompressed) and samples the heap and RSS while the server answers them:
// each is answered 413 (over the decompressed limit) or 503 (over the
// budget), and the peak heap stays within a small multiple of the budget.
// The numbers are logged (go test -v -run TestGzipBombs ./server).
func TestGzipBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses gigabytes")
	}
	_, srv, key := newTestServer(t, Options{})
	bomb := gzipBomb(t, 1<<30)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peakHeap uint64
	var peakRSS int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peakHeap = max(peakHeap, m.HeapAlloc)
			peakRSS = max(peakRSS, rss())
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	statuses := make([]int, 64)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", srv.URL+"/v1/spans", bytes.NewReader(bomb))
			req.Header.Set("X-API-Key", key)
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	for st := range count {
		if st != http.StatusRequestEntityTooLarge && st != http.StatusServiceUnavailable {
			t.Errorf("a bomb was answered %d; want 413 or 503 (statuses: %v)", st, count)
		}
	}
	t.Logf("64 bombs of %d bytes: statuses %v; heap before %d MiB, peak %d MiB; peak RSS %d MiB (budget %d MiB)",
		len(bomb), count, before.HeapAlloc>>20, peakHeap>>20, peakRSS>>20, DefaultDecodeBudget>>20)
	if limit := uint64(4 * DefaultDecodeBudget); peakHeap > limit {
		t.Errorf("peak heap %d MiB; want at most %d MiB", peakHeap>>20, limit>>20)
	}
}

// rss returns the resident set size of the process in bytes (0 where
// /proc is not there).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
