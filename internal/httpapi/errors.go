package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
)

// statusOf is the one place where an error code becomes an HTTP status.
func statusOf(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.NotAcceptable:
		return http.StatusNotAcceptable
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    errs.Code `json:"code"`
		Message string    `json:"message"`
	} `json:"error"`
}

// writeError answers with the JSON error model. Internal errors are logged
// with their cause and shown to the caller only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.CodeOf(err)
	status := statusOf(code)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path, "request_id", requestID(r))
	}
	if code == errs.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="trawl", Basic realm="trawl"`)
	}
	if isTAXII(r) {
		writeTAXIIError(w, status, code, errs.MessageOf(err))
		return
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = errs.MessageOf(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeJSON reads one JSON object from the body into v, refusing unknown
// fields, trailing data and bodies over the server's limit, with a message
// that says what to fix.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.E(errs.Unsupported, "send the body as application/json, not %q", ct)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return errs.E(errs.Invalid, "request body: unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "request body is larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "request body: want a JSON object, got nothing")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "request body: JSON ends early")
	case errors.As(err, &se):
		return errs.E(errs.Invalid, "request body: malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field != "" {
			return errs.E(errs.Invalid, "request body: field %q must be %s, not %s", te.Field, te.Type, te.Value)
		}
		return errs.E(errs.Invalid, "request body: want a JSON object, not %s", te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errs.E(errs.Invalid, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errs.E(errs.Invalid, "request body: %v", fmt.Sprint(err))
}
