package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/seed"
)

// wait bounds every wait for an event.
const wait = 2 * time.Second

func TestEventsHeaders(t *testing.T) {
	ts := newTestServer(t)
	s := ts.openSSE(t, "/api/events", nil, false)
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "text/event-stream; charset=utf-8"},
		{"Cache-Control", "no-cache"},
		{"X-Accel-Buffering", "no"},
		{"Access-Control-Allow-Origin", "*"},
		{"X-Content-Type-Options", "nosniff"},
		{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
	} {
		if got := s.Resp.Header.Get(h.name); got != h.want {
			t.Errorf("%s: got %q, want %q", h.name, got, h.want)
		}
	}
	// An HTTP/1.1 stream leaves net/http (for its memory): the body runs to
	// the connection's end, unchunked, and the response says so.
	if !s.Resp.Close || len(s.Resp.TransferEncoding) != 0 || s.Resp.ContentLength != -1 {
		t.Errorf("stream framing: close %v, transfer-encoding %v, length %d; want a body delimited by the connection's end",
			s.Resp.Close, s.Resp.TransferEncoding, s.Resp.ContentLength)
	}
	first, ok := s.Next(t, wait)
	if !ok {
		t.Fatal("the stream ended at once")
	}
	if first.IsComment || first.Retry == "" || first.ID != "" {
		t.Fatalf("first record: got %+v, want a retry: line alone", first)
	}
	if n, err := strconv.Atoi(first.Retry); err != nil || n <= 0 {
		t.Errorf("retry: got %q, want a positive number of milliseconds", first.Retry)
	}
}

func TestEventsReplay(t *testing.T) {
	ts := newTestServer(t)
	s := ts.openSSE(t, "/api/events", nil, false)
	evs := s.Events(t, seedCount, wait)
	for i, ev := range evs {
		if got, want := seqOf(t, ev), int64(i+1); got != want {
			t.Errorf("event %d: id got %d, want %d", i, got, want)
		}
		if ev.Event != "article" {
			t.Errorf("event %d: type got %q, want article", i, ev.Event)
		}
		var a news.Article
		if err := json.Unmarshal([]byte(ev.Data), &a); err != nil {
			t.Fatalf("event %d: data is not an article: %v: %s", i, err, ev.Data)
		}
		if a.ID == "" || a.Title == "" || !strings.Contains(ev.Data, `"body":[`) {
			t.Errorf("event %d: data got %.200s, want a whole article", i, ev.Data)
		}
	}
	if got := evs[0].Data; !strings.Contains(got, seed.ArticleID) {
		t.Errorf("first event: got %.100s, want the seed article", got)
	}
	s.NoEventFor(t, 150*time.Millisecond)
}

// changes publishes, updates and deletes, returning the sequence before them.
func changes(t *testing.T, ts *testServer) int64 {
	t.Helper()
	before := ts.lastSeq(t)
	ts.publish(t, obj{"id": "ev-a", "title": "A"})
	ts.publish(t, obj{"id": "ev-b", "title": "B", "flash": true})
	wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/ev-a", []byte(`{"title":"A2"}`), auth), http.StatusOK)
	wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/ev-b", nil, auth), http.StatusNoContent)
	return before
}

func TestEventsLive(t *testing.T) {
	ts := newTestServer(t)
	s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(ts.lastSeq(t), 10), nil, false)
	s.NoEventFor(t, 100*time.Millisecond) // nothing to replay

	start := time.Now()
	ts.publish(t, obj{"id": "live-1", "title": "Live one"})
	ev := s.NextEvent(t, time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the event took %v, want under 1s", d)
	}
	if got, want := seqOf(t, ev), int64(seedCount+1); got != want {
		t.Errorf("id: got %d, want %d", got, want)
	}
	var a news.Article
	if err := json.Unmarshal([]byte(ev.Data), &a); err != nil || a.ID != "live-1" || a.Title != "Live one" || a.Body == nil {
		t.Errorf("data: got %s (%v), want the article live-1 with a body array", ev.Data, err)
	}

	wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/live-1", []byte(`{"title":"Live two"}`), auth), http.StatusOK)
	ev = s.NextEvent(t, time.Second)
	if ev.Event != "article" || !strings.Contains(ev.Data, "Live two") {
		t.Errorf("update: got %s %s, want an article event with the new title", ev.Event, ev.Data)
	}

	wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/live-1", nil, auth), http.StatusNoContent)
	ev = s.NextEvent(t, time.Second)
	if got, want := ev.Event, "delete"; got != want {
		t.Errorf("delete: event got %q, want %q", got, want)
	}
	if got, want := ev.Data, `{"id":"live-1"}`; got != want {
		t.Errorf("delete: data got %q, want %q", got, want)
	}
	if got, want := seqOf(t, ev), int64(seedCount+3); got != want {
		t.Errorf("delete: id got %d, want %d", got, want)
	}
	s.NoEventFor(t, 100*time.Millisecond)
}

