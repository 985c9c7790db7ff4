package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"

	"newswidget/app/news"
	"newswidget/server"
)

// testPublicURL is the public URL of the servers that check absolute URLs.
const testPublicURL = "https://news.example.com"

func withPublicURL(o *server.Options) { o.PublicURL = testPublicURL }

// parseFeed fetches a feed that must succeed and parses it with gofeed, a
// real feed reader's parser.
func (ts *testServer) parseFeed(t *testing.T, path, contentType string) (*gofeed.Feed, response) {
	t.Helper()
	r := ts.get(t, path, nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); got != contentType {
		t.Errorf("%s: Content-Type %q, want %q", path, got, contentType)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%.500s", path, err, r.Body)
	}
	return f, r
}

// wellFormedXML reads every token of an XML document with a strict decoder.
func wellFormedXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

// pageURL is an article's page under the test public URL.
func pageURL(id string) string { return testPublicURL + "/articles/" + id }

// wantLink is where an article's headline must link.
func wantLink(a news.Article) string {
	if a.URL != "" {
		return a.URL
	}
	return pageURL(a.ID)
}

// feedArticles publishes articles that use every field a feed item carries.
func feedArticles(t *testing.T, ts *testServer) {
	t.Helper()
	ts.publish(t, obj{
		"id": "sport-final", "title": "Cup final tonight", "summary": "The final starts at 21:00.",
		"body":     []string{"The teams meet in the capital.", "Tickets sold out in an hour."},
		"url":      "https://example.org/sport/final",
		"image":    "https://example.org/img/final.jpg",
		"source":   "AP",
		"category": "Sport", "flash": true,
		"published_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	})
	ts.publish(t, obj{
		"id": "sport-transfer", "title": "Striker signs for three years", "category": "Sport",
		"published_at": time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339),
	})
}

// TestFeedsListWhatTheAPILists parses /feed.xml and /feed.json with gofeed
// and compares every item with /api/articles under the same query: the
// same articles in the same order, each with its fields.
func TestFeedsListWhatTheAPILists(t *testing.T) {
	ts := newTestServer(t, withPublicURL)
	feedArticles(t, ts)
	tests := []struct {
		name, query, api, self string
	}{
		{"all", "", "?limit=50", ""},
		{"category", "?category=World", "?limit=50&category=World", "?category=World"},
		{"category any case", "?category=sport", "?limit=50&category=sport", "?category=sport"},
		{"unknown category", "?category=Nothing", "?limit=50&category=Nothing", "?category=Nothing"},
		{"flash", "?flash=true", "?limit=50&flash=true", "?flash=true"},
		{"limit", "?limit=3", "?limit=3", "?limit=3"},
		{"everything", "?flash=false&category=Sport&limit=5&junk=1", "?limit=5&category=Sport&flash=false", "?category=Sport&flash=false&limit=5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := ts.list(t, tc.api).Articles
			if tc.name == "all" && len(want) != seedCount+2 {
				t.Fatalf("the API lists %d articles, want %d", len(want), seedCount+2)
			}
			for _, ff := range []struct{ path, ctype string }{
				{"/feed.xml", "application/rss+xml; charset=utf-8"},
				{"/feed.json", "application/feed+json; charset=utf-8"},
			} {
				f, _ := ts.parseFeed(t, ff.path+tc.query, ff.ctype)
				if got, want := f.FeedLink, testPublicURL+ff.path+tc.self; got != want {
					t.Errorf("%s: self link %q, want %q", ff.path, got, want)
				}
				if f.Link != testPublicURL+"/" || f.Language != "en" || f.Title == "" || f.Description == "" {
					t.Errorf("%s: link %q, language %q, title %q, description %q", ff.path, f.Link, f.Language, f.Title, f.Description)
				}
				if tc.name == "category" && !strings.Contains(f.Title, "World") {
					t.Errorf("%s: title %q does not name the category", ff.path, f.Title)
				}
				var gotIDs, wantIDs []string
				for _, it := range f.Items {
					gotIDs = append(gotIDs, it.GUID)
				}
				for _, a := range want {
					wantIDs = append(wantIDs, pageURL(a.ID))
				}
				if !slices.Equal(gotIDs, wantIDs) {
					t.Fatalf("%s: items\n%q\nwant the API's\n%q", ff.path, gotIDs, wantIDs)
				}
				for i, it := range f.Items {
					wantItem(t, ff.path, it, want[i])
				}
			}
		})
	}
}

