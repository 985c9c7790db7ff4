package server_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/server"
)

// clientFrom returns a client whose connections come from the local
// address ip (any of 127.0.0.0/8 is the loopback on Linux), so the server
// sees a different client per address.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// as sends a request with another client.
func (ts *testServer) as(t *testing.T, c *http.Client, method, path string, body []byte, h hdr) response {
	t.Helper()
	saved := ts.client
	ts.client = c
	defer func() { ts.client = saved }()
	return ts.do(t, method, path, body, h)
}

// wantRateLimited checks a 429 with Retry-After in whole seconds.
func wantRateLimited(t *testing.T, r response) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, server.ERateLimited, "")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After: got %q, want a whole number of seconds ≥ 1", r.Header.Get("Retry-After"))
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want * (a widget must be able to read the 429)", got)
	}
}

// skipWithoutLoopbackAlias skips where 127.0.0.2 is not a local address.
func skipWithoutLoopbackAlias(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	}
	ln.Close()
}

func TestRateLimitPublishing(t *testing.T) {
	skipWithoutLoopbackAlias(t)
	ts := newTestServer(t, func(o *server.Options) {
		o.PublishLimit = server.RateLimit{Burst: 3, PerSecond: 2}
	})
	one, two := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
	before := ts.state(t)
	// A delete of a missing article: authorised, refused, changes nothing.
	del := func(c *http.Client) response {
		return ts.as(t, c, http.MethodDelete, "/api/articles/missing", nil, auth)
	}
	for i := range 3 {
		if r := del(one); r.Status != http.StatusNotFound {
			t.Fatalf("request %d within the burst: status %d, want 404: %s", i+1, r.Status, r.Body)
		}
	}
	r := del(one)
	wantRateLimited(t, r)
	// Every publishing route shares the bucket; unauthorised requests count too.
	wantRateLimited(t, ts.as(t, one, http.MethodPost, "/api/articles", []byte(`{"title":"x"}`), auth))
	wantRateLimited(t, ts.as(t, one, http.MethodPut, "/api/articles/x", []byte(`{"title":"x"}`), hdr{"Authorization": "Bearer guess"}))
	// Reads are never limited.
	wantStatus(t, ts.as(t, one, http.MethodGet, "/api/articles", nil, nil), http.StatusOK)
	// Another address has its own bucket.
	wantStatus(t, del(two), http.StatusNotFound)
	// The bucket refills at 2 a second: one more after 600 ms, not two.
	time.Sleep(600 * time.Millisecond)
	wantStatus(t, del(one), http.StatusNotFound)
	wantRateLimited(t, del(one))
	if got := ts.state(t); got != before {
		t.Errorf("the store changed")
	}
	if n := ts.metric(t, `newswidget_http_requests_total{route="DELETE /api/articles/{id}",status="429"}`); n != 2 {
		t.Errorf("429s counted in /metrics: %v, want 2", n)
	}
}

func TestRateLimitEvents(t *testing.T) {
	skipWithoutLoopbackAlias(t)
	ts := newTestServer(t, func(o *server.Options) {
		o.EventsLimit = server.RateLimit{Burst: 2, PerSecond: 2}
	})
	one, two := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
	since := hdr{"Last-Event-ID": strconv.FormatInt(ts.lastSeq(t), 10)}
	a := ts.openSSEWith(t, one, "/api/events", since, false)
	ts.openSSEWith(t, one, "/api/events", since, false)
	wantRateLimited(t, ts.as(t, one, http.MethodGet, "/api/events", nil, since))
	// A refused connect does not touch the open streams.
	ts.publish(t, obj{"id": "after-429", "title": "Still live"})
	if ev := a.NextEvent(t, 5*time.Second); ev.Event != "article" || !strings.Contains(ev.Data, "after-429") {
		t.Errorf("the open stream got %+v, want the new article", ev)
	}
	ts.openSSEWith(t, two, "/api/events", since, false)
	time.Sleep(600 * time.Millisecond)
	ts.openSSEWith(t, one, "/api/events", since, false)
	wantRateLimited(t, ts.as(t, one, http.MethodGet, "/api/events", nil, since))
}

