package feed_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"newswidget/app/news"
	"newswidget/server/feed"
	"newswidget/server/sqlite"
)

// site is a feed server whose response the test sets and whose requests it
// inspects.
type site struct {
	mu           sync.Mutex
	body         string
	contentType  string
	etag         string
	lastModified string
	requests     []http.Header
}

func (s *site) set(contentType, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contentType, s.body = contentType, body
}

func (s *site) validators(etag, lastModified string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.etag, s.lastModified = etag, lastModified
}

func (s *site) lastRequest(t *testing.T) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("the feed server got no request")
	}
	return s.requests[len(s.requests)-1]
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Header.Clone())
	body, ct, etag, lm := s.body, s.contentType, s.etag, s.lastModified
	s.mu.Unlock()
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if lm != "" {
		w.Header().Set("Last-Modified", lm)
	}
	if etag != "" && r.Header.Get("If-None-Match") == etag ||
		etag == "" && lm != "" && r.Header.Get("If-Modified-Since") == lm {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ct)
	fmt.Fprint(w, body)
}

// env is one test's store, feed server and poller.
type env struct {
	store  *sqlite.Store
	site   *site
	url    string
	poller *feed.Poller
	notify atomic.Int64
}

// newEnv starts a feed site (handler, or the env's own site when nil) and a
// poller of its /feed into a fresh store; opts adjust the poller's options.
func newEnv(t *testing.T, handler http.Handler, opts ...func(*feed.Options)) *env {
	t.Helper()
	store, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{store: store, site: &site{}}
	if handler == nil {
		handler = e.site
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e.url = srv.URL + "/feed"
	o := feed.Options{Store: store, URLs: []string{e.url}, Timeout: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler), Notify: func() { e.notify.Add(1) }}
	for _, f := range opts {
		f(&o)
	}
	e.poller = feed.NewPoller(o)
	return e
}

func (e *env) poll(t *testing.T) {
	t.Helper()
	e.poller.PollOnce(t.Context())
}

func (e *env) status(t *testing.T) feed.Status {
	t.Helper()
	st := e.poller.Status()
	if len(st) != 1 {
		t.Fatalf("Status() has %d feeds, want 1", len(st))
	}
	return st[0]
}

func (e *env) articles(t *testing.T) []news.Article {
	t.Helper()
	var all []news.Article
	f := news.ArticleFilter{Limit: news.MaxListLimit}
	for {
		list, next, err := e.store.Articles(t.Context(), f)
		if err != nil {
			t.Fatalf("Articles: %v", err)
		}
		all = append(all, list...)
		if next.IsZero() {
			return all
		}
		f.Before = next
	}
}

func (e *env) article(t *testing.T) news.Article {
	t.Helper()
	list := e.articles(t)
	if len(list) != 1 {
		t.Fatalf("store has %d articles, want 1: %+v", len(list), list)
	}
	return list[0]
}

func (e *env) lastSeq(t *testing.T) int64 {
	t.Helper()
	n, err := e.store.LastSeq(t.Context())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return n
}

// feedID is the id the package documents: "f" and 20 hex digits of the
// SHA-256 of the entry's key: "link", newline, its canonical link (here
// https links with nothing to canonicalise); else "guid", newline, a GUID
// that is an absolute URI; else the feed URL, newline, "guid", newline, the
// GUID.
func feedID(feedURL, key string) string {
	var k string
	switch {
	case strings.HasPrefix(key, "https://"):
		k = "link\n" + strings.TrimPrefix(key, "https://")
	case strings.Contains(key, ":"):
		k = "guid\n" + key
	default:
		k = feedURL + "\nguid\n" + key
	}
	sum := sha256.Sum256([]byte(k))
	return "f" + hex.EncodeToString(sum[:])[:20]
}

const (
	rssType  = "application/rss+xml; charset=utf-8"
	atomType = "application/atom+xml"
	jsonType = "application/feed+json"
)

