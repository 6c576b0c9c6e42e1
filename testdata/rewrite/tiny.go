// Tiny: what the tiny rule leaves alone (leaves within the inliner's budget,
// wrappers of this package's functions, String and friends) and what it never does (functions
// that return an error).
package tiny

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"time"
)

type uint128 [2]uint64

// cmp128 is a leaf: no calls, well within the budget.
func cmp128(x, y uint128) int {
	if x[1] < y[1] {
		return -1
	}
	if x[1] > y[1] {
		return 1
	}
	if x[0] < y[0] {
		return -1
	}
	if x[0] > y[0] {
		return 1
	}
	return 0
}

// Compare wraps a function of a pure standard package, which only
// computes: tiny.
func Compare(a, b []byte) int {
	return bytes.Compare(a, b)
}

// pause wraps another package's function: that is where time goes, so not
// tiny.
func pause(d time.Duration) {
	time.Sleep(d)
}

// cmpIDs wraps a function of this package: tiny, cmp128 has the span.
func cmpIDs(a, b uint128) int {
	return cmp128(a, b)
}

// Name is a String method in all but name; String itself is skipped.
type Name string

func (n Name) String() string { return strings.ToUpper(string(n)) }

var errNegative = errors.New("negative")

// check returns an error: never tiny.
func check(n int) error {
	if n < 0 {
		return errNegative
	}
	return nil
}

// sum has a loop: not tiny.
func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// join calls a pure package twice: tiny.
func join(a, b string) string {
	return strings.TrimSpace(a) + strings.TrimSpace(b)
}

// home calls os and strings: not tiny (os is not pure).
func home(user string) string {
	return strings.TrimSpace(os.Getenv("HOME")) + "/" + user
}

// digest is a Write that cannot fail: every return gives a nil error, so
// it is tiny like any leaf.
type digest struct{ n int }

func (d *digest) Write(b []byte) (int, error) {
	d.n += len(b)
	return len(b), nil
}

// put may fail: it keeps its span however small.
func (d *digest) put(b []byte) (int, error) {
	if b == nil {
		return 0, errNegative
	}
	d.n += len(b)
	return len(b), nil
}

// WriteString names its results and still cannot fail: tiny.
func (d *digest) WriteString(s string) (n int, err error) {
	d.n += len(s)
	return len(s), nil
}

// flush names its error and sets it: it keeps its span.
func (d *digest) flush() (err error) {
	if d.n < 0 {
		err = errNegative
	}
	return err
}

// u64 calls a method of a pure package's variable: tiny.
func u64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
