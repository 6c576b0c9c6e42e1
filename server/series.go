package server

import (
	"net/http"
	"time"

	"github.com/spantree/spantree/store"
)

// series is GET /v1/series?app=&name=&since=&until=&step=: calls, failures
// and latency per step, of an app's roots or of one span name (see
// [store.SeriesOf]). since defaults to an hour back, until to now.
func (s *server) series(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	q := r.URL.Query()
	sq := store.SeriesQuery{App: q.Get("app"), Name: q.Get("name")}
	var err error
	if sq.Since, err = since(r, now, time.Hour); err != nil {
		return err
	}
	if sq.Until, err = timeParam(r, "until", now, 0); err != nil {
		return err
	}
	if sq.Until.IsZero() {
		sq.Until = now
	}
	if !sq.Until.After(sq.Since) {
		return badRequest("until", "want a time after since (%s), got %s", sq.Since.Format(time.RFC3339), sq.Until.Format(time.RFC3339))
	}
	if v := q.Get("step"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < store.RollupMinute || d%store.RollupMinute != 0 {
			return badRequest("step", "want a whole number of minutes such as 5m, got %.20q", v)
		}
		sq.Step = d
	}
	step := sq.Step
	if step == 0 {
		step = store.SeriesStep(sq.Until.Sub(sq.Since))
	}
	if n := sq.Until.Sub(sq.Since) / step; n > store.MaxSeriesPoints {
		return badRequest("step", "%v from since to until is %d points; at most %d", step, n, store.MaxSeriesPoints)
	}
	series, err := store.SeriesOf(r.Context(), s.st, ns, sq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, series)
	return nil
}
