package termtext

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main.main", "main.main"},
		{"multi\nline\ttabbed", "multi\nline\ttabbed"},
		{"\x1b]0;pwned\x07main.run", `\x1b]0;pwned\x07main.run`},
		{"\x1b[2J\x1b[31mred", `\x1b[2J\x1b[31mred`},
		{"carriage\rreturn", `carriage\rreturn`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202eevil", `bidi \u202eevil`},
		{"bad utf-8 \xff", `bad utf-8 \xff`},
		{"ünïcödé ✓ 漢字", "ünïcödé ✓ 漢字"},
		{`\x1b already escaped`, `\x1b already escaped`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q; want %q", tt.in, got, tt.want)
		}
		if got := Escape(Escape(tt.in)); got != tt.want {
			t.Errorf("Escape(Escape(%q)) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

type inner struct {
	Msg   string
	Attrs map[string]any
}

type outer struct {
	Name     string
	Tags     map[string]string
	Err      *inner
	Events   []inner
	IDs      [2]string
	Any      any
	Count    int
	unexport string
}

func TestSanitize(t *testing.T) {
	esc := "\x1b[2J"
	got := &outer{
		Name:     esc + "name",
		Tags:     map[string]string{esc + "k": esc + "v", "clean": "ok"},
		Err:      &inner{Msg: esc, Attrs: map[string]any{"a": esc, "n": 3, "list": []any{esc}}},
		Events:   []inner{{Msg: esc}},
		IDs:      [2]string{esc, "x"},
		Any:      esc,
		Count:    7,
		unexport: esc,
	}
	Sanitize(got)
	e := `\x1b[2J`
	want := &outer{
		Name:     e + "name",
		Tags:     map[string]string{e + "k": e + "v", "clean": "ok"},
		Err:      &inner{Msg: e, Attrs: map[string]any{"a": e, "n": 3, "list": []any{e}}},
		Events:   []inner{{Msg: e}},
		IDs:      [2]string{e, "x"},
		Any:      e,
		Count:    7,
		unexport: esc, // unexported fields are not the receiver's data
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(outer{})); diff != "" {
		t.Errorf("Sanitize (-want +got):\n%s", diff)
	}
}

// TestSanitizeClean checks that clean data is not written: values shared
// with other goroutines stay untouched (the race detector would see writes).
func TestSanitizeClean(t *testing.T) {
	v := &outer{Name: "main.main", Tags: map[string]string{"service": "api"}, Any: "x"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Sanitize(v)
	}()
	_ = v.Name + v.Tags["service"]
	<-done
	Sanitize([]outer{*v})
	Sanitize(nil)
	Sanitize("not a pointer")
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"open a: no such file\nopen b: denied", "open a: no such file ⏎ open b: denied"},
		{"trailing\n", "trailing"},
		{"tab\there", "tab here"},
		{"", ""},
	} {
		if got := OneLine(tc.in); got != tc.want {
			t.Errorf("OneLine(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