// rss wraps items in an RSS 2.0 document.
func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Test Wire</title><link>https://example.com/</link><description>d</description>
` + strings.Join(items, "\n") + `
</channel></rss>`
}

// item is an RSS item with a guid, a title and more elements.
func item(guid, title string, more ...string) string {
	return `<item><guid isPermaLink="false">` + guid + `</guid><title>` + title + `</title>` +
		strings.Join(more, "") + `</item>`
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name, contentType, doc, key string
		want                        news.Article
	}{
		{
			name:        "rss 2.0",
			contentType: rssType,
			doc: rss(`<item>
				<guid>urn:story:1</guid>
				<title>Markets &amp; rates</title>
				<link>https://example.com/story/1</link>
				<description>&lt;p&gt;Rates &lt;b&gt;rose&lt;/b&gt;.&lt;/p&gt;</description>
				<content:encoded><![CDATA[<p>First paragraph.</p><p>Second <em>one</em>.</p>]]></content:encoded>
				<category>Business</category><category>Economy</category>
				<pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate>
				<enclosure url="https://example.com/a.mp3" type="audio/mpeg" length="1"/>
				<enclosure url="https://example.com/a.jpg" type="image/jpeg" length="1"/>
			</item>`),
			key: "https://example.com/story/1",
			want: news.Article{
				Title: "Markets & rates", Summary: "Rates rose.",
				Body: []string{"First paragraph.", "Second one."},
				URL:  "https://example.com/story/1", Image: "https://example.com/a.jpg",
				Source: "Test Wire", Category: "Business", Flash: true,
				PublishedAt: date("2023-11-27T10:00:00Z"), UpdatedAt: date("2023-11-27T10:00:00Z"),
			},
		},
		{
			name:        "atom",
			contentType: atomType,
			doc: `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Atom &lt;i&gt;Desk&lt;/i&gt;</title><id>urn:feed</id><updated>2023-11-28T09:00:00Z</updated>
  <entry>
    <id>tag:example.com,2023:2</id>
    <title>Election results</title>
    <link rel="alternate" href="https://example.com/story/2"/>
    <summary>Counting continues.</summary>
    <content type="html">&lt;p&gt;Polls closed.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Turnout high&lt;/li&gt;&lt;/ul&gt;</content>
    <category term="Politics"/>
    <published>2023-11-28T08:00:00Z</published>
    <updated>2023-11-28T09:30:00Z</updated>
  </entry>
