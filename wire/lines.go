package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	spantree "github.com/spantree/spantree/runtime"
)

// maxLine bounds one line; a json sink's line is one span, and a span with a
// large stack or many attributes stays far below it.
const maxLine = 64 << 20

// ErrNotSpan is what [Lines.Span] returns for a line that holds no span:
// other output of the program, or a JSON log line of another shape.
var ErrNotSpan = errors.New("not a span")

// Lines reads a json sink's file or a container log line by line, and finds
// the span object of each line. Use it as a [bufio.Scanner]:
//
//	lines := wire.NewLines(r)
//	for lines.Scan() {
//		tags, err := lines.Span(&d)
//		...
//	}
//	if err := lines.Err(); err != nil { ... }
//
// A line may carry a prefix before its object (docker --timestamps, a stream
// name), or be wrapped by Docker's json-file driver
// ({"log":"<line>\n","stream":...}). Several processes may append to one
// file; one that exits while its sink writes (os.Exit stops every thread at
// once) leaves a torn line, and the next process's line continues it on the
// same line: the object found is then that whole one, and the torn piece is
// skipped.
type Lines struct {
	sc           *bufio.Scanner
	n            int
	unterminated bool
}

// NewLines returns a reader of the lines of r.
func NewLines(r io.Reader) *Lines {
	l := &Lines{sc: bufio.NewScanner(r)}
	l.sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	l.sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanLines(data, atEOF)
		if tok != nil && atEOF && adv == len(data) && !bytes.HasSuffix(data, []byte("\n")) {
			l.unterminated = true
		}
		return adv, tok, err
	})
	return l
}

// Scan advances to the next line, reporting false at the end of the input
// or on an error (see [Lines.Err]).
func (l *Lines) Scan() bool {
	if !l.sc.Scan() {
		return false
	}
	l.n++
	return true
}

// Err returns the first read error, nil at the end of the input.
func (l *Lines) Err() error { return l.sc.Err() }

// Line returns the number of the current line, from 1.
func (l *Lines) Line() int { return l.n }

// Bytes returns the current line without its newline. The slice is valid
// until the next call of Scan.
func (l *Lines) Bytes() []byte { return l.sc.Bytes() }

// Unterminated reports whether the current line is the last of the input and
// ends without a newline: where a writer killed mid-line leaves a torn line.
func (l *Lines) Unterminated() bool { return l.unterminated }

// Object returns the JSON object of the current line: from its first `{"`
// (after a prefix, inside Docker's wrapping) when that is whole, else the
// last whole span object of the line, with torn set (a torn piece of
// another line precedes it). It returns nil when the line holds no whole
// object. The slice is valid until the next call of Scan.
func (l *Lines) Object() (obj []byte, torn bool) {
	return object(l.sc.Bytes())
}

func object(line []byte) ([]byte, bool) {
	i := bytes.Index(line, []byte(`{"`))
	if i < 0 {
		return nil, false
	}
	obj := bytes.TrimSpace(line[i:])
	if json.Valid(obj) {
		if bytes.HasPrefix(obj, []byte(`{"log":`)) {
			var dl struct {
				Log string `json:"log"`
			}
			if json.Unmarshal(obj, &dl) == nil {
				return object([]byte(dl.Log))
			}
		}
		return obj, false
	}
	// A json sink writes each span starting with its trace id.
	if j := bytes.LastIndex(line, []byte(`{"trace_id"`)); j > i {
		if obj := bytes.TrimSpace(line[j:]); json.Valid(obj) {
			return obj, true
		}
	}
	return nil, false
}

// Strict returns the JSON object of the current line for a reader of a json
// sink's own file, where every line holds one: a line without is an error
// naming it, but for the input's unterminated last line, which a writer
// killed mid-line leaves torn (obj and err are then nil). Blank lines are
// passed over the same way.
func (l *Lines) Strict() (obj []byte, err error) {
	if len(bytes.TrimSpace(l.Bytes())) == 0 {
		return nil, nil
	}
	obj, _ = l.Object()
	if obj == nil && !l.unterminated {
		return nil, fmt.Errorf("line %d: no whole JSON object: %.200s", l.n, l.Bytes())
	}
	return obj, nil
}

// Span decodes the span of the current line into d, checking it as
// [DecodeSpan] does (errors name fields under "line N"), and returns the
// tags the json sink wrote with it. A line without a span object gives
// [ErrNotSpan].
func (l *Lines) Span(d *spantree.SpanData) (tags map[string]string, err error) {
	obj, _ := l.Object()
	if obj == nil || !bytes.Contains(obj, []byte(`"span_id"`)) {
		*d = spantree.SpanData{}
		return nil, ErrNotSpan
	}
	if err := DecodeSpan(obj, d, "line "+strconv.Itoa(l.n)); err != nil {
		return nil, err
	}
	if !bytes.Contains(obj, []byte(`"tags":`)) {
		return nil, nil
	}
	var t struct {
		Tags map[string]string `json:"tags"`
	}
	_ = json.Unmarshal(obj, &t) // the span decoded: tags of another shape are ignored
	return t.Tags, nil
}
