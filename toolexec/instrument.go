package toolexec

import (
	"bytes"
	"fmt"

	"github.com/spantree/spantree/rewrite"
)

// instrument rewrites the files of one package (dir is their directory
// relative to the module root) and returns those that changed, each starting
// with a //line directive naming its original file, so that the compiler
// records original positions. The rewrite keeps every line where it was
// (rewrite.Options.KeepLines), so one directive per file suffices. linksHTTP
// tells that the package is a main package of a program that links net/http
// (rewrite.Options.LinksHTTP).
func instrument(srcs []source, dir string, linksHTTP bool) ([]source, error) {
	in := make([]rewrite.Source, len(srcs))
	for i, s := range srcs {
		b := s.src
		if s.cover {
			// Drop the cover tool's //line directive: the text after it is
			// the original file, line for line, with counters added.
			_, b, _ = bytes.Cut(b, []byte("\n"))
		}
		in[i] = rewrite.Source{Name: s.orig, Src: b}
	}
	out, err := rewrite.Files(in, rewrite.Options{Dir: dir, KeepLines: true, LinksHTTP: linksHTTP}, false)
	if err != nil {
		return nil, err
	}
	var changed []source
	for i, o := range out {
		if bytes.Equal(o.Src, in[i].Src) {
			continue
		}
		s := srcs[i]
		var b bytes.Buffer
		fmt.Fprintf(&b, "//line %s:1:1\n", s.orig)
		b.Write(o.Src)
		s.src = b.Bytes()
		changed = append(changed, s)
	}
	return changed, nil
}