// wantItem compares a parsed feed item with the article the API lists.
func wantItem(t *testing.T, path string, it *gofeed.Item, a news.Article) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s %s: "+format, append([]any{path, a.ID}, args...)...)
	}
	if it.Title != a.Title {
		errorf("title %q, want %q", it.Title, a.Title)
	}
	if it.Link != wantLink(a) {
		errorf("link %q, want %q", it.Link, wantLink(a))
	}
	if it.PublishedParsed == nil || !it.PublishedParsed.Equal(a.PublishedAt) {
		errorf("published %v, want %v", it.PublishedParsed, a.PublishedAt)
	}
	if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(a.UpdatedAt) {
		errorf("updated %v, want %v", it.UpdatedParsed, a.UpdatedAt)
	}
	if want := []string{a.Category}; a.Category != "" && !slices.Equal(it.Categories, want) || a.Category == "" && it.Categories != nil {
		errorf("categories %q, want %q", it.Categories, a.Category)
	}
	switch {
	case a.Source == "" && len(it.Authors) > 0:
		errorf("authors %v, want none", it.Authors)
	case a.Source != "" && (len(it.Authors) != 1 || it.Authors[0].Name != a.Source):
		errorf("authors %v, want the source %q", it.Authors, a.Source)
	}
	switch {
	case a.Image == "" && it.Image != nil:
		errorf("image %q, want none", it.Image.URL)
	case a.Image != "" && (it.Image == nil || it.Image.URL != a.Image):
		errorf("image %v, want %q", it.Image, a.Image)
	}
	if path == "/feed.json" {
		if it.Description != a.Summary {
			errorf("summary %q, want %q", it.Description, a.Summary)
		}
		want := strings.Join(a.Body, "\n\n")
		if want == "" {
			want = a.Summary
		}
		if want == "" {
			want = a.Title
		}
		if it.Content != want {
			errorf("content_text %q, want %q", it.Content, want)
		}
		return
	}
	// RSS: description and content:encoded are HTML showing the plain text.
	want := a.Summary
	if want == "" && len(a.Body) > 0 {
		want = a.Body[0]
	}
	if got := html.UnescapeString(it.Description); got != want {
		errorf("description %q, want %q", got, want)
	}
	var paras []string
	for p := range strings.SplitSeq(strings.TrimSuffix(strings.TrimPrefix(it.Content, "<p>"), "</p>"), "</p><p>") {
		if p != "" {
			paras = append(paras, html.UnescapeString(p))
		}
	}
	if !slices.Equal(paras, a.Body) && len(paras)+len(a.Body) > 0 {
		errorf("content:encoded %q, want the paragraphs %q", it.Content, a.Body)
	}
}

