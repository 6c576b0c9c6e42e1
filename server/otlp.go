package server

import (
	"net/http"
	"strings"

	"github.com/spantree/spantree/otlp"
)

// otlp is POST /v1/traces, the OTLP/HTTP trace export endpoint: the batches
// that otlp.Decode makes of the body go through the same ingest as
// POST /v1/spans. OTLP/HTTP exporters expect 200 with an
// ExportTraceServiceResponse in the request's encoding; an empty one means
// everything was accepted.
func (s *server) otlp(w http.ResponseWriter, r *http.Request, ns string) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ct := r.Header.Get("Content-Type")
	batches, err := otlp.Decode(ct, body)
	if err != nil {
		return badRequest("body", "%v", err)
	}
	if err := checkBatches(batches); err != nil {
		return err
	}
	if _, err := s.st.Ingest(r.Context(), ns, batches); err != nil {
		return err
	}
	if strings.HasPrefix(ct, "application/x-protobuf") {
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty message is zero bytes
		return nil
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
