package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/internal/testserver"
	"newswidget/server/sqlite"
)

// fuzzServer is a seeded server for a fuzz target, whose requests go
// straight to the handler.
func fuzzServer(f *testing.F) (*server.Server, *sqlite.Store) {
	f.Helper()
	ts := testserver.Start(f, testserver.Config{Options: server.Options{AdminToken: testToken, Logger: slog.New(slog.DiscardHandler),
		EventsLimit: server.RateLimit{Burst: -1}, PublishLimit: server.RateLimit{Burst: -1}}})
	return ts.Srv, ts.Store
}

// checkJSONError fails unless w is a 4xx {"error":{…}} with the code.
func checkJSONError(t *testing.T, w *httptest.ResponseRecorder, codes ...string) news.Error {
	t.Helper()
	var body struct{ Error *news.Error }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error == nil || body.Error.Message == "" {
		t.Fatalf("status %d, body %q: not a JSON error", w.Code, w.Body.Bytes())
	}
	for _, c := range codes {
		if body.Error.Code == c {
			return *body.Error
		}
	}
	t.Fatalf("status %d, error %+v, want one of %v", w.Code, body.Error, codes)
	return news.Error{}
}

// FuzzListQuery sends fuzzed queries to GET /api/articles: each is a page
// of at most the limit, newest first, with a cursor that works, or a 400.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=1", "limit=50", "limit=0", "limit=51", "limit= 5 ", "limit=1e3", "flash=true", "flash=0", "flash=yes",
		"category=World", "category=world", "category=%FF", "before=1700000000000000000.nato", "before=x", "before=-1.a",
		"limit=2&before=", "%zz", "a;b", "limit=5&limit=abc", "category=" + strings.Repeat("c", 65),
	} {
		f.Add(s)
	}
	srv, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest(http.MethodGet, "/api/articles", nil)
		req.URL.RawQuery = raw
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			checkJSONError(t, w, news.EInvalid)
			return
		default:
			t.Fatalf("GET /api/articles?%s: status %d: %s", raw, w.Code, w.Body.Bytes())
		}
		var page struct {
			Articles []news.Article
			Next     string
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatalf("?%s: %v", raw, err)
		}
		q, _ := url.ParseQuery(raw)
		limit := news.DefaultListLimit
		if q.Has("limit") {
			limit, _ = strconv.Atoi(strings.TrimSpace(q.Get("limit")))
		}
		if len(page.Articles) > limit {
			t.Fatalf("?%s: %d articles, limit %d", raw, len(page.Articles), limit)
		}
		for i := 1; i < len(page.Articles); i++ {
			if !news.Before(page.Articles[i-1], page.Articles[i]) {
				t.Fatalf("?%s: not newest first at %d", raw, i)
			}
		}
		if page.Next != "" {
			if _, err := news.ParseCursor(page.Next); err != nil || len(page.Articles) != limit {
				t.Fatalf("?%s: next %q (%v) after %d of %d", raw, page.Next, err, len(page.Articles), limit)
			}
		}
	})
}

