package spantree

import "errors"

// newHTTPSink builds the http(s):// sink (issue 6); until it exists the value
// is reported and json on stderr is used instead.
func newHTTPSink(url string, cfg Config) (Sink, error) {
	return nil, errors.New("the http sink is not built yet")
}
