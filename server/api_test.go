package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/seed"
)

func TestListArticlesShape(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/api/articles", nil)
	wantStatus(t, r, http.StatusOK)

	for _, h := range []struct{ name, want string }{
		{"Content-Type", "application/json; charset=utf-8"},
		{"Access-Control-Allow-Origin", "*"},
		{"Vary", "Accept-Encoding"},
	} {
		if got := r.Header.Get(h.name); got != h.want {
			t.Errorf("%s: got %q, want %q", h.name, got, h.want)
		}
	}
	if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=") {
		t.Errorf("Cache-Control: got %q, want a max-age", got)
	}
	if got := r.Header.Get("ETag"); !regexp.MustCompile(`^"[^"]+"$`).MatchString(got) {
		t.Errorf("ETag: got %q, want a strong quoted tag", got)
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 2 || top["articles"] == nil || top["next"] == nil {
		t.Fatalf("got keys of %s, want exactly articles and next", r.Body)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(top["articles"], &raw); err != nil {
		t.Fatal(err)
	}
	if got, want := len(raw), min(seedCount, news.DefaultListLimit); got != want {
		t.Fatalf("articles: got %d, want %d", got, want)
	}
	fields := []string{"id", "title", "summary", "body", "url", "source", "category", "image", "flash", "published_at", "updated_at"}
	for _, a := range raw {
		for _, f := range fields {
			if _, ok := a[f]; !ok {
				t.Errorf("article %s has no %q", a["id"], f)
			}
		}
		if got := string(a["body"]); !strings.HasPrefix(got, "[") {
			t.Errorf("article %s: body got %s, want an array", a["id"], got)
		}
		for _, f := range []string{"published_at", "updated_at"} {
			var s string
			json.Unmarshal(a[f], &s)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("article %s: %s %q is not RFC 3339", a["id"], f, s)
			}
		}
	}
	l := decode[listing](t, r.Body)
	if fits := seedCount <= news.DefaultListLimit; fits != (l.Next == "") {
		t.Errorf("next: got %q with %d seed articles, want a cursor only when some are left", l.Next, seedCount)
	}
	if all := ts.list(t, "?limit=50"); all.Next != "" || len(all.Articles) != seedCount {
		t.Errorf("limit=50: got %d articles and next %q, want all %d and no cursor", len(all.Articles), all.Next, seedCount)
	}
	if !slices.IsSortedFunc(l.Articles, func(a, b news.Article) int {
		if news.Before(a, b) {
			return -1
		}
		return 1
	}) {
		t.Errorf("articles are not newest first: %v", ids(l.Articles))
	}
	if got, want := l.Articles[0].ID, seedNewest(); got != want {
		t.Errorf("newest: got %q, want %q", got, want)
	}

	// An empty result is still an array.
	l2 := ts.get(t, "/api/articles?category=Nothing", nil)
	wantStatus(t, l2, http.StatusOK)
	if got, want := string(l2.Body), `{"articles":[],"next":""}`+"\n"; got != want {
		t.Errorf("empty listing: got %q, want %q", got, want)
	}
}

func TestListArticlesLimit(t *testing.T) {
	ts := newTestServer(t)
	ts.publishMany(t, 50, "Sport") // 57 articles in all
	for _, tc := range []struct {
		name  string
		query string
		want  int // articles; 0: a 400 on the limit field
	}{
		{"default", "", news.DefaultListLimit},
		{"one", "?limit=1", 1},
		{"ten", "?limit=10", 10},
		{"max", "?limit=50", 50},
		{"spaces around", "?limit=%205", 5},
		{"trailing space", "?limit=7%20", 7},
		{"zero", "?limit=0", 0},
		{"above max", "?limit=51", 0},
		{"huge", "?limit=99999999999999999999", 0},
		{"negative", "?limit=-1", 0},
		{"letters", "?limit=abc", 0},
		{"empty", "?limit=", 0},
		{"decimal", "?limit=1.5", 0},
		{"exponent", "?limit=1e1", 0},
		{"suffix", "?limit=5x", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/api/articles"+tc.query, nil)
			if tc.want == 0 {
				wantError(t, r, http.StatusBadRequest, news.EInvalid, "limit")
				return
			}
			wantStatus(t, r, http.StatusOK)
			l := decode[listing](t, r.Body)
			if got := len(l.Articles); got != tc.want {
				t.Errorf("articles: got %d, want %d", got, tc.want)
			}
			if l.Next == "" {
				t.Errorf("next: got empty, want a cursor (57 articles, limit %d)", tc.want)
			}
		})
	}
}