func TestEventsResume(t *testing.T) {
	ts := newTestServer(t)
	base := changes(t, ts) // events base+1 … base+4
	last := ts.lastSeq(t)
	// Replay serves each article's latest event only: ev-a's update
	// (base+3) and ev-b's delete (base+4) stand for their creations.
	replaced := map[int64]bool{base + 1: true, base + 2: true}
	served := func(after int64) []int64 {
		var seqs []int64
		for seq := after + 1; seq <= last; seq++ {
			if !replaced[seq] {
				seqs = append(seqs, seq)
			}
		}
		return seqs
	}
	for _, tc := range []struct {
		name  string
		path  string
		h     hdr
		after int64 // the first event expected is after+1; -1: the newest at the time
	}{
		{"from the start", "/api/events", nil, 0},
		{"Last-Event-ID", "/api/events", hdr{"Last-Event-ID": strconv.FormatInt(base+1, 10)}, base + 1},
		{"since", "/api/events?since=" + strconv.FormatInt(base+2, 10), nil, base + 2},
		{"Last-Event-ID wins over since", "/api/events?since=1", hdr{"Last-Event-ID": strconv.FormatInt(base, 10)}, base},
		{"since zero", "/api/events?since=0", nil, 0},
		{"Last-Event-ID with spaces", "/api/events", hdr{"Last-Event-ID": " 3 "}, 3},
		{"at the newest", "/api/events", hdr{"Last-Event-ID": "newest"}, -1},
		{"beyond the newest", "/api/events", hdr{"Last-Event-ID": "1000000"}, -1},
		{"beyond the newest by since", "/api/events?since=999", nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := tc.after
			if after < 0 {
				after = last
			}
			if tc.h["Last-Event-ID"] == "newest" {
				tc.h = hdr{"Last-Event-ID": strconv.FormatInt(last, 10)}
			}
			s := ts.openSSE(t, tc.path, tc.h, false)
			want := served(after)
			got := s.Events(t, len(want), wait)
			for i, ev := range got {
				if got, want := seqOf(t, ev), want[i]; got != want {
					t.Fatalf("event %d: id got %d, want %d", i, got, want)
				}
			}
			s.NoEventFor(t, 100*time.Millisecond) // none twice, none extra

			// Then it is live, from exactly the next event.
			id := "resume-" + strings.ReplaceAll(tc.name, " ", "-")
			ts.publish(t, obj{"id": id, "title": tc.name})
			ev := s.NextEvent(t, time.Second)
			if got, want := seqOf(t, ev), ts.lastSeq(t); got != want {
				t.Errorf("live event: id got %d, want %d", got, want)
			}
			if !strings.Contains(ev.Data, `"id":"`+id+`"`) {
				t.Errorf("live event: data got %.200s, want %s", ev.Data, id)
			}
			s.NoEventFor(t, 100*time.Millisecond)
			last = ts.lastSeq(t)
		})
	}
}

func TestEventsBadLastEventID(t *testing.T) {
	ts := newTestServer(t)
	for _, v := range []string{"abc", "-1", "1.5", "0x10", "1e3", "99999999999999999999", "5abc"} {
		for _, tc := range []struct {
			name string
			path string
			h    hdr
		}{
			{"Last-Event-ID", "/api/events", hdr{"Last-Event-ID": v}},
			{"since", "/api/events?since=" + v, nil},
		} {
			t.Run(tc.name+"="+v, func(t *testing.T) {
				r := ts.get(t, tc.path, tc.h)
				wantError(t, r, http.StatusBadRequest, news.EInvalid, "since")
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
				}
			})
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	ts := newTestServer(t) // Heartbeat: 50ms
	s := ts.openSSE(t, "/api/events", hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}, false)
	pings := 0
	deadline := time.Now().Add(time.Second)
	for pings < 3 {
		r, ok := s.Next(t, time.Until(deadline))
		if !ok {
			t.Fatal("the stream ended")
		}
		if r.IsComment {
			if got, want := r.Comment, "ping"; got != want {
				t.Errorf("comment: got %q, want %q", got, want)
			}
			pings++
		} else if r.ID != "" {
			t.Fatalf("unexpected event %s", r.ID)
		}
	}
}

