package server_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	xhtml "golang.org/x/net/html"

	"newswidget/app/news"
	"newswidget/app/ui"
	"newswidget/server"
	"newswidget/server/seed"
)

// dataElement matches the opening tag of the embedded data, whose
// attributes go-app writes in any order.
var dataElement = regexp.MustCompile(`<script (?:type="application/json" id="nw-data"|id="nw-data" type="application/json")>`)

// embeddedData reads the <script type="application/json" id="nw-data">
// element of a prerendered page.
func embeddedData(t *testing.T, page []byte) ui.Embedded {
	t.Helper()
	loc := dataElement.FindIndex(page)
	if loc == nil {
		t.Fatalf("the page has no <script type=\"application/json\" id=\"nw-data\">")
	}
	text, _, ok := bytes.Cut(page[loc[1]:], []byte("</script>"))
	if !ok {
		t.Fatal("the data element is not closed")
	}
	e, err := ui.ParseEmbedded(string(text))
	if err != nil {
		t.Fatalf("the embedded data: %v: %.200s", err, text)
	}
	return e
}

// wantHeadlines checks that a page shows the titles.
func wantHeadlines(t *testing.T, page []byte, titles ...string) {
	t.Helper()
	for _, title := range titles {
		if !bytes.Contains(page, []byte(">"+html.EscapeString(title)+"<")) {
			t.Errorf("the page does not show %q", title)
		}
	}
}

// seedFlashTitles are the titles the ticker shows.
func seedFlashTitles() []string {
	var out []string
	for _, a := range seedArticles {
		if a.Flash && len(out) < news.MaxTickerItems {
			out = append(out, a.Title)
		}
	}
	return out
}

