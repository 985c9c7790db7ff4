package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/web"
)

// TestNewsroomPage: GET /newsroom is the console's sign-in shell, rendered
// by go-app with the console's own wasm, under a CSP no other site can
// frame, loading every asset by a content-hashed, immutable name; the
// widget's pages are as they were.
func TestNewsroomPage(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/newsroom", nil)
	wantStatus(t, r, http.StatusOK)
	for _, tc := range []struct{ header, want string }{
		{"Content-Type", "text/html; charset=utf-8"},
		{"X-Frame-Options", "DENY"},
		{"X-Content-Type-Options", "nosniff"},
		{"Cache-Control", "no-cache"},
	} {
		if got := r.Header.Get(tc.header); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.header, got, tc.want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	page := string(r.Body)
	for _, want := range []string{`<label for="nr-name">Name</label>`, `<label for="nr-password">Password</label>`, `>Sign in</button>`, `<h1>Newsroom</h1>`, `<html lang="en">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, unwanted := range []string{`src="/app.js"`, `wasm_exec.js`, `rel="manifest"`, `app-wasm-loader`, `nw-ticker`} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the page has %s", unwanted)
		}
	}

	// Its script, styles and wasm: hashed names, immutable, each served.
	// go-app writes an element's attributes in map order: either order is the same tag
	boot := regexp.MustCompile(`<script (?:defer src="(/web/newsroom\.[0-9a-f]{10}\.js)"|src="(/web/newsroom\.[0-9a-f]{10}\.js)" defer)></script>`).FindStringSubmatch(page)
	if boot == nil {
		t.Fatalf("the page loads no deferred hashed newsroom script:\n%s", page)
	}
	boot[1] += boot[2]
	js := ts.get(t, boot[1], nil)
	wantStatus(t, js, http.StatusOK)
	if got := js.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("%s: Cache-Control %q, want immutable", boot[1], got)
	}
	if strings.Contains(string(js.Body), "serviceWorker") {
		t.Errorf("the newsroom's script registers a service worker")
	}
	for _, css := range regexp.MustCompile(`href="(/web/(?:newsroom|widget)\.[0-9a-f]{10}\.css)"`).FindAllStringSubmatch(page, -1) {
		wantStatus(t, ts.get(t, css[1], nil), http.StatusOK)
	}
	if _, err := web.FS.Open("dist/newsroom.wasm"); err == nil {
		wasm := regexp.MustCompile(`/web/newsroom\.[0-9a-f]{10}\.wasm`).FindString(string(js.Body))
		if wasm == "" {
			t.Fatalf("the newsroom's script names no hashed wasm")
		}
		w := ts.get(t, wasm, hdr{"Accept-Encoding": "br"})
		wantStatus(t, w, http.StatusOK)
		if w.Header.Get("Content-Type") != "application/wasm" || w.Header.Get("Content-Encoding") != "br" {
			t.Errorf("%s: %s, %s encoded; want application/wasm, br", wasm, w.Header.Get("Content-Type"), w.Header.Get("Content-Encoding"))
		}
		app := regexp.MustCompile(`/web/app\.[0-9a-f]{10}\.wasm`).FindString(string(ts.get(t, "/embed", nil).Body) + string(ts.get(t, "/app.js", nil).Body))
		if app == "" || app == wasm {
			t.Errorf("the widget's wasm %q must be another than the newsroom's %q", app, wasm)
		}
	}

	// The widget's routes are undisturbed by the console's.
	embed := ts.get(t, "/embed?layout=ticker", nil)
	wantStatus(t, embed, http.StatusOK)
	if !strings.Contains(string(embed.Body), "nw-ticker") || strings.Contains(string(embed.Body), "nr-signin") {
		t.Errorf("/embed is not the widget")
	}
}

// TestNewsroomListing: GET /api/newsroom is the console's view for any
// signed-in editor or token -- who they are, the articles with the expired
// ones, who last wrote each -- and nobody else's.
func TestNewsroomListing(t *testing.T) {
	n := newNewsroom(t)
	created := n.do(t, http.MethodPost, "/api/articles", mustJSON(t, obj{"id": "by-ed", "title": "Filed by ed", "expires_at": "2020-01-02T00:00:00Z", "published_at": "2020-01-01T00:00:00Z"}), n.as("ed", "cookie"))
	wantStatus(t, created, http.StatusCreated)
	type listing struct {
		User     struct{ Name, Role string }
		Articles []news.Article
		Editors  map[string]string
	}
	for _, tc := range []struct {
		who, how string
		status   int
		name     string
	}{
		{"ed", "cookie", http.StatusOK, "ed"},
		{"adm", "token", http.StatusOK, "adm"},
		{"admin-token", "", http.StatusOK, news.AdminTokenUser},
		{"anonymous", "", http.StatusUnauthorized, ""},
		{"expired", "", http.StatusUnauthorized, ""},
		{"off", "token", http.StatusUnauthorized, ""},
	} {
		t.Run(tc.who+"/"+tc.how, func(t *testing.T) {
			r := n.get(t, "/api/newsroom", n.as(tc.who, tc.how))
			if tc.status != http.StatusOK {
				wantError(t, r, tc.status, news.EUnauthorized, "")
				return
			}
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			l := decode[listing](t, r.Body)
			if l.User.Name != tc.name {
				t.Errorf("user: got %q, want %q", l.User.Name, tc.name)
			}
			found := false
			for _, a := range l.Articles {
				found = found || a.ID == "by-ed"
			}
			if !found {
				t.Errorf("the expired article is not listed for its editors")
			}
			if got := l.Editors["by-ed"]; got != "ed" {
				t.Errorf("editor of by-ed: got %q, want ed", got)
			}
		})
	}
}

// TestNewsroomListingSpendsNoBudget: the console asks on every load whether
// anyone is signed in; asking with no credentials is no wrong guess.
func TestNewsroomListingSpendsNoBudget(t *testing.T) {
	n := newNewsroom(t)
	for i := 0; i < 30; i++ {
		wantStatus(t, n.get(t, "/api/newsroom", nil), http.StatusUnauthorized)
	}
	wantStatus(t, n.get(t, "/api/newsroom", n.as("ed", "cookie")), http.StatusOK)
}

// TestNewsroomListingPages: GET /api/newsroom pages like /api/articles,
// with the same "before" cursor: the newest 50 and the cursor of the rest,
// then the rest and no cursor; a bad cursor is refused by name, and no
// cursor lets an anonymous caller in.
func TestNewsroomListingPages(t *testing.T) {
	n := newNewsroom(t)
	type listing struct {
		Articles []news.Article
		Next     *string
	}
	seeded := decode[listing](t, n.get(t, "/api/newsroom", n.as("ed", "cookie")).Body)
	if len(seeded.Articles) > 40 {
		t.Fatalf("the seed has %d articles; the test wants at most 40", len(seeded.Articles))
	}
	total := len(seeded.Articles) + 60
	base := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	for i := range 60 {
		body := mustJSON(t, obj{"id": fmt.Sprintf("page-%02d", i), "title": fmt.Sprintf("Filed %d", i),
			"published_at": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)})
		wantStatus(t, n.do(t, http.MethodPost, "/api/articles", body, n.as("admin-token", "")), http.StatusCreated)
	}
	first := decode[listing](t, n.get(t, "/api/newsroom", n.as("ed", "cookie")).Body)
	if first.Next == nil || *first.Next == "" {
		t.Fatalf("the first page has no next cursor")
	}
	seen := map[string]bool{}
	for _, tc := range []struct {
		name, who, how, before string
		status                 int
		want                   int  // articles on the page
		more                   bool // a next cursor
		field                  string
	}{
		{"first page", "ed", "cookie", "", http.StatusOK, news.MaxListLimit, true, ""},
		{"second page", "ed", "cookie", url.QueryEscape(*first.Next), http.StatusOK, total - news.MaxListLimit, false, ""},
		{"by token", "adm", "token", url.QueryEscape(*first.Next), http.StatusOK, total - news.MaxListLimit, false, ""},
		{"bad cursor", "ed", "cookie", "not-a-cursor", http.StatusBadRequest, 0, false, "before"},
		{"bad id in cursor", "ed", "cookie", "123.%2F..", http.StatusBadRequest, 0, false, "before"},
		{"anonymous", "anonymous", "", url.QueryEscape(*first.Next), http.StatusUnauthorized, 0, false, ""},
		{"anonymous, bad cursor", "anonymous", "", "not-a-cursor", http.StatusUnauthorized, 0, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/newsroom"
			if tc.before != "" {
				path += "?before=" + tc.before
			}
			r := n.get(t, path, n.as(tc.who, tc.how))
			switch tc.status {
			case http.StatusBadRequest:
				wantError(t, r, tc.status, news.EInvalid, tc.field)
				return
			case http.StatusUnauthorized:
				wantError(t, r, tc.status, news.EUnauthorized, "")
				return
			}
			wantStatus(t, r, http.StatusOK)
			l := decode[listing](t, r.Body)
			if len(l.Articles) != tc.want {
				t.Errorf("got %d articles, want %d", len(l.Articles), tc.want)
			}
			if l.Next == nil {
				t.Fatalf("the answer has no \"next\": %.200s", r.Body)
			}
			if more := *l.Next != ""; more != tc.more {
				t.Errorf("next %q; want one: %v", *l.Next, tc.more)
			}
			if tc.how != "token" {
				for _, a := range l.Articles {
					if seen[a.ID] {
						t.Errorf("%s is on two pages", a.ID)
					}
					seen[a.ID] = true
				}
			}
		})
	}
	if len(seen) != total || !seen["page-00"] {
		t.Errorf("the two pages hold %d articles (page-00: %v), want all %d", len(seen), seen["page-00"], total)
	}
}