func TestListArticlesFilters(t *testing.T) {
	ts := newTestServer(t)
	sport := ts.publishMany(t, 6, "Sport")
	sportFlash := 0
	for _, a := range sport {
		if a.Flash {
			sportFlash++
		}
	}
	isFlash := func(a news.Article) bool { return a.Flash }
	notFlash := func(a news.Article) bool { return !a.Flash }
	world := seedWhere(func(a news.Article) bool { return a.Category == "World" })
	flash := seedWhere(isFlash)
	worldNews := seedWhere(func(a news.Article) bool { return a.Category == "World" && !a.Flash })
	for _, tc := range []struct {
		name     string
		query    string // limit=50 is added
		want     int
		check    func(news.Article) bool
		badField string
	}{
		{"category", "category=World", world, func(a news.Article) bool { return a.Category == "World" }, ""},
		{"category any case", "category=wORLD", world, func(a news.Article) bool { return a.Category == "World" }, ""},
		{"category trimmed", "category=%20Sport%20", 6, func(a news.Article) bool { return a.Category == "Sport" }, ""},
		{"category none", "category=Weather", 0, nil, ""},
		{"category empty means all", "category=", seedCount + 6, nil, ""},
		{"category too long", "category=" + strings.Repeat("x", news.MaxCategoryLen+1), 0, nil, "category"},
		{"flash true", "flash=true", flash + sportFlash, isFlash, ""},
		{"flash false", "flash=false", seedCount - flash + 6 - sportFlash, notFlash, ""},
		{"flash 1", "flash=1", flash + sportFlash, isFlash, ""},
		{"flash 0", "flash=0", seedCount - flash + 6 - sportFlash, notFlash, ""},
		{"flash empty means both", "flash=", seedCount + 6, nil, ""},
		{"flash and category", "flash=false&category=world", worldNews, func(a news.Article) bool { return !a.Flash && a.Category == "World" }, ""},
		{"flash bad", "flash=yes", 0, nil, "flash"},
		{"flash on", "flash=on", 0, nil, "flash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/api/articles?limit=50&"+tc.query, nil)
			if tc.badField != "" {
				wantError(t, r, http.StatusBadRequest, news.EInvalid, tc.badField)
				return
			}
			wantStatus(t, r, http.StatusOK)
			l := decode[listing](t, r.Body)
			if got := len(l.Articles); got != tc.want {
				t.Errorf("articles: got %d (%v), want %d", got, ids(l.Articles), tc.want)
			}
			for _, a := range l.Articles {
				if tc.check != nil && !tc.check(a) {
					t.Errorf("article %s (category %q, flash %v) does not match %s", a.ID, a.Category, a.Flash, tc.query)
				}
			}
		})
	}
}

func TestListArticlesPaging(t *testing.T) {
	ts := newTestServer(t)
	ts.publishMany(t, 23, "Sport")
	all := ts.list(t, "?limit=50")
	if got, want := len(all.Articles), seedCount+23; got != want {
		t.Fatalf("all: got %d articles, want %d", got, want)
	}
	for _, tc := range []struct {
		name, query string
		limit       int
	}{
		{"limit 1", "", 1},
		{"limit 4", "", 4},
		{"limit 7", "", 7},
		{"default limit", "", 0},
		{"limit 50", "", 50},
		{"flash only", "&flash=true", 3},
		{"category", "&category=sport", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := ts.list(t, "?limit=50"+tc.query).Articles
			limit := ""
			if tc.limit > 0 {
				limit = "&limit=" + strconv.Itoa(tc.limit)
			}
			var got []string
			before := ""
			for page := 0; ; page++ {
				if page > 100 {
					t.Fatal("paging does not end")
				}
				l := ts.list(t, "?before="+before+limit+tc.query)
				size := tc.limit
				if size == 0 {
					size = news.DefaultListLimit
				}
				if len(l.Articles) > size {
					t.Fatalf("page %d: got %d articles, want at most %d", page, len(l.Articles), size)
				}
				got = append(got, ids(l.Articles)...)
				if l.Next == "" {
					break
				}
				if len(l.Articles) != size {
					t.Fatalf("page %d: got %d articles and a next cursor, want a full page of %d", page, len(l.Articles), size)
				}
				before = l.Next
			}
			if !slices.Equal(got, ids(want)) {
				t.Errorf("paged ids:\n got %v\nwant %v", got, ids(want))
			}
		})
	}
}

func TestListArticlesBadCursor(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ name, before string }{
		{"word", "abc"},
		{"no id", "1700000000000000000"},
		{"no time", ".flash-kfor-4500"},
		{"negative time", "-5.flash-kfor-4500"},
		{"bad id", "1700000000000000000.not%20an%20id"},
		{"slash in id", "1700000000000000000.a%2Fb"},
		{"float time", "1.5.x"},
		{"overflow", "99999999999999999999.x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.get(t, "/api/articles?before="+tc.before, nil), http.StatusBadRequest, news.EInvalid, "before")
		})
	}
}

