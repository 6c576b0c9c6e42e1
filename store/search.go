package store

import (
	"strconv"
	"strings"
)

// RunTerm reads a run number as the viewers' search boxes take it: the tag
// term run:142 (k "run", v "142"), or the term shop#142 (a service and a
// run number, as the viewers print them, with service "shop"). It reports
// whether term is one of these; a process tag named "run" with a number
// for its value is then searched as the run number, not as a tag.
func RunTerm(term string) (service string, run int64, ok bool) {
	if k, v, found := strings.Cut(term, ":"); found && k == "run" {
		n, err := strconv.ParseInt(v, 10, 64)
		return "", n, err == nil && n > 0
	}
	i := strings.LastIndexByte(term, '#')
	if i <= 0 || strings.ContainsAny(term[:i], ":=") {
		return "", 0, false
	}
	n, err := strconv.ParseInt(term[i+1:], 10, 64)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return term[:i], n, true
}

// RunLabel is how the viewers name a trace by its run number, service#142;
// "" when it has none.
func RunLabel(app string, run int64) string {
	if run <= 0 {
		return ""
	}
	return app + "#" + strconv.FormatInt(run, 10)
}
