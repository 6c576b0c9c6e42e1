package ui

// namespaces is the namespace picker of `spantree ui -db PATH`; it is skipped
// when the database holds a single namespace.
type namespaces struct {
	names  []string
	cursor int
	offset int
	loaded bool
	err    error
}

func (n *namespaces) view(w, h int) []string {
	lines := []string{styles.dim.Render("choose a namespace (enter)")}
	switch {
	case n.err != nil:
		return append(lines, "", styles.bad.Render(describe(n.err)))
	case !n.loaded:
		return append(lines, "", styles.dim.Render("loading…"))
	case len(n.names) == 0:
		return append(lines, "", "The database holds no namespace yet.",
			styles.dim.Render("Create one with `spantree key create -db PATH NAME`, then send or ingest spans."))
	}
	rows := h - len(lines)
	n.offset = window(n.cursor, n.offset, rows, len(n.names))
	for i := n.offset; i < len(n.names) && i < n.offset+rows; i++ {
		lines = append(lines, cursorLine(n.names[i], i == n.cursor, w))
	}
	return lines
}
