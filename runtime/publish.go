package spantree

import (
	"slices"
	"sort"
	"unsafe"

	"github.com/spantree/spantree/runtime/internal/jsonenc"
)

// A publication turns the records of a trace into what the sinks receive.
// It runs on the dispatcher goroutine only (it uses span.pub to skip records
// already added), in two steps: it selects the records to send, each with
// its parent and merged with its fast siblings, as views; then it writes the
// views out once for all json sinks, as lines encoded straight from the
// records, and once as SpanData for every other sink. A process whose only
// sink is json builds no SpanData at all.

// view is one span of a publication.
type view struct {
	s      *span
	parent SpanID // the nearest ancestor that was kept, in this trace
	start  int64  // monotonic; the earliest of merged siblings
	end    int64  // monotonic, 0 while running; the latest of merged siblings
	fold   *Fold  // the merged siblings' calls, when merged
	merged bool   // merged into another view
}

// publication is the dispatcher's state for converting pubJobs, kept across
// jobs so that its buffers are reused.
type publication struct {
	gen   uint32
	views []view
	cands []int // views that may merge with their siblings
	folds []Fold
	enc   Encoder
	line  SpanData // scratch for lines that need the general encoder
	pre   []byte   // the line prefix of trace preID (prefix)
	preID TraceID
	// foldGoroutines' buffers
	goIdx     map[*span]int
	goMembers []goMember
	goOwner   []int32
	goOrder   []int
}

// convert builds the Trace that sinks taking SpanData receive, when data,
// and appends j's json lines to batch, when batch is not nil. It returns
// nil when data is false.
func (p *publication) convert(j *pubJob, data bool, batch *Trace) *Trace {
	p.gen++
	p.selectViews(j)
	tr := j.tr
	var out *Trace
	if data {
		out = &Trace{ID: tr.id, Dropped: j.dropped, Complete: j.rootEnded}
		out.Spans = getSpanBuf(len(p.views))
		for i := range p.views {
			if v := &p.views[i]; !v.merged {
				out.Spans = append(out.Spans, SpanData{})
				j.fill(&out.Spans[len(out.Spans)-1], v)
			}
		}
	}
	if batch != nil {
		if batch.ID.IsZero() {
			batch.ID = tr.id
		}
		for i := range p.views {
			if v := &p.views[i]; !v.merged {
				batch.lines = p.appendLine(batch.lines, j, v)
			}
		}
		batch.Dropped += j.dropped
	}
	clear(p.views) // drop the references until the next job
	return out
}

// selectViews fills p.views with what j publishes: the finished spans, the
// running ancestors of what is published (so that the tree resolves), the
// goroutines still running and, when it carries news, the root again.
func (p *publication) selectViews(j *pubJob) {
	tr, gen := j.tr, p.gen
	p.views, p.cands = p.views[:0], p.cands[:0]
	limit := int64(state.cfg.Fold)
	add := func(s *span) {
		if s.pub == gen {
			return
		}
		s.pub = gen
		v := view{s: s, parent: tr.parentOf(s), start: s.start, end: s.end.Load()}
		p.views = append(p.views, v)
		if limit > 0 && s.parent != nil && s.fn.Kind != KindNoFold && s.fn.Kind != KindOutgoing && s.foldable(v.end, limit) {
			p.cands = append(p.cands, len(p.views)-1)
		}
	}
	for s := j.list; s != nil; s = s.next {
		add(s)
	}
	// A failed span whose failed children went out in an earlier
	// publication (a long trace publishes as it runs) sends them again,
	// replacing the copies sent: a receiver tells where an error started,
	// and so which error group it joins, from the spans of one batch.
	for s := j.list; s != nil; s = s.next {
		if s.err == nil {
			continue
		}
		for k := s.failed.Load(); k != nil; k = k.nextFailed {
			if k.pub != gen && k.tr == tr && k.end.Load() != 0 && k.flags.Load()&flagDropped == 0 {
				add(k)
			}
		}
	}
	for s := j.list; s != nil; s = s.next {
		for a := s.parent; a != nil && a.tr == tr && a.end.Load() == 0 && a.pub != gen; a = a.parent {
			add(a)
		}
	}
	for _, s := range j.running {
		add(s)
		for a := s.parent; a != nil && a.tr == tr && a.end.Load() == 0; a = a.parent {
			add(a)
		}
	}
	if j.exit != nil {
		add(tr.root) // ended by the exit, or a replacement
	}
	tr.droppedAll += j.dropped
	if len(j.outlived) > 0 || tr.droppedAll > 0 || !j.rootEnded {
		add(tr.root) // again if it was published before: a replacement
	}
	p.foldGoroutines(tr)
	if len(p.cands) > 1 {
		c := p.cands[:0]
		for _, i := range p.cands {
			if !p.views[i].merged {
				c = append(c, i)
			}
		}
		p.cands = c
		p.foldSiblings()
	}
}