</feed>`,
			key: "https://example.com/story/2",
			want: news.Article{
				Title: "Election results", Summary: "Counting continues.",
				Body:   []string{"Polls closed.", "Turnout high"},
				URL:    "https://example.com/story/2",
				Source: "Atom Desk", Category: "Politics", Flash: true,
				PublishedAt: date("2023-11-28T08:00:00Z"), UpdatedAt: date("2023-11-28T09:30:00Z"),
			},
		},
		{
			name:        "json feed",
			contentType: jsonType,
			doc: `{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "JSON Times",
  "items": [{
    "id": "3",
    "url": "https://example.com/story/3",
    "title": "Launch delayed",
    "content_html": "<p>Weather.</p><p>New date soon.</p>",
    "image": "https://example.com/3.png",
    "tags": ["Science", "Space"],
    "date_published": "2023-11-29T07:15:00Z",
    "date_modified": "2023-11-29T08:00:00+01:00"
  }]
}`,
			key: "https://example.com/story/3",
			want: news.Article{
				Title: "Launch delayed", Summary: "Weather. New date soon.",
				Body: []string{"Weather.", "New date soon."},
				URL:  "https://example.com/story/3", Image: "https://example.com/3.png",
				Source: "JSON Times", Category: "Science", Flash: true,
				// date_modified is 07:00Z, before publication, so it is not used.
				PublishedAt: date("2023-11-29T07:15:00Z"), UpdatedAt: date("2023-11-29T07:15:00Z"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(tt.contentType, tt.doc)
			e.poll(t)
			if st := e.status(t); st.LastError != "" || st.Articles != 1 || st.Polls != 1 || st.LastSuccess.IsZero() {
				t.Fatalf("status = %+v, want one successful poll of 1 article", st)
			}
			got := e.article(t)
			want := tt.want
			want.ID = feedID(e.url, tt.key)
			if !equalArticles(got, want) {
				t.Errorf("article:\n got %+v\nwant %+v", got, want)
			}
			if n := e.notify.Load(); n != 1 {
				t.Errorf("Notify called %d times, want 1", n)
			}
		})
	}
}

func equalArticles(a, b news.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary && slices.Equal(a.Body, b.Body) &&
		a.URL == b.URL && a.Image == b.Image && a.Source == b.Source && a.Category == b.Category &&
		a.Flash == b.Flash && a.PublishedAt.Equal(b.PublishedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestPlainText(t *testing.T) {
	long := strings.Repeat("word ", 400)
	tests := []struct {
		name, title, description string
		wantTitle, wantSummary   string
	}{
		{
			name:        "script in cdata",
			title:       `<![CDATA[Breaking <b>news</b><script>alert("t")</script>]]>`,
			description: `<![CDATA[<p onclick="x()">Body</p><script type="text/javascript">document.cookie</script> end]]>`,
			wantTitle:   "Breaking news", wantSummary: "Body end",
		},
		{
			name:        "escaped html",
			title:       `Hello &lt;img src=x onerror=alert(1)&gt;world`,
			description: `&lt;div&gt;&lt;script&gt;steal()&lt;/script&gt;&lt;a href="javascript:x"&gt;link&lt;/a&gt;&lt;/div&gt;`,
			wantTitle:   "Hello world", wantSummary: "link",
		},
		{
			name:        "style and iframe",
			title:       `<![CDATA[<style>body{display:none}</style>Styled]]>`,
			description: `<![CDATA[<iframe src="https://evil.example/">fallback</iframe>Visible<noscript>no</noscript>]]>`,
			wantTitle:   "Styled", wantSummary: "Visible",
		},
		{
			name:        "unclosed script",
			title:       `<![CDATA[Title <script>never closed]]>`,
			description: `<![CDATA[Text<script>x]]>`,
			wantTitle:   "Title", wantSummary: "Text",
		},
		{
			name:        "entities decoded once",
			title:       `<![CDATA[Fish &amp;amp; Chips &lt;3]]>`,
			description: `<![CDATA[5 &gt; 3 &amp;&amp; caf&eacute; &#8212; ok]]>`,
			wantTitle:   "Fish &amp; Chips <3", wantSummary: "5 > 3 && café — ok",
		},
		{
			name:        "whitespace collapsed",
			title:       "  many\n\n  spaces\t here  ",
			description: `<![CDATA[<p>one</p><p>two</p><br>three]]>`,
			wantTitle:   "many spaces here", wantSummary: "one two three",
		},
		{
			name:        "truncated",
			title:       long,
			description: long + long + long,
			wantTitle:   strings.TrimSpace(long[:news.MaxTitleLen-1]) + "…",
			wantSummary: strings.TrimSpace((long + long + long)[:news.MaxSummaryLen-1]) + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, rss(item("g", tt.title, "<description>"+tt.description+"</description>")))
			e.poll(t)
			got := e.article(t)
			if got.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", got.Title, tt.wantTitle)
			}
			if got.Summary != tt.wantSummary {
				t.Errorf("summary = %q, want %q", got.Summary, tt.wantSummary)
			}
			for _, s := range []string{got.Title, got.Summary} {
				if strings.Contains(strings.ToLower(s), "<script") || strings.Contains(s, "alert") ||
					strings.Contains(s, "steal") || strings.Contains(s, "cookie") {
					t.Errorf("%q keeps script text", s)
				}
			}
			if n := utf8.RuneCountInString(got.Title); n > news.MaxTitleLen {
				t.Errorf("title has %d runes, want at most %d", n, news.MaxTitleLen)
			}
		})
	}
}

func TestUnsafeURLs(t *testing.T) {
	tests := []struct {
		name, more         string
		wantURL, wantImage string
	}{
		{
			name:    "javascript link",
			more:    `<link>javascript:alert(1)</link>`,
			wantURL: "",
		},
		{
			name:    "javascript link with spaces and case",
			more:    `<link>  JavaScript:alert(1)</link>`,
			wantURL: "",
		},
		{
			name:    "data link",
			more:    `<link>data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==</link>`,
			wantURL: "",
		},
		{
			name:      "data image enclosure",
			more:      `<link>https://example.com/ok</link><enclosure url="data:image/png;base64,AAAA" type="image/png" length="4"/>`,
			wantURL:   "https://example.com/ok",
			wantImage: "",
		},
		{
			name:      "javascript image then a good one",
			more:      `<enclosure url="javascript:alert(1)" type="image/png" length="1"/><enclosure url="https://example.com/i.png" type="image/png" length="1"/>`,
			wantImage: "https://example.com/i.png",
		},
		{
			name:      "non-image enclosure",
			more:      `<enclosure url="https://example.com/a.mp3" type="audio/mpeg" length="1"/>`,
			wantImage: "",
		},
		{
			name:    "relative link resolved against the feed",
			more:    `<link>/story/7</link>`,
			wantURL: "/story/7", // prefixed with the server below
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, rss(item("g", "Title", tt.more)))
			e.poll(t)
			got := e.article(t)
			wantURL := tt.wantURL
			if strings.HasPrefix(wantURL, "/") {
				wantURL = strings.TrimSuffix(e.url, "/feed") + wantURL
			}
			if got.URL != wantURL {
				t.Errorf("url = %q, want %q", got.URL, wantURL)
			}
			if got.Image != tt.wantImage {
				t.Errorf("image = %q, want %q", got.Image, tt.wantImage)
			}
		})
	}
}

