package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"newswidget/server/assets"
)

// writeJSON writes v as a JSON response.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode response", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	apiHeaders(h)
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// apiHeaders are the headers of every API response: readable by any
// origin without credentials, never rendered as a document.
func apiHeaders(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Location")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
}

// writeEncoded sends a cached JSON response, or 304 to a matching
// If-None-Match.
func (s *Server) writeEncoded(w http.ResponseWriter, r *http.Request, e *encoded, cache string) {
	h := w.Header()
	apiHeaders(h)
	h.Set("Cache-Control", cache)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Type", "application/json; charset=utf-8")
	assets.Write(w, r, e, http.StatusOK)
}
