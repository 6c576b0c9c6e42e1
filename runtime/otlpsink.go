package spantree

import "errors"

// newOTLPSink builds the otlp+http(s):// sink (issue 8); until it exists the
// value is reported and json on stderr is used instead.
func newOTLPSink(url string, cfg Config) (Sink, error) {
	return nil, errors.New("the otlp sink is not built yet")
}
