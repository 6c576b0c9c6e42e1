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
	"strings"

	spantree "github.com/spantree/spantree/runtime"
)

func init() {
	spantree.OnSetup(readHTTPEnv)
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
