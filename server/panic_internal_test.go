package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"newswidget/app/news"
	"newswidget/server/seed"
	"newswidget/server/sqlite"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// loggingServer starts a server on a real SQLite store with the default
// content, seen through wrap (nil: as it is), and logging to the returned buffer; opts
// adjust its options; both are closed when t ends. It is the one such
// helper of package server's own tests, which cannot import
// server/internal/testserver (it imports this package).
func loggingServer(t testing.TB, wrap func(news.Store) news.Store, opts ...func(*Options)) (*Server, *syncBuffer) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := seed.IfEmpty(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	o := Options{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if wrap != nil {
		o.Store = wrap(st)
	}
	for _, f := range opts {
		f(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, logs
}

// TestHandlerPanic provokes panics in handlers registered on the server's
// own mux: the client gets a 500 JSON error (or, once the response has
// started, a broken connection rather than a short body that looks whole),
// the panic is logged with its stack, and the server keeps serving.
func TestHandlerPanic(t *testing.T) {
	s, logs := loggingServer(t, func(st news.Store) news.Store { return st })
	s.mux.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		m["nil map"]++ // a real runtime panic
	})
	s.mux.HandleFunc("GET /test/panic-midway", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "the first half of a body")
		http.NewResponseController(w).Flush()
		panic("secret detail")
	})
	s.mux.HandleFunc("GET /test/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	hs := httptest.NewServer(s)
	defer hs.Close()

	get := func(path string) (*http.Response, []byte, error) {
		resp, err := hs.Client().Get(hs.URL + path)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}

	resp, body, err := get("/test/panic")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("panic: %d %s, want 500 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "internal" || e.Error.Message != "internal error" {
		t.Errorf("panic body %s, want the internal error and nothing more", body)
	}
	if l := logs.String(); !strings.Contains(l, "handler panic") || !strings.Contains(l, "assignment to entry in nil map") || !strings.Contains(l, "panic_internal_test.go") {
		t.Errorf("the log lacks the panic and its stack:\n%.2000s", l)
	}

	// Once the response has started, the connection is cut: the client
	// must not take the first half for the whole.
	resp, body, err = get("/test/panic-midway")
	if err == nil {
		t.Errorf("a panic midway gave a clean %d response %q, want a read error", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "secret") {
		t.Errorf("the panic value reached the client: %q", body)
	}
	if _, _, err := get("/test/abort"); err == nil {
		t.Error("http.ErrAbortHandler did not abort the response")
	}

	// Many at once, mixed with real requests: every answer is whole.
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 100 {
		wg.Go(func() {
			path := "/api/articles"
			want := http.StatusOK
			if i%2 == 0 {
				path, want = "/test/panic", http.StatusInternalServerError
			}
			resp, _, err := get(path)
			if err != nil {
				errs <- path + ": " + err.Error()
			} else if resp.StatusCode != want {
				errs <- path + ": status " + resp.Status
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	// Still serving, and the panics are in the metrics.
	for _, path := range []string{"/healthz", "/api/articles", "/api/articles/" + seed.ArticleID, "/embed"} {
		if resp, _, err := get(path); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s after the panics: %v %v, want 200", path, resp, err)
		}
	}
	_, metrics, _ := get("/metrics")
	for _, want := range []string{
		`newswidget_http_requests_total{route="GET /test/panic",status="500"} 51`,
		`newswidget_http_requests_total{route="GET /test/panic-midway",status="500"} 1`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
}

// panickyStore is the real SQLite store with one fault injected: once
// armed, reading the event log's newest sequence panics, as a bug in a
// store might.
type panickyStore struct {
	news.Store
	armed *atomic.Bool
}

func (p panickyStore) LastSeq(ctx context.Context) (int64, error) {
	if p.armed.Load() {
		panic("event log read")
	}
	return p.Store.LastSeq(ctx)
}

// TestStreamPanic panics inside an event stream's replay, which runs on a
// goroutine of the stream's own once it has left net/http: the panic is
// logged with its stack, the stream ends, and the server keeps serving.
func TestStreamPanic(t *testing.T) {
	armed := &atomic.Bool{}
	s, logs := loggingServer(t, func(st news.Store) news.Store { return panickyStore{st, armed} })
	hs := httptest.NewServer(s)
	defer hs.Close()
	armed.Store(true)

	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/api/events", nil)
	req.Header.Set("Last-Event-ID", "3") // a position: the replay reads the log
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body) // ends: the stream's goroutine recovered and closed it
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || string(body) != "retry: 2000\n\n" {
		t.Errorf("stream: %d %q %v, want 200 with the retry hint, then its end", resp.StatusCode, body, err)
	}
	if l := logs.String(); !strings.Contains(l, "event stream panic") || !strings.Contains(l, "event log read") || !strings.Contains(l, "panic_internal_test.go") {
		t.Errorf("the log lacks the panic and its stack:\n%.2000s", l)
	}
	if r, err := hs.Client().Get(hs.URL + "/api/articles"); err != nil || r.StatusCode != http.StatusOK {
		t.Errorf("GET /api/articles after the panic: %v %v, want 200", r, err)
	} else {
		r.Body.Close()
	}
	if n := s.hub.Len(); n != 0 {
		t.Errorf("subscribers after the panic: %d, want 0", n)
	}
}
