package spanhttp

import (
	"bufio"
	"io"
	"net"
	"net/http"

	spantree "github.com/spantree/spantree/runtime"
)

// responseWriter records the status of a handler's answer on its span. It
// implements what every net/http ResponseWriter does (Flusher, ReaderFrom)
// and Unwrap, through which http.ResponseController reaches the rest; the
// optional interfaces that only some writers have (Hijacker on HTTP/1,
// Pusher on HTTP/2) are added by wrapWriter when the wrapped writer has
// them, so that a type assertion on the wrapper answers as it would on w.
//
// A responseWriter is used, like any ResponseWriter, by the handler's
// goroutine (or one it waits for).
type responseWriter struct {
	w      http.ResponseWriter
	sp     spantree.Span
	status int // the first final status written, 0 before
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) WriteHeader(code int) {
	rw.record(code)
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(b []byte) (int, error) {
	rw.record(http.StatusOK)
	return rw.w.Write(b)
}

// record keeps the first final status: 1xx answers other than 101 are
// informational, and what follows WriteHeader is ignored by net/http too.
func (rw *responseWriter) record(code int) {
	if rw.status != 0 || code < 200 && code != http.StatusSwitchingProtocols {
		return
	}
	rw.status = code
	recordStatus(rw.sp, code)
}

// Flush sends what is buffered, if the wrapped writer can.
func (rw *responseWriter) Flush() {
	rw.record(http.StatusOK)
	http.NewResponseController(rw.w).Flush()
}

// ReadFrom lets io.Copy use the wrapped writer's ReadFrom (sendfile).
func (rw *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	rw.record(http.StatusOK)
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{rw.w}, r)
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// writerOnly hides everything of a writer but Write (io.Copy would call
// ReadFrom again).
type writerOnly struct{ io.Writer }

// hijacker adds http.Hijacker. A hijacked connection's answer is the
// program's to write: no status is recorded.
type hijacker struct{ *responseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.w.(http.Hijacker).Hijack()
}

// pusher adds http.Pusher.
type pusher struct{ *responseWriter }

func (p pusher) Push(target string, opts *http.PushOptions) error {
	return p.w.(http.Pusher).Push(target, opts)
}

type hijackPusher struct{ *responseWriter }

func (h hijackPusher) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.w.(http.Hijacker).Hijack()
}

func (h hijackPusher) Push(target string, opts *http.PushOptions) error {
	return h.w.(http.Pusher).Push(target, opts)
}

// Every writer wrapWriter returns.
var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ io.ReaderFrom = (*responseWriter)(nil)
	_ http.Hijacker = hijacker{}
	_ http.Pusher   = pusher{}
	_ http.Hijacker = hijackPusher{}
	_ http.Pusher   = hijackPusher{}
)

// wrapWriter wraps w for sp, with the optional interfaces w has.
func wrapWriter(w http.ResponseWriter, sp spantree.Span) http.ResponseWriter {
	rw := &responseWriter{w: w, sp: sp}
	_, h := w.(http.Hijacker)
	_, p := w.(http.Pusher)
	switch {
	case h && p:
		return hijackPusher{rw}
	case h:
		return hijacker{rw}
	case p:
		return pusher{rw}
	}
	return rw
}
