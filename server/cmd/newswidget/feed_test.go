package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestFeedFlag runs a server with -feed (the binary's flags and wiring, in
// process): the feed's entries appear in the API, and when the feed breaks
// they stay while /healthz shows the error.
func TestFeedFlag(t *testing.T) {
	var broken atomic.Bool
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		if broken.Load() {
			w.Write([]byte(`<rss><channel><item><title>cut off`))
			return
		}
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><guid>w1</guid><title>Feed headline from the wire</title><link>https://wire.example/1</link>
<pubDate>Mon, 27 Nov 2023 13:00:00 GMT</pubDate></item></channel></rss>`))
	}))
	t.Cleanup(feed.Close)
	n := startLocal(t, "feeds", "-data", t.TempDir(), "-feed", feed.URL, "-feed-interval", "200ms")

	hasHeadline := func() bool {
		for _, a := range listArticles(t, n.url) {
			if a.Title == "Feed headline from the wire" && a.URL == "https://wire.example/1" && a.Flash {
				return true
			}
		}
		return false
	}
	waitFor(t, 10*time.Second, "the feed's entry in the API", hasHeadline)

	type status struct {
		URL         string    `json:"url"`
		LastSuccess time.Time `json:"last_success"`
		LastError   string    `json:"last_error"`
		LastErrorAt time.Time `json:"last_error_at"`
	}
	health := func() status {
		var h struct {
			Feeds []status `json:"feeds"`
		}
		if err := json.Unmarshal(get(t, n.url+"/healthz", http.StatusOK), &h); err != nil || len(h.Feeds) != 1 {
			t.Fatalf("/healthz feeds: %+v (%v)", h, err)
		}
		return h.Feeds[0]
	}
	if s := health(); s.URL != feed.URL || s.LastSuccess.IsZero() || s.LastError != "" {
		t.Errorf("healthy feed status %+v", s)
	}
	broken.Store(true)
	waitFor(t, 10*time.Second, "the feed's error in /healthz", func() bool {
		s := health()
		return s.LastError != "" && s.LastErrorAt.After(s.LastSuccess)
	})
	if !hasHeadline() {
		t.Error("a broken feed took its last good entries away")
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