// parentOf is the span id of the nearest ancestor of s that was kept, in
// this trace; a root continuing a remote trace has the caller's.
func (tr *trace) parentOf(s *span) SpanID {
	if s == tr.root && !tr.remote.IsZero() {
		return tr.remote
	}
	for a := s.parent; a != nil && a.tr == tr; a = a.parent {
		if a.flags.Load()&flagDropped == 0 {
			return a.id
		}
	}
	return SpanID{}
}

// foldable reports whether s, which ended at end, may merge with its
// siblings: a leaf that succeeded, handled no error, carries no data of its
// own, did not run on a goroutine of its own, and is a fold or was faster
// than limit.
func (s *span) foldable(end, limit int64) bool {
	if end == 0 || s.err != nil || s.failed.Load() != nil || s.kids.Load() || s.flags.Load()&flagGoroutine != 0 {
		return false
	}
	x := s.x.Load()
	if x == nil {
		return end-s.start < limit
	}
	if len(x.folds) > 0 || len(x.attrs) > 0 || len(x.events) > 0 || len(x.links) > 0 || x.level != "" || x.panicInfo != nil ||
		x.name != "" || len(x.handled) > 0 {
		return false
	}
	return x.fold != nil || end-s.start < limit
}

// foldSiblings merges repeated fast leaf siblings (same parent and function,
// foldable) into the earliest of them, with fold counts. It completes what
// the runtime's folding starts: a function is folded at run time only after
// it proved itself fast, and the calls it made meanwhile are merged here, on
// the dispatcher, so that the tree shows "isPrime ×98" rather than sixteen
// lines and a fold. Sorting the candidates groups them without a map.
func (p *publication) foldSiblings() {
	vs, cands := p.views, p.cands
	sort.Slice(cands, func(a, b int) bool {
		x, y := vs[cands[a]].s, vs[cands[b]].s
		if x.parent != y.parent {
			return uintptr(unsafe.Pointer(x.parent)) < uintptr(unsafe.Pointer(y.parent))
		}
		if x.fn != y.fn {
			return uintptr(unsafe.Pointer(x.fn)) < uintptr(unsafe.Pointer(y.fn))
		}
		return x.start < y.start
	})
	p.folds = p.folds[:0]
	for i := 0; i < len(cands); {
		k := i + 1
		for k < len(cands) && vs[cands[k]].s.parent == vs[cands[i]].s.parent && vs[cands[k]].s.fn == vs[cands[i]].s.fn {
			k++
		}
		if k-i > 1 {
			p.folds = append(p.folds, Fold{})
		}
		i = k
	}
	f := 0
	for i := 0; i < len(cands); {
		lead := &vs[cands[i]]
		k := i + 1
		if k < len(cands) && vs[cands[k]].s.parent == lead.s.parent && vs[cands[k]].s.fn == lead.s.fn {
			m := &p.folds[f] // stable: p.folds is not appended to from here
			f++
			*m = lead.calls()
			for ; k < len(cands) && vs[cands[k]].s.parent == lead.s.parent && vs[cands[k]].s.fn == lead.s.fn; k++ {
				v := &vs[cands[k]]
				c := v.calls()
				m.Count += c.Count
				m.TotalNS += c.TotalNS
				m.MinNS = min(m.MinNS, c.MinNS)
				m.MaxNS = max(m.MaxNS, c.MaxNS)
				lead.start = min(lead.start, v.start)
				lead.end = max(lead.end, v.end)
				v.merged = true
			}
			lead.fold = m
		}
		i = k
	}
}

// calls is the fold v stands for: its own, or one call.
func (v *view) calls() Fold {
	if x := v.s.x.Load(); x != nil && x.fold != nil {
		return *x.fold
	}
	d := v.end - v.start
	return Fold{Count: 1, TotalNS: d, MinNS: d, MaxNS: d}
}

