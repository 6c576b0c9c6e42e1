package rewrite

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var tableEntry = regexp.MustCompile(`\{Name: "([^"]+)"`)

// spanned returns the span names in the descriptor tables of files.
func spanned(t *testing.T, files []Source) []string {
	t.Helper()
	var names []string
	for _, f := range files {
		for _, m := range tableEntry.FindAllSubmatch(f.Src, -1) {
			names = append(names, string(m[1]))
		}
	}
	slices.Sort(names)
	return names
}

// TestTinyPackage: the tiny rule is decided per package, over the calls of
// its functions across files: a small function whose calls all go to tiny
// functions of its package is tiny; recursion, a callee that gets a span
// for another reason, and calls that may not be the package's are not.
func TestTinyPackage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // the functions that get a span
	}{
		{
			name: "a chain of tiny calls across files",
			files: map[string]string{
				"round.go": `package xxhash

func round(acc, input uint64) uint64 {
	acc += input * prime2
	acc = rol31(acc)
	acc *= prime1
	return acc
}

func mergeRound(acc, val uint64) uint64 {
	val = round(0, val)
	acc ^= val
	acc = acc*prime1 + prime4
	return acc
}
`,
				"bits.go": `package xxhash

const (
	prime1 uint64 = 11400714785074694791
	prime2 uint64 = 14029467366897019727
	prime4 uint64 = 9650029242287828579
)

func rol31(x uint64) uint64 { return (x << 31) | (x >> 33) }
`,
			},
			want: nil,
		},
		{
			name: "methods and conversions of the package",
			files: map[string]string{
				"ksuid.go": `package ksuid

type KSUID [20]byte

type seq uint32

func (k KSUID) payload() []byte { return k[4:] }

func (s *Sequence) Next() (KSUID, bool) {
	n := seq(s.count)
	s.count++
	return s.make(n), n != 0
}

type Sequence struct {
	count uint32
	seed  KSUID
}

func (s *Sequence) make(n seq) KSUID {
	k := s.seed
	k[18], k[19] = byte(n>>8), byte(n)
	return k
}
`,
			},
			want: nil,
		},
		{
			name: "recursion is never tiny",
			files: map[string]string{
				"fact.go": `package p

func fact(n int) int {
	if n < 2 {
		return 1
	}
	return n * fact(n-1)
}

func even(n int) bool {
	if n == 0 {
		return true
	}
	return odd(n - 1)
}

func odd(n int) bool {
	if n == 0 {
		return false
	}
	return even(n - 1)
}
`,
			},
			want: []string{"p.even", "p.fact", "p.odd"},
		},
		{
			name: "a callee with a span is no tiny call",
			files: map[string]string{
				"p.go": `package p

import (
	"errors"
	"time"
)

func check(n int) error {
	if n < 0 {
		return errors.New("negative")
	}
	return nil
}

func wait() { time.Sleep(time.Millisecond) }

func twice(n int) int {
	_ = check(n)
	return n * 2
}

func later(n int) int {
	wait()
	return n + 1
}

func small(n int) int { return n + 1 }

func uses(n int) int {
	m := small(n)
	return small(m) * 3
}
`,
			},
			want: []string{"p.check", "p.later", "p.twice", "p.wait"},
		},
		{
			name: "function values and unknown methods are opaque",
			files: map[string]string{
				"p.go": `package p

type T struct{ cb func(int) int }

func (t T) apply(n int) int {
	v := t.cb(n)
	return v + 1
}

func call(f func() int) int {
	x := f()
	return x
}
`,
			},
			want: []string{"p.T.apply", "p.call"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srcs []Source
			for name, src := range tc.files {
				srcs = append(srcs, Source{Name: name, Src: []byte(src)})
			}
			slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
			out, err := Files(srcs, Options{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, spanned(t, out)); diff != "" {
				t.Errorf("functions with a span (-want +got):\n%s", diff)
			}
		})
	}
}
