package server

import (
	"log"
	"net/http"
	"time"
)

// Timeouts are the connection deadlines of the receiver's http.Server, so
// that slow or idle clients cannot hold connections (and file descriptors)
// for ever.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers; Read bounds reading
	// the whole request, body included (a body sent a byte a second is cut
	// off then, answered 408 if the connection still takes an answer).
	ReadHeader, Read time.Duration
	// Write bounds the time from the end of the headers to the end of the
	// answer, and Idle how long a keep-alive connection waits for its next
	// request.
	Write, Idle time.Duration
}

// DefaultTimeouts are the timeouts of `spantree serve`.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      60 * time.Second,
	Idle:       30 * time.Second,
}

// NewHTTPServer returns an http.Server for h with the timeouts t (zero
// fields take those of DefaultTimeouts), logging to logger.
func NewHTTPServer(h http.Handler, t Timeouts, logger *log.Logger) *http.Server {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: or(t.ReadHeader, DefaultTimeouts.ReadHeader),
		ReadTimeout:       or(t.Read, DefaultTimeouts.Read),
		WriteTimeout:      or(t.Write, DefaultTimeouts.Write),
		IdleTimeout:       or(t.Idle, DefaultTimeouts.Idle),
		ErrorLog:          logger,
	}
}