func TestGetArticle(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/api/articles/"+seed.ArticleID, nil)
	wantStatus(t, r, http.StatusOK)
	a := decode[news.Article](t, r.Body)
	if got, want := a.ID, seed.ArticleID; got != want {
		t.Errorf("id: got %q, want %q", got, want)
	}
	if got, want := a.Source, "REL"; got != want {
		t.Errorf("source: got %q, want %q", got, want)
	}
	if len(a.Body) < 5 {
		t.Errorf("body: got %d paragraphs, want the seed's", len(a.Body))
	}
	if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=") {
		t.Errorf("Cache-Control: got %q, want a max-age", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
	}

	// An article without paragraphs still has a body array.
	ts.publish(t, obj{"id": "bare", "title": "Bare"})
	if got := string(ts.get(t, "/api/articles/bare", nil).Body); !strings.Contains(got, `"body":[]`) {
		t.Errorf("bare article: got %s, want \"body\":[]", got)
	}

	for _, tc := range []struct{ name, path string }{
		{"unknown", "/api/articles/no-such-article"},
		{"dot", "/api/articles/bad.id"},
		{"space", "/api/articles/a%20b"},
		{"unicode", "/api/articles/%C3%A9t%C3%A9"},
		{"too long", "/api/articles/" + strings.Repeat("a", news.MaxIDLen+1)},
		{"quote", "/api/articles/a%22b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.get(t, tc.path, nil), http.StatusNotFound, news.ENotFound, "")
		})
	}
}

func TestConditionalGet(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/api/articles", "/api/articles?limit=3&flash=true", "/api/articles/" + seed.ArticleID} {
		first := ts.get(t, path, nil)
		wantStatus(t, first, http.StatusOK)
		etag := first.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		for _, tc := range []struct {
			name, inm string
			want      int
		}{
			{"same", etag, http.StatusNotModified},
			{"weak form", "W/" + etag, http.StatusNotModified},
			{"in a list", `"other", ` + etag, http.StatusNotModified},
			{"star", "*", http.StatusNotModified},
			{"other", `"other"`, http.StatusOK},
			{"unquoted", strings.Trim(etag, `"`), http.StatusOK},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				r := ts.get(t, path, hdr{"If-None-Match": tc.inm})
				wantStatus(t, r, tc.want)
				if got := r.Header.Get("ETag"); got != etag {
					t.Errorf("ETag: got %q, want %q", got, etag)
				}
				if tc.want == http.StatusNotModified {
					if len(r.Body) != 0 {
						t.Errorf("304 body: got %q, want none", r.Body)
					}
					if r.Header.Get("Cache-Control") == "" {
						t.Error("304 has no Cache-Control")
					}
				} else if !bytes.Equal(r.Body, first.Body) {
					t.Errorf("body changed between two GETs")
				}
			})
		}
	}

	// A change gives the listing a new ETag: the old one no longer matches.
	old := ts.get(t, "/api/articles", nil).Header.Get("ETag")
	ts.publish(t, obj{"title": "Fresh"})
	r := ts.get(t, "/api/articles", hdr{"If-None-Match": old})
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("ETag") == old {
		t.Errorf("ETag unchanged after a publish: %s", old)
	}
}

func TestHeadArticles(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do(t, http.MethodHead, "/api/articles", nil, nil)
	wantStatus(t, r, http.StatusOK)
	if len(r.Body) != 0 {
		t.Errorf("HEAD body: got %d bytes, want none", len(r.Body))
	}
	if r.Header.Get("ETag") == "" {
		t.Error("HEAD has no ETag")
	}
}

