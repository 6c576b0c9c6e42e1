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

// receive takes the list of namespaces.
func (n *namespaces) receive(msg namespacesMsg) {
	n.loaded, n.names, n.err = true, msg.names, msg.err
}

// update handles the keys of the picker.
func (n namespaces) update(key string, c keyCtx) (namespaces, intent) {
	if cur, ok := moveCursor(key, n.cursor, len(n.names), c.page); ok {
		n.cursor = cur
		return n, intent{}
	}
	if keys.Open.is(key) && n.cursor < len(n.names) {
		return n, intent{kind: intentNamespace, name: n.names[n.cursor]}
	}
	return n, intent{}
}

func (n *namespaces) title() string { return "namespaces" }

// bindings are the footer's keys.
func (n *namespaces) bindings() []binding {
	return []binding{keys.Up, keys.Down, keys.Open, keys.Quit}
}