func TestEmbedPage(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/embed", nil)
	wantStatus(t, r, http.StatusOK)
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "text/html; charset=utf-8"},
		{"Cache-Control", "no-cache"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := r.Header.Get(h.name); got != h.want {
			t.Errorf("%s: got %q, want %q", h.name, got, h.want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "frame-ancestors *") && !strings.Contains(csp, "frame-ancestors *;") {
		t.Errorf("Content-Security-Policy: got %q, want frame-ancestors *", csp)
	}
	if !strings.Contains(csp, "'wasm-unsafe-eval'") {
		t.Errorf("Content-Security-Policy: got %q, want the wasm allowed", csp)
	}

	wantHeadlines(t, r.Body, seedFlashTitles()...)
	wantHeadlines(t, r.Body, "Flash News", "Latest news")
	main := seedArticles[slices.IndexFunc(seedArticles, func(a news.Article) bool { return a.ID == seed.ArticleID })]
	wantHeadlines(t, r.Body, main.Title)
	e := embeddedData(t, r.Body)
	if got, want := e.Seq, ts.lastSeq(t); got != want {
		t.Errorf("embedded seq: got %d, want %d", got, want)
	}
	if got := ids(e.Articles); !slices.Contains(got, seed.ArticleID) || len(got) != seedCount {
		t.Errorf("embedded articles: got %v, want the %d seed articles", got, seedCount)
	}
	// Outside the boot script, the page names nothing of the Go program:
	// no wasm_exec.js, no wasm preload, no loading overlay; the boot script
	// loads them when the program wakes.
	markup := inlineScript.ReplaceAll(r.Body, nil)
	if m := regexp.MustCompile(`wasm_exec|\.wasm|id="app-wasm-loader"`).Find(markup); m != nil {
		t.Errorf("the page names the Go program (%s) before it wakes", m)
	}
	// It runs the boot script (/app.js) and the beacon inline at the end of
	// its body: no script request, so no task of their own on a publisher's
	// main thread. The CSP allows each by its hash.
	if m := regexp.MustCompile(`<script[^>]* src=`).Find(r.Body); m != nil {
		t.Errorf("the page requests a script: %s", m)
	}
	inline := inlineScripts(r.Body)
	if len(inline) != 2 {
		t.Fatalf("inline scripts: got %d, want 2 (the boot script, the beacon)", len(inline))
	}
	if fixed := ts.get(t, "/app.js", nil).Body; !bytes.Equal(inline[0], fixed) || len(fixed) == 0 {
		t.Errorf("the first inline script is not /app.js:\n%.200s", inline[0])
	}
	if !bytes.Contains(inline[1], []byte(`"/api/beacon"`)) {
		t.Errorf("the second inline script is not the beacon:\n%.200s", inline[1])
	}
	for i, js := range inline {
		sum := sha256.Sum256(js)
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("inline script %d: CSP %q lacks its hash %s", i, csp, h)
		}
	}
	if i, j := bytes.Index(r.Body, inline[0]), bytes.LastIndex(r.Body, []byte("</body>")); i < 0 || j < 0 || i > j || bytes.Contains(r.Body[i:j], []byte("<li")) {
		t.Error("the inline scripts are not at the end of the body")
	}
	// The other pages name the boot script by its content-hashed name,
	// immutable, so a returning reader revalidates nothing; so does the
	// boot script wasm_exec.js. Each is the fixed name's script. (go-app
	// writes attributes in map order.)
	article := ts.get(t, "/articles/"+seed.ArticleID, nil)
	wantStatus(t, article, http.StatusOK)
	for _, name := range []string{"wasm_exec", "app"} {
		pattern, in := `"(/web/wasm_exec\.[0-9a-f]{10}\.js)"`, inline[0] // in the boot script
		if name == "app" {
			pattern, in = `<script[^>]* src="(/web/app\.[0-9a-f]{10}\.js)"`, article.Body
		}
		m := regexp.MustCompile(pattern).FindSubmatch(in)
		if m == nil {
			t.Errorf("/%s.js is not named by a hashed name", name)
			continue
		}
		hashed, fixed := ts.get(t, string(m[1]), nil), ts.get(t, "/"+name+".js", nil)
		wantStatus(t, hashed, http.StatusOK)
		if got, want := hashed.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("%s Cache-Control: got %q, want %q", m[1], got, want)
		}
		if !bytes.Equal(hashed.Body, fixed.Body) || len(fixed.Body) == 0 {
			t.Errorf("%s is not /%s.js", m[1], name)
		}
		checkHashed(t, string(m[1]), hashed.Body)
	}
	// The styles are inline, go-app's and the widget's, so the first paint
	// waits for no request; no stylesheet link is left.
	if m := regexp.MustCompile(`<link[^>]*\.css"[^>]*>`).Find(r.Body); m != nil {
		t.Errorf("the page still links a stylesheet: %s", m)
	}
	css := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindSubmatch(r.Body)
	if css == nil {
		t.Fatal("the page has no inline styles")
	}
	for _, want := range []string{"#app-wasm-loader{display:none!important}", ".nw-ticker-label{"} {
		if !bytes.Contains(css[1], []byte(want)) {
			t.Errorf("the inline styles lack %q", want)
		}
	}
	if i, j := bytes.Index(r.Body, []byte("<style>")), bytes.Index(r.Body, []byte("<body")); i > j {
		t.Error("the inline styles are not in the head")
	}
}

func TestEmbedConfig(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name, query string
		want, not   []string
	}{
		{"ticker label", "ticker-label=Breaking", []string{">Breaking<"}, []string{`class="nw-ticker-label">Flash News<`}},
		{"list label", "list-label=Headlines", []string{">Headlines<"}, nil},
		{"list only", "layout=list", nil, []string{`class="nw-ticker"`}},
		{"dark theme", "theme=dark", []string{`data-theme="dark"`}, nil},
		{"right to left", "locale=ar", []string{`dir="rtl"`}, nil},
		{"label is text", "ticker-label=" + url.QueryEscape(`<script>alert(1)</script>`), []string{`>&lt;script&gt;alert(1)&lt;/script&gt;</h2>`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/embed?"+tc.query, nil)
			wantStatus(t, r, http.StatusOK)
			for _, s := range tc.want {
				if !bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("the page lacks %q", s)
				}
			}
			for _, s := range tc.not {
				if bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("the page has %q", s)
				}
			}
		})
	}
}