func TestCORS(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"list", http.MethodGet, "/api/articles", http.StatusOK},
		{"article", http.MethodGet, "/api/articles/" + seed.ArticleID, http.StatusOK},
		{"not found", http.MethodGet, "/api/articles/nope", http.StatusNotFound},
		{"bad query", http.MethodGet, "/api/articles?limit=0", http.StatusBadRequest},
		{"unauthorised", http.MethodPost, "/api/articles", http.StatusUnauthorized},
		{"wrong method", http.MethodPatch, "/api/articles", http.StatusMethodNotAllowed},
		{"unknown", http.MethodGet, "/api/nope", http.StatusNotFound},
		{"preflight list", http.MethodOptions, "/api/articles", http.StatusNoContent},
		{"preflight article", http.MethodOptions, "/api/articles/x", http.StatusNoContent},
		{"preflight events", http.MethodOptions, "/api/events", http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, nil, hdr{
				"Origin":                         "https://pub.example",
				"Access-Control-Request-Method":  "POST",
				"Access-Control-Request-Headers": "authorization, content-type",
			})
			wantStatus(t, r, tc.status)
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
			}
			if tc.method != http.MethodOptions {
				return
			}
			if len(r.Body) != 0 {
				t.Errorf("preflight body: got %q, want none", r.Body)
			}
			methods := r.Header.Get("Access-Control-Allow-Methods")
			for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
				if !strings.Contains(methods, m) {
					t.Errorf("Access-Control-Allow-Methods: got %q, want %s in it", methods, m)
				}
			}
			headers := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
			for _, h := range []string{"authorization", "content-type", "last-event-id"} {
				if !strings.Contains(headers, h) {
					t.Errorf("Access-Control-Allow-Headers: got %q, want %s in it", headers, h)
				}
			}
			if r.Header.Get("Access-Control-Max-Age") == "" {
				t.Error("no Access-Control-Max-Age")
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPatch, "/api/articles", "GET, POST, OPTIONS"},
		{http.MethodPut, "/api/articles", "GET, POST, OPTIONS"},
		{http.MethodDelete, "/api/articles", "GET, POST, OPTIONS"},
		{http.MethodPost, "/api/articles/" + seed.ArticleID, "GET, PUT, DELETE, OPTIONS"},
		{http.MethodPatch, "/api/articles/" + seed.ArticleID, "GET, PUT, DELETE, OPTIONS"},
		{http.MethodPost, "/api/events", "GET, HEAD, OPTIONS"},
		{http.MethodDelete, "/api/events", "GET, HEAD, OPTIONS"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			before := ts.state(t)
			r := ts.do(t, tc.method, tc.path, []byte(`{"title":"x"}`), auth)
			wantError(t, r, http.StatusMethodNotAllowed, server.EMethod, "")
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow: got %q, want %q", got, tc.allow)
			}
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
}

func TestNotFoundRoutes(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/api/x", "/api/", "/api", "/api/articles/", "/api/articles/a/b", "/api/events/1", "/nope", "/web/nope.css", "/web/widget.0000000000.css"} {
		t.Run(path, func(t *testing.T) {
			wantError(t, ts.get(t, path, nil), http.StatusNotFound, news.ENotFound, "")
		})
	}
}

func TestPublishingDisabled(t *testing.T) {
	ts := newTestServer(t, withoutToken)
	article := []byte(`{"title":"Hello"}`)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		h                  hdr
	}{
		{"create", http.MethodPost, "/api/articles", article, auth},
		{"create without a token", http.MethodPost, "/api/articles", article, nil},
		{"create invalid", http.MethodPost, "/api/articles", []byte(`{`), auth},
		{"update", http.MethodPut, "/api/articles/" + seed.ArticleID, article, auth},
		{"delete", http.MethodDelete, "/api/articles/" + seed.ArticleID, nil, auth},
		{"delete missing", http.MethodDelete, "/api/articles/nope", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t)
			e := wantError(t, ts.do(t, tc.method, tc.path, tc.body, tc.h), http.StatusForbidden, news.EForbidden, "")
			if !strings.Contains(e.Message, "-admin-token") {
				t.Errorf("message: got %q, want it to name -admin-token", e.Message)
			}
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
}

func TestPublishingAuth(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name, auth string
		ok         bool
	}{
		{"none", "", false},
		{"wrong token", "Bearer wrong", false},
		{"longer token", "Bearer tokk", false},
		{"prefix of token", "Bearer to", false},
		{"empty token", "Bearer ", false},
		{"no scheme", testToken, false},
		{"basic", "Basic dG9rOg==", false},
		{"right", "Bearer " + testToken, true},
		{"scheme in lower case", "bearer " + testToken, true},
		{"extra spaces", "Bearer  " + testToken + " ", true},
	} {
		for _, m := range []struct{ method, path string }{
			{http.MethodPost, "/api/articles"},
			{http.MethodPut, "/api/articles/" + seed.ArticleID},
			{http.MethodDelete, "/api/articles/" + seed.ArticleID},
		} {
			t.Run(tc.name+"/"+m.method, func(t *testing.T) {
				before := ts.state(t)
				h := hdr{"Content-Type": "application/json"}
				if tc.auth != "" {
					h["Authorization"] = tc.auth
				}
				// A body that fails validation, or a delete of a missing article:
				// a 400 or 404 proves the token passed without changing anything.
				path := m.path
				if m.method == http.MethodDelete {
					path = "/api/articles/nope"
				}
				r := ts.do(t, m.method, path, []byte(`{"title":""}`), h)
				if tc.ok {
					if m.method == http.MethodDelete {
						wantError(t, r, http.StatusNotFound, news.ENotFound, "")
					} else {
						wantError(t, r, http.StatusBadRequest, news.EInvalid, "title")
					}
					return
				}
				wantError(t, r, http.StatusUnauthorized, news.EUnauthorized, "")
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", got)
				}
				if got := ts.state(t); got != before {
					t.Errorf("the store changed")
				}
			})
		}
	}
}

