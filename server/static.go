package server

import (
	"net/http"
	"strings"
)

// GET /, /widget.js, /web/…: a static asset by its path.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	a, ok := s.static.Lookup(r.URL.Path)
	if !ok {
		return news404(r.URL.Path)
	}
	if strings.HasPrefix(r.URL.Path, "/widget.js") || strings.HasPrefix(r.URL.Path, "/web/") {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	if r.URL.Path == "/" { // the configurator: no other site may frame it (clickjacking)
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	}
	a.ServeHTTP(w, r)
	return nil
}
