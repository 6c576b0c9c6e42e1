// Functions whose defers the compiler does not open-code (many returns, a
// defer in a loop): their bodies move to functions of their own, behind a
// wrapper with the span, and must behave as written: named results set by
// deferred recovers, variadic and generic parameters, methods of generic
// types, goroutines launched from the body.
package constructs

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Classify has more returns than the compiler open-codes defers for.
func Classify(r rune, extra ...rune) (string, error) {
	switch {
	case r == ' ':
		return "space", nil
	case r == '\t':
		return "tab", nil
	case r == '\n':
		return "newline", nil
	case r >= '0' && r <= '9':
		return "digit", nil
	case r >= 'a' && r <= 'z':
		return "lower", nil
	case r >= 'A' && r <= 'Z':
		return "upper", nil
	case r == '"':
		return "quote", nil
	case r == '\\':
		return "backslash", nil
	case r == '{' || r == '}':
		return "brace", nil
	case r == '[' || r == ']':
		return "bracket", nil
	case r == ',':
		return "comma", nil
	case r == ':':
		return "colon", nil
	case r == '-':
		return "minus", nil
	case r == '.':
		return "dot", nil
	}
	if len(extra) > 0 {
		return Classify(extra[0], extra[1:]...)
	}
	return "", fmt.Errorf("unknown rune %q", r)
}

// Stack is a generic type with a method whose defer is in a loop.
type Stack[E any] struct {
	mu    sync.Mutex
	items []E
}

// PushAll pushes every item, unlocking in a deferred call per item, and
// turns a panic of one of them into its error result.
func (s *Stack[E]) PushAll(items []E, check func(E)) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("push %d: %v", n, r)
		}
	}()
	for _, it := range items {
		func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			check(it)
			s.items = append(s.items, it)
		}()
		n++
	}
	for i := 0; i < 2; i++ {
		defer func() { n += 0 }()
	}
	return n, nil
}

// Sum is a generic function with a defer in a loop that launches
// goroutines from its body.
func Sum[N int | float64](ctx context.Context, xs ...N) (N, error) {
	var (
		mu    sync.Mutex
		total N
		wg    sync.WaitGroup
	)
	for _, x := range xs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			total += x
		}()
	}
	wg.Wait()
	for range 2 {
		defer wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if len(xs) == 0 {
		return 0, errors.New("nothing to sum")
	}
	return total, nil
}

// Tally counts the kinds of the runes of s into counts; it has no results
// and returns early often.
func Tally(s string, counts map[string]int) {
	for _, r := range s {
		if r == 0 {
			return
		}
		k, err := Classify(r)
		if err != nil {
			counts["other"]++
			continue
		}
		counts[k]++
	}
	if len(s) == 0 {
		return
	}
	if len(s) == 1 {
		return
	}
	if len(s) == 2 {
		return
	}
	if len(s) == 3 {
		return
	}
	if len(s) == 4 {
		return
	}
	if len(s) == 5 {
		return
	}
	if len(s) == 6 {
		return
	}
	if len(s) == 7 {
		return
	}
	if len(s) == 8 {
		return
	}
	if len(s) == 9 {
		return
	}
	if len(s) == 10 {
		return
	}
	if len(s) == 11 {
		return
	}
	if len(s) == 12 {
		return
	}
	if len(s) == 13 {
		return
	}
	if len(s) == 14 {
		return
	}
	counts["long"]++
}