func TestMalformedKeepsArticles(t *testing.T) {
	tests := []struct {
		name, contentType, bad string
	}{
		{"truncated rss", rssType, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>x`},
		{"not a feed", "application/xml", `<?xml version="1.0"?><note>hello</note>`},
		{"truncated json", jsonType, `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[{"id":"1"`},
		{"empty body", rssType, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, rss(item("a", "Alpha"), item("b", "Beta")))
			e.poll(t)
			before, seq := e.articles(t), e.lastSeq(t)
			if len(before) != 2 {
				t.Fatalf("got %d articles after the good poll, want 2", len(before))
			}

			e.site.set(tt.contentType, tt.bad)
			e.poll(t)
			after := e.articles(t)
			if len(after) != 2 || e.lastSeq(t) != seq {
				t.Errorf("after the bad poll: %d articles, seq %d; want 2 articles, seq %d", len(after), e.lastSeq(t), seq)
			}
			st := e.status(t)
			if st.LastError == "" || st.LastErrorAt.IsZero() || st.Failures != 1 || st.Polls != 2 {
				t.Errorf("status = %+v, want LastError, LastErrorAt, 1 failure of 2 polls", st)
			}
			if st.LastErrorAt.Before(st.LastSuccess) {
				t.Errorf("LastErrorAt %v before LastSuccess %v, want the failure to be the latest", st.LastErrorAt, st.LastSuccess)
			}
			if st.Articles != 2 {
				t.Errorf("status articles = %d, want the last good count 2", st.Articles)
			}
			if n := e.notify.Load(); n != 1 {
				t.Errorf("Notify called %d times, want 1 (for the good poll only)", n)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	const lm = "Mon, 27 Nov 2023 10:00:00 GMT"
	tests := []struct {
		name, etag, lastModified string
	}{
		{"etag", `"v1"`, ""},
		{"last-modified", "", lm},
		{"both", `W/"v2"`, lm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, rss(item("a", "Alpha")))
			e.site.validators(tt.etag, tt.lastModified)
			e.poll(t)
			if h := e.site.lastRequest(t); h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
				t.Errorf("first request sent validators %v", h)
			}
			seq := e.lastSeq(t)

			e.poll(t)
			h := e.site.lastRequest(t)
			if got := h.Get("If-None-Match"); got != tt.etag {
				t.Errorf("If-None-Match = %q, want %q", got, tt.etag)
			}
			if got := h.Get("If-Modified-Since"); got != tt.lastModified {
				t.Errorf("If-Modified-Since = %q, want %q", got, tt.lastModified)
			}
			if got := e.lastSeq(t); got != seq {
				t.Errorf("seq after 304 = %d, want %d", got, seq)
			}
			if n := e.notify.Load(); n != 1 {
				t.Errorf("Notify called %d times, want 1", n)
			}
			st := e.status(t)
			if st.Polls != 2 || st.Failures != 0 || st.LastError != "" || st.Articles != 1 {
				t.Errorf("status = %+v, want 2 polls, no failure, 1 article", st)
			}
		})
	}
}

func TestUpdateInPlace(t *testing.T) {
	tests := []struct {
		name, key string
		doc       func(title string) string
	}{
		{
			name: "by guid",
			key:  "urn:1",
			doc: func(title string) string {
				return rss(item("urn:1", title, "<pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate>"))
			},
		},
		{
			name: "by link",
			key:  "https://example.com/s/1",
			doc: func(title string) string {
				return rss(`<item><title>` + title + `</title><link>https://example.com/s/1</link></item>`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, tt.doc("Old title"))
			e.poll(t)
			old := e.article(t)
			seq := e.lastSeq(t)

			e.site.set(rssType, tt.doc("New title"))
			e.poll(t)
			got := e.article(t)
			if want := feedID(e.url, tt.key); got.ID != want || old.ID != want {
				t.Errorf("ids = %q then %q, want %q both times", old.ID, got.ID, want)
			}
			if got.Title != "New title" {
				t.Errorf("title = %q, want %q", got.Title, "New title")
			}
			if !got.PublishedAt.Equal(old.PublishedAt) {
				t.Errorf("published_at moved from %v to %v", old.PublishedAt, got.PublishedAt)
			}
			events, err := e.store.EventsSince(t.Context(), seq, 10)
			if err != nil {
				t.Fatalf("EventsSince: %v", err)
			}
			if len(events) != 1 || events[0].Type != news.EventArticle || events[0].Article.ID != old.ID ||
				events[0].Article.Title != "New title" {
				t.Errorf("events = %+v, want one article event for %s with the new title", events, old.ID)
			}

			seq = e.lastSeq(t)
			e.poll(t)
			if got := e.lastSeq(t); got != seq {
				t.Errorf("an unchanged poll moved seq from %d to %d", seq, got)
			}
			if n := e.notify.Load(); n != 2 {
				t.Errorf("Notify called %d times, want 2", n)
			}
		})
	}
}

func TestDedup(t *testing.T) {
	tests := []struct {
		name      string
		items     []string
		wantTitle []string
	}{
		{
			name: "duplicate guids",
			items: []string{
				item("same", "First", "<pubDate>Tue, 28 Nov 2023 10:00:00 GMT</pubDate>"),
				item("same", "Second", "<pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate>"),
				item("other", "Other", "<pubDate>Sun, 26 Nov 2023 10:00:00 GMT</pubDate>"),
			},
			wantTitle: []string{"First", "Other"},
		},
		{
			name: "shared link without guids, distinct titles",
			items: []string{
				`<item><title>A</title><link>https://example.com/x</link><pubDate>Tue, 28 Nov 2023 10:00:00 GMT</pubDate></item>`,
				`<item><title>B</title><link>https://example.com/x</link><pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate></item>`,
			},
			wantTitle: []string{"A", "B"},
		},
		{
			name: "shared link without guids, same title",
			items: []string{
				`<item><title>A</title><link>https://example.com/x</link><pubDate>Tue, 28 Nov 2023 10:00:00 GMT</pubDate></item>`,
				`<item><title>A</title><link>https://example.com/x#again</link><pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate></item>`,
			},
			wantTitle: []string{"A"},
		},
		{
			name: "undated entries keep their first-seen date",
			items: []string{
				item("u1", "Undated one"),
				item("u2", "Undated two"),
			},
			wantTitle: []string{"Undated one", "Undated two"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.site.set(rssType, rss(tt.items...))
			e.poll(t)
			list := e.articles(t)
			var titles []string
			for _, a := range list {
				titles = append(titles, a.Title)
			}
			slices.Sort(titles)
			if !slices.Equal(titles, tt.wantTitle) {
				t.Errorf("titles = %q, want %q", titles, tt.wantTitle)
			}
			if st := e.status(t); st.Articles != len(tt.wantTitle) {
				t.Errorf("status articles = %d, want %d", st.Articles, len(tt.wantTitle))
			}
			seq := e.lastSeq(t)
			if seq != int64(len(tt.wantTitle)) {
				t.Errorf("seq = %d, want one event per distinct entry (%d)", seq, len(tt.wantTitle))
			}
			e.poll(t)
			if got := e.lastSeq(t); got != seq {
				t.Errorf("polling the same document again moved seq from %d to %d", seq, got)
			}
		})
	}
}

func TestCap(t *testing.T) {
	var items []string
	base := date("2023-01-01T00:00:00Z")
	for i := range 150 {
		items = append(items, item("g"+strconv.Itoa(i), "Item "+strconv.Itoa(i),
			"<pubDate>"+base.Add(time.Duration(i)*time.Hour).Format(time.RFC1123Z)+"</pubDate>"))
	}
	e := newEnv(t, nil)
	e.site.set(rssType, rss(items...))
	e.poll(t)
	list := e.articles(t)
	if len(list) != feed.DefaultMaxItems {
		t.Fatalf("got %d articles, want %d", len(list), feed.DefaultMaxItems)
	}
	if got, want := list[len(list)-1].Title, "Item 50"; got != want {
		t.Errorf("oldest kept = %q, want %q", got, want)
	}
}

func TestRefused(t *testing.T) {
	good := rss(item("a", "Alpha"))
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	tests := []struct {
		name    string
		handler http.HandlerFunc
		setup   func(o *feed.Options)
		wantErr string
	}{
		{
			name:    "oversize body",
			handler: func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, rss(item("a", strings.Repeat("x", 4096)))) },
			setup:   func(o *feed.Options) { o.MaxBytes = 1024 },
			wantErr: "larger than the 1024 byte limit",
		},
		{
			name: "oversize body without a length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", rssType)
				for range 8 {
					fmt.Fprint(w, strings.Repeat(" ", 512))
					w.(http.Flusher).Flush()
				}
			},
			setup:   func(o *feed.Options) { o.MaxBytes = 1024 },
			wantErr: "larger than the 1024 byte limit",
		},
		{
			name: "html",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, good)
			},
			wantErr: "content type text/html is not a feed",
		},
		{
			name: "image",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				fmt.Fprint(w, good)
			},
			wantErr: "content type image/png is not a feed",
		},
		{
			name:    "server error",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, good, http.StatusInternalServerError) },
			wantErr: "unexpected HTTP status 500",
		},
		{
			name:    "not found",
			handler: http.NotFound,
			wantErr: "unexpected HTTP status 404",
		},
		{
			name: "redirect loop",
			handler: func(w http.ResponseWriter, r *http.Request) {
				next := map[string]string{"/feed": "/a", "/a": "/b", "/b": "/feed"}[r.URL.Path]
				http.Redirect(w, r, next, http.StatusFound)
			},
			wantErr: "redirect loop",
		},
		{
			name: "too many redirects",
			handler: func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				http.Redirect(w, r, "/feed?n="+strconv.Itoa(n+1), http.StatusMovedPermanently)
			},
			wantErr: "stopped after 5 redirects",
		},
		{
			name: "body that never finishes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", rssType)
				fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>`)
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-never:
				}
			},
			setup:   func(o *feed.Options) { o.Timeout = 200 * time.Millisecond },
			wantErr: "timed out after 200ms",
		},
		{
			name:    "not a web url",
			wantErr: "not an absolute http or https URL",
			setup:   func(o *feed.Options) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*feed.Options)
			var handler http.Handler
			if tt.handler == nil {
				opts = append(opts, func(o *feed.Options) { o.URLs = []string{"ftp://example.com/feed"} })
			} else {
				handler = tt.handler
			}
			if tt.setup != nil {
				opts = append(opts, tt.setup)
			}
			e := newEnv(t, handler, opts...)
			start := time.Now()
			e.poll(t)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("poll took %v", d)
			}
			st := e.status(t)
			if !strings.Contains(st.LastError, tt.wantErr) {
				t.Errorf("LastError = %q, want it to contain %q", st.LastError, tt.wantErr)
			}
			if st.Failures != 1 || !st.LastSuccess.IsZero() {
				t.Errorf("status = %+v, want 1 failure and no success", st)
			}
			if list := e.articles(t); len(list) != 0 {
				t.Errorf("store has %d articles, want 0", len(list))
			}
		})
	}
}

func TestRedirectsAllowed(t *testing.T) {
	tests := []struct {
		name string
		hops int
	}{
		{"one", 1},
		{"five", feed.MaxRedirects},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				if n < tt.hops {
					http.Redirect(w, r, "/feed?n="+strconv.Itoa(n+1), http.StatusFound)
					return
				}
				w.Header().Set("Content-Type", rssType)
				fmt.Fprint(w, rss(item("a", "Alpha", "<link>story</link>")))
			}))
			e.poll(t)
			if st := e.status(t); st.LastError != "" {
				t.Fatalf("LastError = %q, want none", st.LastError)
			}
			got := e.article(t)
			if want := strings.TrimSuffix(e.url, "feed") + "story"; got.URL != want {
				t.Errorf("url = %q, want %q (resolved against the final URL)", got.URL, want)
			}
		})
	}
}

func TestStatusSortedAndOnPoll(t *testing.T) {
	e := newEnv(t, nil)
	e.site.set(rssType, rss(item("a", "Alpha")))
	urls := []string{e.url + "?z", e.url + "?a", e.url + "?m", e.url + "?a"}
	var mu sync.Mutex
	var polled []string
	p := feed.NewPoller(feed.Options{Store: e.store, URLs: urls, Logger: slog.New(slog.DiscardHandler),
		OnPoll: func(url string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("OnPoll(%s) err = %v", url, err)
			}
			polled = append(polled, url)
		}})
	p.PollOnce(t.Context())
	var got []string
	for _, s := range p.Status() {
		got = append(got, s.URL)
	}
	want := []string{e.url + "?a", e.url + "?m", e.url + "?z"}
	if !slices.Equal(got, want) {
		t.Errorf("Status URLs = %q, want %q", got, want)
	}
	slices.Sort(polled)
	if !slices.Equal(polled, want) {
		t.Errorf("OnPoll URLs = %q, want %q", polled, want)
	}
	if n := len(e.articles(t)); n != 3 {
		t.Errorf("store has %d articles, want 3 (one per feed URL)", n)
	}
}

func TestRun(t *testing.T) {
	e := newEnv(t, nil, func(o *feed.Options) { o.Interval = 10 * time.Millisecond })
	e.site.set(rssType, rss(item("a", "Alpha")))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		e.poller.Run(ctx)
		close(done)
	}()
	deadline := time.After(5 * time.Second)
	for e.status(t).Polls < 3 {
		select {
		case <-deadline:
			t.Fatalf("Run polled %d times in 5s, want at least 3", e.status(t).Polls)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if n := e.notify.Load(); n != 1 {
		t.Errorf("Notify called %d times, want 1 (only the first round changed the store)", n)
	}
}

func TestUndatedAcrossRestart(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"rss guid", rss(item("u", "Undated"))},
		{"rss link", rss(`<item><title>Undated</title><link>https://example.com/u</link></item>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.site.set(rssType, tt.doc)
			e.poll(t)
			first := e.article(t)
			seq := e.lastSeq(t)

			// A new poller remembers nothing: the date must come from the store.
			time.Sleep(1100 * time.Millisecond)
			p := feed.NewPoller(feed.Options{Store: e.store, URLs: []string{e.url}, Logger: slog.New(slog.DiscardHandler)})
			p.PollOnce(t.Context())
			if got := e.lastSeq(t); got != seq {
				t.Errorf("seq moved from %d to %d after a restart", seq, got)
			}
			if got := e.article(t); !got.PublishedAt.Equal(first.PublishedAt) {
				t.Errorf("published_at = %v, want the first-seen %v", got.PublishedAt, first.PublishedAt)
			}
		})
	}
}