// TestFeedRSSDetails checks what the universal parser does not show: the
// guid is a permalink, the self link is typed, the channel's dates.
func TestFeedRSSDetails(t *testing.T) {
	ts := newTestServer(t, withPublicURL)
	feedArticles(t, ts)
	r := ts.get(t, "/feed.xml?category=Sport", nil)
	wantStatus(t, r, http.StatusOK)
	wellFormedXML(t, r.Body)
	f, err := (&rss.Parser{}).Parse(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != "2.0" {
		t.Errorf("version %q, want 2.0", f.Version)
	}
	for _, it := range f.Items {
		if it.GUID == nil || it.GUID.IsPermalink != "true" || !strings.HasPrefix(it.GUID.Value, testPublicURL+"/articles/") {
			t.Errorf("guid %+v, want a permalink to the article's page", it.GUID)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("pubDate %q is not RFC 822: %v", it.PubDate, err)
		}
	}
	if _, err := time.Parse(time.RFC1123Z, f.LastBuildDate); err != nil {
		t.Errorf("lastBuildDate %q: %v", f.LastBuildDate, err)
	}
	self := f.Extensions["atom"]["link"]
	if len(self) != 1 || self[0].Attrs["rel"] != "self" || self[0].Attrs["type"] != "application/rss+xml" ||
		self[0].Attrs["href"] != testPublicURL+"/feed.xml?category=Sport" {
		t.Errorf("atom:link: got %+v", self)
	}
	if m := f.Items[0].Extensions["media"]["content"]; len(m) != 1 || m[0].Attrs["medium"] != "image" {
		t.Errorf("media:content of the first item: %+v", m)
	}
}

// TestFeedConditionalGET: the feeds and the sitemap carry strong ETags,
// answer a matching If-None-Match with 304, are compressed once for both
// encodings, and change when the news change.
func TestFeedConditionalGET(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/feed.xml", "/feed.json", "/feed.xml?category=World", "/sitemap.xml"} {
		t.Run(path, func(t *testing.T) {
			r := ts.get(t, path, nil)
			wantStatus(t, r, http.StatusOK)
			etag := r.Header.Get("ETag")
			if etag == "" || strings.HasPrefix(etag, "W/") {
				t.Fatalf("ETag %q, want a strong one", etag)
			}
			if got := r.Header.Get("Cache-Control"); !strings.HasPrefix(got, "public, max-age=") {
				t.Errorf("Cache-Control %q", got)
			}
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if again := ts.get(t, path, nil); again.Header.Get("ETag") != etag || !bytes.Equal(again.Body, r.Body) {
				t.Error("a second request got other bytes")
			}
			nm := ts.get(t, path, hdr{"If-None-Match": etag})
			wantStatus(t, nm, http.StatusNotModified)
			if len(nm.Body) != 0 {
				t.Errorf("304 with a body of %d bytes", len(nm.Body))
			}
			if head := ts.do(t, http.MethodHead, path, nil, nil); head.Status != http.StatusOK || len(head.Body) != 0 {
				t.Errorf("HEAD: %d with %d bytes", head.Status, len(head.Body))
			}
			for _, enc := range []string{"br", "gzip"} {
				c := ts.get(t, path, hdr{"Accept-Encoding": enc})
				wantStatus(t, c, http.StatusOK)
				if got := c.Header.Get("Content-Encoding"); got != enc {
					t.Fatalf("Content-Encoding %q, want %q", got, enc)
				}
				if got := unencoded(t, enc, c.Body); !bytes.Equal(got, r.Body) {
					t.Errorf("%s: the decoded body differs from the identity one", enc)
				}
				if got := c.Header.Get("Vary"); !strings.Contains(got, "Accept-Encoding") {
					t.Errorf("Vary %q", got)
				}
				wantStatus(t, ts.get(t, path, hdr{"Accept-Encoding": enc, "If-None-Match": c.Header.Get("ETag")}), http.StatusNotModified)
			}
		})
	}

	t.Run("a change", func(t *testing.T) {
		before := map[string]string{}
		for _, path := range []string{"/feed.xml", "/feed.json", "/sitemap.xml"} {
			before[path] = ts.get(t, path, nil).Header.Get("ETag")
		}
		ts.publish(t, obj{"title": "Fresh news for the feeds", "category": "World"})
		for path, etag := range before {
			r := ts.get(t, path, hdr{"If-None-Match": etag})
			wantStatus(t, r, http.StatusOK)
			if !bytes.Contains(r.Body, []byte("Fresh news for the feeds")) {
				t.Errorf("%s does not show the new article", path)
			}
		}
	})
}

// unencoded undoes a Content-Encoding.
func unencoded(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader = brotli.NewReader(bytes.NewReader(b))
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return out
}

