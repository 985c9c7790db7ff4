package feed_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/server/feed"
	"newswidget/server/sqlite"
)

// counter is a feed server that counts its requests and answers with h.
func counter(t *testing.T, h http.HandlerFunc) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/feed", &n
}

func newStore(t *testing.T) *sqlite.Store {
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func serveRSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", rssType)
	fmt.Fprint(w, rss(item("a", "Alpha")))
}

// runFor runs p for d.
func runFor(t *testing.T, p *feed.Poller, d time.Duration) {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	p.Run(ctx)
}

// TestHangingFeedDelaysNoOther: with one feed that hangs until its timeout,
// another feed with a 50 ms interval is polled on time.
func TestHangingFeedDelaysNoOther(t *testing.T) {
	hang, hangs := counter(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	fast, polls := counter(t, serveRSS)
	p := feed.NewPoller(feed.Options{Store: newStore(t), URLs: []string{hang, fast}, Interval: 50 * time.Millisecond,
		Timeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	runFor(t, p, time.Second)
	// One poll at once and one per 50 ms: about 20; a round-based poller
	// waiting for the hanging feed would manage 1.
	if n := polls.Load(); n < 12 {
		t.Errorf("the fast feed was polled %d times in 1 s at a 50 ms interval", n)
	}
	if n := hangs.Load(); n != 1 {
		t.Errorf("the hanging feed was asked %d times, want 1", n)
	}
}

// TestBackoff: a failing feed is retried ever later, not every interval.
func TestBackoff(t *testing.T) {
	failing, n := counter(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	p := feed.NewPoller(feed.Options{Store: newStore(t), URLs: []string{failing}, Interval: 20 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	runFor(t, p, 700*time.Millisecond)
	// Every 20 ms would be 35 polls; doubling from 20 ms with jitter (each
	// wait at least half its step: 20, 40, 80, 160, 320 ms) allows at most 6.
	if got := n.Load(); got < 2 || got > 6 {
		t.Errorf("a failing feed was polled %d times in 700 ms at a 20 ms interval, want 2 to 6", got)
	}
	st := p.Status()[0]
	if st.Failures != n.Load() || !st.NextPoll.After(st.LastErrorAt) {
		t.Errorf("status %+v", st)
	}
}

// TestScheduleHints: Cache-Control max-age, Expires, RSS ttl and
// Retry-After lengthen the wait before the next poll, within bounds.
func TestScheduleHints(t *testing.T) {
	const interval = time.Minute
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		min, max time.Duration
	}{
		{name: "plain", status: 200, body: rss(item("a", "A")), min: interval, max: interval},
		{name: "max-age", status: 200, header: map[string]string{"Cache-Control": "public, max-age=600"}, body: rss(item("a", "A")),
			min: 10 * time.Minute, max: 10 * time.Minute},
		{name: "max-age shorter than the interval", status: 200, header: map[string]string{"Cache-Control": "max-age=5"},
			body: rss(item("a", "A")), min: interval, max: interval},
		{name: "max-age capped at an hour", status: 200, header: map[string]string{"Cache-Control": "max-age=86400"},
			body: rss(item("a", "A")), min: time.Hour, max: time.Hour},
		{name: "expires", status: 200, header: map[string]string{"Expires": time.Now().Add(20 * time.Minute).UTC().Format(http.TimeFormat)},
			body: rss(item("a", "A")), min: 19 * time.Minute, max: 20 * time.Minute},
		{name: "rss ttl", status: 200, body: `<rss version="2.0"><channel><title>T</title><ttl>30</ttl>` + item("a", "A") + `</channel></rss>`,
			min: 30 * time.Minute, max: 30 * time.Minute},
		{name: "retry-after on 429", status: 429, header: map[string]string{"Retry-After": "900"}, min: 15 * time.Minute, max: 15 * time.Minute},
		{name: "retry-after on 503 capped", status: 503, header: map[string]string{"Retry-After": "999999"}, min: 6 * time.Hour, max: 6 * time.Hour},
		{name: "500 backs off", status: 500, min: interval, max: 2 * interval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := counter(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", rssType)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			p := feed.NewPoller(feed.Options{Store: newStore(t), URLs: []string{u}, Interval: interval, Logger: slog.New(slog.DiscardHandler)})
			before := time.Now()
			p.PollOnce(t.Context())
			after := time.Now()
			st := p.Status()[0]
			if lo, hi := before.Add(tt.min-time.Second), after.Add(tt.max+time.Second); st.NextPoll.Before(lo) || st.NextPoll.After(hi) {
				t.Errorf("next poll in %v, want %v to %v (status %+v)", st.NextPoll.Sub(before), tt.min, tt.max, st)
			}
		})
	}
}