func TestEventsSlowSubscriberDropped(t *testing.T) {
	ts := newTestServer(t) // SubscriberBuffer: 2
	since := hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}
	normal := ts.openSSE(t, "/api/events", since, false)
	slow := ts.openSSEWith(t, slowClient(), "/api/events", since, true) // reads nothing yet
	eventually(t, wait, "two subscribers", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == 2 })

	// Large articles fill the slow connection's socket buffers, so its
	// handler blocks writing and its events pile up in the hub.
	para := strings.Repeat("Lorem ipsum dolor sit amet. ", 300)
	body := make([]string, 30)
	for i := range body {
		body[i] = para
	}
	var published []string
	dropped := false
	for i := 0; i < 80 && !dropped; i++ {
		id := "bulk-" + strconv.Itoa(i)
		ts.publish(t, obj{"id": id, "title": "Bulk " + strconv.Itoa(i), "body": body})
		published = append(published, id)
		// The normal subscriber keeps up, and so stays subscribed.
		ev := normal.NextEvent(t, wait)
		if !strings.Contains(ev.Data[:80], `"id":"`+id+`"`) {
			t.Fatalf("normal subscriber: got %.80s, want %s", ev.Data, id)
		}
		dropped = ts.metric(t, "newswidget_sse_subscribers") == 1
	}
	if !dropped {
		t.Fatalf("the slow subscriber was not dropped after %d large events", len(published))
	}
	t.Logf("dropped after %d events", len(published))

	// The dropped stream delivers what was already sent, then ends.
	slow.Start()
	got := slow.WaitEnd(t, 5*time.Second)
	var seen []string
	lastID := ""
	for _, ev := range got {
		seen = append(seen, articleID(t, ev))
		lastID = ev.ID
	}
	if len(seen) >= len(published) {
		t.Fatalf("the slow subscriber got all %d events before ending, want it cut short", len(seen))
	}

	// The normal subscriber is still live.
	ts.publish(t, obj{"id": "after-drop", "title": "After the drop"})
	published = append(published, "after-drop")
	if ev := normal.NextEvent(t, wait); articleID(t, ev) != "after-drop" {
		t.Errorf("normal subscriber after the drop: got event %s", ev.ID)
	}

	// Resuming from the last event it got, it misses nothing and gets
	// nothing twice.
	h := hdr{}
	if lastID != "" {
		h["Last-Event-ID"] = lastID
	} else {
		h = since
	}
	resumed := ts.openSSE(t, "/api/events", h, false)
	for _, ev := range resumed.Events(t, len(published)-len(seen), wait) {
		seen = append(seen, articleID(t, ev))
	}
	resumed.NoEventFor(t, 100*time.Millisecond)
	if strings.Join(seen, " ") != strings.Join(published, " ") {
		t.Errorf("slow subscriber, before and after resuming:\n got %v\nwant %v", seen, published)
	}
}

// articleID is the id in an event's data.
func articleID(t *testing.T, ev sseRecord) string {
	t.Helper()
	var a struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &a); err != nil {
		t.Fatalf("event %s: %v", ev.ID, err)
	}
	return a.ID
}

func TestEventsCloseEndsStreams(t *testing.T) {
	ts := newTestServer(t)
	var streams []*sseStream
	for range 3 {
		streams = append(streams, ts.openSSE(t, "/api/events", nil, false))
	}
	for _, s := range streams {
		s.Events(t, seedCount, wait)
	}
	eventually(t, wait, "three subscribers", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == 3 })
	done := make(chan struct{})
	go func() { ts.Srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Close did not return")
	}
	for i, s := range streams {
		if evs := s.WaitEnd(t, time.Second); len(evs) != 0 {
			t.Errorf("stream %d: got %d events after Close", i, len(evs))
		}
	}
	if got := ts.metric(t, "newswidget_sse_subscribers"); got != 0 {
		t.Errorf("subscribers after Close: got %v, want 0", got)
	}
}

// TestEventsWithoutPosition opens a stream that names no position on a
// long event log: it replays only the latest FreshReplay events.
func TestEventsWithoutPosition(t *testing.T) {
	ts := newTestServer(t)
	ts.publishMany(t, server.FreshReplay+20, "")
	newest := ts.lastSeq(t)
	s := ts.openSSE(t, "/api/events", nil, false)
	first := s.NextEvent(t, 3*time.Second)
	if want := strconv.FormatInt(newest-server.FreshReplay+1, 10); first.ID != want {
		t.Errorf("first replayed event %s, want %s (the latest %d only)", first.ID, want, server.FreshReplay)
	}
}
