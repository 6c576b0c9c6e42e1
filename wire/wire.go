// Package wire reads spans in their wire format (the JSON object of one span,
// and the batch {"tags":{...},"spans":[...]} of POST /v1/spans) and checks
// them against the wire contract, reporting bad input as a [*FieldError]
// that names the field and span index.
//
// It serves every reader of spans: the receiver's HTTP API (package server),
// `spantree ingest` and the test harnesses that check what instrumented
// programs wrote. [Lines] reads the files a json sink writes and container
// logs, where span lines are mixed with other output and the last line of a
// process that exited mid-write may be torn.
//
// The package depends on the runtime alone; package store points here for
// what "validated" means.
package wire

// FieldError is bad input, naming the field (such as "spans[3].span_id").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