// serve runs one request through the handler with a given peer address;
// event streams are asked with a cancelled context, so they end at once.
func serve(h http.Handler, method, path, remote string, head hdr) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if strings.HasPrefix(path, "/api/events") {
		ctx, cancel := context.WithCancel(req.Context())
		cancel()
		req = req.WithContext(ctx)
	}
	req.RemoteAddr = remote
	for k, v := range head {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// allowedInARow counts the requests answered before the first 429, up to limit.
func allowedInARow(h http.Handler, method, path, remote string, head hdr, limit int) int {
	for n := range limit {
		if serve(h, method, path, remote, head).Code == http.StatusTooManyRequests {
			return n
		}
	}
	return limit
}

// TestRateLimitDefaults checks the default limits and what a client is:
// the peer address, an IPv6 /64, X-Forwarded-For only behind a trusted proxy.
func TestRateLimitDefaults(t *testing.T) {
	defaults := func(o *server.Options) { o.EventsLimit, o.PublishLimit = server.RateLimit{}, server.RateLimit{} }
	ts := newTestServer(t, defaults)
	h := ts.Srv
	// Unauthorised publishing requests: answered without the store, so a
	// burst takes microseconds and at most a fraction of a token refills.
	pub := func(remote string, head hdr) int {
		return allowedInARow(h, http.MethodPost, "/api/articles", remote, head, 100)
	}
	sse := func(remote string) int {
		return allowedInARow(h, http.MethodGet, "/api/events", remote, nil, server.DefaultEventsLimit.Burst+10)
	}
	within := func(what string, got, burst int) {
		t.Helper()
		if got < burst || got > burst+1 {
			t.Errorf("%s: %d requests before a 429, want the burst of %d", what, got, burst)
		}
	}
	within("publishing", pub("198.51.100.1:1000", nil), server.DefaultPublishLimit.Burst)
	within("event streams", sse("198.51.100.1:1000"), server.DefaultEventsLimit.Burst)
	within("another address", pub("198.51.100.2:1000", nil), server.DefaultPublishLimit.Burst)

	r := serve(h, http.MethodPost, "/api/articles", "198.51.100.1:2000", nil)
	if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") != "1" {
		t.Errorf("another port of a limited address: %d Retry-After %q, want 429 and 1", r.Code, r.Header().Get("Retry-After"))
	}
	r = serve(h, http.MethodGet, "/api/events", "198.51.100.1:2000", nil)
	if secs, _ := strconv.Atoi(r.Header().Get("Retry-After")); r.Code != http.StatusTooManyRequests || secs < 1 || secs > 1 {
		t.Errorf("event stream over the limit: %d Retry-After %q, want 429 and 1 (the next token, rounded up to a second)", r.Code, r.Header().Get("Retry-After"))
	}

	// X-Forwarded-For is the client's word unless a trusted proxy wrote it.
	spoofed := 0
	for i := range 50 {
		if serve(h, http.MethodPost, "/api/articles", "198.51.100.1:3000", hdr{"X-Forwarded-For": "10.0.0." + strconv.Itoa(i)}).Code != http.StatusTooManyRequests {
			spoofed++
		}
	}
	if spoofed > 1 {
		t.Errorf("X-Forwarded-For escaped the limit %d times without TrustProxy", spoofed)
	}

	// IPv6: one /64 is one client; the next /64 another.
	within("ipv6", pub("[2001:db8:1:2::1]:1000", nil), server.DefaultPublishLimit.Burst)
	if n := pub("[2001:db8:1:2:ffff::9]:1000", nil); n > 1 {
		t.Errorf("another address in the same /64 got %d requests, want it limited", n)
	}
	within("the next /64", pub("[2001:db8:1:3::1]:1000", nil), server.DefaultPublishLimit.Burst)
	// An IPv4-mapped address is the IPv4 client.
	if n := pub("[::ffff:198.51.100.2]:1000", nil); n > 1 {
		t.Errorf("the IPv4-mapped form of a limited address got %d requests", n)
	}

	t.Run("behind a trusted proxy", func(t *testing.T) {
		ts := newTestServer(t, defaults, func(o *server.Options) { o.TrustProxy = true })
		h := ts.Srv
		proxy := "10.0.0.1:5000"
		pub := func(xff string) int {
			return allowedInARow(h, http.MethodPost, "/api/articles", proxy, hdr{"X-Forwarded-For": xff}, 100)
		}
		within("client one", pub("203.0.113.1"), server.DefaultPublishLimit.Burst)
		within("client two", pub("203.0.113.2"), server.DefaultPublishLimit.Burst)
		// Only the last entry, the one the proxy appended, counts.
		if n := pub("1.2.3.4, 203.0.113.1"); n > 1 {
			t.Errorf("a client prepending an address got %d more requests", n)
		}
		within("port in the entry", pub("203.0.113.3:4711"), server.DefaultPublishLimit.Burst)
		// No usable header: the peer, the proxy, is the client.
		within("no header", allowedInARow(h, http.MethodPost, "/api/articles", proxy, nil, 100), server.DefaultPublishLimit.Burst)
		if n := pub("garbage"); n > 1 {
			t.Errorf("an unreadable X-Forwarded-For got %d requests, want the proxy's (spent) bucket", n)
		}
	})

	t.Run("off", func(t *testing.T) {
		ts := newTestServer(t) // the test servers turn both limits off
		if n := allowedInARow(ts.Srv, http.MethodPost, "/api/articles", "198.51.100.1:1", nil, 200); n != 200 {
			t.Errorf("a disabled limit answered 429 after %d requests", n)
		}
		if n := allowedInARow(ts.Srv, http.MethodGet, "/api/events", "198.51.100.1:1", nil, 200); n != 200 {
			t.Errorf("a disabled limit answered 429 after %d connects", n)
		}
	})
}

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in   string
		want server.RateLimit
		ok   bool
	}{
		{"20+1/s", server.RateLimit{Burst: 20, PerSecond: 1}, true},
		{" 5+0.5/s ", server.RateLimit{Burst: 5, PerSecond: 0.5}, true},
		{"off", server.RateLimit{Burst: -1, PerSecond: -1}, true},
		{"OFF", server.RateLimit{Burst: -1, PerSecond: -1}, true},
		{"", server.RateLimit{}, false},
		{"20", server.RateLimit{}, false},
		{"20+1", server.RateLimit{}, false},
		{"20/s", server.RateLimit{}, false},
		{"+1/s", server.RateLimit{}, false},
		{"0+1/s", server.RateLimit{}, false},
		{"-5+1/s", server.RateLimit{}, false},
		{"20+0/s", server.RateLimit{}, false},
		{"20+-1/s", server.RateLimit{}, false},
		{"20+NaN/s", server.RateLimit{}, false},
		{"20+Inf/s", server.RateLimit{}, false},
		{"20+1e9/s", server.RateLimit{}, false},
		{"99999999999999999999+1/s", server.RateLimit{}, false},
		{"20+1/m", server.RateLimit{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := server.ParseRateLimit(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseRateLimit(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
			if !tc.ok {
				if !strings.Contains(err.Error(), "20+1/s") {
					t.Errorf("error %q does not show the form to use", err)
				}
				return
			}
			again, err := server.ParseRateLimit(got.String())
			if err != nil || again != got {
				t.Errorf("round trip through %q: got %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}
