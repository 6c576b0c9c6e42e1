package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// countWords counts the words of docs, one goroutine per document.
func countWords(docs []string) int {
	var (
		wg    sync.WaitGroup
		total atomic.Int64
	)
	for _, doc := range docs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total.Add(int64(len(strings.Fields(doc))))
		}()
	}
	wg.Wait()
	return int(total.Load())
}

// errNoEmail is why a user cannot be synced.
var errNoEmail = errors.New("no email address")

// store stands for a remote directory the users are synced to.
type store struct {
	mu    sync.Mutex
	users map[string]User
}

// syncUsers syncs every user concurrently and returns the first failure.
func syncUsers(ctx context.Context, users []User) error {
	st := &store{users: map[string]User{}}
	var g errgroup.Group
	for _, u := range users {
		g.Go(func() error {
			return syncUser(ctx, st, u)
		})
	}
	err := g.Wait()
	fmt.Printf("sync: %d of %d users synced\n", st.len(), len(users))
	return err
}

func syncUser(ctx context.Context, st *store, u User) error {
	if u.Email == "" {
		return fmt.Errorf("sync user %q: %w", u.Name, errNoEmail)
	}
	return st.put(ctx, u)
}

func (st *store) put(ctx context.Context, u User) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", u.Name, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.users[u.Name] = u
	return nil
}

func (st *store) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.users)
}
