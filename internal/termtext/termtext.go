// Package termtext makes text from span data safe to print on a terminal.
// Span names, error messages, tags and attributes come from the traced
// programs (and through the receiver from anyone holding a key): an escape
// sequence among them could set a viewer's window title, clear its screen
// or colour what follows. The viewers (spantree show, health, traces and the
// terminal UI) pass every answer of the receiver through [Sanitize] first.
package termtext

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character but newline and tab
// written as a Go escape (`\x1b`, `\r`, `\u009b`), and each byte that is
// not UTF-8 as `\xff`. Text without them is returned as it is, and escaping
// escaped text changes nothing.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case unsafe(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// OneLine returns s on one line, for a table cell or a list row: the lines
// of a multi-line text (an error wrapping others, errors.Join's) are joined
// with " ⏎ " and tabs become spaces. The detail views keep the lines.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\n\t") {
		return s
	}
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\t", " ")
	return strings.Join(strings.Split(s, "\n"), " ⏎ ")
}

// unsafe reports whether a terminal could act on r: the C0 controls but
// newline and tab, DEL, and the C1 controls (U+0080 to U+009F, which some
// terminals take as the start of a sequence), plus the bidirectional
// overrides that reorder what is shown.
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafe(r) {
			return true
		}
		i += n
	}
	return false
}

// Sanitize escapes, in place, every string that v points to: the exported
// string fields of structs, the elements of slices and arrays, map keys and
// values and what interfaces hold, as deep as they go. It writes only the
// strings that change, so clean data shared between goroutines is only
// read. v must be a pointer (or a map or a slice); anything else is left
// alone.
func Sanitize(v any) {
	sanitize(reflect.ValueOf(v))
}

func sanitize(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); v.CanSet() && needsEscape(s) {
			v.SetString(Escape(s))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			sanitize(v.Elem())
		}
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		if c, changed := sanitizedCopy(v.Elem()); changed {
			v.Set(c)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				sanitize(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			sanitize(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			nk, kChanged := sanitizedCopy(k)
			ne, eChanged := sanitizedCopy(e)
			if !kChanged && !eChanged {
				continue
			}
			v.SetMapIndex(k, reflect.Value{})
			v.SetMapIndex(nk, ne)
		}
	}
}

// sanitizedCopy returns a sanitized copy of a value that cannot be set in
// place (a map entry, what an interface holds), and whether it differs.
func sanitizedCopy(v reflect.Value) (reflect.Value, bool) {
	if !dirty(v) {
		return v, false
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	sanitize(c)
	return c, true
}

// dirty reports whether sanitizing v would change anything.
func dirty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return needsEscape(v.String())
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && dirty(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && dirty(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if dirty(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if dirty(k) || dirty(v.MapIndex(k)) {
				return true
			}
		}
	}
	return false
}
