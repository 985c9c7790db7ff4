package server

import (
	"net/http"
	"time"

	"newswidget/app/news"
)

// The limits NewHTTPServer sets, so that a slow or hostile client cannot
// hold a connection or memory: a header must arrive within
// ReadHeaderTimeout, a whole request (body included) within ReadTimeout, a
// response within WriteTimeout (event streams extend it at each write and
// lift the read deadline), and an idle keep-alive connection is closed after
// IdleTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// MaxHeaderBytes is where net/http itself refuses a request's header,
	// with a plain-text 431, before any handler runs.
	MaxHeaderBytes = 64 << 10
	// MaxRequestHeaderBytes is where the server refuses it with a JSON 431;
	// below MaxHeaderBytes, so every header a client can still send is
	// answered in JSON.
	MaxRequestHeaderBytes = 32 << 10
)

// NewHTTPServer returns the http.Server to serve h with, hardened with the
// timeouts and header limit above. The caller sets Addr or calls Serve, and
// may set ErrorLog.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// headerBytes is the size of a request's line and header as sent, near
// enough: what MaxHeaderBytes counts.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// statusError is a client error sent with a status other than its code's.
type statusError struct {
	err    *news.Error
	status int
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// errHeaderTooLarge refuses a request whose header is over MaxRequestHeaderBytes.
var errHeaderTooLarge = &statusError{
	err:    news.Errorf(ETooLarge, "the request header is larger than %d bytes", MaxRequestHeaderBytes),
	status: http.StatusRequestHeaderFieldsTooLarge,
}
