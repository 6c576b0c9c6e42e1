// Package spanhttp carries spantree's traces over net/http: handler spans
// that continue an incoming W3C traceparent, the traceparent on outgoing
// requests, and the sinks that send spans over HTTP (SPANTREE_SINK
// http(s)://... to a spantree receiver, otlp+http(s)://... to an
// OpenTelemetry collector).
//
// It is a package of its own so that programs that never use net/http do not
// compile and link it because they are instrumented. spangen imports it in
// every instrumented file that imports net/http, and in the main package of a
// program that links net/http: importing it, even blank, is what installs
// propagation and registers the sinks.
package spanhttp

import (
	"net/http"
	"strings"

	spantree "github.com/spantree/spantree/runtime"
)

// Start begins the span of an HTTP handler, generated code's first
// statement in a func(http.ResponseWriter, *http.Request). The handler
// starts a trace of its own that continues the W3C traceparent of r when one
// came in, and links to outer (the span that registered the handler or
// started the server) or to the span that launched the serving goroutine;
// see spantree.StartRemote. outer may be the zero Span, r may be nil.
//
//	__sp := __spanhttp.Start(__sp, r, &__spantree_fns[3])
//	defer __sp.Done()
func Start(outer spantree.Span, r *http.Request, fn *spantree.Func) spantree.Span {
	var tp, ts string
	if r != nil {
		tp, ts = r.Header.Get("traceparent"), r.Header.Get("tracestate")
	}
	return spantree.StartRemote(outer, tp, ts, fn)
}

func init() {
	spantree.OnSetup(installPropagation)
	for _, p := range []string{"http://", "https://"} {
		spantree.RegisterSink(p, newHTTPSink)
	}
	for _, p := range []string{"otlp+http://", "otlp+https://"} {
		spantree.RegisterSink(p, func(spec string, cfg spantree.Config) (spantree.Sink, error) {
			return newOTLPSink(strings.TrimPrefix(spec, "otlp+"), cfg)
		})
	}
}
