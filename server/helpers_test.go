package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/internal/testserver"
	"newswidget/server/seed"
	"newswidget/server/sqlite"
)

// testToken is the admin token of every test server that allows publishing.
const testToken = "test-admin-token-0123"

// seedArticles is the seed content, as seed.IfEmpty stores it.
var seedArticles = func() []news.Article {
	l, err := seed.Articles()
	if err != nil {
		panic(err)
	}
	return l
}()

// seedCount is how many articles (and events) the seed content has.
var seedCount = len(seedArticles)

// seedWhere counts the seed articles that match.
func seedWhere(match func(news.Article) bool) int {
	n := 0
	for _, a := range seedArticles {
		if match(a) {
			n++
		}
	}
	return n
}

// seedNewest is the id of the newest seed article.
func seedNewest() string {
	newest := seedArticles[0]
	for _, a := range seedArticles[1:] {
		if news.Before(a, newest) {
			newest = a
		}
	}
	return newest.ID
}

// testServer is a real server on a random port over a real, seeded SQLite
// store in a temporary directory (testserver.Start), with a client.
type testServer struct {
	URL    string
	Srv    *server.Server
	Store  *sqlite.Store
	client *http.Client
}

// testOptions are the options of every test server before its adjustments.
var testOptions = server.Options{
	AdminToken:       testToken,
	Heartbeat:        50 * time.Millisecond,
	SubscriberBuffer: 2,
	Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	// Every test client is 127.0.0.1: the rate limits are off except
	// where a test turns them on (ratelimit_test.go).
	EventsLimit:      server.RateLimit{Burst: -1},
	PublishLimit:     server.RateLimit{Burst: -1},
	AuthFailureLimit: server.RateLimit{Burst: -1},
}

// newTestServer starts a seeded server; opts adjust its options.
func newTestServer(t *testing.T, opts ...func(*server.Options)) *testServer {
	t.Helper()
	return wrapServer(t, testserver.Start(t, testserver.Config{Options: testOptions}, opts...))
}

// wrapServer gives a started server a client of its own.
func wrapServer(t *testing.T, s *testserver.Server) *testServer {
	// No transparent gzip: the tests look at the encodings themselves.
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &testServer{URL: s.URL, Srv: s.Srv, Store: s.Store, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// withoutToken configures a server on which publishing is disabled.
func withoutToken(o *server.Options) { o.AdminToken = "" }

// hdr is a set of request headers.
type hdr map[string]string

// auth is the header of an authorised publishing request.
var auth = hdr{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}

// response is a whole HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request and reads its whole response.
func (ts *testServer) do(t *testing.T, method, path string, body []byte, h hdr) response {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// get sends a GET.
func (ts *testServer) get(t *testing.T, path string, h hdr) response {
	t.Helper()
	return ts.do(t, http.MethodGet, path, nil, h)
}

// wantStatus fails the test unless r has the status.
func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status: got %d, want %d; body: %.300s", r.Status, want, r.Body)
	}
}

// wantError checks that r is the JSON error {"error":{code,message,field?}}
// with the status, code and field (none when field is "").
func wantError(t *testing.T, r response, status int, code, field string) news.Error {
	t.Helper()
	wantStatus(t, r, status)
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.Body)
	}
	if len(top) != 1 || top["error"] == nil {
		t.Fatalf("error body: got keys of %s, want only \"error\"", r.Body)
	}
	var inner map[string]any
	if err := json.Unmarshal(top["error"], &inner); err != nil {
		t.Fatalf("error object: %v: %s", err, r.Body)
	}
	for k := range inner {
		if k != "code" && k != "message" && k != "field" {
			t.Errorf("error object has an unexpected key %q: %s", k, r.Body)
		}
	}
	var e news.Error
	json.Unmarshal(top["error"], &e)
	if e.Code != code {
		t.Errorf("error code: got %q, want %q (%s)", e.Code, code, r.Body)
	}
	if e.Message == "" {
		t.Errorf("error message is empty: %s", r.Body)
	}
	if e.Field != field {
		t.Errorf("error field: got %q, want %q (%s)", e.Field, field, r.Body)
	}
	if _, has := inner["field"]; field == "" && has {
		t.Errorf("error object has a field key, want none: %s", r.Body)
	}
	return e
}

