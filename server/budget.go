package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/spantree/spantree/store"
)

// DefaultDecodeBudget is the default of Options.DecodeBudget.
const DefaultDecodeBudget = 256 << 20

// decodeWeight is what one byte of a body buffer counts against the
// budget: the body itself, and about as much again for the spans decoded
// from it, which live as long as the request.
const decodeWeight = 2

// budget is a counting semaphore of bytes that never waits: a request that
// would go over it is refused at once (503), so requests holding part of it
// cannot wait on each other.
type budget struct {
	mu    sync.Mutex
	limit int64
	used  int64
	// bigFreed: a large charge was released since the budget was last
	// idle.
	bigFreed bool
}

// tryAcquire takes n bytes of the budget, reporting whether they were free.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.bigFreed = b.bigFreed || n >= freeAfter
	free := b.used == 0 && b.bigFreed
	if free {
		b.bigFreed = false
	}
	b.mu.Unlock()
	if free {
		freeOSMemory()
	}
}

// freeAfter is the charge of a request large enough that, once no body is
// being decoded any more, the memory freed is handed back to the operating
// system at once rather than minutes later (the Go runtime collects only
// as it allocates, and an idle receiver hardly does).
const freeAfter = 32 << 20

var (
	freeMu   sync.Mutex
	freeLast time.Time
)

// freeOSMemory runs debug.FreeOSMemory in the background, at most once every
// ten seconds.
func freeOSMemory() {
	freeMu.Lock()
	defer freeMu.Unlock()
	if time.Since(freeLast) < 10*time.Second {
		return
	}
	freeLast = time.Now()
	go debug.FreeOSMemory()
}

// inUse returns the bytes of the budget taken.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// charge is what one request holds of the budget, released when the request
// has been answered.
type charge struct {
	b    *budget
	held int64
}

type chargeKey struct{}

// withCharge runs h with a charge for the request's body in its context,
// and gives the charge back to the budget once h returns.
func (s *server) withCharge(w http.ResponseWriter, r *http.Request, h http.Handler) {
	c := &charge{b: s.budget}
	defer func() { s.budget.release(c.held) }()
	h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), chargeKey{}, c)))
}

// errBusy is the answer to a request that finds the decode budget taken.
var errBusy = &httpError{status: http.StatusServiceUnavailable, retryAfter: "1",
	msg: "body: the server is decoding as many bytes as it allows at once; retry after 1s"}

// readAll reads rd as io.ReadAll does, at most limit+1 bytes, charging the
// budget for each growth of the buffer before making it (hint: the expected
// size, or 0). It returns errBusy when the budget has no room.
func (s *server) readAll(ctx context.Context, rd io.Reader, hint, limit int64) ([]byte, error) {
	c, _ := ctx.Value(chargeKey{}).(*charge)
	grow := func(buf []byte, size int64) ([]byte, error) {
		size = min(size, limit+1)
		if c != nil {
			n := (size - int64(cap(buf))) * decodeWeight
			if !c.b.tryAcquire(n) {
				return nil, errBusy
			}
			c.held += n
		}
		return append(make([]byte, 0, size), buf...), nil
	}
	// The first buffer takes the announced size, up to 1 MiB: a client
	// that announces a large body and sends it slowly holds no more of the
	// budget than what it has sent, give or take a doubling.
	buf, err := grow(nil, max(min(hint+1, limit+1, 1<<20), 512))
	if err != nil {
		return nil, err
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			if buf, err = grow(buf, max(2*int64(cap(buf)), 64<<10)); err != nil {
				return nil, err
			}
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// fullRetryAfter is the Retry-After of 507 (storage full), in seconds.
const fullRetryAfter = "10"

// unavailableRetryAfter is the Retry-After of 503 when the database server
// (or a shard of it) cannot be reached, in seconds.
const unavailableRetryAfter = "2"

// retryAfter sets Retry-After for an error that carries one.
func retryAfter(w http.ResponseWriter, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he) && he.retryAfter != "":
		w.Header().Set("Retry-After", he.retryAfter)
	case errors.Is(err, store.ErrFull):
		w.Header().Set("Retry-After", fullRetryAfter)
	case errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
}
