package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/seed"
)

// badCase is one malformed request and the error it must get.
type badCase struct {
	name, method, path string
	body               string
	h                  hdr
	status             int
	code, field        string
	page               bool // a page route: its 404 is the HTML page, not JSON
}

// badCases is the table of hostile or broken requests: every route, every
// kind of mistake. Each must get a 4xx with a JSON error (a page route its
// 404 page), and none may change what is stored.
func badCases() []badCase {
	seedPath := "/api/articles/" + seed.ArticleID
	long := func(n int, s string) string { return strings.Repeat(s, n/len(s)) }
	var cs []badCase
	add := func(c badCase) { cs = append(cs, c) }
	invalid := func(name, method, path, body string, h hdr, field string) {
		add(badCase{name: name, method: method, path: path, body: body, h: h, status: 400, code: news.EInvalid, field: field})
	}
	notFound := func(name, method, path string, h hdr) {
		add(badCase{name: name, method: method, path: path, h: h, status: 404, code: news.ENotFound, body: `{"title":"t"}`})
	}

	// Article bodies: the shared table of invalid articles, then broken
	// JSON and wrong shapes, on both POST and PUT.
	bodies := []struct{ name, body, field string }{
		{"empty", ``, ""},
		{"not json", `title=x`, ""},
		{"open brace", `{`, ""},
		{"missing value", `{"title":}`, ""},
		{"trailing comma", `{"title":"t",}`, ""},
		{"single quotes", `{'title':'t'}`, ""},
		{"array", `[{"title":"t"}]`, ""},
		{"string", `"t"`, ""},
		{"number", `42`, ""},
		{"null", `null`, "title"},
		{"two objects", `{"title":"t"}{"title":"u"}`, ""},
		{"trailing garbage", `{"title":"t"} x`, ""},
		{"deep nesting", `{"title":"t","body":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, ""},
		{"body of numbers", `{"title":"t","body":[1,2]}`, "body"},
		{"body of objects", `{"title":"t","body":[{"p":"x"}]}`, "body"},
		{"flash number", `{"title":"t","flash":1}`, "flash"},
		{"title object", `{"title":{"en":"t"}}`, "title"},
		{"title array", `{"title":["t"]}`, "title"},
		{"huge number", `{"title":"t","flash":1e999}`, "flash"},
		{"unknown nested", `{"title":"t","extra":{"a":[1,2,3]}}`, "extra"},
		{"published_at month 13", `{"title":"t","published_at":"2024-13-01T00:00:00Z"}`, "published_at"},
		{"published_at before 1678", `{"title":"t","published_at":"1500-01-01T00:00:00Z"}`, "published_at"},
		{"published_at after 2262", `{"title":"t","published_at":"2300-01-01T00:00:00Z"}`, "published_at"},
		{"url with quote", `{"title":"t","url":"https://news.example/\"onmouseover=x"}`, "url"},
		{"url with newline", `{"title":"t","url":"https://news.example/a\nb"}`, "url"},
		{"url unicode space", `{"title":"t","url":"https://news.example/a\u2028b"}`, "url"},
		{"url vbscript", `{"title":"t","url":"vbscript:msgbox"}`, "url"},
		{"source with NUL", `{"title":"t","source":"\u0000"}`, "source"},
		{"category with NUL", `{"title":"t","category":"a\u0000"}`, "category"},
		{"body with NUL", `{"title":"t","body":["a\u0000b"]}`, "body"},
		{"title zero-width", `{"title":"\u200b\u200d\u2060\ufeff"}`, "title"},
		{"title of controls and overrides", `{"title":" \u001b\u0007\u007f\u0085\u202e\u2066 "}`, "title"},
		{"title of combining marks", `{"title":"\u0301\u0308\u200f"}`, "title"},
		{"id unicode", `{"id":"новости","title":"t"}`, "id"},
		{"id path trick", `{"id":"../../etc","title":"t"}`, "id"},
	}
	for _, b := range invalidBodies {
		bodies = append(bodies, struct{ name, body, field string }{b.name, b.body, b.field})
	}
	for _, b := range bodies {
		invalid("POST body "+b.name, "POST", "/api/articles", b.body, auth, b.field)
		invalid("PUT body "+b.name, "PUT", seedPath, b.body, auth, b.field)
	}
	big := `{"title":"t","body":["` + long(server.MaxArticleBytes, "a") + `"]}`
	for _, m := range []struct{ method, path string }{{"POST", "/api/articles"}, {"PUT", seedPath}} {
		add(badCase{name: m.method + " body over 1 MB", method: m.method, path: m.path, body: big, h: auth, status: 413, code: server.ETooLarge})
		add(badCase{name: m.method + " body over 1 MB of whitespace", method: m.method, path: m.path, body: `{"title":"t"` + long(server.MaxArticleBytes+10, " ") + `}`, h: auth, status: 413, code: server.ETooLarge})
		invalid(m.method+" text/plain", m.method, m.path, `{"title":"t"}`, hdr{"Authorization": auth["Authorization"], "Content-Type": "text/plain"}, "")
		invalid(m.method+" bad media type", m.method, m.path, `{"title":"t"}`, hdr{"Authorization": auth["Authorization"], "Content-Type": "application/json; charset"}, "")
		invalid(m.method+" json in a form type", m.method, m.path, `{"title":"t"}`, hdr{"Authorization": auth["Authorization"], "Content-Type": "application/x-www-form-urlencoded"}, "")
	}
	invalid("PUT id differs from the path", "PUT", seedPath, `{"id":"other","title":"t"}`, auth, "id")

	// Tokens, on every publishing route.
	unauthorized := []struct{ name, value string }{
		{"missing", ""},
		{"scheme only", "Bearer"},
		{"scheme and space", "Bearer "},
		{"basic", "Basic x"},
		{"basic of the token", "Basic dG9r"},
		{"token with spaces", "Bearer t o k"},
		{"token and more", "Bearer " + testToken + " extra"},
		{"token without scheme", testToken},
		{"other scheme", "Token " + testToken},
		{"wrong case token", "Bearer TOK"},
		{"token prefix", "Bearer to"},
		{"token twice", "Bearer " + testToken + testToken},
		{"10 KB token", "Bearer " + long(10<<10, "t")},
		{"unicode token", "Bearer tök"},
	}
	for _, u := range unauthorized {
		h := hdr{"Content-Type": "application/json"}
		if u.value != "" {
			h["Authorization"] = u.value
		}
		for _, m := range []struct{ method, path string }{{"POST", "/api/articles"}, {"PUT", seedPath}, {"DELETE", seedPath}} {
			add(badCase{name: m.method + " token " + u.name, method: m.method, path: m.path, body: `{"title":"t"}`, h: h, status: 401, code: news.EUnauthorized})
		}
	}

	// Listing queries.
	for _, v := range []string{"", "abc", "0", "-1", "51", "1e3", "10.5", "0x10", "99999999999999999999", "%00", "%E2%80%8B5", long(10<<10, "9")} {
		invalid("list limit="+trim(v), "GET", "/api/articles?limit="+v, "", nil, "limit")
	}
	for _, v := range []string{"x", "123", ".abc", "-1.abc", "1.a%2Fb", "1.", "1.a.b", "99999999999999999999.x", "1.%D0%BD", "%00", long(10<<10, "1") + ".x", "1." + long(100, "i")} {
		invalid("list before="+trim(v), "GET", "/api/articles?before="+v, "", nil, "before")
	}
	for _, v := range []string{long(65, "c"), strings.Repeat("é", news.MaxCategoryLen+1), "%FF%FE", "a%FFb", long(10<<10, "c")} {
		invalid("list category="+trim(v), "GET", "/api/articles?category="+v, "", nil, "category")
	}
	for _, v := range []string{"yes", "2", "on", "%00", "truee", long(1000, "t")} {
		invalid("list flash="+trim(v), "GET", "/api/articles?flash="+v, "", nil, "flash")
	}
	invalid("list bad escape", "GET", "/api/articles?limit=%zz", "", nil, "")
	invalid("list bad escape elsewhere", "GET", "/api/articles?limit=5&x=%", "", nil, "")

	// Event streams: Last-Event-ID and since.
	for _, v := range []string{"99999999999999999999999", "-1", "1e3", "1.5", "0x10", "abc", "5abc", "+", "٣", long(10<<10, "9"), long(10<<10, "a")} {
		invalid("events Last-Event-ID="+trim(v), "GET", "/api/events", "", hdr{"Last-Event-ID": v}, "since")
	}
	for _, v := range []string{"99999999999999999999999", "-1", "1e3", "%00", "1%202", long(10<<10, "9")} {
		invalid("events since="+trim(v), "GET", "/api/events?since="+v, "", nil, "since")
	}
	invalid("events bad escape", "GET", "/api/events?since=%zz", "", nil, "")

	// Ids and path tricks.
	for _, id := range []string{"..%2f..%2fetc", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%00", "a%00b", "a%20b", "a.b", "a%2Fb",
		"%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8", "%F0%9F%93%B0", "%FF", long(65, "i"), long(10<<10, "i"), "%3Cscript%3E"} {
		notFound("GET id "+trim(id), "GET", "/api/articles/"+id, nil)
		notFound("PUT id "+trim(id), "PUT", "/api/articles/"+id, auth)
		notFound("DELETE id "+trim(id), "DELETE", "/api/articles/"+id, auth)
		add(badCase{name: "page id " + trim(id), method: "GET", path: "/articles/" + id, status: 404, page: true})
	}
	notFound("DELETE a missing article", "DELETE", "/api/articles/missing", auth)
	notFound("PUT a missing article", "PUT", "/api/articles/missing", auth)
	for _, p := range []string{"/api/articles/a/b", "/api/articles/..%2f..%2f", "/api/nope", "/api/events/1", "/web/..%2f..%2fgo.mod",
		"/web/%2e%2e/%2e%2e/go.mod", "/web/", "/nope", "/%00", "/widget.js/x", "/healthz/x", "/" + long(10<<10, "x")} {
		notFound("route "+trim(p), "GET", p, nil)
	}

	// Wrong methods.
	for _, m := range []struct{ method, path string }{
		{"PATCH", "/api/articles"}, {"PUT", "/api/articles"}, {"DELETE", "/api/articles"},
		{"POST", seedPath}, {"PATCH", seedPath}, {"POST", "/api/events"}, {"PUT", "/api/events"}, {"DELETE", "/api/events"},
		{"PROPFIND", "/api/articles"}, {"TRACE", seedPath},
	} {
		add(badCase{name: "method " + m.method + " " + m.path, method: m.method, path: m.path, body: `{"title":"t"}`, h: auth, status: 405, code: server.EMethod})
	}
	for _, m := range []struct{ method, path string }{{"POST", "/healthz"}, {"DELETE", "/metrics"}, {"POST", "/embed"}, {"PUT", "/widget.js"}, {"POST", "/"}} {
		notFound("method "+m.method+" "+m.path, m.method, m.path, auth)
	}

	// Headers over the limit: answered before any route, in JSON.
	huge := long(40<<10, "h")
	for _, p := range []struct{ method, path string }{{"GET", "/api/articles"}, {"GET", "/api/events"}, {"POST", "/api/articles"}, {"GET", "/"}} {
		add(badCase{name: "40 KB header " + p.method + " " + p.path, method: p.method, path: p.path, body: `{"title":"t"}`,
			h: hdr{"Authorization": auth["Authorization"], "Content-Type": "application/json", "X-Huge": huge}, status: 431, code: server.ETooLarge})
	}
	add(badCase{name: "40 KB query", method: "GET", path: "/api/articles?category=" + huge, status: 431, code: server.ETooLarge})
	add(badCase{name: "many headers", method: "GET", path: "/api/articles", h: manyHeaders(2000), status: 431, code: server.ETooLarge})
	return cs
}

func manyHeaders(n int) hdr {
	h := hdr{}
	for i := range n {
		h["X-H-"+strconv.Itoa(i)] = "0123456789"
	}
	return h
}

// trim shortens a case's value for its name.
func trim(v string) string {
	if len(v) > 24 {
		return fmt.Sprintf("%s…(%d bytes)", v[:12], len(v))
	}
	return v
}

// rawRequest sends path exactly as written, escapes and dot segments
// untouched, as a hostile client would.
func (ts *testServer) rawRequest(t *testing.T, c badCase) response {
	t.Helper()
	req, err := http.NewRequest(c.method, ts.URL+"/", strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = c.path // sent as the request target, verbatim
	if c.body == "" {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range c.h {
		req.Header.Set(k, v)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, trim(c.path), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", c.method, trim(c.path), err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	cases := badCases()
	before := ts.state(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.rawRequest(t, c)
			if r.Status >= 500 {
				t.Fatalf("status %d: %.300s", r.Status, r.Body)
			}
			if c.page {
				wantStatus(t, r, c.status)
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q, want the HTML 404 page", ct)
				}
			} else {
				wantError(t, r, c.status, c.code, c.field)
			}
			if got := ts.state(t); got != before {
				t.Fatalf("the store changed")
			}
		})
	}
	t.Logf("%d bad-input cases, each a 4xx with a clear error and no change to the store", len(cases))
}

// hardened serves the test server's handler through server.NewHTTPServer
// with its timeouts scaled down to d, on a listener of its own.
func hardened(t *testing.T, ts *testServer, d time.Duration) (addr string, hs *http.Server) {
	t.Helper()
	hs = server.NewHTTPServer(ts.Srv)
	if hs.ReadHeaderTimeout != server.ReadHeaderTimeout || hs.ReadTimeout != server.ReadTimeout ||
		hs.WriteTimeout != server.WriteTimeout || hs.IdleTimeout != server.IdleTimeout || hs.MaxHeaderBytes != server.MaxHeaderBytes {
		t.Fatalf("NewHTTPServer does not set the documented limits: %+v", hs)
	}
	for _, v := range []time.Duration{hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout} {
		if v <= 0 {
			t.Fatalf("NewHTTPServer leaves a timeout unset: %+v", hs)
		}
	}
	// The same proportions, in milliseconds instead of seconds.
	ratio := float64(d) / float64(server.ReadHeaderTimeout)
	for _, v := range []*time.Duration{&hs.ReadHeaderTimeout, &hs.ReadTimeout, &hs.WriteTimeout, &hs.IdleTimeout} {
		*v = time.Duration(float64(*v) * ratio)
	}
	hs.ErrorLog = nil
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), hs
}

// closedWithin waits for the server to close conn, failing after d.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) (time.Duration, []byte) {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(d))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", d)
	}
	return time.Since(start), got
}

// TestSlowClientsCutOff checks the hardened http.Server from main: a
// header sent a byte at a time, a body that never ends or only trickles,
// and an idle connection are all cut off by the timeouts, and none changes
// the store; an event stream, though, outlives them.
func TestSlowClientsCutOff(t *testing.T) {
	ts := newTestServer(t)
	// ReadHeaderTimeout 50ms, ReadTimeout 300ms, WriteTimeout 600ms, IdleTimeout 1.2s.
	addr, hs := hardened(t, ts, 50*time.Millisecond)
	before := ts.state(t)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("slow-loris header", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /api/articles HTTP/1.1\r\nHost: x\r\n")
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a header line every 20ms, forever
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(c, "X-Slow-%d: 1\r\n", i); err != nil {
					return
				}
			}
		}()
		took, _ := closedWithin(t, c, 2*time.Second)
		if took > hs.ReadHeaderTimeout+500*time.Millisecond {
			t.Errorf("closed after %v, want about ReadHeaderTimeout %v", took, hs.ReadHeaderTimeout)
		}
	})

	for _, tc := range []struct {
		name    string
		trickle bool
	}{{"body that never ends", false}, {"body that trickles", true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			fmt.Fprintf(c, "POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"title\":\"", testToken)
			stop := make(chan struct{})
			defer close(stop)
			if tc.trickle {
				go func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(20 * time.Millisecond):
						}
						if _, err := c.Write([]byte("a")); err != nil {
							return
						}
					}
				}()
			}
			took, got := closedWithin(t, c, 3*time.Second)
			if took > hs.ReadTimeout+time.Second {
				t.Errorf("closed after %v, want about ReadTimeout %v", took, hs.ReadTimeout)
			}
			// What the server says, if anything, is a 400 JSON error.
			if len(got) > 0 {
				resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(got))), nil)
				if err != nil {
					t.Fatalf("unreadable answer %q: %v", got, err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"code":"invalid"`) {
					t.Errorf("answer %d %s, want 400 invalid", resp.StatusCode, b)
				}
			}
		})
	}

	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		start := time.Now()
		c.SetReadDeadline(start.Add(5 * time.Second))
		if _, err := br.ReadByte(); err == nil || time.Since(start) > hs.IdleTimeout+time.Second {
			t.Errorf("idle connection: %v after %v, want closed after IdleTimeout %v", err, time.Since(start), hs.IdleTimeout)
		}
	})

	t.Run("header over MaxHeaderBytes", func(t *testing.T) {
		// net/http refuses it itself, before any handler: a plain 431.
		c := dial()
		fmt.Fprintf(c, "GET /api/articles HTTP/1.1\r\nHost: x\r\nX-Huge: %s\r\n\r\n", strings.Repeat("h", server.MaxHeaderBytes+8<<10))
		_, got := closedWithin(t, c, 2*time.Second)
		if !strings.HasPrefix(string(got), "HTTP/1.1 431 ") {
			t.Errorf("answer %.100q, want 431", got)
		}
		// Under it but over MaxRequestHeaderBytes: the server's JSON 431.
		c = dial()
		fmt.Fprintf(c, "GET /api/articles HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Huge: %s\r\n\r\n", strings.Repeat("h", server.MaxRequestHeaderBytes))
		_, got = closedWithin(t, c, 2*time.Second)
		if !strings.HasPrefix(string(got), "HTTP/1.1 431 ") || !strings.Contains(string(got), `"code":"too_large"`) {
			t.Errorf("answer %.300q, want a JSON 431", got)
		}
	})

	t.Run("event stream outlives the timeouts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/events", nil)
		req.Header.Set("Last-Event-ID", strconv.FormatInt(ts.lastSeq(t), 10))
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		s := &sseStream{Resp: resp, cancel: cancel, notify: make(chan struct{}, 1)}
		s.Start()
		// Well past ReadTimeout and WriteTimeout, heartbeats still come...
		time.Sleep(hs.WriteTimeout + 300*time.Millisecond)
		s.NoEventFor(t, 0)
		if _, ok := s.Next(t, time.Second); !ok {
			t.Fatal("the stream ended")
		}
		// ...and so do events.
		a := ts.publish(t, obj{"id": "outlived", "title": "After the timeouts"})
		if ev := s.NextEvent(t, 2*time.Second); !strings.Contains(ev.Data, a.ID) {
			t.Errorf("got %+v, want the new article", ev)
		}
		before = ts.state(t)
	})

	if got := ts.state(t); got != before {
		t.Errorf("the store changed")
	}
}
