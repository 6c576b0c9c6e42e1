package spanhttp_test

import (
	"context"
	"log"
	"net/http"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spanhttp"
)

// A program that configures tracing in code rather than with
// SPANTREE_SINK=otlp+http://localhost:4318 sends its spans to an
// OpenTelemetry backend like this.
func ExampleNewOTLP() {
	sink, err := spanhttp.NewOTLP("http://localhost:4318", spanhttp.OTLPOptions{
		Resource: map[string]string{"service": "checkout", "env": "staging"},
		Header:   http.Header{"Authorization": {"Bearer token"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	spantree.Configure(spantree.Config{Service: "checkout"}, sink)
}

type message struct {
	Body    string
	Headers map[string]string
}

// A producer stamps a message with a reference to its span; the consumer's
// span links back to it.
func ExampleRef() {
	produce := func(ctx context.Context, queue chan<- message) {
		queue <- message{Body: "order 42", Headers: map[string]string{"traceparent": spantree.Ref(ctx)}}
	}
	consume := func(ctx context.Context, m message) {
		spantree.Follow(ctx, m.Headers["traceparent"])
		// ... handle m.Body
	}
	queue := make(chan message, 1)
	produce(context.Background(), queue)
	consume(context.Background(), <-queue)
}