// TestFutureDates: an entry dated in the future is stored with the time the
// poller first saw it, and keeps it on later polls, when it changes and
// after a restart; it never moves to a later "now", nor back to its date.
func TestFutureDates(t *testing.T) {
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC1123Z)
	tests := []struct {
		name, contentType string
		doc               func(title string) string
		key               string
	}{
		{
			name: "rss in 2199", contentType: rssType, key: "fut",
			doc: func(title string) string {
				return rss(item("fut", title, "<pubDate>Tue, 01 Jan 2199 00:00:00 GMT</pubDate>"))
			},
		},
		{
			name: "rss an hour ahead", contentType: rssType, key: "soon",
			doc: func(title string) string { return rss(item("soon", title, "<pubDate>"+soon+"</pubDate>")) },
		},
		{
			name: "atom updated only, in 2199", contentType: atomType, key: "urn:a",
			doc: func(title string) string {
				return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>` +
					`<entry><id>urn:a</id><title>` + title + `</title><updated>2199-01-01T00:00:00Z</updated></entry></feed>`
			},
		},
		{
			name: "json feed in 2199", contentType: jsonType, key: "j",
			doc: func(title string) string {
				return `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"j","title":"` + title +
					`","date_published":"2199-01-01T00:00:00Z","date_modified":"2199-06-01T00:00:00Z"}]}`
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.site.set(tt.contentType, tt.doc("Future"))
			start := time.Now().UTC().Truncate(time.Second)
			e.poll(t)
			end := time.Now().UTC()
			first := e.article(t)
			if first.ID != feedID(e.url, tt.key) {
				t.Fatalf("id = %q, want %q", first.ID, feedID(e.url, tt.key))
			}
			if got := first.PublishedAt; got.Before(start) || got.After(end) {
				t.Errorf("published_at = %v, want the time of the poll, %v to %v", got, start, end)
			}
			if !first.UpdatedAt.Equal(first.PublishedAt) {
				t.Errorf("updated_at = %v, want the published_at %v", first.UpdatedAt, first.PublishedAt)
			}

			// A second later the same document changes nothing.
			time.Sleep(1100 * time.Millisecond)
			seq := e.lastSeq(t)
			e.poll(t)
			if got := e.lastSeq(t); got != seq {
				t.Errorf("polling the same document again moved seq from %d to %d", seq, got)
			}
			if got := e.article(t); !got.PublishedAt.Equal(first.PublishedAt) || !got.UpdatedAt.Equal(first.UpdatedAt) {
				t.Errorf("dates moved from %v, %v to %v, %v", first.PublishedAt, first.UpdatedAt, got.PublishedAt, got.UpdatedAt)
			}

			// A change of the entry keeps its date.
			e.site.set(tt.contentType, tt.doc("Future, updated"))
			e.poll(t)
			if got := e.article(t); got.Title != "Future, updated" || !got.PublishedAt.Equal(first.PublishedAt) {
				t.Errorf("after a change: %q at %v, want %q at %v", got.Title, got.PublishedAt, "Future, updated", first.PublishedAt)
			}

			// A new poller remembers nothing: the date comes from the store.
			seq = e.lastSeq(t)
			p := feed.NewPoller(feed.Options{Store: e.store, URLs: []string{e.url}, Logger: slog.New(slog.DiscardHandler)})
			p.PollOnce(t.Context())
			if got := e.lastSeq(t); got != seq {
				t.Errorf("seq moved from %d to %d after a restart", seq, got)
			}
			if got := e.article(t); !got.PublishedAt.Equal(first.PublishedAt) {
				t.Errorf("after a restart published_at = %v, want %v", got.PublishedAt, first.PublishedAt)
			}
		})
	}
}

