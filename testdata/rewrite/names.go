// Names: functions, methods, generic methods and literals named from their
// call context (spangen -tiny, so that one-line bodies are named too).
package names

import (
	"context"
	"net/http"
	"sort"

	"golang.org/x/sync/errgroup"
)

type Server struct{ mux *http.ServeMux }

type List[T any] struct{ items []T }

// Push is a method of a generic type.
func (l *List[T]) Push(v T) {
	l.items = append(l.items, v)
	sort.Slice(l.items, func(i, j int) bool { return less(l.items[i], l.items[j]) })
}

func less(a, b any) bool { return compare(a, b) < 0 }

func compare(a, b any) int {
	for range 1 {
	}
	return 0
}

// Serve registers handlers.
func (s *Server) Serve() {
	s.mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	s.mux.Handle("/items", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
}

// Fetch starts goroutines three ways.
func Fetch(ctx context.Context, urls []string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return get(ctx, urls[0]) })
	g.Go(func() error {
		return get(ctx, urls[1])
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		work()
	}()
	defer func() {
		<-done
	}()
	opts := Options{OnDone: func() { work() }}
	cleanup := func() { work() }
	cleanup()
	opts.OnDone()
	return g.Wait()
}

type Options struct{ OnDone func() }

func get(ctx context.Context, url string) error {
	if url == "" {
		return context.Canceled
	}
	return ctx.Err()
}

func work() {
	// spangen:name overrides the name of a literal on the next line.
	//spangen:name names.worker
	f := func() { compare(1, 2) }
	f()
}

// Handler is a package-level literal.
var Handler = func(w http.ResponseWriter, r *http.Request) { work() }