// TestFeedHostileText: markup, CDATA ends and ampersands in an article's
// text reach a feed reader as the text they are, never as markup.
func TestFeedHostileText(t *testing.T) {
	ts := newTestServer(t, withPublicURL)
	a := ts.publish(t, obj{
		"id":       "hostile",
		"title":    `</title><script>alert(1)</script> ]]> & "quotes" 'too' <b>`,
		"summary":  "]]><![CDATA[<img src=x onerror=alert(1)>]]> & &amp; done",
		"body":     []string{"<p>first</p> & ]]>", "</item></channel></rss>"},
		"source":   "R&L <x>",
		"category": "A&B <c>",
		"url":      "https://example.org/a?b=1&c=2",
	})
	for _, ff := range []struct{ path, ctype string }{
		{"/feed.xml", "application/rss+xml; charset=utf-8"},
		{"/feed.json", "application/feed+json; charset=utf-8"},
	} {
		t.Run(ff.path, func(t *testing.T) {
			f, r := ts.parseFeed(t, ff.path, ff.ctype)
			raw := strings.ToLower(string(r.Body))
			for _, bad := range []string{"<script", "<img", "<b>", "<![cdata[", "</rss></"} {
				if strings.Contains(raw, bad) {
					t.Errorf("the feed holds %q as markup", bad)
				}
			}
			if ff.path == "/feed.xml" {
				wellFormedXML(t, r.Body)
			} else if bytes.ContainsAny(r.Body, "<>") {
				t.Error("the JSON Feed holds a raw < or >")
			}
			i := slices.IndexFunc(f.Items, func(it *gofeed.Item) bool { return it.GUID == pageURL(a.ID) })
			if i < 0 {
				t.Fatal("the feed lacks the article")
			}
			wantItem(t, ff.path, f.Items[i], a)
		})
	}

	t.Run("/sitemap.xml", func(t *testing.T) {
		sm := ts.sitemap(t)
		i := slices.IndexFunc(sm.URLs, func(u smURL) bool { return u.Loc == pageURL(a.ID) })
		if i < 0 || sm.URLs[i].News == nil || sm.URLs[i].News.Title != a.Title {
			t.Fatalf("the sitemap's entry of the article: %+v", sm.URLs[max(i, 0)])
		}
	})
}

// TestFeedBadQuery: a feed refuses what /api/articles refuses, with the
// same JSON errors, and a cursor, since a feed always starts at the newest.
func TestFeedBadQuery(t *testing.T) {
	ts := newTestServer(t)
	cursor := ts.list(t, "?limit=1").Next
	tests := []struct{ name, query, field string }{
		{"limit zero", "?limit=0", "limit"},
		{"limit too big", "?limit=51", "limit"},
		{"limit not a number", "?limit=ten", "limit"},
		{"limit empty", "?limit=", "limit"},
		{"flash", "?flash=maybe", "flash"},
		{"category too long", "?category=" + strings.Repeat("x", news.MaxCategoryLen+1), "category"},
		{"bad cursor", "?before=junk", "before"},
		{"a real cursor", "?before=" + url.QueryEscape(cursor), "before"},
		{"malformed query", "?category=%zz", ""},
	}
	for _, tc := range tests {
		for _, path := range []string{"/feed.xml", "/feed.json"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				wantError(t, ts.get(t, path+tc.query, nil), http.StatusBadRequest, news.EInvalid, tc.field)
			})
		}
	}
}

// TestFeedsAndSitemapForgetARetraction: once an article is deleted,
// nothing of it stays in the feeds or the sitemap.
func TestFeedsAndSitemapForgetARetraction(t *testing.T) {
	ts := newTestServer(t)
	ts.publish(t, obj{"id": "takedown", "title": "Minister Wrongname arrested", "summary": "Wrongname was seen", "flash": true})
	paths := []string{"/feed.xml", "/feed.json", "/feed.xml?flash=true", "/sitemap.xml"}
	etags := map[string]string{}
	for _, path := range paths {
		r := ts.get(t, path, nil)
		if !bytes.Contains(r.Body, []byte("takedown")) {
			t.Fatalf("%s does not list the article before its deletion", path)
		}
		etags[path] = r.Header.Get("ETag")
	}
	wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/takedown", nil, auth), http.StatusNoContent)
	for _, path := range paths {
		r := ts.get(t, path, hdr{"If-None-Match": etags[path]})
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.Body, []byte("Wrongname")) || bytes.Contains(r.Body, []byte("takedown")) {
			t.Errorf("%s still holds the retracted article", path)
		}
	}
}