func TestEmbedBadConfig(t *testing.T) {
	ts := newTestServer(t)
	def := ts.get(t, "/embed", nil)
	wantStatus(t, def, http.StatusOK)
	for _, tc := range []struct{ name, query string }{
		{"limit word", "limit=abc"},
		{"limit zero", "limit=0"},
		{"limit huge", "limit=99999999999999999999"},
		{"layout", "layout=sideways"},
		{"theme", "theme=neon"},
		{"accent script", "accent=" + url.QueryEscape("javascript:alert(1)")},
		{"accent css injection", "accent=" + url.QueryEscape("red;background:url(//evil.example/x)")},
		{"speed negative", "speed=-5"},
		{"speed word", "speed=fast"},
		{"locale", "locale=" + url.QueryEscape("!!not a locale!!")},
		{"ticker label empty", "ticker-label="},
		{"ticker label too long", "ticker-label=" + strings.Repeat("x", 500)},
		{"live", "live=maybe"},
		{"loading", "loading=soon"},
		{"height", "height=99999"},
		{"link target", "link-target=_parent"},
		{"category too long", "category=" + strings.Repeat("c", 200)},
		{"parent not an origin", "parent=" + url.QueryEscape("javascript:alert(1)")},
		{"unknown attribute", "colour=blue&x=1"},
		{"repeated", "layout=list&layout=nope"},
		{"bad escape", "limit=%zz&theme=%"},
		{"invalid UTF-8", "ticker-label=%ff%fe"},
		{"everything bad", "layout=x&limit=x&theme=x&accent=x&speed=x&locale=x&live=x&loading=x&height=x&link-target=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/embed?"+tc.query, nil)
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type: got %q", got)
			}
			wantHeadlines(t, r.Body, seedFlashTitles()[0])
			embeddedData(t, r.Body)
			if bytes.Contains(r.Body, []byte("javascript:alert")) || bytes.Contains(r.Body, []byte("evil.example")) {
				t.Error("a refused value reached the page")
			}
		})
	}
}

func TestEmbedOrigins(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) { o.Origins = []string{"https://pub.example"} })
	for _, tc := range []struct {
		name, query, referer string
		want                 int
	}{
		{"no parent", "", "", http.StatusOK},
		{"allowed parent", "parent=" + url.QueryEscape("https://pub.example"), "", http.StatusOK},
		{"other parent", "parent=" + url.QueryEscape("https://evil.example"), "", http.StatusForbidden},
		{"allowed parent, other referer", "parent=" + url.QueryEscape("https://pub.example"), "https://evil.example/page", http.StatusOK},
		{"allowed referer", "", "https://pub.example/news/today", http.StatusOK},
		{"other referer", "", "https://evil.example/page", http.StatusForbidden},
		{"other scheme", "parent=" + url.QueryEscape("http://pub.example"), "", http.StatusForbidden},
		{"other port", "parent=" + url.QueryEscape("https://pub.example:8443"), "", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hdr{}
			if tc.referer != "" {
				h["Referer"] = tc.referer
			}
			r := ts.get(t, "/embed?"+tc.query, h)
			wantStatus(t, r, tc.want)
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'self' https://pub.example") || strings.Contains(csp, "frame-ancestors *") {
				t.Errorf("Content-Security-Policy: got %q, want frame-ancestors 'self' https://pub.example", csp)
			}
			if tc.want == http.StatusForbidden {
				if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
					t.Errorf("Content-Type: got %q, want a page", got)
				}
				if bytes.Contains(r.Body, []byte(html.EscapeString(seedFlashTitles()[0]))) {
					t.Error("the refusal shows the news")
				}
			}
		})
	}
}

func TestEmbedETag(t *testing.T) {
	ts := newTestServer(t)
	first := ts.get(t, "/embed", nil)
	wantStatus(t, first, http.StatusOK)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	r := ts.get(t, "/embed", hdr{"If-None-Match": etag})
	wantStatus(t, r, http.StatusNotModified)
	if len(r.Body) != 0 {
		t.Errorf("304 body: got %d bytes", len(r.Body))
	}
	if got := ts.get(t, "/embed?theme=dark", hdr{"If-None-Match": etag}); got.Status != http.StatusOK {
		t.Errorf("another configuration with the default's ETag: got %d, want 200", got.Status)
	}

	for i, change := range []func(){
		func() {
			ts.publish(t, obj{"id": "etag-news", "title": "Breaking etag news", "flash": true, "published_at": time.Now().UTC().Format(time.RFC3339)})
		},
		func() {
			wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/etag-news", []byte(`{"title":"Corrected etag news","flash":true}`), auth), http.StatusOK)
		},
		func() {
			wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/etag-news", nil, auth), http.StatusNoContent)
		},
	} {
		change()
		r := ts.get(t, "/embed", hdr{"If-None-Match": etag})
		wantStatus(t, r, http.StatusOK) // no stale news
		next := r.Header.Get("ETag")
		if next == etag {
			t.Errorf("change %d: the ETag did not change", i)
		}
		shows := bytes.Contains(r.Body, []byte(">Breaking etag news<"))
		corrected := bytes.Contains(r.Body, []byte(">Corrected etag news<"))
		if got, want := [2]bool{shows, corrected}, [][2]bool{{true, false}, {false, true}, {false, false}}[i]; got != want {
			t.Errorf("change %d: shows the first title %v and the correction %v, want %v", i, shows, corrected, want)
		}
		if got := embeddedData(t, r.Body).Seq; got != ts.lastSeq(t) {
			t.Errorf("change %d: embedded seq %d, want %d", i, got, ts.lastSeq(t))
		}
		etag = next
	}
}