// fill writes the wire form of v into d, which is zero.
func (j *pubJob) fill(d *SpanData, v *view) {
	tr, s := j.tr, v.s
	d.TraceID = tr.id
	d.SpanID = s.id
	d.ParentID = v.parent
	d.Name = s.fn.Name
	d.Location = s.fn.Loc
	d.Start = wallAt(tr.wall, tr.mono, v.start)
	d.Status = StatusStarted
	flags := s.flags.Load()
	d.Goroutine = flags&flagGoroutine != 0
	if v.end != 0 {
		d.End = wallAt(tr.wall, tr.mono, v.end)
		d.Status = StatusSucceeded
		if s.err != nil {
			d.Status = StatusFailed
			info := errorInfo(s.err)
			if x := s.x.Load(); x != nil && x.panicInfo != nil {
				info = *x.panicInfo
			}
			d.Error = &info
			d.Level = LevelError
		}
		d.HandledErrors = s.handledErrors()
	}
	if s == tr.root {
		d.Links = append(d.Links, tr.links...)
	}
	switch {
	case s.isServer():
		d.Kind = KindServer
	case s.fn.Kind == KindOutgoing:
		d.Kind = KindClient
	}
	if x := s.x.Load(); x != nil {
		tr.mu.Lock()
		if x.name != "" {
			d.Name = x.name
		}
		tr.mu.Unlock()
	}
	if x := s.x.Load(); x != nil && v.end != 0 {
		// Only the owner goroutine writes a running span's extra data.
		tr.mu.Lock()
		d.HandledErrors = append(d.HandledErrors, x.handled...)
		if len(x.attrs) > 0 {
			if d.Attrs == nil {
				d.Attrs = make(map[string]any, len(x.attrs))
			}
			for k, v := range x.attrs {
				d.Attrs[k] = v
			}
		}
		d.Events = append(d.Events, x.events...)
		d.Links = append(d.Links, x.links...)
		if x.level.Rank() > d.Level.Rank() {
			d.Level = x.level
		}
		tr.mu.Unlock()
		if x.fold != nil {
			f := *x.fold
			d.Fold = &f
		}
	}
	if v.fold != nil {
		f := *v.fold
		d.Fold = &f
	}
	if d.Level == "" && len(d.HandledErrors) > 0 {
		d.Level = LevelWarn
	}
	if v.end == 0 && j.exit != nil {
		j.exit.exited(d, tr)
	}
	if s == tr.root {
		j.rootNews(d)
	}
}

// isServer reports whether s is the server span of a request: a handler
// that is a root or runs on a goroutine of its own, not a handler called by
// another on its goroutine (middleware).
func (s *span) isServer() bool {
	return s.fn.Kind == KindHandler && (s == s.tr.root || s.flags.Load()&flagGoroutine != 0)
}

// rootNews adds to the root what the trace has to say about itself: the
// spans it dropped in all, and the goroutines that outlived it.
func (j *pubJob) rootNews(d *SpanData) {
	if n := j.tr.droppedAll; n > 0 {
		// The count in all: the root replaces its earlier publications.
		d.setAttr("spantree.dropped_spans", n)
	}
	if outlived := j.outlived; len(outlived) > 0 && j.rootEnded {
		sort.Strings(outlived)
		d.setAttr("spantree.outlived_goroutines", outlived)
		d.Events = append(d.Events, Event{Time: d.End, Level: LevelWarn,
			Msg: "root ended while goroutines it started still ran", Attrs: map[string]any{"goroutines": outlived}})
		if d.Level.Rank() < LevelWarn.Rank() {
			d.Level = LevelWarn
		}
	}
}

func (d *SpanData) setAttr(k string, v any) {
	if d.Attrs == nil {
		d.Attrs = map[string]any{}
	}
	d.Attrs[k] = v
}

// plain reports whether v's line is written by appendLine's fast path: a
// span without errors, handled errors, links or data of its own (a fold
// aside), and not a root with news.
func (j *pubJob) plain(v *view) bool {
	s := v.s
	if v.end == 0 && j.exit != nil {
		return false
	}
	if s.err != nil || s.failed.Load() != nil {
		return false
	}
	if s == j.tr.root && (len(j.tr.links) > 0 || j.tr.droppedAll > 0 || len(j.outlived) > 0 && j.rootEnded) {
		return false
	}
	x := s.x.Load()
	return x == nil || len(x.attrs) == 0 && len(x.events) == 0 && len(x.links) == 0 && x.level == "" && x.panicInfo == nil &&
		x.name == "" && len(x.handled) == 0
}

