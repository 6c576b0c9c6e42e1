package spanhttp

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	spantree "github.com/spantree/spantree/runtime"
)

// HTTP semantics on spans, under OpenTelemetry's semantic-convention names
// (which the OTLP sink exports as they are):
//
//	server spans   http.request.method, http.route (the ServeMux pattern's
//	               path), http.response.status_code (StartHandler only)
//	client spans   http.request.method, server.address, url.path,
//	               http.response.status_code
//
// An answer of 500 or more marks the span failed with a [*StatusError]; so
// does one from 400 with SPANTREE_HTTP_FAIL_4XX=1.

// Attribute keys, OpenTelemetry's.
const (
	attrMethod        = "http.request.method"
	attrRoute         = "http.route"
	attrStatus        = "http.response.status_code"
	attrServerAddress = "server.address"
	attrURLPath       = "url.path"
)

// fail4xx is SPANTREE_HTTP_FAIL_4XX=1, read at set-up.
var fail4xx atomic.Bool

// readHTTPEnv is the set-up hook that reads SPANTREE_HTTP_FAIL_4XX.
func readHTTPEnv(spantree.Config) {
	fail4xx.Store(os.Getenv("SPANTREE_HTTP_FAIL_4XX") == "1")
}

// failing reports whether an answer with status code marks its span failed.
func failing(code int) bool {
	return code >= 500 || code >= 400 && fail4xx.Load()
}

// StatusError is the error of a span whose HTTP answer had a failing status
// (500 or more; 400 or more with SPANTREE_HTTP_FAIL_4XX=1).
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	if t := http.StatusText(e.Code); t != "" {
		return "HTTP " + strconv.Itoa(e.Code) + " " + t
	}
	return "HTTP " + strconv.Itoa(e.Code)
}

// Start begins the span of an HTTP handler, generated code's first
// statement in a func(http.ResponseWriter, *http.Request) whose writer is
// unnamed ([StartHandler] otherwise). The handler
// starts a trace of its own that continues the W3C traceparent of r when one
// came in, and links to outer (the span that registered the handler or
// started the server) or to the span that launched the serving goroutine;
// see spantree.StartRemote. outer may be the zero Span, r may be nil. The
// span records r's method and route ([StartHandler] records the status too).
//
//	__sp := __spanhttp.Start(__sp, r, &__spantree_fns[3])
//	defer __sp.Done()
func Start(outer spantree.Span, r *http.Request, fn *spantree.Func) spantree.Span {
	var tp, ts string
	if r != nil {
		tp, ts = r.Header.Get("traceparent"), r.Header.Get("tracestate")
	}
	sp := spantree.StartRemote(outer, tp, ts, fn)
	if r != nil {
		if ctx, ok := recorded(sp); ok {
			spantree.SetAttr(ctx, attrMethod, r.Method)
			if rt := route(pattern(r)); rt != "" {
				spantree.SetAttr(ctx, attrRoute, rt)
			}
		}
	}
	return sp
}

// StartHandler is Start for a handler that also has its ResponseWriter,
// generated code's first statement in a handler whose writer is named: it
// returns w wrapped so that the span records the status of the answer and
// fails on a failing one. The wrapper keeps what w can do: it flushes, and
// hijacks and pushes when w does, and http.NewResponseController reaches
// the rest of w through its Unwrap method.
//
//	w, __sp := __spanhttp.StartHandler(__sp, w, r, &__spantree_fns[3])
//	defer __sp.Done()
func StartHandler(outer spantree.Span, w http.ResponseWriter, r *http.Request, fn *spantree.Func) (http.ResponseWriter, spantree.Span) {
	sp := Start(outer, r, fn)
	if w == nil {
		return w, sp
	}
	if _, ok := recorded(sp); !ok {
		return w, sp
	}
	return wrapWriter(w, sp), sp
}

// noSpan is the context recorded compares with.
var noSpan = context.Background()

// recorded returns a context carrying sp, and false when sp is not recorded
// (folded, sampled out, tracing off): the attributes would then land on
// whatever span runs on the goroutine.
func recorded(sp spantree.Span) (context.Context, bool) {
	ctx := sp.Context(noSpan)
	return ctx, ctx != noSpan
}

// route is the path of a ServeMux pattern ("[METHOD ][HOST]/PATH"), the
// http.route of OpenTelemetry.
func route(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return p
}

// recordStatus records the status of an answer on sp, and fails sp on a
// failing one.
func recordStatus(sp spantree.Span, code int) {
	ctx, ok := recorded(sp)
	if !ok {
		return
	}
	spantree.SetAttr(ctx, attrStatus, code)
	if failing(code) {
		sp.Err(&StatusError{Code: code})
	}
}
