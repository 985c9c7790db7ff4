package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/app/ui"
)

// serve sends one request through the whole server.
func serve(s *Server, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

// With every render slot taken (a flood of distinct pages), a request for a
// new page is refused within renderWait with 503 and Retry-After instead of
// queueing without end, and a cached page is still served at once.
func TestRenderSlotsBounded(t *testing.T) {
	s, _ := loggingServer(t, nil)
	if w := serve(s, "/embed?layout=list"); w.Code != http.StatusOK {
		t.Fatalf("cached page: got %d", w.Code)
	}
	for range cap(s.pages.renders) { // a flood holds every slot
		s.pages.renders <- struct{}{}
	}
	defer func() {
		for range cap(s.pages.renders) {
			<-s.pages.renders
		}
	}()
	start := time.Now()
	w := serve(s, "/embed?ticker-label=flood-1")
	if took := time.Since(start); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || took > renderWait+time.Second {
		t.Errorf("a new page with no slot: got %d Retry-After %q after %v, want 503 with Retry-After within %v",
			w.Code, w.Header().Get("Retry-After"), took, renderWait)
	}
	if !strings.Contains(w.Body.String(), `"code":"busy"`) {
		t.Errorf("body: got %s, want the busy code", w.Body.String())
	}
	for _, feed := range []string{"/feed.xml?category=flood", "/feed.json?category=flood", "/sitemap.xml"} {
		if w := serve(s, feed); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s with no slot: got %d, want 503 with Retry-After", feed, w.Code)
		}
	}
	start = time.Now()
	if w := serve(s, "/embed?layout=list"); w.Code != http.StatusOK || time.Since(start) > 100*time.Millisecond {
		t.Errorf("a cached page during the flood: got %d after %v, want 200 at once", w.Code, time.Since(start))
	}
	// a requester that leaves stops waiting at once
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if _, err := s.pages.render(ctx, ui.EmbedPath, news.DefaultConfig(), http.StatusOK); err == nil || time.Since(start) > 100*time.Millisecond {
		t.Errorf("render for a requester that left: got %v after %v, want an error at once", err, time.Since(start))
	}
}

// A full page cache drops pages asked for once before the page readers
// keep asking for: a flood of distinct pages does not make every reader's
// page a render again.
func TestPageCacheKeepsWhatReadersUse(t *testing.T) {
	s, _ := loggingServer(t, nil)
	s.pages.max = 16
	popular := "/embed?layout=list"
	serve(s, popular)
	renders := func() float64 { return counterValue(t, s, "newswidget_page_renders_total") }
	start := renders()
	for i := range 100 {
		serve(s, fmt.Sprintf("/embed?ticker-label=flood-%d", i))
		serve(s, popular)
	}
	if got := renders() - start; got != 100 {
		t.Errorf("100 distinct pages beside one popular page: got %v renders, want 100 (the popular page stays cached)", got)
	}
}

// counterValue reads a counter from /metrics.
func counterValue(t *testing.T, s *Server, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(serve(s, "/metrics").Body.String(), "\n") {
		var v float64
		if strings.HasPrefix(line, name+" ") {
			if _, err := fmt.Sscan(strings.TrimPrefix(line, name+" "), &v); err == nil {
				return v
			}
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}
