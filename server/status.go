package server

import (
	"net/http"
	"time"

	"github.com/spantree/spantree/store"
)

// status is GET /v1/status?since= (default: the last hour): the health
// report's verdict of each app, in words (store.StatusOf).
func (s *server) status(w http.ResponseWriter, r *http.Request, ns string) error {
	now := time.Now()
	from, err := since(r, now, time.Hour)
	if err != nil {
		return err
	}
	h, err := store.ComputeHealth(r.Context(), s.st, ns, from, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, store.StatusOf(h))
	return nil
}
