package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantree/spantree/store"
)

// TestErrorGroupsByCount checks the error groups' order: last seen first
// as the receiver sends them, most occurrences first after #, and back; the
// selected group stays selected.
func TestErrorGroupsByCount(t *testing.T) {
	now := testNow
	var e errorGroups
	e.setGroups([]store.ErrorGroup{
		{Fingerprint: "a", Type: "A", Count: 2, LastSeen: now.Add(-time.Minute)},
		{Fingerprint: "b", Type: "B", Count: 9, LastSeen: now.Add(-time.Hour)},
		{Fingerprint: "c", Type: "C", Count: 5, LastSeen: now.Add(-2 * time.Minute)},
	})
	order := func() string {
		var s string
		for _, g := range e.groups {
			s += g.Fingerprint
		}
		return s
	}
	if got := order(); got != "acb" {
		t.Errorf("order %q; want last seen first, acb", got)
	}
	e, _ = e.update("j", keyCtx{page: 20}) // select c
	e, _ = e.update("#", keyCtx{page: 20})
	if got := order(); got != "bca" || e.selected().Fingerprint != "c" {
		t.Errorf("after #: order %q, selected %q; want bca with c selected", order(), e.selected().Fingerprint)
	}
	if !strings.Contains(ansi.Strip(e.view(120, 10, now)[0]), "most occurrences first") {
		t.Errorf("the header does not say the order: %q", ansi.Strip(e.view(120, 10, now)[0]))
	}
	e, _ = e.update("#", keyCtx{page: 20})
	if got := order(); got != "acb" {
		t.Errorf("after # twice: order %q; want acb", got)
	}
}