// decode parses a JSON body.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %.200s: %v", b, err)
	}
	return v
}

// listing is the body of GET /api/articles.
type listing struct {
	Articles []news.Article `json:"articles"`
	Next     string         `json:"next"`
}

// list fetches a listing that must succeed.
func (ts *testServer) list(t *testing.T, query string) listing {
	t.Helper()
	r := ts.get(t, "/api/articles"+query, nil)
	wantStatus(t, r, http.StatusOK)
	return decode[listing](t, r.Body)
}

// ids returns the ids of articles in order.
func ids(list []news.Article) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj is an article as a publisher sends it.
type obj = map[string]any

// publish creates an article, which must succeed.
func (ts *testServer) publish(t *testing.T, a obj) news.Article {
	t.Helper()
	r := ts.do(t, http.MethodPost, "/api/articles", mustJSON(t, a), auth)
	wantStatus(t, r, http.StatusCreated)
	return decode[news.Article](t, r.Body)
}

// publishMany creates n articles in category cat, two of each sharing a
// publication time so that paging must break ties by id.
func (ts *testServer) publishMany(t *testing.T, n int, cat string) []news.Article {
	t.Helper()
	base := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var out []news.Article
	for i := range n {
		out = append(out, ts.publish(t, obj{
			"id":           fmt.Sprintf("%s-%02d", strings.ToLower(cat), i),
			"title":        fmt.Sprintf("%s headline %d", cat, i),
			"category":     cat,
			"flash":        i%3 == 0,
			"published_at": base.Add(time.Duration(i/2) * time.Minute).Format(time.RFC3339),
		}))
	}
	return out
}

// state is what a client can see of the store: every article and the
// newest event sequence. A rejected request must leave it unchanged.
func (ts *testServer) state(t *testing.T) string {
	t.Helper()
	r := ts.get(t, "/api/articles?limit=50", nil)
	wantStatus(t, r, http.StatusOK)
	seq, err := ts.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("seq %d\n%s", seq, r.Body)
}

