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
)

// liveReport is the body of GET /api/live (and /healthz's "live").
type liveReport struct {
	Mode     news.LiveMode    `json:"mode"`
	SetBy    string           `json:"set_by"`
	Setting  news.LiveSetting `json:"setting"`
	Overload bool             `json:"overload"`
	RetryMS  int64            `json:"retry_ms"`
}

// withLive gives a server short switch ceilings, so tests see widgets come back.
func withLive(o *server.Options) {
	o.LiveSlow, o.LivePaused = 3*time.Second, 6*time.Second
}

// TestLiveRoutes: only an admin sets the switch, any account reads it, a
// bad mode is a 400 on "mode", and each change is in the audit log.
func TestLiveRoutes(t *testing.T) {
	n := newNewsroom(t, withLive)
	tests := []struct {
		who, how, method, body string
		status                 int
		wantMode               news.LiveMode // after the request, as GET says
	}{
		{"anonymous", "", "PUT", `{"mode":"slow"}`, http.StatusUnauthorized, news.LiveNormal},
		{"ed", "token", "PUT", `{"mode":"slow"}`, http.StatusForbidden, news.LiveNormal},
		{"ed", "cookie", "PUT", `{"mode":"paused"}`, http.StatusForbidden, news.LiveNormal},
		{"adm", "token", "PUT", `{"mode":"fast"}`, http.StatusBadRequest, news.LiveNormal},
		{"adm", "token", "PUT", `{"mode":"slow","x":1}`, http.StatusBadRequest, news.LiveNormal},
		{"adm", "token", "PUT", `{"mode":"slow"}`, http.StatusOK, news.LiveSlow},
		{"adm", "cookie", "PUT", `{"mode":"paused"}`, http.StatusOK, news.LivePaused},
		{"admin-token", "", "PUT", `{"mode":"normal"}`, http.StatusOK, news.LiveNormal},
		{"anonymous", "", "GET", ``, http.StatusUnauthorized, news.LiveNormal},
		{"ed", "token", "GET", ``, http.StatusOK, news.LiveNormal},
		{"adm", "cookie", "POST", `{"mode":"slow"}`, http.StatusMethodNotAllowed, news.LiveNormal},
	}
	for _, tt := range tests {
		r := n.do(t, tt.method, "/api/live", []byte(tt.body), n.as(tt.who, tt.how))
		if r.Status != tt.status {
			t.Errorf("%s %s /api/live %s: got %d %s, want %d", tt.who, tt.method, tt.body, r.Status, r.Body, tt.status)
		}
		if tt.status == http.StatusBadRequest {
			wantError(t, r, http.StatusBadRequest, "invalid", map[bool]string{true: "mode", false: "x"}[!strings.Contains(tt.body, `"x"`)])
		}
		got := decode[liveReport](t, n.do(t, "GET", "/api/live", nil, n.as("adm", "token")).Body)
		if got.Mode != tt.wantMode {
			t.Errorf("after %s %s %s: GET /api/live mode got %q, want %q", tt.who, tt.method, tt.body, got.Mode, tt.wantMode)
		}
	}
	got := decode[liveReport](t, n.do(t, "GET", "/api/live", nil, n.as("adm", "token")).Body)
	if got.SetBy != "person" || got.Setting.By != "admin-token" || got.Setting.At.IsZero() {
		t.Errorf("GET /api/live: got set_by %q setting %+v, want a person's, by admin-token, with its time", got.SetBy, got.Setting)
	}
	// The audit log names who set which mode, newest first.
	var audit struct{ Entries []news.AuditEntry }
	audit = decode[struct{ Entries []news.AuditEntry }](t, n.do(t, "GET", "/api/audit", nil, n.as("adm", "token")).Body)
	var lines []string
	for _, e := range audit.Entries {
		if e.Action == news.ActionLive {
			lines = append(lines, e.User+" "+e.Title)
		}
	}
	want := []string{"admin-token live normal", "adm live paused", "adm live slow"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("audit entries %q: got %q, want %q", news.ActionLive, lines, want)
	}
}

