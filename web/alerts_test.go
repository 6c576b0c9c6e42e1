package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spantree/spantree/alert"
	spantree "github.com/spantree/spantree/runtime"
	"github.com/spantree/spantree/server"
	"github.com/spantree/spantree/store/sqlite"
	"github.com/spantree/spantree/web"
)

// TestBrowserAlerts drives the alerts page: a firing alert of the rules
// file, a rule refused for its threshold, added once fixed, then deleted.
func TestBrowserAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the browser test")
	}
	b := newBrowser(t)
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := st.CreateKey(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	failed := spantree.SpanData{TraceID: spantree.NewTraceID(now), SpanID: spantree.SpanID{1}, Name: "shop.charge", Location: "shop/charge.go:10",
		Start: now.Add(-time.Second), End: now, Status: spantree.StatusFailed, Error: &spantree.ErrorInfo{Type: "*errors.errorString", Message: "card declined"}}
	if _, err := st.Ingest(ctx, "shop", []spantree.Batch{{Tags: map[string]string{"service": "shop"}, Spans: []spantree.SpanData{failed}}}); err != nil {
		t.Fatal(err)
	}
	rules, err := alert.ParseFile([]byte(`{"rules":[{"id":"untriaged","kind":"new_group","labels":{"team":"pay"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	en, err := alert.New(alert.Options{Store: st, Rules: rules, BaseURL: "http://127.0.0.1:7070"})
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	if err := en.Evaluate(ctx, now); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", server.New(st, server.Options{P99Refresh: -1, Alerts: en}))
	mux.Handle("GET /ui/", http.StripPrefix("/ui", web.Handler()))
	ts := httptest.NewServer(mux)
	defer ts.Close()

	b.do(chromedp.Navigate(ts.URL + "/ui/#/alerts"))
	b.do(chromedp.SendKeys(chromedp.CSS("#key-input"), key),
		chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)))
	b.waitText(`.alert-list tr[data-rule="untriaged"]`, "FIRING")
	row := b.text(`.alert-list tr[data-rule="untriaged"]`)
	for _, want := range []string{"shop", "shop.charge", "card declined", "open"} {
		if !strings.Contains(row, want) {
			t.Errorf("alert row %q does not show %q", row, want)
		}
	}
	if got := eval[string](b, `document.querySelector('.alert-list tr[data-rule="untriaged"] a').getAttribute("href")`); !strings.Contains(got, "#/errors?fp=") {
		t.Errorf("alert link = %q; want the error group's page", got)
	}
	if got := b.text(`.rule-list tr[data-rule="untriaged"]`); !strings.Contains(got, "from the file") || !strings.Contains(got, "team=pay") {
		t.Errorf("file rule row = %q; want it marked from the file, with its labels", got)
	}
	if got := eval[string](b, `document.querySelector('[data-nav="alerts"]').getAttribute("aria-current") || ""`); got != "page" {
		t.Errorf("Alerts nav aria-current = %q; want page", got)
	}
	b.screenshot("alerts")

	// A p95 rule with a negative threshold: the receiver names the field.
	b.do(chromedp.SendKeys(chromedp.CSS(`.rule-form input[name="id"]`), "charge-slow"))
	eval[chromedp.Void](b, `(() => { const k = document.querySelector('.rule-form select[name="kind"]'); k.value = "p95"; k.dispatchEvent(new Event("change")); })()`)
	b.do(chromedp.SendKeys(chromedp.CSS(`.rule-form input[name="name"]`), "shop.charge"),
		chromedp.SendKeys(chromedp.CSS(`.rule-form input[name="threshold"]`), "-3ms"),
		chromedp.Click(chromedp.CSS(`.rule-form button[type="submit"]`)))
	b.waitText(".rule-form .save-status", "threshold: want a positive duration")
	if got := eval[string](b, `document.activeElement.name || ""`); got != "threshold" {
		t.Errorf("focus on %q after the refusal; want the threshold", got)
	}
	if ids := ruleIDs(en); !slices.Equal(ids, []string{"untriaged"}) {
		t.Errorf("rules after the refusal = %v; want only the file's", ids)
	}

	eval[chromedp.Void](b, `document.querySelector('.rule-form input[name="threshold"]').value = ""`)
	b.do(chromedp.SendKeys(chromedp.CSS(`.rule-form input[name="threshold"]`), "250ms"),
		chromedp.Click(chromedp.CSS(`.rule-form button[type="submit"]`)))
	b.waitText(`.rule-list tr[data-rule="charge-slow"]`, "250ms")
	b.waitText("#message", "Added rule charge-slow")
	if ids := ruleIDs(en); !slices.Equal(ids, []string{"charge-slow", "untriaged"}) {
		t.Errorf("rules after the add = %v; want charge-slow and untriaged", ids)
	}

	b.do(chromedp.Click(chromedp.CSS(`.rule-list tr[data-rule="charge-slow"] button`)))
	b.waitText("#message", "Deleted rule charge-slow")
	b.waitFor("the deleted rule to go", `!document.querySelector('.rule-list tr[data-rule="charge-slow"]')`)
	if ids := ruleIDs(en); !slices.Equal(ids, []string{"untriaged"}) {
		t.Errorf("rules after the delete = %v; want only the file's", ids)
	}
	b.noErrors()
}

func ruleIDs(en *alert.Engine) []string {
	var ids []string
	for _, r := range en.Rules("shop") {
		ids = append(ids, r.ID)
	}
	return ids
}
