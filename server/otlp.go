package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/spantree/spantree/otlp"
	"github.com/spantree/spantree/wire"
)

// otlpHandler is POST /v1/traces, the OTLP/HTTP trace export endpoint: the
// batches that otlp.Decode makes of the body go through the same ingest as
// POST /v1/spans. It answers as the OTLP/HTTP specification asks, in the
// request's encoding (JSON or protobuf, protobuf when no Content-Type is
// given): 200 with an empty ExportTraceServiceResponse (everything accepted;
// an empty message is {} in JSON and zero bytes in protobuf), and for
// errors the HTTP status with a google.rpc.Status message giving the reason.
// A content type other than those two gets 415.
func (s *server) otlpHandler(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	mt := otlp.ContentTypeProtobuf
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			mt = ""
		}
	}
	if mt != otlp.ContentTypeJSON && mt != otlp.ContentTypeProtobuf {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type: %.60q not supported (want %s or %s)", ct, otlp.ContentTypeProtobuf, otlp.ContentTypeJSON))
		return
	}
	err := s.otlpIngest(w, r, ct)
	if err != nil {
		status, msg := s.errorStatus(r, err)
		if status == 0 {
			return // the client went away
		}
		retryAfter(w, err)
		writeStatus(w, mt, status, msg)
		return
	}
	w.Header().Set("Content-Type", mt)
	w.WriteHeader(http.StatusOK)
	if mt == otlp.ContentTypeJSON {
		w.Write([]byte("{}\n"))
	}
}

func (s *server) otlpIngest(w http.ResponseWriter, r *http.Request, contentType string) error {
	ns, err := s.ns(r)
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	batches, err := otlp.Decode(contentType, body)
	if err != nil {
		return badRequest("body", "%v", err)
	}
	if err := wire.CheckOTLP(batches); err != nil {
		return err
	}
	if _, err = s.st.Ingest(r.Context(), ns, batches); err != nil {
		return err
	}
	s.metrics.ingested(ns, batches)
	return nil
}

// grpcCodes maps the HTTP statuses the server answers with to the closest
// gRPC status codes, for the google.rpc.Status of OTLP errors.
var grpcCodes = map[int]int{
	http.StatusBadRequest:            3,  // INVALID_ARGUMENT
	http.StatusUnauthorized:          16, // UNAUTHENTICATED
	http.StatusNotFound:              5,  // NOT_FOUND
	http.StatusRequestEntityTooLarge: 8,  // RESOURCE_EXHAUSTED
	http.StatusUnsupportedMediaType:  3,
	http.StatusInternalServerError:   13, // INTERNAL
	http.StatusServiceUnavailable:    14, // UNAVAILABLE
	http.StatusInsufficientStorage:   14,
}

// writeStatus answers an OTLP request with a google.rpc.Status message in
// the request's encoding (mediaType).
func writeStatus(w http.ResponseWriter, mediaType string, status int, msg string) {
	code, ok := grpcCodes[status]
	if !ok {
		code = 2 // UNKNOWN
	}
	var body []byte
	if mediaType == otlp.ContentTypeJSON {
		body, _ = json.Marshal(struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}{code, msg})
		body = append(body, '\n')
	} else {
		// Status{code = 1 (int32), message = 2 (string)}.
		body = binary.AppendUvarint(append(body, 1<<3|0), uint64(code))
		body = binary.AppendUvarint(append(body, 2<<3|2), uint64(len(msg)))
		body = append(body, msg...)
	}
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	w.Write(body)
}
