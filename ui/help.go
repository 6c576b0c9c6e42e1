package ui

import "strings"

// helpLines lists every binding, section by section.
func helpLines() []string {
	var out []string
	for i, s := range helpSections() {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, styles.header.Render(s.title))
		for _, b := range s.bindings {
			out = append(out, "  "+styles.key.Render(fit(b.label, 7))+" "+b.help)
		}
	}
	return out
}

// helpView lays the help out in one or two columns of h lines, from offset.
func helpView(w, h, offset int) []string {
	all := helpLines()
	if len(all) > h && w >= 100 {
		// Two columns, split at a section boundary near the middle.
		split := len(all) / 2
		for split < len(all) && all[split] != "" {
			split++
		}
		left, right := all[:split], all[min(split+1, len(all)):]
		n := max(len(left), len(right))
		all = make([]string, n)
		for i := range n {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			all[i] = fit(l, w/2) + r
		}
	}
	offset = clamp(offset, 0, max(len(all)-h, 0))
	out := all[offset:min(offset+h, len(all))]
	if offset+h < len(all) {
		out[len(out)-1] = strings.Repeat(" ", 2) + styles.dim.Render("… j/k scroll")
	}
	return out
}
