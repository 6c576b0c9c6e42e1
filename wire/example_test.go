package wire_test

import (
	"errors"
	"fmt"
	"strings"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/wire"
)

func ExampleDecodeBatch() {
	_, err := wire.DecodeBatch([]byte(`{"spans":[{"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"12","name":"main.main"}]}`))
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, "—", fe.Msg)
	}
	// Output: spans[0].span_id — want 16 hex characters
}

func ExampleLines() {
	log := `starting on :8080
2026-11-25T10:00:02Z stderr F {"trace_id":"2Ib8cZkqbQ9bW2Q3RzjvB6PvO8J","span_id":"0000000000000001","name":"main.main","start":"2026-11-25T10:00:00Z","end":"2026-11-25T10:00:01Z","status":"succeeded","tags":{"service":"api"}}
`
	lines := wire.NewLines(strings.NewReader(log))
	for lines.Scan() {
		var d spantree.SpanData
		tags, err := lines.Span(&d)
		if err != nil {
			fmt.Printf("line %d: %v\n", lines.Line(), err)
			continue
		}
		fmt.Printf("line %d: %s %s, service %s\n", lines.Line(), d.Name, d.Status, tags["service"])
	}
	// Output:
	// line 1: not a span
	// line 2: main.main succeeded, service api
}
