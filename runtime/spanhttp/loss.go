package spanhttp

import (
	"strconv"
	"strings"
	"sync"
)

// lossKind is why spans were lost; the summary at exit lists them in this
// order.
type lossKind int

const (
	lossUnreachable lossKind = iota // network errors and timeouts until the batch's deadline
	lossFailing                     // 429 or 5xx until the batch's deadline
	lossRefused                     // a final 4xx: a bad key, a rejected batch
	lossTooLarge                    // one span alone still answered 413
	lossRejected                    // the backend accepted the request but not these spans (OTLP partial success)
	lossBufferFull                  // the buffer was full: the receiver down or slower than the program
	nLossKinds
)

// lossWhat names each kind in the summary; the detail of the last loss of
// that kind follows it.
var lossWhat = [nLossKinds]string{
	lossUnreachable: "receiver unreachable",
	lossFailing:     "receiver failing",
	lossRefused:     "refused",
	lossTooLarge:    "too large for the receiver even alone",
	lossRejected:    "rejected by the backend",
	lossBufferFull:  "buffer full (receiver down or slower than the program)",
}

// losses counts the spans a sink lost, by kind, with the last detail of
// each. It is safe for concurrent use.
type losses struct {
	mu       sync.Mutex
	spans    [nLossKinds]int64
	detail   [nLossKinds]string
	total    int64
	reported int64 // total when the summary was last said
}

// add counts n spans lost for kind, detail saying how (an error, a status
// line); it reports whether these are the sink's first lost spans.
func (l *losses) add(kind lossKind, n int, detail string) (first bool) {
	if n <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	first = l.total == 0
	l.spans[kind] += int64(n)
	l.total += int64(n)
	if detail != "" {
		l.detail[kind] = detail
	}
	return first
}

// load returns the number of spans lost so far.
func (l *losses) load() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// unreported returns the summary line (without the "sink URL: " prefix)
// when spans were lost since the last call that returned one, else "".
// unsent spans, still in the buffer or in flight when a Flush gave up, are
// named too; they are not counted as lost, as a program that goes on may
// still send them.
func (l *losses) unreported(unsent int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total == l.reported && unsent == 0 {
		return ""
	}
	l.reported = l.total
	var parts []string
	for k := range nLossKinds {
		if l.spans[k] == 0 {
			continue
		}
		p := lossWhat[k]
		if l.total != l.spans[k] {
			p += ", " + thousands(l.spans[k]) + " spans"
		}
		if l.detail[k] != "" {
			p += ": " + l.detail[k]
		}
		parts = append(parts, p)
	}
	if unsent > 0 {
		parts = append(parts, thousands(int64(unsent))+" spans not sent by the flush deadline")
	}
	return thousands(l.total) + " spans lost (" + strings.Join(parts, "; ") + ")"
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
