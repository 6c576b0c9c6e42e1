package spantree

// fail records err on the span; on a folded call it is kept on the goroutine
// until End, which then records the call as a span of its own.
func (s Span) fail(err error) {
	if s.rec != nil {
		s.rec.err = err
		return
	}
	if f := s.fold; f != nil {
		f.slot.pendingFn, f.slot.pendingErr = f.fn, err
	}
}

func (s Span) end(err error) {
	r := s.rec
	if r == nil {
		if s.fold != nil {
			s.endFolded(err, nil)
		}
		return
	}
	if err != nil {
		r.err = err
	}
	r.finish(now())
}

// finish ends a recorded span: restores the goroutine's current span, learns
// whether the function can fold, judges its children's errors and hands it to
// its trace.
func (r *span) finish(now int64) {
	// Folds become spans before the end is stored: the dispatcher reads
	// x.folds only of spans it saw ended, so the end orders them.
	x := r.x.Load()
	if x != nil && len(x.folds) > 0 {
		r.flushFolds(x)
	}
	r.end.Store(now)
	sl := r.slot
	sl.cur.Store(r.prev)
	if r.flags.Load()&flagPanic == 0 && sl.panicInfo != nil {
		sl.clearPanic() // a panic recorded earlier was recovered by the program
	}
	if r.prev == nil {
		rememberEnded(sl.key.Load(), r) // for goroutines it launched that start late
		sl.release()
	}
	fn := r.fn
	// Fast calls teach a function to fold, failed or not: a function that
	// fails fast over and over folds its failures (fold.go).
	if now-r.start < int64(state.cfg.Fold) && r.flags.Load()&flagPanic == 0 {
		if fn.fast.Load() < foldAfter {
			fn.fast.Add(1)
		}
	} else if fn.fast.Load() != 0 {
		fn.fast.Store(0)
	}
	tr := r.tr
	if r.err != nil {
		r.failedUnder(r.parent)
	}
	tr.finished(r)
	if r == tr.root {
		switch fn.Kind {
		case KindMain:
			// The program ends when main returns: everything, now (after
			// waiting briefly for goroutines that are finishing).
			tr.waitGrace()
			Flush()
		case KindTest:
			// The test binary may exit right after the last test: its
			// trace, now (after letting its goroutines finish).
			tr.yieldGrace()
			flushSinks()
		}
	}
}

// failedUnder marks the trace failed and adds r to p's failed children,
// whose errors p is judged on when it is converted (handledErrors).
func (r *span) failedUnder(p *span) {
	tr := r.tr
	if !tr.failed.Load() {
		tr.failed.Store(true)
	}
	if p == nil || p.tr != tr {
		return
	}
	for {
		old := p.failed.Load()
		r.nextFailed = old
		if p.failed.CompareAndSwap(old, r) {
			return
		}
	}
}

// handledErrors judges, once r has ended, the errors of its failed children:
// an error r did not return is one it handled. They were recorded where they
// happened; they are judged when the parent completes, as the seed asks.
func (r *span) handledErrors() []ErrorInfo {
	var out []ErrorInfo
	for k := r.failed.Load(); k != nil; k = k.nextFailed {
		if r.err != nil && errorIs(r.err, k.err) { // Is, not ==: == panics on uncomparable errors
			continue
		}
		info := errorInfo(k.err)
		info.SpanID = k.id
		if k.flags.Load()&flagPanic != 0 {
			info.Panic = true
		}
		out = append(out, info)
	}
	// Oldest first, as they happened.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
