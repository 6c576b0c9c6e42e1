// Command demo is the sample program of spantree's integration test: a plain
// Go program, with no tracing code of its own, that `make demo` instruments
// with spangen and runs to show its tree of spans.
//
// It exercises what a trace must show: a slow loop, simple math, an HTTP
// round trip against a local server, YAML, TOML and JSON round trips, an
// error that is handled, goroutines, an errgroup, and an error that nobody
// handles. That last one makes the run end in a reported failure, yet the
// program exits 0 so that `make demo` succeeds.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("demo: ")
	if err := run(context.Background()); err != nil {
		// The failure is reported, not fatal: the demo shows a failed trace
		// and still exits 0.
		log.Printf("run failed: %v", err)
	}
}

// run does every step of the demo in order and returns the first error no
// step could handle itself.
func run(ctx context.Context) error {
	fmt.Printf("loop: %d steps\n", slowLoop(10))

	primes := primesBelow(100)
	fmt.Printf("math: %d primes below 100, sum %d, mean %.2f\n", len(primes), sum(primes), mean(primes))

	srv := httptest.NewServer(newMux(sampleUsers()))
	defer srv.Close()
	users, err := fetchUsers(ctx, srv.URL+"/users")
	if err != nil {
		return fmt.Errorf("fetch users: %w", err)
	}
	fmt.Printf("fetch: %d users\n", len(users))

	docs, err := roundTrips(users)
	if err != nil {
		return fmt.Errorf("round trips: %w", err)
	}

	s := loadSettings()
	fmt.Printf("settings: retries=%d\n", s.Retries)

	fmt.Printf("words: %d\n", countWords(docs))

	if err := syncUsers(ctx, users); err != nil {
		return fmt.Errorf("sync users: %w", err)
	}
	return nil
}
