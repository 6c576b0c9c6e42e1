package spantree

import (
	"sort"
	"unsafe"
)

// Folding sibling goroutines. A worker pool started from one site (a go
// statement or errgroup's Go in a loop) makes one goroutine span per item
// under one parent, each with the same subtree. A publication folds those
// that succeeded fast into one line with counts, the first of them standing
// for the others with its own subtree, and keeps whole the ones that failed
// or were slow, as exemplars: a worker pool of 301 records reads as one line
// and its failures, not 301 subtrees. Subtests and handlers are never folded
// (each has a name or a request of its own), nor //spangen:nofold functions.

// minGoFold is how many like goroutines a publication needs before it folds
// them: fewer read fine as they are.
const minGoFold = 4

// goMember is a goroutine span of a publication that may fold with its
// siblings.
type goMember struct {
	v      int    // index in the views
	shape  uint64 // the subtree's shape: its functions at their depths
	failed bool   // it or a span beneath it failed
	merged bool
}

// foldGoroutines merges like sibling goroutines (same parent, function and
// shape of subtree, succeeded, faster than SPANTREE_SLOW) into the earliest
// of them, and drops the subtrees of the others.
func (p *publication) foldGoroutines(tr *trace) {
	vs := p.views
	if p.goIdx == nil {
		p.goIdx = map[*span]int{}
	}
	idx := p.goIdx
	clear(idx)
	members := p.goMembers[:0]
	for i := range vs {
		s := vs[i].s
		if s.flags.Load()&flagGoroutine == 0 || s.parent == nil || s.parent.tr != tr || vs[i].end == 0 ||
			s.fn.Kind != KindFunc {
			continue
		}
		idx[s] = len(members)
		members = append(members, goMember{v: i, failed: s.err != nil})
	}
	p.goMembers = members
	if len(members) < minGoFold {
		return
	}
	// Each other view belongs to its nearest member ancestor: its function
	// and depth go into that member's shape, its failure into its verdict.
	owner := p.goOwner[:0]
	for i := range vs {
		o, depth := -1, uint64(0)
		for a := vs[i].s.parent; a != nil && a.tr == tr; a = a.parent {
			depth++
			if m, ok := idx[a]; ok {
				o = m
				break
			}
		}
		owner = append(owner, int32(o))
		if o < 0 {
			continue
		}
		if _, self := idx[vs[i].s]; self {
			continue // a member inside a member: its own line
		}
		m := &members[o]
		m.shape += mix(uint64(uintptr(unsafe.Pointer(vs[i].s.fn))) ^ depth*0x9e3779b97f4a7c15)
		if vs[i].s.err != nil || vs[i].end == 0 {
			m.failed = true // a failure, or still running: shown whole
		}
	}
	p.goOwner = owner
	slow := int64(state.cfg.Slow)
	order := p.goOrder[:0]
	for k := range members {
		m := &members[k]
		if v := &vs[m.v]; !m.failed && (slow == 0 || v.end-v.start < slow) {
			order = append(order, k)
		}
	}
	p.goOrder = order
	sort.Slice(order, func(a, b int) bool {
		x, y := &members[order[a]], &members[order[b]]
		xs, ys := vs[x.v].s, vs[y.v].s
		if xs.parent != ys.parent {
			return uintptr(unsafe.Pointer(xs.parent)) < uintptr(unsafe.Pointer(ys.parent))
		}
		if xs.fn != ys.fn {
			return uintptr(unsafe.Pointer(xs.fn)) < uintptr(unsafe.Pointer(ys.fn))
		}
		if x.shape != y.shape {
			return x.shape < y.shape
		}
		return vs[x.v].start < vs[y.v].start
	})
	same := func(a, b int) bool {
		x, y := &members[order[a]], &members[order[b]]
		return vs[x.v].s.parent == vs[y.v].s.parent && vs[x.v].s.fn == vs[y.v].s.fn && x.shape == y.shape
	}
	merged := false
	for i := 0; i < len(order); {
		k := i + 1
		for k < len(order) && same(i, k) {
			k++
		}
		if k-i >= minGoFold {
			lead := &vs[members[order[i]].v]
			f := lead.calls()
			for _, o := range order[i+1 : k] {
				m := &members[o]
				v := &vs[m.v]
				c := v.calls()
				f.Count += c.Count
				f.TotalNS += c.TotalNS
				f.MinNS = min(f.MinNS, c.MinNS)
				f.MaxNS = max(f.MaxNS, c.MaxNS)
				m.merged, v.merged = true, true
			}
			lead.fold = &f // one allocation per folded group
			merged = true
		}
		i = k
	}
	if !merged {
		return
	}
	// The subtrees of merged members go with them.
	for i := range vs {
		for o := owner[i]; o >= 0; {
			if members[o].merged {
				vs[i].merged = true
				break
			}
			// A member inside a member: look further up.
			next := int32(-1)
			for a := vs[members[o].v].s.parent; a != nil && a.tr == tr; a = a.parent {
				if m, ok := idx[a]; ok {
					next = int32(m)
					break
				}
			}
			o = next
		}
	}
}

// mix is a 64-bit finalizer (SplitMix64's), so that shapes that add up the
// same functions at other depths differ.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