func TestArticlePage(t *testing.T) {
	ts := newTestServer(t)
	main := seedArticles[slices.IndexFunc(seedArticles, func(a news.Article) bool { return a.ID == seed.ArticleID })]
	r := ts.get(t, "/articles/"+seed.ArticleID, nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type: got %q", got)
	}
	wantHeadlines(t, r.Body, main.Title, "Flash News", "/REL")
	wantHeadlines(t, r.Body, main.Body...)
	if !bytes.Contains(r.Body, []byte("<title>"+html.EscapeString(main.Title)+"</title>")) {
		t.Error("the page title is not the headline")
	}
	if e := embeddedData(t, r.Body); e.Article == nil || e.Article.ID != seed.ArticleID {
		t.Errorf("embedded article: got %v, want the seed article", e.Article)
	}
	etag := r.Header.Get("ETag")
	wantStatus(t, ts.get(t, "/articles/"+seed.ArticleID, hdr{"If-None-Match": etag}), http.StatusNotModified)

	for _, tc := range []struct{ name, path string }{
		{"unknown", "/articles/no-such-article"},
		{"bad id", "/articles/bad.id"},
		{"too long", "/articles/" + strings.Repeat("a", news.MaxIDLen+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, tc.path, nil)
			wantStatus(t, r, http.StatusNotFound)
			if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Content-Type: got %q, want a page", got)
			}
			if bytes.Contains(r.Body, []byte(html.EscapeString(main.Title)+"</h1>")) {
				t.Error("the 404 page shows the seed article")
			}
			if etag := r.Header.Get("ETag"); etag != "" {
				if got := ts.get(t, tc.path, hdr{"If-None-Match": etag}); got.Status != http.StatusNotFound {
					t.Errorf("a 404 revalidated: got %d, want 404", got.Status)
				}
			}
		})
	}

	t.Run("deleted", func(t *testing.T) {
		wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/"+seed.ArticleID, nil, auth), http.StatusNoContent)
		wantStatus(t, ts.get(t, "/articles/"+seed.ArticleID, nil), http.StatusNotFound)
	})
}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/healthz", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type: got %q", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	h := decode[map[string]any](t, r.Body)
	if got := h["status"]; got != "ok" {
		t.Errorf("status: got %v, want ok", got)
	}
	if got, want := h["seq"], float64(ts.lastSeq(t)); got != want {
		t.Errorf("seq: got %v, want %v", got, want)
	}

	t.Run("feeds", func(t *testing.T) {
		ts := newTestServer(t, func(o *server.Options) { o.Health = func() any { return map[string]string{"feed": "ok"} } })
		if got := string(ts.get(t, "/healthz", nil).Body); !strings.Contains(got, `"feeds":{"feed":"ok"}`) {
			t.Errorf("got %s, want the feeds' health", got)
		}
	})

	t.Run("store down", func(t *testing.T) {
		ts := newTestServer(t)
		ts.Store.Close()
		r := ts.get(t, "/healthz", nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		if got := decode[map[string]any](t, r.Body)["status"]; got != "degraded" {
			t.Errorf("status: got %v, want degraded", got)
		}
	})
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t)
	ts.get(t, "/api/articles", nil)
	ts.get(t, "/api/articles/nope", nil)
	ts.get(t, "/no/such/page", nil)
	r := ts.get(t, "/metrics", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
		t.Errorf("Content-Type: got %q, want the Prometheus text format", got)
	}
	for _, want := range []string{
		"# TYPE newswidget_http_requests_total counter",
		`newswidget_http_requests_total{route="GET /api/articles",status="200"} 1`,
		`newswidget_http_requests_total{route="GET /api/articles/{id}",status="404"} 1`,
		"# TYPE newswidget_sse_subscribers gauge",
		"newswidget_sse_subscribers 0",
		"go_goroutines",
		"# TYPE go_gc_heap_live_bytes gauge", // what a leak shows in: the heap a collection kept
		"go_memstats_heap_inuse_bytes",
	} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`newswidget_http_requests_total\{route="([^"]*)",status="404"\}`).FindAllSubmatch(r.Body, -1); len(m) == 0 {
		t.Error("no 404 is counted")
	}

	s := ts.openSSE(t, "/api/events", nil, false)
	eventually(t, 2*time.Second, "one subscriber", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == 1 })
	s.Close()
	eventually(t, 2*time.Second, "no subscriber", func() bool { return ts.metric(t, "newswidget_sse_subscribers") == 0 })
}

