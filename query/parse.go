package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	spantree "github.com/spantree/spantree/runtime"
)

// Limits of a query, so that its SQL stays small.
const (
	MaxLen   = 2000 // bytes
	MaxTerms = 50
	MaxDepth = 20 // nested parentheses and NOTs
)

// Error is a query that does not parse: Pos is the column (1-based, in
// characters) where something else was wanted.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at %d: %s", e.Pos, e.Msg) }

// Parse reads a query. An empty (or blank) query is nil: it matches every
// trace.
func Parse(s string) (Expr, error) {
	if len(s) > MaxLen {
		return nil, &Error{Pos: 1, Msg: fmt.Sprintf("longer than %d bytes", MaxLen)}
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	p := &parser{src: []rune(s)}
	p.space()
	if p.eof() {
		return nil, nil
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if !p.eof() {
		if p.peek() == ')' {
			return nil, p.errorf(p.i, "')' without '('")
		}
		return nil, p.errorf(p.i, "want AND, OR or a term")
	}
	return e, nil
}

type parser struct {
	src   []rune
	i     int
	terms int
}

func (p *parser) eof() bool  { return p.i >= len(p.src) }
func (p *parser) peek() rune { return p.src[p.i] }

func (p *parser) space() {
	for !p.eof() && unicode.IsSpace(p.peek()) {
		p.i++
	}
}

func (p *parser) errorf(at int, format string, args ...any) error {
	return &Error{Pos: at + 1, Msg: fmt.Sprintf(format, args...)}
}

// keyword reports whether a keyword (AND, OR, NOT, upper case, followed by
// neither an operator nor more of a word) comes next, after spaces, and
// skips it if so.
func (p *parser) keyword(kw string) bool {
	end, ok := p.isKeyword(kw)
	if ok {
		p.i = end
	}
	return ok
}

// isKeyword is keyword without the skipping: it returns where kw ends.
func (p *parser) isKeyword(kw string) (int, bool) {
	p.space()
	j := p.i
	for j < len(p.src) && !endsWord(p.src[j]) {
		j++
	}
	if string(p.src[p.i:j]) != kw || (j < len(p.src) && (p.src[j] == ':' || p.src[j] == '<' || p.src[j] == '>')) {
		return 0, false
	}
	return j, true
}

// or reads operands joined by OR; and reads operands joined by AND or side
// by side. Both flatten: an operand of the same kind gives its operands.
func (p *parser) or(depth int) (Expr, error) {
	var out Or
	for {
		e, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		out = flatten(out, e)
		if !p.keyword("OR") {
			return single(out), nil
		}
	}
}

func (p *parser) and(depth int) (Expr, error) {
	var out And
	for {
		e, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		out = flatten(out, e)
		if p.keyword("AND") {
			continue
		}
		p.space()
		if _, or := p.isKeyword("OR"); or || p.eof() || p.peek() == ')' {
			return single(out), nil
		}
	}
}

// flatten appends e to out, or its operands when it is an S too.
func flatten[S ~[]Expr](out S, e Expr) S {
	if x, ok := e.(S); ok {
		return append(out, x...)
	}
	return append(out, e)
}

// single is the one operand of es, or es.
func single[S interface {
	~[]Expr
	Expr
}](es S) Expr {
	if len(es) == 1 {
		return es[0]
	}
	return es
}

func (p *parser) unary(depth int) (Expr, error) {
	p.space()
	if depth >= MaxDepth {
		return nil, p.errorf(p.i, "nested more than %d deep", MaxDepth)
	}
	if p.eof() {
		return nil, p.errorf(p.i, "want a term")
	}
	if p.peek() == '-' {
		p.i++
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	if p.keyword("NOT") {
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	if p.peek() == '(' {
		open := p.i
		p.i++
		p.space()
		if !p.eof() && p.peek() == ')' {
			return nil, p.errorf(p.i, "want a term inside '()'")
		}
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.eof() || p.peek() != ')' {
			return nil, p.errorf(p.i, "want ')' to close the '(' at %d", open+1)
		}
		p.i++
		return e, nil
	}
	return p.term()
}

// term reads field:value, a bare word or a quoted string (both: name:~).
func (p *parser) term() (Expr, error) {
	if p.terms++; p.terms > MaxTerms {
		return nil, p.errorf(p.i, "more than %d terms", MaxTerms)
	}
	start := p.i
	if p.peek() == '"' {
		v, err := p.quoted()
		if err != nil {
			return nil, err
		}
		return &Term{Field: "name", Op: Contains, Value: v}, nil
	}
	for !p.eof() && !endsWord(p.peek()) {
		p.i++
	}
	word := string(p.src[start:p.i])
	if word == "" {
		if p.peek() == ')' {
			return nil, p.errorf(p.i, "want a term before ')'")
		}
		return nil, p.errorf(p.i, "want a field name before '%c'", p.peek())
	}
	if word == "AND" || word == "OR" {
		return nil, p.errorf(start, "want a term before %s", word)
	}
	if p.eof() || endsValue(p.peek()) || p.peek() == '"' {
		if p.peek2('"') {
			return nil, p.errorf(p.i, "want an operator such as ':' between %q and a quoted value", word)
		}
		return &Term{Field: "name", Op: Contains, Value: word}, nil
	}
	f, ok := lookup(word)
	if !ok {
		return nil, p.errorf(start, "unknown field '%s' (want one of %s)", word, fieldNames())
	}
	opAt := p.i
	op := p.op()
	if !allowed(f.Kind, op) {
		return nil, p.errorf(opAt, "'%s' takes %s, not '%s'", word, opList(f.Kind), op)
	}
	if p.eof() || endsValue(p.peek()) {
		return nil, p.errorf(p.i, "want a value after '%s%s'", word, op)
	}
	valAt := p.i
	var v string
	if p.peek() == '"' {
		var err error
		if v, err = p.quoted(); err != nil {
			return nil, err
		}
	} else {
		for !p.eof() && !endsValue(p.peek()) {
			p.i++
		}
		v = string(p.src[valAt:p.i])
	}
	t := &Term{Field: word, Op: op, Value: v}
	switch f.Kind {
	case Status:
		switch spantree.Status(v) {
		case spantree.StatusStarted, spantree.StatusSucceeded, spantree.StatusFailed:
		default:
			return nil, p.errorf(valAt, "want started, succeeded or failed after '%s%s', got %q", word, op, v)
		}
	case Duration:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, p.errorf(valAt, "want a duration such as 100ms or 1.5s after '%s%s', got %q", word, op, v)
		}
		t.Num = int64(d)
	case Number:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, p.errorf(valAt, "want a whole number such as 10 after '%s%s', got %q", word, op, v)
		}
		t.Num = n
	}
	return t, nil
}

// peek2 reports whether the next character is r.
func (p *parser) peek2(r rune) bool { return !p.eof() && p.peek() == r }

// op reads an operator; the caller saw one of : < > next.
func (p *parser) op() Op {
	c := p.peek()
	p.i++
	next := func(r rune) bool {
		if !p.eof() && p.peek() == r {
			p.i++
			return true
		}
		return false
	}
	switch {
	case c == ':' && next('~'):
		return Contains
	case c == ':':
		return Eq
	case c == '>' && next('='):
		return Ge
	case c == '>':
		return Gt
	case c == '<' && next('='):
		return Le
	}
	return Lt
}

// quoted reads a double-quoted string: \ takes the next character as it is.
func (p *parser) quoted() (string, error) {
	open := p.i
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.eof() {
				break
			}
			b.WriteRune(p.peek())
			p.i++
			continue
		}
		b.WriteRune(c)
	}
	return "", p.errorf(open, "unterminated quoted value (want a closing '\"')")
}

func allowed(k Kind, op Op) bool {
	for _, o := range ops[k] {
		if o == op {
			return true
		}
	}
	return false
}

func opList(k Kind) string {
	var s []string
	for _, o := range ops[k] {
		s = append(s, "'"+string(o)+"'")
	}
	return strings.Join(s, ", ")
}
