package server_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

// wantStreamRefused checks a refused event stream: the status and code, a
// Retry-After of 5–15 s, readable by any origin.
func wantStreamRefused(t *testing.T, r response, status int, code string) {
	t.Helper()
	wantError(t, r, status, code, "")
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 5 || secs > 15 {
		t.Errorf("Retry-After: got %q, want 5 to 15 seconds", r.Header.Get("Retry-After"))
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
	}
}

// TestStreamCap: with MaxStreams=8 (a share of 2 per address), eight
// streams from four addresses fill the cap; the next stream from anyone is
// refused with 503 while everything else keeps answering at once; a stream
// that ends gives its slot back; and one address cannot go past its share
// while there is room.
func TestStreamCap(t *testing.T) {
	skipWithoutLoopbackAlias(t)
	const max = 8
	ts := newTestServer(t, func(o *server.Options) { o.MaxStreams = max })
	since := hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}
	clients := map[string]*http.Client{}
	for i := 1; i <= 5; i++ {
		ip := "127.0.0." + strconv.Itoa(i)
		clients[ip] = clientFrom(t, ip)
	}
	var first *sseStream
	for i := range max {
		s := ts.openSSEWith(t, clients["127.0.0."+strconv.Itoa(1+i/2)], "/api/events", since, false)
		if i == 0 {
			first = s
		}
	}
	eventually(t, 5*time.Second, "8 subscribers", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == max })
	if got := ts.metric(t, "newswidget_sse_streams_max"); got != max {
		t.Errorf("newswidget_sse_streams_max: got %v, want %d", got, max)
	}

	// Full: a new address and an address under its share are both refused.
	for _, ip := range []string{"127.0.0.5", "127.0.0.1"} {
		wantStreamRefused(t, ts.as(t, clients[ip], http.MethodGet, "/api/events", nil, since), http.StatusServiceUnavailable, news.EUnavailable)
	}
	head := ts.as(t, clients["127.0.0.5"], http.MethodHead, "/api/events", nil, since)
	if head.Status != http.StatusServiceUnavailable {
		t.Errorf("HEAD while full: got %d, want 503 as a GET gets", head.Status)
	}
	// The refusal closes its connection: a refused reader holds no descriptor.
	if h, _ := rawRequest(t, ts.URL, http.MethodGet, "/api/events?since=0", ""); !strings.Contains(h, "\r\nConnection: close\r\n") {
		t.Errorf("a refused stream's response head lacks Connection: close:\n%s", h)
	}

	// Everything else answers at once, and the open streams still get news.
	tests := []struct {
		method, path string
		body         []byte
		h            hdr
		want         int
	}{
		{http.MethodGet, "/healthz", nil, nil, http.StatusOK},
		{http.MethodGet, "/embed", nil, nil, http.StatusOK},
		{http.MethodGet, "/api/articles", nil, nil, http.StatusOK},
		{http.MethodPost, "/api/articles", mustJSON(t, obj{"id": "while-full", "title": "Published while the streams are full"}), auth, http.StatusCreated},
	}
	for _, tt := range tests {
		start := time.Now()
		r := ts.do(t, tt.method, tt.path, tt.body, tt.h)
		if took := time.Since(start); r.Status != tt.want || took > 2*time.Second {
			t.Errorf("%s %s while the streams are full: got %d in %v, want %d within 2s", tt.method, tt.path, r.Status, took, tt.want)
		}
	}
	if ev := first.NextEvent(t, 5*time.Second); !strings.Contains(ev.Data, "while-full") {
		t.Errorf("an open stream got %s, want the article published while full", ev.Data)
	}
	if n := ts.metric(t, `newswidget_http_requests_total{route="GET /api/events",status="503"}`); n != 4 {
		t.Errorf("503s counted in /metrics: got %v, want 4", n)
	}

	// A stream that ends gives its slot back: one more fits, then none.
	first.Close()
	eventually(t, 5*time.Second, "the closed stream's slot", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == max-1 })
	eventually(t, 5*time.Second, "a slot to come free", func() bool {
		return ts.as(t, clients["127.0.0.5"], http.MethodHead, "/api/events", nil, since).Status == http.StatusOK
	})
	// 127.0.0.2 holds its share of 2: with a slot free it gets 429, not the slot.
	wantStreamRefused(t, ts.as(t, clients["127.0.0.2"], http.MethodGet, "/api/events", nil, since), http.StatusTooManyRequests, server.ERateLimited)
	ts.openSSEWith(t, clients["127.0.0.5"], "/api/events", since, false)
	wantStreamRefused(t, ts.as(t, clients["127.0.0.5"], http.MethodGet, "/api/events", nil, since), http.StatusServiceUnavailable, news.EUnavailable)
}