// FuzzEventsResume connects to a stopped server's event stream with fuzzed
// Last-Event-ID and since: a bad id is a 400; a good one replays exactly
// the events after it, in order, then the stream ends.
func FuzzEventsResume(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"0", ""}, {"3", ""}, {"", "5"}, {" 2 ", "9"}, {"99999999999999999999999", ""}, {"-1", ""}, {"1e3", ""},
		{"", "-1"}, {"", "%zz"}, {"9223372036854775807", ""}, {"", "+3"}, {"٣", ""}, {strings.Repeat("9", 10<<10), ""},
	} {
		f.Add(s[0], s[1])
	}
	srv, st := fuzzServer(f)
	srv.Close() // streams end after their replay
	newest, err := st.LastSeq(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, lastEventID, since string) {
		if !httpguts.ValidHeaderFieldValue(lastEventID) {
			return // net/http refuses such a header before any handler
		}
		req := httptest.NewRequest(http.MethodGet, "/api/events", nil)
		req.URL.RawQuery = "since=" + since
		raw := strings.Trim(lastEventID, " \t") // as net/http delivers a header value
		if raw != "" {
			req.Header.Set("Last-Event-ID", raw)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if raw == "" {
			q, err := url.ParseQuery(req.URL.RawQuery)
			if err != nil {
				if w.Code != http.StatusBadRequest {
					t.Fatalf("malformed query %q: status %d", req.URL.RawQuery, w.Code)
				}
				checkJSONError(t, w, news.EInvalid)
				return
			}
			raw = q.Get("since")
		}
		from, perr := news.ParseSeq(raw)
		if perr != nil {
			if w.Code != http.StatusBadRequest || checkJSONError(t, w, news.EInvalid).Field != "since" {
				t.Fatalf("id %q: status %d %s, want 400 since", raw, w.Code, w.Body.Bytes())
			}
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("id %q: status %d %s", raw, w.Code, w.Body.Bytes())
		}
		body, ok := bytes.CutPrefix(w.Body.Bytes(), []byte("retry: 2000\n\n"))
		if !ok {
			t.Fatalf("id %q: stream starts %q", raw, w.Body.Bytes())
		}
		var ids []int64
		for _, block := range strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n") {
			if block == "" {
				continue
			}
			id, _, _ := strings.Cut(strings.TrimPrefix(block, "id: "), "\n")
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatalf("id %q: bad event %q", raw, block)
			}
			ids = append(ids, n)
		}
		want := []int64{}
		for n := min(from, newest) + 1; n <= newest; n++ {
			want = append(want, n)
		}
		if len(ids) != len(want) {
			t.Fatalf("id %q: replayed %v, want %v", raw, ids, want)
		}
		for i := range ids {
			if ids[i] != want[i] {
				t.Fatalf("id %q: replayed %v, want %v", raw, ids, want)
			}
		}
	})
}

// FuzzPublish posts fuzzed bodies as an authorised publisher: each is
// refused with a 4xx JSON error, or stored as a valid article that reads
// back as it was answered; never a 5xx.
func FuzzPublish(f *testing.F) {
	for _, s := range []string{
		`{"title":"t"}`, `{"title":"t","url":"https://n.example/a","image":"http://i.example/i.png","body":["a"," ","b"]}`,
		`{"title":"t","url":"javascript:alert(1)"}`, `{"id":"dup","title":"a"}`, `{`, `null`, `{"title":"t","published_at":"2300-01-01T00:00:00Z"}`,
		`{"title":"t","published_at":"9999-12-31T23:59:59-23:59"}`, `{"title":"t","flash":"yes"}`, `{"title":"\u0000"}`,
		`{"title":"<script>alert(1)</script>","summary":"\"><img src=x onerror=alert(1)>"}`, `{"title":"t","extra":1}`,
		`{"title":"\u200b\ufeff"}`, `{"title":"\u001bT\u0007","source":"\u202eREL","summary":"a\r\nb\u0085","body":["\u2066p\u2069"]}`,
	} {
		f.Add([]byte(s))
	}
	srv, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/articles", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusCreated:
		case http.StatusBadRequest:
			checkJSONError(t, w, news.EInvalid)
			return
		case http.StatusConflict:
			checkJSONError(t, w, news.EConflict)
			return
		case http.StatusRequestEntityTooLarge:
			checkJSONError(t, w, server.ETooLarge)
			return
		default:
			t.Fatalf("POST %q: status %d: %s", body, w.Code, w.Body.Bytes())
		}
		var a news.Article
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("POST %q: answer %s: %v", body, w.Body.Bytes(), err)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("POST %q stored an invalid article %+v: %v", body, a, err)
		}
		for _, u := range []string{a.URL, a.Image} {
			if u != "" && !news.IsWebURL(u) {
				t.Fatalf("POST %q stored the URL %q", body, u)
			}
		}
		get := httptest.NewRecorder()
		srv.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/api/articles/"+a.ID, nil))
		if get.Code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(get.Body.Bytes()), bytes.TrimSpace(w.Body.Bytes())) {
			t.Fatalf("POST %q answered %s; GET answers %d %s", body, w.Body.Bytes(), get.Code, get.Body.Bytes())
		}
	})
}