// setLive sets the switch as the admin token, which must succeed.
func (ts *testServer) setLive(t *testing.T, mode news.LiveMode) {
	t.Helper()
	wantStatus(t, ts.do(t, "PUT", "/api/live", []byte(`{"mode":"`+string(mode)+`"}`), auth), http.StatusOK)
}

// liveNotice reads the next record and wants it to be the "live" event for mode.
func liveNotice(t *testing.T, s *sseStream, mode news.LiveMode, retry time.Duration) {
	t.Helper()
	r, ok := nextRecord(t, s)
	if !ok || r.Event != "live" {
		t.Fatalf("got %+v (stream open: %v), want the event live for %s", r, ok, mode)
	}
	var got news.LiveNotice
	if err := json.Unmarshal([]byte(r.Data), &got); err != nil || got.Mode != mode || got.RetryMS != retry.Milliseconds() || r.ID != "" {
		t.Errorf("live event: got id %q data %s, want no id and mode %q retry_ms %d", r.ID, r.Data, mode, retry.Milliseconds())
	}
}

// wantRetry reads the next record and wants it to be a retry: field within [lo, hi] ms.
func wantRetry(t *testing.T, s *sseStream, lo, hi time.Duration) int {
	t.Helper()
	r, ok := nextRecord(t, s)
	ms, err := strconv.Atoi(r.Retry)
	if !ok || err != nil || ms < int(lo.Milliseconds()) || ms > int(hi.Milliseconds()) {
		t.Fatalf("got %+v, want a retry: field from %v to %v", r, lo, hi)
	}
	return ms
}

// nextRecord returns the next record that is not a comment (a heartbeat),
// within 5 s however often the heartbeats come.
func nextRecord(t *testing.T, s *sseStream) (sseRecord, bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatal("only heartbeats for 5 s, want a record")
		}
		r, ok := s.Next(t, left)
		if !ok || !r.IsComment {
			return r, ok
		}
	}
}

// wantEnd wants the stream to end next.
func wantEnd(t *testing.T, s *sseStream) {
	t.Helper()
	for {
		r, ok := s.Next(t, 5*time.Second)
		if !ok {
			return
		}
		if !r.IsComment {
			t.Fatalf("got %+v, want the stream to end", r)
		}
	}
}