// TestStreamCapOff: without MaxStreams (the library's default) nothing is
// capped, and the cap's gauge says 0.
func TestStreamCapOff(t *testing.T) {
	ts := newTestServer(t)
	since := hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}
	for range 20 {
		ts.openSSE(t, "/api/events", since, false)
	}
	if got := ts.metric(t, "newswidget_sse_streams_max"); got != 0 {
		t.Errorf("newswidget_sse_streams_max without a cap: got %v, want 0", got)
	}
}

// TestMaxStreamsFor pins the derived cap: what is left of the descriptor
// limit after a reserve of a tenth, at least 1,024 (half of a smaller limit).
func TestMaxStreamsFor(t *testing.T) {
	tests := []struct {
		limit uint64
		want  int
	}{
		{0, 0},
		{256, 128},
		{400, 200},
		{1024, 512},
		{2048, 1024},
		{4096, 3072},
		{10240, 9216},
		{20000, 18000},
		{65536, 58983},
		{1 << 20, 943719},
		{^uint64(0), 966367642}, // RLIM_INFINITY: bounded, not overflowed
	}
	for _, tt := range tests {
		if got := server.MaxStreamsFor(tt.limit); got != tt.want {
			t.Errorf("MaxStreamsFor(%d): got %d, want %d", tt.limit, got, tt.want)
		}
	}
}

// TestEventsHead: HEAD /api/events answers a stream's head, 200 and
// text/event-stream, with no body, and takes no subscription, slot or
// goroutine.
func TestEventsHead(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) { o.MaxStreams = 1 })
	before := runtime.NumGoroutine()
	for range 5 {
		head, body := rawRequest(t, ts.URL, http.MethodHead, "/api/events", "Connection: close")
		if !strings.HasPrefix(head, "HTTP/1.1 200 ") {
			t.Fatalf("HEAD /api/events: got %q, want 200", strings.SplitN(head, "\r\n", 2)[0])
		}
		if !strings.Contains(head, "\r\nContent-Type: text/event-stream") {
			t.Errorf("HEAD /api/events: no Content-Type text/event-stream in\n%s", head)
		}
		if len(body) > 0 {
			t.Errorf("HEAD /api/events: got a body of %d bytes (%.60q), want none", len(body), body)
		}
	}
	// (before any other request: a keep-alive connection has goroutines too)
	eventually(t, 5*time.Second, "no goroutine left by the HEADs", func() bool { return runtime.NumGoroutine() <= before })
	if got := ts.metric(t, "newswidget_sse_subscribers"); got != 0 {
		t.Errorf("subscribers after HEADs: got %v, want 0", got)
	}
	// The one slot is still free for a GET.
	ts.openSSE(t, "/api/events", hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}, false)
}

// rawRequest sends one request (with an extra header line, if any) on a
// connection of its own and returns the response head and whatever came
// after it until the server closed the connection or a second passed:
// what net/http's client would hide (a body to a HEAD, Connection: close).
func rawRequest(t *testing.T, base, method, path, header string) (head string, body []byte) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if header != "" {
		header += "\r\n"
	}
	if _, err := io.WriteString(c, method+" "+path+" HTTP/1.1\r\nHost: x\r\n"+header+"\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	all, _ := io.ReadAll(c) // to the close, or the deadline if the server keeps writing
	h, b, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("%s %s: no complete response head in %q", method, path, all)
	}
	return string(h), b
}
