package constructs

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestGoto(t *testing.T) {
	for _, tc := range []struct {
		name  string
		f     func(int) (int, error)
		in    int
		want  int
		fails bool
	}{
		{"Goto", Goto, 0, -1, false},
		{"Goto", Goto, 4, 2, false},
		{"Goto", Goto, 3, 0, true},
		{"GotoInCase", GotoInCase, -1, 1, false},
		{"GotoInCase", GotoInCase, -4, 2, false},
		{"GotoInCase", GotoInCase, 6, 3, false},
		{"GotoLabeled", GotoLabeled, 12, 1, false},
		{"GotoLabeled", GotoLabeled, 7, 100, false},
		{"GotoLabeled", GotoLabeled, 3, 0, true},
		{"GotoBack", GotoBack, 204, 2, false},
		{"GotoToReturn", GotoToReturn, -4, 2, false},
		{"GotoToReturn", GotoToReturn, 3, 3, false},
	} {
		got, err := tc.f(tc.in)
		if got != tc.want || (err != nil) != tc.fails {
			t.Errorf("%s(%d) = %d, %v; want %d, error %v", tc.name, tc.in, got, err, tc.want, tc.fails)
		}
	}
}

func TestCtx(t *testing.T) {
	own := Ctx{context.Background()}
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"Kind(nil)", Kind(nil), "nil"},
		{"Kind(Ctx)", Kind(own), "Ctx"},
		{"Kind(Background)", Kind(context.Background()), "other"},
		{"Own(Ctx)", Own(own), true},
		{"Own(Background)", Own(context.Background()), false},
		{"Pass(Background)", Pass(context.Background()), "other"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestOutlined(t *testing.T) {
	for _, tc := range []struct {
		in    rune
		extra []rune
		want  string
		fails bool
	}{
		{' ', nil, "space", false},
		{'7', nil, "digit", false},
		{'.', nil, "dot", false},
		{'~', []rune{'!', 'x'}, "lower", false},
		{'~', nil, "", true},
	} {
		got, err := Classify(tc.in, tc.extra...)
		if got != tc.want || (err != nil) != tc.fails {
			t.Errorf("Classify(%q, %q) = %q, %v; want %q (fails %v)", tc.in, tc.extra, got, err, tc.want, tc.fails)
		}
	}

	var s Stack[int]
	n, err := s.PushAll([]int{1, 2, 3, 4}, func(i int) {
		if i == 3 {
			panic("three")
		}
	})
	if n != 2 || err == nil || err.Error() != "push 2: three" || len(s.items) != 2 {
		t.Errorf("PushAll = %d, %v (items %v); want 2, push 2: three", n, err, s.items)
	}

	if got, err := Sum(context.Background(), 1.5, 2.5, 3); got != 7 || err != nil {
		t.Errorf("Sum = %v, %v; want 7, nil", got, err)
	}
	if _, err := Sum[int](context.Background()); err == nil {
		t.Error("Sum() = nil error; want one")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sum(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Sum(canceled) = %v; want context.Canceled", err)
	}

	counts := map[string]int{}
	Tally("ab 1~", counts)
	Tally("a quite long line", counts)
	if want := map[string]int{"lower": 16, "space": 4, "digit": 1, "other": 1, "long": 1}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("Tally: %v; want %v", counts, want)
	}
}