// TestLiveStreams: a change of mode reaches every open stream through the
// stream itself, and each mode serves new streams by its rule: slow streams
// catch up and end, paused ones end at once with nothing, normal ones stay.
func TestLiveStreams(t *testing.T) {
	ts := newTestServer(t, withLive)
	seq := ts.lastSeq(t)
	since := "/api/events?since=" + strconv.FormatInt(seq, 10)

	open := []*sseStream{ts.openSSE(t, since, nil, false), ts.openSSE(t, since, nil, false)}
	for _, s := range open {
		wantRetry(t, s, 2*time.Second, 2*time.Second)
	}
	ts.setLive(t, news.LiveSlow)
	for _, s := range open { // told, and closed: each comes back within the slow ceiling
		wantRetry(t, s, time.Second, 3*time.Second)
		liveNotice(t, s, news.LiveSlow, 3*time.Second)
		wantEnd(t, s)
	}
	// Slow: a stream is a poll. It catches up from its position, then hears
	// the mode and ends.
	a := ts.publish(t, obj{"title": "Published while slow", "flash": true})
	poll := ts.openSSE(t, since, nil, false)
	wantRetry(t, poll, time.Second, 3*time.Second)
	if ev := poll.NextEvent(t, 5*time.Second); ev.Event != "article" || !strings.Contains(ev.Data, a.ID) {
		t.Errorf("slow poll: got %+v, want the article published meanwhile", ev)
	}
	liveNotice(t, poll, news.LiveSlow, 3*time.Second)
	wantEnd(t, poll)

	// Paused: the hint and the notice, no event, the end.
	ts.setLive(t, news.LivePaused)
	paused := ts.openSSE(t, since, nil, false)
	wantRetry(t, paused, time.Second, 6*time.Second)
	liveNotice(t, paused, news.LivePaused, 6*time.Second)
	wantEnd(t, paused)

	// The mode shows in /healthz and /metrics.
	if h := decode[struct{ Live liveReport }](t, ts.get(t, "/healthz", nil).Body); h.Live.Mode != news.LivePaused || h.Live.SetBy != "person" {
		t.Errorf("/healthz live: got %+v, want paused, set by a person", h.Live)
	}
	m := string(ts.get(t, "/metrics", nil).Body)
	for _, want := range []string{`newswidget_live_mode{mode="paused"} 1`, `newswidget_live_mode{mode="normal"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics: no %q", want)
		}
	}

	// Normal again: a stream catches up and stays; the next publish arrives live.
	ts.setLive(t, news.LiveNormal)
	// A widget that was held back names its mode, and hears that it may stay.
	back := ts.openSSE(t, since+"&live=paused", nil, false)
	wantRetry(t, back, 2*time.Second, 2*time.Second)
	liveNotice(t, back, news.LiveNormal, 2*time.Second)
	if ev := back.NextEvent(t, 5*time.Second); !strings.Contains(ev.Data, a.ID) {
		t.Errorf("normal again: got %+v, want the catch-up", ev)
	}
	b := ts.publish(t, obj{"title": "Live again", "flash": true})
	if ev := back.NextEvent(t, 5*time.Second); !strings.Contains(ev.Data, b.ID) {
		t.Errorf("normal again: got %+v, want the live publish", ev)
	}
	// And a switch to normal reaches open streams as a notice that keeps them.
	ts.setLive(t, news.LiveNormal) // no change: no notice
	ts.setLive(t, news.LiveSlow)
	wantRetry(t, back, time.Second, 3*time.Second)
	liveNotice(t, back, news.LiveSlow, 3*time.Second)
	wantEnd(t, back)
}

// TestLiveRetryJitter: the streams a switch closes together are told to
// come back at times spread over the ceiling, not at once.
func TestLiveRetryJitter(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) { o.LiveSlow = 100 * time.Second })
	ts.setLive(t, news.LiveSlow)
	const n = 40
	seen := map[int]bool{}
	lo, hi := 1<<30, 0
	for range n {
		s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(ts.lastSeq(t), 10), nil, false)
		ms := wantRetry(t, s, time.Second, 100*time.Second)
		seen[ms] = true
		lo, hi = min(lo, ms), max(hi, ms)
		s.Close()
	}
	// 40 uniform draws over 100 s: all distinct and spread over most of it
	// (the chance that the range of 40 draws is under half is 40/2^39).
	if len(seen) < n-2 || hi-lo < 50_000 {
		t.Errorf("retry: got %d distinct values from %d to %d ms over %d streams, want them spread over 1–100 s", len(seen), lo, hi, n)
	}
}

// TestLiveOverload: a node near its stream cap moves itself to slow, says
// so, and moves back once its streams are well below; a person's pause
// wins over it and a person's normal does not stop it.
func TestLiveOverload(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) {
		o.MaxStreams, o.LiveCheck, o.LiveHold, o.LiveSlow = 20, 20*time.Millisecond, 400*time.Millisecond, 400*time.Millisecond
		o.TrustProxy = true // each stream from an address of its own: one may hold a quarter of the cap
	})
	report := func() liveReport { return decode[struct{ Live liveReport }](t, ts.get(t, "/healthz", nil).Body).Live }
	since := "/api/events?since=" + strconv.FormatInt(ts.lastSeq(t), 10)
	client := 0
	openOne := func() *sseStream {
		client++
		return ts.openSSE(t, since, hdr{"X-Forwarded-For": "10.0.0." + strconv.Itoa(client)}, false)
	}
	var open []*sseStream
	for range 18 { // below 95% of 20: normal
		open = append(open, openOne())
	}
	time.Sleep(200 * time.Millisecond)
	if r := report(); r.Mode != news.LiveNormal || r.Overload {
		t.Fatalf("18 of 20 streams: got %+v, want normal", r)
	}
	open = append(open, openOne()) // 19 of 20: slow
	eventually(t, 5*time.Second, "the node to slow itself down", func() bool { return report().Mode == news.LiveSlow })
	if r := report(); r.SetBy != "auto" || !r.Overload {
		t.Errorf("overloaded: got %+v, want slow set by auto", r)
	}
	if !strings.Contains(string(ts.get(t, "/metrics", nil).Body), `newswidget_live_mode{mode="slow"} 1`) {
		t.Errorf("/metrics: no newswidget_live_mode{mode=\"slow\"} 1 under overload")
	}
	for _, s := range open { // every open stream is told, and closed
		wantRetry(t, s, 2*time.Second, 2*time.Second) // at its start
		wantRetry(t, s, time.Second, time.Second)     // the change: at least a second
		liveNotice(t, s, news.LiveSlow, 400*time.Millisecond)
		wantEnd(t, s)
	}
	// A person's pause holds over the automatic slow.
	ts.setLive(t, news.LivePaused)
	if r := report(); r.Mode != news.LivePaused || r.SetBy != "person" {
		t.Errorf("paused under overload: got %+v, want paused by a person", r)
	}
	ts.setLive(t, news.LiveNormal)
	// With the streams gone (and no one polling), the node recovers after its hold.
	eventually(t, 5*time.Second, "the node back to normal", func() bool { return report().Mode == news.LiveNormal })
	if r := report(); r.Overload || r.SetBy != "person" {
		t.Errorf("recovered: got %+v, want normal, no overload", r)
	}
}

// TestLiveSparesTheNewsroom: the switch holds readers back, not editors.
// A stream opened with a session or a personal token hears every change of
// mode and stays open, paused included, receiving what is published; an
// anonymous one (a forged cookie too) is closed as the mode says.
func TestLiveSparesTheNewsroom(t *testing.T) {
	n := newNewsroom(t, withLive)
	seq := n.lastSeq(t)
	since := "/api/events?since=" + strconv.FormatInt(seq, 10)
	forged := hdr{"Cookie": server.SessionCookie + "=" + strings.Repeat("x", 43)}
	streams := []struct {
		name     string
		h        hdr
		newsroom bool
	}{
		{"session", n.as("ed", "cookie"), true},
		{"token", n.as("ed", "token"), true},
		{"anonymous", nil, false},
		{"forged cookie", forged, false},
	}
	open := make([]*sseStream, len(streams))
	for i, s := range streams {
		open[i] = n.openSSE(t, since, s.h, false)
		wantRetry(t, open[i], 2*time.Second, 2*time.Second)
		if s.newsroom { // told the mode from the start
			liveNotice(t, open[i], news.LiveNormal, 2*time.Second)
		}
	}
	n.setLive(t, news.LivePaused)
	for i, s := range streams {
		if !s.newsroom {
			wantRetry(t, open[i], time.Second, 6*time.Second)
			liveNotice(t, open[i], news.LivePaused, 6*time.Second)
			wantEnd(t, open[i])
			continue
		}
		liveNotice(t, open[i], news.LivePaused, 6*time.Second)
	}
	a := n.publish(t, obj{"title": "Filed while paused", "flash": true})
	// A console that opens while paused is served as in normal, told the mode.
	late := n.openSSE(t, since, n.as("adm", "cookie"), false)
	wantRetry(t, late, 2*time.Second, 2*time.Second)
	liveNotice(t, late, news.LivePaused, 6*time.Second)
	for name, st := range map[string]*sseStream{"session": open[0], "token": open[1], "opened while paused": late} {
		if ev := st.NextEvent(t, 5*time.Second); ev.Event != "article" || !strings.Contains(ev.Data, a.ID) {
			t.Errorf("%s stream while paused: got %+v, want the article published", name, ev)
		}
	}
	// A reader opening now still gets the pause.
	reader := n.openSSE(t, since, nil, false)
	wantRetry(t, reader, time.Second, 6*time.Second)
	liveNotice(t, reader, news.LivePaused, 6*time.Second)
	wantEnd(t, reader)
}
