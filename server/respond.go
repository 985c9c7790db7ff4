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
	h.Set("Content-Type", jsonContentType)
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

// jsonContentType is the Content-Type of every JSON response of the API.
const jsonContentType = "application/json; charset=utf-8"

// writeEncoded sends a response encoded once and cached (an API listing or
// article, a feed, the sitemap), or 304 to a matching If-None-Match: public,
// readable from any origin, never a document that runs anything.
func (s *Server) writeEncoded(w http.ResponseWriter, r *http.Request, e *encoded, contentType, cache string) {
	h := w.Header()
	apiHeaders(h)
	h.Set("Cache-Control", cache)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Type", contentType)
	assets.Write(w, r, e, http.StatusOK)
}