// TestFutureUpdateDate: an entry with a past publication date and an
// update date in the future keeps its own publication date, and the
// future update date is not used.
func TestFutureUpdateDate(t *testing.T) {
	e := newEnv(t, nil)
	e.site.set(atomType, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>`+
		`<entry><id>urn:u</id><title>T</title><published>2023-11-28T08:00:00Z</published><updated>2199-01-01T00:00:00Z</updated></entry></feed>`)
	e.poll(t)
	got := e.article(t)
	if want := date("2023-11-28T08:00:00Z"); !got.PublishedAt.Equal(want) || !got.UpdatedAt.Equal(want) {
		t.Errorf("dates = %v, %v, want %v for both", got.PublishedAt, got.UpdatedAt, want)
	}
}

// TestFeedTextHygiene: feed text goes through the same cleaning as
// published articles: bidi overrides and controls are stripped, and an
// entry whose title shows nothing is skipped.
func TestFeedTextHygiene(t *testing.T) {
	tests := []struct {
		name, feedTitle, title, category string
		wantSource, wantTitle, wantCat   string // wantTitle "" when skipped
	}{
		{"override in source", "\u202eTest Wire", "Title", "", "Test Wire", "Title", ""},
		{"isolates in title", "W", "a \u2067b\u2069 \u202dc\u202c", "\u2066World\u2069", "W", "a b c", "World"},
		{"C1 and DEL as spaces", "W\u0085x\u007f", "T\u009b1", "", "W x", "T 1", ""}, // the sanitiser spaces them
		{"rtl intact", "الجزيرة", "عاجل\u200f: اتفاق", "חדשות", "الجزيرة", "عاجل\u200f: اتفاق", "חדשות"},
		{"zero-width title skipped", "W", "\u200b\u200d&#x2060;", "", "W", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			cat := ""
			if tt.category != "" {
				cat = "<category>" + tt.category + "</category>"
			}
			e.site.set(rssType, strings.Replace(rss(item("g", tt.title, cat, "<pubDate>Mon, 27 Nov 2023 10:00:00 GMT</pubDate>")),
				"<title>Test Wire</title>", "<title>"+tt.feedTitle+"</title>", 1))
			e.poll(t)
			list := e.articles(t)
			if tt.wantTitle == "" {
				if len(list) != 0 {
					t.Errorf("got %+v, want the entry skipped", list)
				}
				return
			}
			if len(list) != 1 {
				t.Fatalf("got %d articles, want 1", len(list))
			}
			got := list[0]
			if got.Source != tt.wantSource || got.Title != tt.wantTitle || got.Category != tt.wantCat {
				t.Errorf("got source %+q title %+q category %+q, want %+q %+q %+q",
					got.Source, got.Title, got.Category, tt.wantSource, tt.wantTitle, tt.wantCat)
			}
		})
	}
}
