package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"newswidget/server"
	"newswidget/server/seed"
)

// rawGet sends a request line and header exactly as given, on a connection
// of its own, and returns the response: what an attacker's client sends is
// not limited to what net/http would write.
func rawGet(t *testing.T, baseURL, target string, header ...string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\n" + strings.Join(header, "\r\n")
	if len(header) > 0 {
		req += "\r\n"
	}
	req += "Connection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", target, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestPagesIgnoreTheRequestHost sends page requests whose host -- in an
// absolute-form request target, the Host header or a forwarding header --
// is an attacker's, then asks for the same page as an ordinary reader: no
// page, the attacker's or the cached one the reader gets, may carry
// anything of that host, and the page's own URL is the configured public one.
func TestPagesIgnoreTheRequestHost(t *testing.T) {
	const public = "https://news.example.com/widget"
	ts := newTestServer(t, func(o *server.Options) { o.PublicURL = public })
	host := strings.TrimPrefix(ts.URL, "http://")
	tests := []struct {
		name, target string
		header       []string
	}{
		{"absolute form with a quote", `http://x"><plaintext>/embed?layout=list`, []string{"Host: " + host}},
		{"absolute form, article", `http://evil.example/articles/` + seed.ArticleID, []string{"Host: " + host}},
		{"foreign Host header", "/embed?layout=list", []string{"Host: evil.example"}},
		{"foreign Host with a port", "/articles/" + seed.ArticleID, []string{"Host: evil.example:666"}},
		{"forwarded host", "/embed?layout=list", []string{"Host: " + host, "X-Forwarded-Host: evil.example", "Forwarded: host=evil.example;proto=https"}},
	}
	ogMeta := regexp.MustCompile(`<meta [^>]*property="og:url"[^>]*>`)
	content := regexp.MustCompile(`content="([^"]*)"`) // go-app writes attributes in any order
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.target[strings.Index(tc.target, "/"):]
			if strings.HasPrefix(tc.target, "http://") {
				rest := strings.TrimPrefix(tc.target, "http://")
				path = rest[strings.Index(rest, "/"):]
			}
			attacker := rawGet(t, ts.URL, tc.target, tc.header...)
			attackerBody, _ := io.ReadAll(attacker.Body)
			reader := ts.get(t, path, nil)
			for who, body := range map[string]string{"attacker": string(attackerBody), "reader": string(reader.Body)} {
				// ":666", not "666", which a content-hashed script name may hold
				for _, bad := range []string{"evil", "plaintext", `x"`, ":666"} {
					if strings.Contains(body, bad) {
						t.Errorf("%s's page holds %q from the request's host", who, bad)
					}
				}
			}
			m := content.FindStringSubmatch(ogMeta.FindString(string(reader.Body)))
			if m == nil {
				t.Fatalf("the reader's page has no og:url")
			}
			if want := public + path; m[1] != want {
				t.Errorf("og:url: got %q, want %q", m[1], want)
			}
		})
	}
}

// TestPageRendersFollowTheConfiguration asks for pages with parameters that
// change nothing a reader sees -- the frame's id, its parent, unknown ones,
// a bad value that falls back to the default, missing articles -- and
// checks that they are served from one rendering each.
func TestPageRendersFollowTheConfiguration(t *testing.T) {
	tests := []struct {
		name string
		path func(i int) string
	}{
		{"frame id", func(i int) string { return fmt.Sprintf("/embed?layout=list&id=w%d", i) }},
		{"parent origin", func(i int) string { return fmt.Sprintf("/embed?layout=list&parent=https://s%d.example", i) }},
		{"unknown parameter", func(i int) string { return fmt.Sprintf("/embed?layout=list&x%d=1", i) }},
		{"bad value", func(i int) string { return fmt.Sprintf("/embed?layout=list&limit=%d000", i+1) }},
		{"missing article", func(i int) string { return fmt.Sprintf("/articles/nothing-%d", i) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			before := ts.metric(t, "newswidget_page_renders_total")
			for i := range 40 {
				r := ts.get(t, tc.path(i), nil)
				if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
					t.Fatalf("%s: status %d", tc.path(i), r.Status)
				}
			}
			if got := ts.metric(t, "newswidget_page_renders_total") - before; got != 1 {
				t.Errorf("40 requests differing only in %s: got %v renders, want 1", tc.name, got)
			}
		})
	}
}

