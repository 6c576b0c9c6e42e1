package rewrite

import (
	"go/parser"
	"go/token"
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
		{
			name: "an iterator's Next runs one case of its switch a call",
			files: map[string]string{
				"iter.go": iterSrc(""),
			},
			want: nil,
		},
		{
			name: "an iterator's Next with a case calling out keeps its span",
			files: map[string]string{
				"iter.go": iterSrc("\t\tit.Cur = uint64(time.Now().Unix())\n"),
			},
			want: []string{"set.(*Iter).Next"},
		},
		{
			name: "a wide literal of conversions, and one too long to be tiny",
			files: map[string]string{
				"u.go": pairSrc,
			},
			want: []string{"u.pair.hex"},
		},
		{
			name: "a test failure in a test's callback is no reason for a span",
			files: map[string]string{
				"each.go": `package p

func each(xs []int, f func(int) bool) {
	for _, x := range xs {
		if !f(x) {
			return
		}
	}
}
`,
				"each_test.go": `package p

import "testing"

func TestEach(t *testing.T) {
	want := 0
	each([]int{0, 1, 2}, func(i int) bool {
		if i != want {
			t.Fatalf("got %d, want %d", i, want)
		}
		want++
		return true
	})
}
`,
				"log.go": `package p

import "log"

func logged(xs []int, l *log.Logger) {
	each(xs, func(i int) bool {
		if i < 0 {
			l.Fatalf("negative: %d", i)
		}
		return true
	})
}
`,
			},
			want: []string{"p.TestEach", "p.each", "p.logged", "p.logged.each"},
		},
		{
			name: "a guard before a forwarding call is a wrapper; work before it is not",
			files: map[string]string{
				"ws.go": `package p

func skipWS(s string) string {
	if len(s) == 0 || s[0] > 0x20 {
		return s
	}
	return skipWSSlow(s)
}

func skipWSSlow(s string) string {
	for len(s) > 0 && s[0] <= 0x20 {
		s = s[1:]
	}
	return s
}

func trimmed(s string) string {
	if len(s) > 0 {
		s = s[1:]
	}
	return skipWSSlow(s)
}

func elsewise(s string) string {
	if len(s) == 0 {
		return s
	} else if s[0] == ' ' {
		return s[1:]
	}
	return skipWSSlow(s)
}
`,
			},
			want: []string{"p.elsewise", "p.skipWSSlow", "p.trimmed"},
		},
		{
			name: "callbacks of standard algorithms are their caller's",
			files: map[string]string{
				"find.go": `package p

import (
	"slices"
	"sort"
	"strings"
)

type Item interface{ Less(Item) bool }

type items []Item

func (s items) find(it Item) (int, bool) {
	i := sort.Search(len(s), func(i int) bool {
		return it.Less(s[i])
	})
	return i, i > 0 && !s[i-1].Less(it)
}

func byKey(names []string, key func(string) string) {
	slices.SortFunc(names, func(a, b string) int {
		return strings.Compare(key(a), key(b))
	})
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		for _, c := range " -" {
			if r == c {
				return -1
			}
		}
		return r
	}, s)
}

func each(xs []int, f func(int)) {
	for _, x := range xs {
		f(x)
	}
}

func visit(xs []int, seen map[int]bool) {
	each(xs, func(x int) {
		mark(seen, x)
		mark(seen, -x)
	})
}

func mark(seen map[int]bool, x int) {
	for len(seen) > 100 {
		clear(seen)
	}
	seen[x] = true
}
`,
			},
			want: []string{"p.byKey", "p.each", "p.items.find", "p.mark", "p.squeeze", "p.squeeze.strings.Map", "p.visit", "p.visit.each"},
		},
		{
			name: "unsafe conversions only compute",
			files: map[string]string{
				"conv.go": `package p

import "unsafe"

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func key(b []byte) string {
	s := b2s(b)
	return s[:min(len(s), 8)]
}
`,
			},
			want: nil,
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

// iterSrc is an iterator whose Next decodes one record of several kinds a
// call: more than leafBudget nodes, but straight-line, one case of its
// switch run a call. extra goes into its last case.
func iterSrc(extra string) string {
	return `package set

import (
	"encoding/binary"
	"time"
)

var _ = time.Now

type Iter struct {
	buf  []byte
	off  int
	last uint64
	run  int
	Cur  uint64
}

func (it *Iter) Next() bool {
	if it.run > 0 {
		it.run--
		it.last++
		it.Cur = it.last
		return true
	}
	if it.off == len(it.buf) {
		return false
	}
	tag := it.buf[it.off]
	it.off++
	switch tag & 3 {
	case 0:
		it.last = binary.BigEndian.Uint64(it.buf[it.off:])
		it.off += 8
	case 1:
		it.last += uint64(it.buf[it.off])
		it.off++
	case 2:
		it.last += uint64(binary.BigEndian.Uint16(it.buf[it.off:]))
		it.off += 2
	default:
		it.run = int(tag >> 2)
		it.last++
` + extra + `	}
	it.Cur = it.last
	return true
}
`
}

// TestTinyBudgets: the examples of TestTinyPackage that stand for the
// straight-line rule are over leafBudget, so that they test it.
func TestTinyBudgets(t *testing.T) {
	for _, tc := range []struct {
		name, src, fn string
	}{
		{"iterator", iterSrc(""), "Next"},
		{"wide literal", pairSrc, "bytes"},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", tc.src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		in := newInstrumenter(fset, f, []byte(tc.src), "x.go", Options{})
		in.prepare()
		found := false
		for _, r := range in.roots {
			if r.decl != nil && r.decl.Name.Name == tc.fn {
				found = true
				if r.nodes <= leafBudget || pathNodes(r.body) > straightBudget {
					t.Errorf("%s: %d nodes, %d on its longest path: want over %d and within %d", tc.name, r.nodes, pathNodes(r.body), leafBudget, straightBudget)
				}
			}
		}
		if !found {
			t.Errorf("%s: no func %s", tc.name, tc.fn)
		}
	}
}

// pairSrc has a straight-line bytes over leafBudget and a hex too long to
// be tiny.
const pairSrc = `package u

type pair [2]uint64

func (v pair) bytes() [16]byte {
	return [16]byte{
		byte(v[1] >> 56), byte(v[1] >> 48), byte(v[1] >> 40), byte(v[1] >> 32),
		byte(v[1] >> 24), byte(v[1] >> 16), byte(v[1] >> 8), byte(v[1]),
		byte(v[0] >> 56), byte(v[0] >> 48), byte(v[0] >> 40), byte(v[0] >> 32),
		byte(v[0] >> 24), byte(v[0] >> 16), byte(v[0] >> 8), byte(v[0]),
	}
}

// hex is a palindrome of hex digits: too long for a straight line.
func (v pair) hex() []byte {
	b := v.bytes()
	const digits = "0123456789abcdef"
	return []byte{
		digits[b[0]>>4], digits[b[0]&15], digits[b[1]>>4], digits[b[1]&15],
		digits[b[2]>>4], digits[b[2]&15], digits[b[3]>>4], digits[b[3]&15],
		digits[b[4]>>4], digits[b[4]&15], digits[b[5]>>4], digits[b[5]&15],
		digits[b[6]>>4], digits[b[6]&15], digits[b[7]>>4], digits[b[7]&15],
		digits[b[7]>>4], digits[b[7]&15], digits[b[6]>>4], digits[b[6]&15],
		digits[b[5]>>4], digits[b[5]&15], digits[b[4]>>4], digits[b[4]&15],
		digits[b[3]>>4], digits[b[3]&15], digits[b[2]>>4], digits[b[2]&15],
		digits[b[1]>>4], digits[b[1]&15], digits[b[0]>>4], digits[b[0]&15],
	}
}
`