func TestCreateArticle(t *testing.T) {
	ts := newTestServer(t)
	in := obj{
		"id":           "  budget-vote ",
		"title":        "  Parliament passes the budget  ",
		"summary":      "The vote was close.",
		"body":         []string{" First paragraph. ", "", "   ", "Second paragraph."},
		"url":          "https://news.example/budget",
		"source":       "REL",
		"category":     "Politics",
		"image":        "http://img.example/b.jpg",
		"flash":        true,
		"published_at": "2024-05-01T10:00:00+02:00",
		"updated_at":   "2024-05-01T11:00:00Z",
	}
	r := ts.do(t, http.MethodPost, "/api/articles", mustJSON(t, in), auth)
	wantStatus(t, r, http.StatusCreated)
	if got, want := r.Header.Get("Location"), "/api/articles/budget-vote"; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	got := decode[news.Article](t, r.Body)
	want := news.Article{
		ID: "budget-vote", Title: "Parliament passes the budget", Summary: "The vote was close.",
		Body: []string{"First paragraph.", "Second paragraph."}, URL: "https://news.example/budget",
		Source: "REL", Category: "Politics", Image: "http://img.example/b.jpg", Flash: true,
		PublishedAt: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC),
	}
	if !articleEqual(got, want) {
		t.Errorf("created:\n got %+v\nwant %+v", got, want)
	}
	if stored := decode[news.Article](t, ts.get(t, "/api/articles/budget-vote", nil).Body); !articleEqual(stored, want) {
		t.Errorf("stored:\n got %+v\nwant %+v", stored, want)
	}

	t.Run("generated id", func(t *testing.T) {
		start := time.Now().Add(-time.Second)
		r := ts.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"No id"}`), auth)
		wantStatus(t, r, http.StatusCreated)
		a := decode[news.Article](t, r.Body)
		if !news.ValidID(a.ID) {
			t.Fatalf("generated id %q is not valid", a.ID)
		}
		if got, want := r.Header.Get("Location"), "/api/articles/"+a.ID; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if a.PublishedAt.Before(start.Truncate(time.Second)) || a.PublishedAt.After(time.Now()) {
			t.Errorf("published_at: got %v, want about now", a.PublishedAt)
		}
		if a.Body == nil {
			t.Error("body: got null, want []")
		}
		wantStatus(t, ts.get(t, "/api/articles/"+a.ID, nil), http.StatusOK)
		other := decode[news.Article](t, ts.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"No id"}`), auth).Body)
		if other.ID == a.ID {
			t.Errorf("two generated ids are equal: %q", a.ID)
		}
	})

	t.Run("no content type", func(t *testing.T) {
		wantStatus(t, ts.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"Untyped"}`), hdr{"Authorization": "Bearer " + testToken}), http.StatusCreated)
	})

	t.Run("duplicate id", func(t *testing.T) {
		before := ts.state(t)
		r := ts.do(t, http.MethodPost, "/api/articles", []byte(`{"id":"budget-vote","title":"Another"}`), auth)
		wantError(t, r, http.StatusConflict, news.EConflict, "")
		r = ts.do(t, http.MethodPost, "/api/articles", []byte(`{"id":"`+seed.ArticleID+`","title":"Another"}`), auth)
		wantError(t, r, http.StatusConflict, news.EConflict, "")
		if got := ts.state(t); got != before {
			t.Errorf("the store changed")
		}
	})
}

// articleEqual compares articles with their times as instants.
func articleEqual(a, b news.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary && slices.Equal(a.Body, b.Body) &&
		a.URL == b.URL && a.Source == b.Source && a.Category == b.Category && a.Image == b.Image &&
		a.Flash == b.Flash && a.PublishedAt.Equal(b.PublishedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// invalidBodies are article bodies every publishing request must refuse
// with a 400, naming the field where there is one.
var invalidBodies = []struct {
	name, body, field string
}{
	{"title missing", `{"summary":"s"}`, "title"},
	{"title empty", `{"title":""}`, "title"},
	{"title blank", `{"title":"   \t "}`, "title"},
	{"title too long", `{"title":"` + strings.Repeat("t", news.MaxTitleLen+1) + `"}`, "title"},
	{"title too long in runes", `{"title":"` + strings.Repeat("é", news.MaxTitleLen+1) + `"}`, "title"},
	{"title with NUL", `{"title":"a\u0000b"}`, "title"},
	{"summary too long", `{"title":"t","summary":"` + strings.Repeat("s", news.MaxSummaryLen+1) + `"}`, "summary"},
	{"too many paragraphs", `{"title":"t","body":[` + strings.TrimSuffix(strings.Repeat(`"p",`, news.MaxParagraphs+1), ",") + `]}`, "body"},
	{"paragraph too long", `{"title":"t","body":["ok","` + strings.Repeat("p", news.MaxParagraphLen+1) + `"]}`, "body"},
	{"source too long", `{"title":"t","source":"` + strings.Repeat("s", news.MaxSourceLen+1) + `"}`, "source"},
	{"category too long", `{"title":"t","category":"` + strings.Repeat("c", news.MaxCategoryLen+1) + `"}`, "category"},
	{"url javascript", `{"title":"t","url":"javascript:alert(1)"}`, "url"},
	{"url data", `{"title":"t","url":"data:text/html,<b>x</b>"}`, "url"},
	{"url relative", `{"title":"t","url":"/articles/x"}`, "url"},
	{"url scheme relative", `{"title":"t","url":"//news.example/x"}`, "url"},
	{"url ftp", `{"title":"t","url":"ftp://news.example/x"}`, "url"},
	{"url no host", `{"title":"t","url":"https://"}`, "url"},
	{"url with credentials", `{"title":"t","url":"https://u:p@news.example/"}`, "url"},
	{"url with space", `{"title":"t","url":"https://news.example/a b"}`, "url"},
	{"url too long", `{"title":"t","url":"https://news.example/` + strings.Repeat("a", news.MaxURLLen) + `"}`, "url"},
	{"image javascript", `{"title":"t","image":"javascript:alert(1)"}`, "image"},
	{"image data", `{"title":"t","image":"data:image/png;base64,AAAA"}`, "image"},
	{"image relative", `{"title":"t","image":"img/a.png"}`, "image"},
	{"image ftp", `{"title":"t","image":"ftp://img.example/a.png"}`, "image"},
	{"published_at date only", `{"title":"t","published_at":"2023-11-27"}`, "published_at"},
	{"published_at no zone", `{"title":"t","published_at":"2023-11-27T10:00:00"}`, "published_at"},
	{"published_at words", `{"title":"t","published_at":"yesterday"}`, "published_at"},
	{"published_at number", `{"title":"t","published_at":1700000000}`, "published_at"},
	{"updated_at bad", `{"title":"t","updated_at":"27/11/2023 10:00"}`, "updated_at"},
	{"urgent string", `{"title":"t","urgent":"yes"}`, "urgent"},
	{"pinned number", `{"title":"t","pinned":1}`, "pinned"},
	{"expires_at words", `{"title":"t","expires_at":"tomorrow"}`, "expires_at"},
	{"expires_at number", `{"title":"t","expires_at":1700000000}`, "expires_at"},
	{"expires_at before published_at", `{"title":"t","published_at":"2024-05-01T10:00:00Z","expires_at":"2024-05-01T09:59:59Z"}`, "expires_at"},
	{"expires_at at published_at", `{"title":"t","published_at":"2024-05-01T10:00:00Z","expires_at":"2024-05-01T10:00:00Z"}`, "expires_at"},
	{"expires_at out of range", `{"title":"t","expires_at":"2400-01-01T00:00:00Z"}`, "expires_at"},
	{"correction too long", `{"title":"t","correction":"` + strings.Repeat("c", news.MaxCorrectionLen+1) + `"}`, "correction"},
	{"correction number", `{"title":"t","correction":5}`, "correction"},
	{"correction with NUL", `{"title":"t","correction":"a\u0000b"}`, "correction"},
	{"unknown field", `{"title":"t","author":"me"}`, "author"},
	{"unknown field in case", `{"title":"t","Tags":["a"]}`, "Tags"},
	{"title wrong type", `{"title":5}`, "title"},
	{"body string", `{"title":"t","body":"one paragraph"}`, "body"},
	{"flash string", `{"title":"t","flash":"yes"}`, "flash"},
	{"id number", `{"id":7,"title":"t"}`, "id"},
	{"bad id", `{"id":"has space","title":"t"}`, "id"},
	{"id with slash", `{"id":"a/b","title":"t"}`, "id"},
	{"id too long", `{"id":"` + strings.Repeat("i", news.MaxIDLen+1) + `","title":"t"}`, "id"},
	{"array", `[{"title":"t"}]`, ""},
	{"string", `"title"`, ""},
	{"malformed", `{"title":"t"`, ""},
	{"malformed value", `{"title":}`, ""},
	{"not JSON", `title=t`, ""},
	{"trailing data", `{"title":"t"} {"title":"u"}`, ""},
	{"trailing garbage", `{"title":"t"}x`, ""},
	{"empty body", ``, ""},
	{"blank body", " \n ", ""},
}

func TestCreateArticleValidation(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range invalidBodies {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t)
			r := ts.do(t, http.MethodPost, "/api/articles", []byte(tc.body), auth)
			wantError(t, r, http.StatusBadRequest, news.EInvalid, tc.field)
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"title at the limit", `{"title":"` + strings.Repeat("é", news.MaxTitleLen) + `"}`},
		{"summary at the limit", `{"title":"t","summary":"` + strings.Repeat("s", news.MaxSummaryLen) + `"}`},
		{"paragraphs at the limit", `{"title":"t","body":[` + strings.TrimSuffix(strings.Repeat(`"p",`, news.MaxParagraphs), ",") + `]}`},
		{"null fields", `{"title":"t","body":null,"url":null,"published_at":null}`},
		{"http url", `{"title":"t","url":"http://news.example/x?a=1#b"}`},
	} {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			wantStatus(t, ts.do(t, http.MethodPost, "/api/articles", []byte(tc.body), auth), http.StatusCreated)
		})
	}
}

func TestCreateArticleRequest(t *testing.T) {
	ts := newTestServer(t)
	big := `{"title":"t","body":["` + strings.Repeat("a", server.MaxArticleBytes) + `"]}`
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"text/plain", "text/plain", `{"title":"t"}`, http.StatusBadRequest, news.EInvalid},
		{"form", "application/x-www-form-urlencoded", `title=t`, http.StatusBadRequest, news.EInvalid},
		{"look-alike type", "application/jsonp", `{"title":"t"}`, http.StatusBadRequest, news.EInvalid},
		{"multipart", "multipart/form-data; boundary=x", `{"title":"t"}`, http.StatusBadRequest, news.EInvalid},
		{"too large", "application/json", big, http.StatusRequestEntityTooLarge, server.ETooLarge},
		{"too large wrong type", "text/plain", big, http.StatusBadRequest, news.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t)
			r := ts.do(t, http.MethodPost, "/api/articles", []byte(tc.body), hdr{"Authorization": "Bearer " + testToken, "Content-Type": tc.ctype})
			wantError(t, r, tc.status, tc.code, "")
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
	for _, ctype := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		t.Run("accepts "+ctype, func(t *testing.T) {
			r := ts.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"t"}`), hdr{"Authorization": "Bearer " + testToken, "Content-Type": ctype})
			wantStatus(t, r, http.StatusCreated)
		})
	}
	t.Run("too large on PUT", func(t *testing.T) {
		before := ts.state(t)
		r := ts.do(t, http.MethodPut, "/api/articles/"+seed.ArticleID, []byte(big), auth)
		wantError(t, r, http.StatusRequestEntityTooLarge, server.ETooLarge, "")
		if got := ts.state(t); got != before {
			t.Errorf("the store changed")
		}
	})
}

