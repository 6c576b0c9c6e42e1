package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	spantree "github.com/spantree/spantree/runtime"
)

// TestBrowserErrorGroups checks the error groups page's sort by count and
// the link from a group to its traces (q=fingerprint:...).
func TestBrowserErrorGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	r := newReceiver(t)
	// A second group, seen before the checkout's but three times.
	at := time.Now().Add(-10 * time.Minute)
	ship := spantree.NewTraceID(at)
	spans := []spantree.SpanData{{TraceID: ship, SpanID: spantree.SpanID{9, 1}, Name: "shop.Ship", Location: "shop/ship.go:5",
		Start: at, End: at.Add(50 * time.Millisecond), Status: spantree.StatusSucceeded}}
	for i := range 3 {
		spans = append(spans, spantree.SpanData{TraceID: ship, SpanID: spantree.SpanID{9, byte(2 + i)}, ParentID: spantree.SpanID{9, 1},
			Name: "shop.courier", Location: "shop/ship.go:20", Start: at.Add(time.Duration(i) * time.Millisecond),
			End: at.Add(time.Duration(i+1) * time.Millisecond), Status: spantree.StatusFailed,
			Error: &spantree.ErrorInfo{Type: "*ship.Error", Message: "no courier"}})
	}
	if _, err := r.client.Ingest(context.Background(), spantree.Batch{Tags: map[string]string{"service": "shop"}, Spans: spans}); err != nil {
		t.Fatal(err)
	}
	b.openWithKey(r, "#/errors")
	b.waitFor("two groups", `document.querySelectorAll("article.group").length >= 2`)
	first := func() string { return eval[string](b, `document.querySelector("article.group h2").innerText`) }
	if got := first(); !strings.Contains(got, "connection refused") {
		t.Errorf("last seen first, the first group is %q; want the checkout's", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`.toggle[aria-label="Sort"] button[data-value="count"]`)))
	b.waitText(".count", "most occurrences first")
	counts := eval[[]int](b, `[...document.querySelectorAll("article.group")].map((c) => +c.querySelector("dd:nth-of-type(3)").firstChild.textContent)`)
	for i := 1; i < len(counts); i++ {
		if counts[i] > counts[i-1] {
			t.Errorf("counts %v are not most first", counts)
		}
	}
	if got := first(); !strings.Contains(got, "no courier") {
		t.Errorf("most first, the first group is %q; want the courier's (3)", got)
	}
	if got := eval[string](b, `location.hash`); got != "#/errors?sort=count" {
		t.Errorf("fragment %q; want the sort in it", got)
	}
	// The group of the refused connection is the checkout trace's.
	b.goHash("#/errors?q=connection+refused")
	b.waitFor("the refused group alone", `document.querySelectorAll("article.group").length === 1 &&
		document.querySelector("article.group").innerText.includes("connection refused")`)
	fp := eval[string](b, `document.querySelector("article.group").dataset.fingerprint`)
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`article[data-fingerprint=%q] a.group-traces`, fp))))
	b.waitFor("the group's traces", fmt.Sprintf(`decodeURIComponent(location.hash).includes("q=fingerprint:%s") && !!document.querySelector('tr[data-trace=%q]')`, fp, r.failed.String()))
	if n := eval[int](b, `document.querySelectorAll("table.traces tbody tr[data-trace]").length`); n != 1 {
		t.Errorf("the group's traces list %d traces; want the checkout only", n)
	}
	b.noErrors()
}
