package server

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"newswidget/app/news"
)

// FuzzPageRequest sends the page routes a fuzzed request target, Host and
// one more header, and holds that a page depends on its path and validated
// configuration only: rendered afresh for the fuzzed request and for a
// plain one to the same path and query, the two are the same bytes, and the
// server never answers 5xx.
func FuzzPageRequest(f *testing.F) {
	for _, seed := range []struct{ target, host, name, value string }{
		{`http://x"><plaintext>/embed?layout=list`, "localhost", "Accept", "*/*"},
		{"/embed?layout=list", "evil.example", "X-Forwarded-Host", "evil.example"},
		{"/articles/nato-western-balkans-stability", "evil.example:666", "Forwarded", "host=evil;proto=https"},
		{"/embed?id=w1&parent=https://a.example&theme=dark", "localhost", "Referer", "https://b.example/"},
		{"//embed", "localhost", "X-Original-URL", "/admin"},
		{"/embed?ticker-label=%22%3E%3Cscript%3E", "[::1]", "Cookie", "a=b"},
		{"http://localhost/articles/missing?locale=ar", "localhost", "Accept-Language", "ar"},
	} {
		f.Add(seed.target, seed.host, seed.name, seed.value)
	}
	s, _ := loggingServer(f, func(st news.Store) news.Store { return st })
	f.Fuzz(func(t *testing.T, target, host, name, value string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + name + ": " + value + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || (r.URL.Path != "/embed" && !strings.HasPrefix(r.URL.Path, "/articles/")) {
			return
		}
		// the page's text is compared, not its encodings or validators
		r.Header.Del("Accept-Encoding")
		r.Header.Del("If-None-Match")
		r.RemoteAddr = "192.0.2.1:1234"
		s.pages.invalidate()
		got := httptest.NewRecorder()
		s.ServeHTTP(got, r)
		if got.Code >= 500 {
			t.Fatalf("%q Host %q %s: %q: status %d", target, host, name, value, got.Code)
		}
		if got.Code != http.StatusOK && got.Code != http.StatusNotFound {
			return
		}
		plain := httptest.NewRequest(http.MethodGet, plainTarget(r.URL.Path, r.URL.RawQuery), nil)
		s.pages.invalidate()
		want := httptest.NewRecorder()
		s.ServeHTTP(want, plain)
		if got.Code != want.Code || !bytes.Equal(canonicalHTML(got.Body.Bytes()), canonicalHTML(want.Body.Bytes())) {
			t.Fatalf("%q Host %q %s: %q: the page differs from the plain request's (%d, %d bytes; %d, %d bytes)",
				target, host, name, value, got.Code, got.Body.Len(), want.Code, want.Body.Len())
		}
	})
}

// canonicalHTML writes a page with each tag's attributes sorted: go-app
// writes them in map order, so two renders of one page differ in that only.
func canonicalHTML(page []byte) []byte {
	var out bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out.Bytes()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			slices.SortFunc(tok.Attr, func(a, b html.Attribute) int { return strings.Compare(a.Key, b.Key) })
			out.WriteString(tok.String())
		default:
			out.Write(z.Raw())
		}
	}
}

// plainTarget is a path and query as a plain request names them.
func plainTarget(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}