// lastSeq is the store's newest event sequence.
func (ts *testServer) lastSeq(t *testing.T) int64 {
	t.Helper()
	seq, err := ts.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// metric returns the value of an unlabelled series in /metrics.
func (ts *testServer) metric(t *testing.T, name string) float64 {
	t.Helper()
	r := ts.get(t, "/metrics", nil)
	wantStatus(t, r, http.StatusOK)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sseRecord is one thing read from an event stream: an event (a block of
// fields ended by a blank line) or a comment line.
type sseRecord struct {
	ID, Event, Data, Retry string
	Comment                string // text after ':' for a comment line
	IsComment              bool
}

// sseStream reads an event stream in the background into a list that
// grows without bound, so the reader itself is never a slow subscriber.
type sseStream struct {
	Resp   *http.Response
	cancel context.CancelFunc

	mu     sync.Mutex
	recs   []sseRecord
	pos    int
	ended  bool
	notify chan struct{}
}

// openSSE opens GET path (an /api/events URL) with the headers; it must
// answer 200. The stream is read in the background unless paused.
func (ts *testServer) openSSE(t *testing.T, path string, h hdr, paused bool) *sseStream {
	t.Helper()
	return ts.openSSEWith(t, ts.client, path, h, paused)
}

func (ts *testServer) openSSEWith(t *testing.T, c *http.Client, path string, h hdr, paused bool) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	// The client's Timeout would cut a long stream: use a transport directly.
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s: status %d, want 200: %s", path, resp.StatusCode, b)
	}
	s := &sseStream{Resp: resp, cancel: cancel, notify: make(chan struct{}, 1)}
	t.Cleanup(s.Close)
	if !paused {
		s.Start()
	}
	return s
}

// Start begins reading the stream.
func (s *sseStream) Start() { go s.read() }

// Close drops the connection.
func (s *sseStream) Close() {
	s.cancel()
	s.Resp.Body.Close()
}

func (s *sseStream) add(r sseRecord) {
	s.mu.Lock()
	s.recs = append(s.recs, r)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// read parses the stream per the SSE format until it ends.
func (s *sseStream) read() {
	defer func() {
		s.mu.Lock()
		s.ended = true
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}()
	sc := bufio.NewScanner(s.Resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var cur sseRecord
	var data []string
	has := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if has {
				cur.Data = strings.Join(data, "\n")
				s.add(cur)
			}
			cur, data, has = sseRecord{}, nil, false
			continue
		}
		if c, ok := strings.CutPrefix(line, ":"); ok {
			s.add(sseRecord{IsComment: true, Comment: strings.TrimPrefix(c, " ")})
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		has = true
		switch name {
		case "id":
			cur.ID = value
		case "event":
			cur.Event = value
		case "data":
			data = append(data, value)
		case "retry":
			cur.Retry = value
		}
	}
}

// Next returns the next record, or ok=false when the stream has ended; it
// fails the test after timeout.
func (s *sseStream) Next(t *testing.T, timeout time.Duration) (sseRecord, bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.pos < len(s.recs) {
			r := s.recs[s.pos]
			s.pos++
			s.mu.Unlock()
			return r, true
		}
		ended := s.ended
		s.mu.Unlock()
		if ended {
			return sseRecord{}, false
		}
		select {
		case <-s.notify:
		case <-deadline.C:
			t.Fatalf("no SSE record within %v", timeout)
		}
	}
}

// NextEvent returns the next event that carries an id, skipping comments
// and the retry block; the stream must not end first.
func (s *sseStream) NextEvent(t *testing.T, timeout time.Duration) sseRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r, ok := s.Next(t, time.Until(deadline))
		if !ok {
			t.Fatalf("the stream ended while an event was awaited")
		}
		if !r.IsComment && r.ID != "" {
			return r
		}
	}
}

// Events reads n events.
func (s *sseStream) Events(t *testing.T, n int, timeout time.Duration) []sseRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	out := make([]sseRecord, 0, n)
	for len(out) < n {
		out = append(out, s.NextEvent(t, time.Until(deadline)))
	}
	return out
}

// NoEventFor fails if an event arrives within d (comments are fine).
func (s *sseStream) NoEventFor(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		for s.pos < len(s.recs) {
			r := s.recs[s.pos]
			s.pos++
			if !r.IsComment && r.ID != "" {
				s.mu.Unlock()
				t.Fatalf("unexpected event id %s (%s): %.200s", r.ID, r.Event, r.Data)
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitEnd reads everything until the stream ends, returning the events it
// skipped; it fails after timeout.
func (s *sseStream) WaitEnd(t *testing.T, timeout time.Duration) []sseRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var evs []sseRecord
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not end within %v", timeout)
		}
		r, ok := s.Next(t, time.Until(deadline))
		if !ok {
			return evs
		}
		if !r.IsComment && r.ID != "" {
			evs = append(evs, r)
		}
	}
}

// seqOf parses an event's id.
func seqOf(t *testing.T, r sseRecord) int64 {
	t.Helper()
	n, err := strconv.ParseInt(r.ID, 10, 64)
	if err != nil {
		t.Fatalf("event id %q is not a sequence number", r.ID)
	}
	return n
}

// slowClient is a client whose connections read into a small socket
// buffer (not below the loopback MSS, or TCP's silly-window avoidance stalls
// the reading), so less is held in flight before a server writing to an
// idle reader blocks.
func slowClient() *http.Client {
	d := &net.Dialer{}
	tr := &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(128 << 10)
			}
			return c, err
		},
	}
	return &http.Client{Transport: tr}
}
