// Package testserver is a test kit: it starts a real newswidget server for
// a test, wired as server/cmd/newswidget wires one with the SQLite store: a
// SQLite store in a directory, seeded with the default content
// (seed.IfEmpty), server.New with options the test adjusts, served on a
// loopback port, and everything closed when the test ends. Nothing that
// ships imports it.
//
// Tests inside package server cannot use it (it imports server); they have
// their own helper, loggingServer in server/panic_internal_test.go.
package testserver

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"newswidget/server"
	"newswidget/server/seed"
	"newswidget/server/sqlite"
)

// Config says where a test server keeps its data and listens, and the
// options it starts from.
type Config struct {
	// Dir is where the SQLite database lives; "" is a new temporary
	// directory. A directory that already holds a store keeps its articles
	// (seeding adds nothing to a store that has some).
	Dir string
	// Addr is where to listen; "" is a free port on 127.0.0.1. An address
	// a server just released is retried for a few seconds, so a test can
	// restart a server where its clients expect it.
	Addr string
	// Options are the server's options before Start's adjustments; Start
	// sets Store to the seeded store.
	Options server.Options
}

// Server is a running test server.
type Server struct {
	URL     string         // http://127.0.0.1:PORT
	Addr    string         // 127.0.0.1:PORT
	Dir     string         // where its database lives
	Store   *sqlite.Store  // the store, as opened (a test may wrap it in Options)
	Srv     *server.Server // the handler
	Options server.Options // the options the server was built with
	HTTP    *httptest.Server

	closed bool
}

// Start opens and seeds the store, builds the server from c.Options with
// Store set and then each of adjust applied, and serves it; tb fails at
// once if any of that fails. The server is closed when tb ends.
func Start(tb testing.TB, c Config, adjust ...func(*server.Options)) *Server {
	tb.Helper()
	if c.Dir == "" {
		c.Dir = tb.TempDir()
	}
	st := OpenStore(tb, c.Dir)
	o := c.Options
	o.Store = st
	for _, f := range adjust {
		f(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		tb.Fatalf("server.New: %v", err)
	}
	ln, err := listen(c.Addr)
	if err != nil {
		srv.Close()
		tb.Fatalf("listen: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	s := &Server{URL: hs.URL, Addr: ln.Addr().String(), Dir: c.Dir, Store: st, Srv: srv, Options: o, HTTP: hs}
	tb.Cleanup(s.Close)
	return s
}

// OpenStore opens the SQLite store in dir and seeds it, as Start does; it
// is closed when tb ends, if it is still open.
func OpenStore(tb testing.TB, dir string) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(dir)
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() }) // a second Close is harmless
	if err := seed.IfEmpty(context.Background(), st); err != nil {
		tb.Fatalf("seed.IfEmpty: %v", err)
	}
	return st
}

// listen listens on addr, 127.0.0.1:0 when empty, retrying for a while an
// address the kernel may still hold after a server let it go.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	for i := 0; ; i++ {
		ln, err := net.Listen("tcp", addr)
		if err == nil || i == 50 {
			return ln, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close stops the server as a shutdown would: the event streams end (their
// clients retry), connections are cut, the listener and the store close.
// Closing twice does nothing.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.Srv.Close() // ends the event streams, so HTTP.Close does not wait on them
	s.HTTP.CloseClientConnections()
	s.HTTP.Close()
	s.Store.Close()
}