// TestHostileTextInPages sends markup through every publisher-controlled
// text that reaches a page: labels in the embed query, and an article's
// title, summary and URLs. None may become an element or an attribute.
func TestHostileTextInPages(t *testing.T) {
	ts := newTestServer(t)
	evil := `"><img src=x onerror=alert(1)>`
	injected := func(body []byte) bool {
		doc, err := xhtml.Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		var walk func(n *xhtml.Node)
		walk = func(n *xhtml.Node) {
			for _, a := range n.Attr {
				found = found || a.Key == "onerror" || n.Data == "img" && a.Key == "src" && a.Val == "x"
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		return found
	}
	q := url.Values{"ticker-label": {evil}, "list-label": {evil}, "category": {evil}}
	r := ts.get(t, "/embed?"+q.Encode(), nil)
	wantStatus(t, r, http.StatusOK)
	if injected(r.Body) {
		t.Errorf("a label became markup in /embed")
	}
	a := ts.publish(t, obj{"id": "hostile", "title": `Quote " and ` + evil, "summary": evil, "flash": true})
	for _, path := range []string{"/embed", "/articles/" + a.ID} {
		r := ts.get(t, path, nil)
		wantStatus(t, r, http.StatusOK)
		if injected(r.Body) {
			t.Errorf("an article's text became markup in %s", path)
		}
		if !bytes.Contains(r.Body, []byte("&lt;img src=x")) {
			t.Errorf("%s does not show the title as text", path)
		}
	}
	bad := ts.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"T","url":"https://x.example/\"onmouseover=alert(1)"}`), auth)
	wantError(t, bad, http.StatusBadRequest, "invalid", "url")
}

// TestPageCompressed checks that a prerendered page goes out compressed,
// once per render, with an ETag per encoding and the same page inside.
func TestPageCompressed(t *testing.T) {
	ts := newTestServer(t)
	plain := ts.get(t, "/embed", nil)
	for _, tc := range []struct{ enc, header string }{{"br", "br"}, {"gzip", "gzip"}} {
		t.Run(tc.enc, func(t *testing.T) {
			r := ts.get(t, "/embed", hdr{"Accept-Encoding": tc.header})
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Encoding"); got != tc.enc {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.enc)
			}
			if got := r.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q", got)
			}
			var rd io.Reader = brotli.NewReader(bytes.NewReader(r.Body))
			if tc.enc == "gzip" {
				var err error
				if rd, err = gzip.NewReader(bytes.NewReader(r.Body)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(rd)
			if err != nil || !bytes.Equal(got, plain.Body) {
				t.Fatalf("decoded page differs from the identity one (%v)", err)
			}
			if etag := r.Header.Get("ETag"); etag == plain.Header.Get("ETag") || etag == "" {
				t.Errorf("ETag %q is not its own", etag)
			} else if again := ts.get(t, "/embed", hdr{"Accept-Encoding": tc.header, "If-None-Match": etag}); again.Status != http.StatusNotModified {
				t.Errorf("revalidation: status %d, want 304", again.Status)
			}
		})
	}
}

// inlineScript matches a script element with no attributes: one a page
// runs inline.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// inlineScripts is the content of each of page's inline scripts.
func inlineScripts(page []byte) [][]byte {
	var out [][]byte
	for _, m := range inlineScript.FindAllSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}
