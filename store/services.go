package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Service is one service of GET /v1/services: the spans it sent in the
// window, per span name, for the search pickers.
type Service struct {
	Service string      `json:"service"` // "" for spans without a service tag
	Count   int         `json:"count"`   // finished calls
	Failed  int         `json:"failed"`
	Names   []Operation `json:"names"`
}

// Operation is one span name of a [Service], with its calls.
type Operation struct {
	Name   string `json:"name"`
	Count  int    `json:"count"`
	Failed int    `json:"failed"`
}

// Services lists the services whose finished spans started in [since,
// until), most calls first, each with its span names, most calls first
// (ties by name). It reads the rollups, so it counts calls (a folded span
// counts for its fold) and costs what span names and minutes cost.
func Services(ctx context.Context, st Store, namespace string, since, until time.Time) ([]Service, error) {
	type key struct{ app, name string }
	ops := map[key]*Operation{}
	err := st.ScanRollups(ctx, namespace, since, until, func(r *Rollup) error {
		k := key{r.App, r.Name}
		o := ops[k]
		if o == nil {
			o = &Operation{Name: r.Name}
			ops[k] = o
		}
		o.Count += r.Count
		o.Failed += r.Failed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	byApp := map[string]*Service{}
	for k, o := range ops {
		s := byApp[k.app]
		if s == nil {
			s = &Service{Service: k.app}
			byApp[k.app] = s
		}
		s.Count += o.Count
		s.Failed += o.Failed
		s.Names = append(s.Names, *o)
	}
	out := make([]Service, 0, len(byApp))
	for _, s := range byApp {
		slices.SortFunc(s.Names, func(a, b Operation) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
		})
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Service) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Service, b.Service))
	})
	return out, nil
}
