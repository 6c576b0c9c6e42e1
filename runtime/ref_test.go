package spantree_test

import (
	"context"
	"testing"
	"time"

	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/runtime/spantest"
)

var testTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

var (
	fnProduce = spantree.Func{Name: "msg.produce", Loc: "msg/q.go:1"}
	fnConsume = spantree.Func{Name: "msg.consume", Loc: "msg/q.go:9"}
)

// TestRefFollow: the consumer's span links to the producer's span, in
// another trace, with the ref kept on the link.
func TestRefFollow(t *testing.T) {
	rec := spantest.Record(t)
	queue := make(chan string, 1)
	var producer spantree.SpanData
	func() {
		ctx, sp := spantree.StartContext(context.Background(), &fnProduce)
		defer sp.Done()
		tr, id, _ := spantree.SpanContext(ctx)
		producer = spantree.SpanData{TraceID: tr, SpanID: id}
		queue <- spantree.Ref(ctx)
	}()
	ref := <-queue
	go func() { // a consumer on a goroutine of its own, outside the producer's trace
		sp := spantree.Start(&fnConsume)
		defer sp.Done()
		if !spantree.Follow(nil, ref) {
			t.Errorf("Follow(%q) = false; want true", ref)
		}
	}()
	consumer := rec.Trace(t, fnConsume.Name).Span(t, fnConsume.Name)
	if consumer.TraceID.Hex() == producer.TraceID.Hex() {
		t.Errorf("consumer is in the producer's trace; want a trace of its own")
	}
	if len(consumer.Links) != 1 {
		t.Fatalf("consumer links = %v; want 1", consumer.Links)
	}
	l := consumer.Links[0]
	if l.TraceID.Hex() != producer.TraceID.Hex() || l.SpanID != producer.SpanID || l.Ref != ref {
		t.Errorf("link = %+v; want trace %s, span %s, ref %q", l, producer.TraceID.Hex(), producer.SpanID, ref)
	}
}

// TestFollowBadRef: a ref from outside that is malformed is ignored.
func TestFollowBadRef(t *testing.T) {
	rec := spantest.Record(t)
	bad := []string{"", "garbage", "00-00000000000000000000000000000000-0102030405060708-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-0102030405060708-01"}
	func() {
		sp := spantree.Start(&fnConsume)
		defer sp.Done()
		for _, ref := range bad {
			if spantree.Follow(nil, ref) {
				t.Errorf("Follow(%q) = true; want false", ref)
			}
		}
	}()
	if links := rec.Trace(t, fnConsume.Name).Span(t, fnConsume.Name).Links; len(links) != 0 {
		t.Errorf("links = %v; want none", links)
	}
	if spantree.Ref(context.Background()) != "" {
		// This goroutine runs no span now.
		t.Errorf("Ref with no span running = %q; want \"\"", spantree.Ref(context.Background()))
	}
	if spantree.Follow(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01") {
		t.Error("Follow with no span running = true; want false")
	}
}
