package constructs

import (
	"context"
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