// appendLine appends v as one json line, the bytes AppendSpan writes for
// the SpanData that fill makes of it, followed by a newline. Plain spans
// are encoded straight from the record; the others through a SpanData.
func (p *publication) appendLine(b []byte, j *pubJob, v *view) []byte {
	if !j.plain(v) {
		p.line = SpanData{}
		j.fill(&p.line, v)
		b = p.enc.AppendSpan(b, &p.line)
		p.line = SpanData{} // keep no references
		return append(b, '\n')
	}
	tr, s, e := j.tr, v.s, &p.enc
	nameLoc := s.fn.jsonNameLoc()
	b = slices.Grow(b, maxPlainLine+len(nameLoc))
	b = append(b, p.prefix(tr.id)...)
	b = jsonenc.AppendHex8(b, s.id)
	if !v.parent.IsZero() {
		b = append(b, `","parent_id":"`...)
		b = jsonenc.AppendHex8(b, v.parent)
	}
	b = append(b, '"')
	b = append(b, nameLoc...)
	b = append(b, `,"start":"`...)
	b = e.appendUnixNano(b, tr.wallNS+v.start-tr.mono)
	if v.end == 0 {
		b = append(b, `","status":"started"`...)
	} else {
		b = append(b, `","end":"`...)
		b = e.appendUnixNano(b, tr.wallNS+v.end-tr.mono)
		b = append(b, `","status":"succeeded"`...)
	}
	if s.flags.Load()&flagGoroutine != 0 {
		b = append(b, `,"goroutine":true`...)
	}
	switch {
	case s.isServer():
		b = append(b, `,"kind":"server"`...)
	case s.fn.Kind == KindOutgoing:
		b = append(b, `,"kind":"client"`...)
	}
	f := v.fold
	if f == nil && v.end != 0 {
		if x := s.x.Load(); x != nil {
			f = x.fold
		}
	}
	if f != nil {
		b = appendFold(b, f)
	}
	return append(b, "}\n"...)
}

// maxPlainLine bounds the bytes of a plain line other than its name and
// location, so that appendLine grows its buffer once.
const maxPlainLine = 512

// prefix is `{"trace_id":"ID","span_id":"` for the trace being published.
func (p *publication) prefix(id TraceID) []byte {
	if p.pre == nil || p.preID != id {
		p.enc.setTrace(id)
		p.pre = append(append(append(p.pre[:0], `{"trace_id":"`...), p.enc.tidText[:]...), `","span_id":"`...)
		p.preID = id
	}
	return p.pre
}

// jsonNameLoc is `,"name":NAME,"location":LOC` for fn, encoded on first use
// (by the dispatcher, the only goroutine that reads or writes it).
func (fn *Func) jsonNameLoc() []byte {
	if fn.nameLoc == nil {
		b := append([]byte(nil), `,"name":`...)
		b = jsonenc.AppendString(b, fn.Name)
		b = append(b, `,"location":`...)
		fn.nameLoc = jsonenc.AppendString(b, fn.Loc)
	}
	return fn.nameLoc
}

// publish hands the finished spans to the sinks. When the root is still
// running (a long-running trace), its running ancestors are published too,
// with status started, and replaced when they end. After the root ended,
// goroutines still running are published as started, and the root carries
// their names (spantree.outlived_goroutines) and a warning event.
func (tr *trace) publish(rootEnded bool) {
	list := tr.head.Swap(nil)
	dropped := tr.dropped.Swap(0)
	tr.mu.Lock()
	tr.lastPub = now()
	var running []*span
	for s := range tr.running {
		running = append(running, s)
	}
	outlived := append([]string(nil), tr.outlived...)
	done := rootEnded && len(tr.running) == 0
	tr.mu.Unlock()
	if done {
		registry.remove(tr)
	}
	if list == nil && len(running) == 0 && rootEnded {
		return
	}
	if rootEnded && !tr.keep() {
		return
	}
	// Turning spans into SpanData happens on the dispatcher goroutine, not
	// on the instrumented code's.
	dispatch(&pubJob{tr: tr, list: list, running: running, outlived: outlived, dropped: dropped, rootEnded: rootEnded})
}

// pubJob is one publication of a trace, converted by the dispatcher.
type pubJob struct {
	tr        *trace
	list      *span // finished spans, newest first
	running   []*span
	outlived  []string
	dropped   int64
	rootEnded bool
	exit      *exitInfo // the process's last publication
}