func TestUpdateArticle(t *testing.T) {
	ts := newTestServer(t)
	orig := decode[news.Article](t, ts.get(t, "/api/articles/"+seed.ArticleID, nil).Body)

	t.Run("replaces and keeps published_at", func(t *testing.T) {
		start := time.Now().Add(-time.Second).Truncate(time.Second)
		r := ts.do(t, http.MethodPut, "/api/articles/"+seed.ArticleID, []byte(`{"title":"Replaced","body":["Only this."]}`), auth)
		wantStatus(t, r, http.StatusOK)
		got := decode[news.Article](t, r.Body)
		stored := decode[news.Article](t, ts.get(t, "/api/articles/"+seed.ArticleID, nil).Body)
		for name, a := range map[string]news.Article{"response": got, "stored": stored} {
			if a.ID != seed.ArticleID || a.Title != "Replaced" || !slices.Equal(a.Body, []string{"Only this."}) {
				t.Errorf("%s: got %+v, want the replacement", name, a)
			}
			if a.Source != "" || a.Category != "" || a.Summary != "" || a.Flash {
				t.Errorf("%s: got %+v, want the fields left out to be empty (a replacement)", name, a)
			}
			if !a.PublishedAt.Equal(orig.PublishedAt) {
				t.Errorf("%s published_at: got %v, want the original %v", name, a.PublishedAt, orig.PublishedAt)
			}
			if a.UpdatedAt.Before(start) {
				t.Errorf("%s updated_at: got %v, want about now", name, a.UpdatedAt)
			}
		}
	})

	t.Run("takes given dates and a matching id", func(t *testing.T) {
		body := `{"id":"` + seed.ArticleID + `","title":"Dated","published_at":"2020-01-02T03:04:05Z","updated_at":"2020-01-03T00:00:00Z"}`
		r := ts.do(t, http.MethodPut, "/api/articles/"+seed.ArticleID, []byte(body), auth)
		wantStatus(t, r, http.StatusOK)
		a := decode[news.Article](t, r.Body)
		if want := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC); !a.PublishedAt.Equal(want) {
			t.Errorf("published_at: got %v, want %v", a.PublishedAt, want)
		}
		if want := time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC); !a.UpdatedAt.Equal(want) {
			t.Errorf("updated_at: got %v, want %v", a.UpdatedAt, want)
		}
	})

	for _, tc := range []struct {
		name, path, body string
		status           int
		code, field      string
	}{
		{"id mismatch", "/api/articles/" + seed.ArticleID, `{"id":"other","title":"t"}`, http.StatusBadRequest, news.EInvalid, "id"},
		{"missing", "/api/articles/no-such-article", `{"title":"t"}`, http.StatusNotFound, news.ENotFound, ""},
		{"bad id in path", "/api/articles/bad.id", `{"title":"t"}`, http.StatusNotFound, news.ENotFound, ""},
		{"title missing", "/api/articles/" + seed.ArticleID, `{"summary":"s"}`, http.StatusBadRequest, news.EInvalid, "title"},
		{"bad url", "/api/articles/" + seed.ArticleID, `{"title":"t","url":"javascript:void(0)"}`, http.StatusBadRequest, news.EInvalid, "url"},
		{"bad date", "/api/articles/" + seed.ArticleID, `{"title":"t","published_at":"soon"}`, http.StatusBadRequest, news.EInvalid, "published_at"},
		{"unknown field", "/api/articles/" + seed.ArticleID, `{"title":"t","tags":[]}`, http.StatusBadRequest, news.EInvalid, "tags"},
		{"malformed", "/api/articles/" + seed.ArticleID, `{"title"`, http.StatusBadRequest, news.EInvalid, ""},
		{"empty", "/api/articles/" + seed.ArticleID, ``, http.StatusBadRequest, news.EInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t)
			wantError(t, ts.do(t, http.MethodPut, tc.path, []byte(tc.body), auth), tc.status, tc.code, tc.field)
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
	for _, tc := range invalidBodies {
		t.Run("invalid "+tc.name, func(t *testing.T) {
			before := ts.state(t)
			wantError(t, ts.do(t, http.MethodPut, "/api/articles/"+seed.ArticleID, []byte(tc.body), auth), http.StatusBadRequest, news.EInvalid, tc.field)
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
}

func TestDeleteArticle(t *testing.T) {
	ts := newTestServer(t)
	path := "/api/articles/flash-kfor-4500"
	r := ts.do(t, http.MethodDelete, path, nil, auth)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 body: got %q, want none", r.Body)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
	}
	wantError(t, ts.get(t, path, nil), http.StatusNotFound, news.ENotFound, "")
	if l := ts.list(t, "?limit=50"); slices.Contains(ids(l.Articles), "flash-kfor-4500") || len(l.Articles) != seedCount-1 {
		t.Errorf("listing after delete: got %v", ids(l.Articles))
	}
	for _, tc := range []struct{ name, path string }{
		{"again", path},
		{"never existed", "/api/articles/nope"},
		{"bad id", "/api/articles/bad.id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.state(t)
			wantError(t, ts.do(t, http.MethodDelete, tc.path, nil, auth), http.StatusNotFound, news.ENotFound, "")
			if got := ts.state(t); got != before {
				t.Errorf("the store changed")
			}
		})
	}
}

// TestPublishedAtOnce checks that the cached listing, article and page
// responses never outlive a write: the next read sees it.
func TestPublishedAtOnce(t *testing.T) {
	ts := newTestServer(t)
	for i := range 15 {
		id := "now-" + strconv.Itoa(i)
		ts.get(t, "/api/articles", nil) // cache the listing
		ts.get(t, "/api/articles/"+id, nil)
		ts.publish(t, obj{"id": id, "title": "Just in " + strconv.Itoa(i), "published_at": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)})
		if got := ts.list(t, "").Articles; len(got) == 0 || got[0].ID != id {
			t.Fatalf("round %d: listing right after a publish starts with %v, want %s", i, ids(got), id)
		}
		wantStatus(t, ts.get(t, "/api/articles/"+id, nil), http.StatusOK)

		wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/"+id, []byte(`{"title":"Updated `+strconv.Itoa(i)+`"}`), auth), http.StatusOK)
		if got := decode[news.Article](t, ts.get(t, "/api/articles/"+id, nil).Body).Title; got != "Updated "+strconv.Itoa(i) {
			t.Fatalf("round %d: article right after an update: got title %q", i, got)
		}
		if got := ts.list(t, "").Articles[0].Title; got != "Updated "+strconv.Itoa(i) {
			t.Fatalf("round %d: listing right after an update: got title %q", i, got)
		}

		wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/"+id, nil, auth), http.StatusNoContent)
		wantStatus(t, ts.get(t, "/api/articles/"+id, nil), http.StatusNotFound)
		if got := ids(ts.list(t, "").Articles); slices.Contains(got, id) {
			t.Fatalf("round %d: listing right after a delete still has %s", i, id)
		}
	}
}
