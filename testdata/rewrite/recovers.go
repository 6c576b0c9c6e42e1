// Deferred literals that call recover() pass what it returns through the
// span's Recovered, so that a panic the literal stops shows on the span of
// the function that deferred it even when the panicking function is too
// small for a span of its own; such a literal always gets a span, however
// small. Other deferred literals, and recover() elsewhere, are left as they
// are.
package recovers

import "fmt"

func mustPositive(n int) int {
	if n < 0 {
		panic("negative")
	}
	return n
}

// Safe turns a panic into an error.
func Safe(n int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	mustPositive(n)
	return nil
}

// Quiet drops a panic on one line.
func Quiet(n int) {
	defer func() { recover() }()
	fmt.Println(mustPositive(n))
}

// Later does not recover.
func Later(n int) {
	defer func() { fmt.Println("done") }()
	fmt.Println(mustPositive(n))
}
