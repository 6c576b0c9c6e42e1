package main

import (
	"html"
	"strconv"
	"strings"
)

// ansiHTML turns terminal text with SGR escapes (the colours, bold and dim
// that the tree sink writes) into HTML: each run of text in a span whose
// classes name its attributes (b, d, cNN). Other escape sequences are
// dropped; the text is escaped.
func ansiHTML(s string) string {
	var b strings.Builder
	var bold, dim bool
	color := 0
	open := false
	flush := func() {
		if open {
			b.WriteString("</span>")
			open = false
		}
	}
	start := func() {
		var cls []string
		if bold {
			cls = append(cls, "b")
		}
		if dim {
			cls = append(cls, "d")
		}
		if color != 0 {
			cls = append(cls, "c"+strconv.Itoa(color))
		}
		if len(cls) > 0 {
			b.WriteString(`<span class="` + strings.Join(cls, " ") + `">`)
			open = true
		}
	}
	styled := false // the attributes changed since the last text
	text := func(t string) {
		if t == "" {
			return
		}
		if styled {
			flush()
			start()
			styled = false
		}
		b.WriteString(html.EscapeString(t))
	}
	for len(s) > 0 {
		i := strings.IndexByte(s, 0x1b)
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		s = s[i:]
		if len(s) < 2 || s[1] != '[' {
			s = s[1:] // a lone escape: dropped
			continue
		}
		end := strings.IndexFunc(s[2:], func(r rune) bool { return r >= 0x40 && r <= 0x7e })
		if end < 0 {
			break // a torn sequence at the end
		}
		params, final := s[2:2+end], s[2+end]
		s = s[3+end:]
		if final != 'm' {
			continue // cursor movement and the like: not text
		}
		styled = true
		if params == "" {
			params = "0"
		}
		for _, p := range strings.Split(params, ";") {
			switch n, _ := strconv.Atoi(p); {
			case n == 0:
				bold, dim, color = false, false, 0
			case n == 1:
				bold = true
			case n == 2:
				dim = true
			case n == 22:
				bold, dim = false, false
			case n == 39:
				color = 0
			case n >= 30 && n <= 37 || n >= 90 && n <= 97:
				color = n
			}
		}
	}
	flush()
	return b.String()
}
