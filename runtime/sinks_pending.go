package spantree

import "errors"

// newHTTPSink and newOTLPSink are replaced by the receiver and OTLP work
// (issues 6 and 8); until then their values are reported and fall back.
func newHTTPSink(url string, cfg Config) (Sink, error) {
	return nil, errors.New("the http sink is not built yet")
}

func newOTLPSink(url string, cfg Config) (Sink, error) {
	return nil, errors.New("the otlp sink is not built yet")
}
