package server

import (
	"errors"
	"net/http"
	"strconv"

	"newswidget/app/news"
)

// Error codes of HTTP alone, beside the domain's (news.EInvalid …), as sent
// in the JSON error body; their values are part of the API.
const (
	// ETooLarge refuses a request body or header larger than its bound.
	ETooLarge = "too_large"
	// ERateLimited refuses a client that asked too often.
	ERateLimited = "rate_limited"
	// EMethod refuses a method the route does not serve.
	EMethod = "method_not_allowed"
	// EBusy refuses a request the server has no room for now (all its
	// render slots taken); it comes with Retry-After.
	EBusy = "busy"
)

// handlerFunc is a handler that returns its error instead of writing it;
// handle adapts it, so every handler's errors take the one error path.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to net/http, writing a returned error with
// writeError.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// statusOf maps an error code to its HTTP status.
var statusOf = map[string]int{
	news.EInvalid:      http.StatusBadRequest,
	news.ENotFound:     http.StatusNotFound,
	news.EConflict:     http.StatusConflict,
	news.EUnauthorized: http.StatusUnauthorized,
	news.EForbidden:    http.StatusForbidden,
	ETooLarge:          http.StatusRequestEntityTooLarge,
	ERateLimited:       http.StatusTooManyRequests,
	EBusy:              http.StatusServiceUnavailable,
	news.EUnavailable:  http.StatusServiceUnavailable,
	EMethod:            http.StatusMethodNotAllowed,
	news.EInternal:     http.StatusInternalServerError,
}

// writeError is the one error path: it maps the error's code to a status
// and writes {"error":{…}}. Only internal errors are logged; their details
// stay in the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *news.Error
	if !errors.As(err, &e) {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = news.Errorf(news.EInternal, "internal error")
	} else if e.Code == news.EUnavailable {
		// A store that cannot write (a full disk) refuses every request
		// alike: /healthz reports it, and its log line is rate-limited.
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		s.storeHealth.unavailable(s.log, write, s.catalog.currentSeq(), e.Message, err, r.Method, r.URL.Path)
	} else if e.Code == news.EInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if se := (*statusError)(nil); errors.As(err, &se) {
		status = se.status
	}
	if e.Code == news.EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="newswidget"`)
	}
	if re := (*retryError)(nil); errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(re.secs))
	}
	s.writeJSON(w, status, map[string]*news.Error{"error": e})
}

func news404(path string) error {
	return news.Errorf(news.ENotFound, "nothing at %s", path)
}