// TestConfiguratorFraming: no other site may frame the configurator, and
// with -origins set the configurator's own preview may still frame the
// widget.
func TestConfiguratorFraming(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) {
		o.Origins = []string{"https://partner.example"}
		o.PublicURL = "https://news.example.com"
	})
	r := ts.get(t, "/", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'self'") {
		t.Errorf("/ Content-Security-Policy: got %q, want frame-ancestors 'self'", got)
	}
	if got := r.Header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
		t.Errorf("/ X-Frame-Options: got %q, want SAMEORIGIN", got)
	}
	for _, tc := range []struct {
		name, parent string
		want         int
	}{
		{"the configurator", "https://news.example.com", http.StatusOK},
		{"a listed partner", "https://partner.example", http.StatusOK},
		{"another site", "https://evil.example", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/embed?parent="+tc.parent, nil)
			wantStatus(t, r, tc.want)
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'self' https://partner.example") {
				t.Errorf("/embed frame-ancestors: got %q, want 'self' and the listed origins", csp)
			}
		})
	}
}

// cspDirectives are the directives of CSP Level 3 that Chromium, Firefox and
// WebKit all know; another would be logged as unrecognised in every frame.
var cspDirectives = map[string]bool{
	"default-src": true, "script-src": true, "style-src": true, "img-src": true, "connect-src": true,
	"font-src": true, "object-src": true, "media-src": true, "frame-src": true, "child-src": true,
	"worker-src": true, "base-uri": true, "form-action": true, "frame-ancestors": true,
	"upgrade-insecure-requests": true, "sandbox": true,
}

// TestCSPDirectivesEveryEngineKnows: WebKit logged "Unrecognized
// Content-Security-Policy directive 'manifest-src'" for every frame.
func TestCSPDirectivesEveryEngineKnows(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/embed", "/articles/" + seed.ArticleID, "/", "/api/articles"} {
		r := ts.get(t, path, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if csp == "" {
			t.Errorf("%s: no Content-Security-Policy", path)
		}
		for _, d := range strings.Split(csp, ";") {
			if name, _, _ := strings.Cut(strings.TrimSpace(d), " "); name != "" && !cspDirectives[name] {
				t.Errorf("%s: directive %q is not known to every engine", path, name)
			}
		}
		if strings.Contains(string(r.Body), `rel="manifest"`) {
			t.Errorf("%s links a manifest, which a frame never uses", path)
		}
	}
}

func TestAdminTokenLength(t *testing.T) {
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{"", true}, // publishing off
		{"abc", false},
		{"fifteen-chars-x", false},
		{"sixteen-chars-xx", true},
	} {
		err := server.CheckAdminToken(tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAdminToken(%q): got %v, want ok=%v", tc.token, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "at least 16") {
			t.Errorf("CheckAdminToken(%q): %q does not say how long it must be", tc.token, err)
		}
	}
	st := newTestServer(t).Store
	if _, err := server.New(server.Options{Store: st, AdminToken: "abc"}); err == nil {
		t.Errorf("server.New with a 3-character token: got no error")
	}
}

// Every missing article shares one not-found page, rendered for an id no
// article can have: an article published as "missing" (the id the page
// used to be rendered for) never shows on it.
func TestMissingArticlePageIsNoArticle(t *testing.T) {
	ts := newTestServer(t)
	// the body: the title would show in the page's Latest news list anyway
	ts.publish(t, obj{"id": "missing", "title": "Planted", "body": []string{"PLANTED BODY"}})
	r := ts.get(t, "/articles/no-such-article", nil)
	wantStatus(t, r, http.StatusNotFound)
	if strings.Contains(string(r.Body), "PLANTED") {
		t.Errorf("the not-found page shows the article published as %q", "missing")
	}
	if r := ts.get(t, "/articles/missing", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "PLANTED") {
		t.Errorf("the article %q itself: got %d, want 200 with its page", "missing", r.Status)
	}
}
