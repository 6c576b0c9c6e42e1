package toolexec

import (
	"fmt"
	"strings"
)

// splitQuoted splits s into words as the go command splits GOFLAGS and
// -toolexec: at spaces, except inside single or double quotes that surround
// a whole word.
func splitQuoted(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return words, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			words = append(words, s[1:1+end])
			s = s[2+end:]
			if s != "" && !strings.ContainsRune(" \t\n\r", rune(s[0])) {
				return nil, fmt.Errorf("quoted string must be followed by a space")
			}
			continue
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
}

// joinQuoted is the inverse of splitQuoted for words that need no more than
// one kind of quote.
func joinQuoted(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case w != "" && !strings.ContainsAny(w, " \t\n\r'\""):
			b.WriteString(w)
		case !strings.Contains(w, `"`):
			b.WriteString(`"` + w + `"`)
		default:
			b.WriteString(`'` + w + `'`)
		}
	}
	return b.String()
}
