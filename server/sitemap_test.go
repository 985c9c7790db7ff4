package server_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

// The sitemap as a namespace-aware parser reads it: elements match only in
// the sitemap and Google News namespaces.
type (
	smURLSet struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []smURL  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
	}
	smURL struct {
		Loc     string  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
		LastMod string  `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 lastmod"`
		News    *smNews `xml:"http://www.google.com/schemas/sitemap-news/0.9 news"`
	}
	smNews struct {
		Publication struct {
			Name     string `xml:"http://www.google.com/schemas/sitemap-news/0.9 name"`
			Language string `xml:"http://www.google.com/schemas/sitemap-news/0.9 language"`
		} `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication"`
		Date  string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication_date"`
		Title string `xml:"http://www.google.com/schemas/sitemap-news/0.9 title"`
	}
)

// sitemap fetches and parses /sitemap.xml, which must succeed.
func (ts *testServer) sitemap(t *testing.T) smURLSet {
	t.Helper()
	r := ts.get(t, "/sitemap.xml", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); got != "application/xml; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	wellFormedXML(t, r.Body)
	var set smURLSet
	if err := xml.Unmarshal(r.Body, &set); err != nil {
		t.Fatalf("the sitemap does not parse: %v\n%.500s", err, r.Body)
	}
	return set
}

// allArticles pages through /api/articles.
func (ts *testServer) allArticles(t *testing.T) []news.Article {
	t.Helper()
	var all []news.Article
	for before := ""; ; {
		l := ts.list(t, "?limit=50&before="+url.QueryEscape(before))
		all = append(all, l.Articles...)
		if l.Next == "" {
			return all
		}
		before = l.Next
	}
}

// TestSitemap: every article page, newest first, with its lastmod, and the
// Google News entry for exactly the articles of the last 48 hours.
func TestSitemap(t *testing.T) {
	ts := newTestServer(t, withPublicURL)
	now := time.Now().UTC()
	ages := map[string]time.Duration{ // by id
		"fresh": time.Hour, "two-days-less-an-hour": 47 * time.Hour,
		"two-days-and-an-hour": 49 * time.Hour, "last-week": 7 * 24 * time.Hour,
	}
	for id, age := range ages {
		ts.publish(t, obj{"id": id, "title": "News " + id, "published_at": now.Add(-age).Format(time.RFC3339)})
	}
	// more than one page of the store
	for i := range 60 {
		ts.publish(t, obj{"id": fmt.Sprintf("old-%02d", i), "title": fmt.Sprintf("Old news %d", i),
			"published_at": time.Date(2020, 1, 1, 0, i, 0, 0, time.UTC).Format(time.RFC3339)})
	}

	set := ts.sitemap(t)
	all := ts.allArticles(t)
	if len(set.URLs) != len(all) {
		t.Fatalf("the sitemap lists %d pages, the store holds %d articles", len(set.URLs), len(all))
	}
	var news48 []string
	for i, a := range all {
		u := set.URLs[i]
		if u.Loc != pageURL(a.ID) {
			t.Fatalf("entry %d: loc %q, want %q", i, u.Loc, pageURL(a.ID))
		}
		if lm, err := time.Parse(time.RFC3339, u.LastMod); err != nil || !lm.Equal(a.UpdatedAt) {
			t.Errorf("%s: lastmod %q, want %v", a.ID, u.LastMod, a.UpdatedAt)
		}
		if u.News == nil {
			continue
		}
		news48 = append(news48, a.ID)
		n := u.News
		if n.Publication.Name != "news.example.com" || n.Publication.Language != "en" || n.Title != a.Title {
			t.Errorf("%s: news entry %+v", a.ID, n)
		}
		if d, err := time.Parse(time.RFC3339, n.Date); err != nil || !d.Equal(a.PublishedAt) {
			t.Errorf("%s: publication_date %q, want %v", a.ID, n.Date, a.PublishedAt)
		}
	}
	if want := []string{"fresh", "two-days-less-an-hour"}; !slices.Equal(news48, want) {
		t.Errorf("news entries for %q, want %q", news48, want)
	}
}

// TestSitemapFollowsEdits: an edit shows in lastmod, a new article appears
// at the top, and the public URL's path prefix is kept.
func TestSitemapFollowsEdits(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) { o.PublicURL = testPublicURL + "/news/" })
	before := ts.sitemap(t)
	if len(before.URLs) != seedCount {
		t.Fatalf("%d entries, want the %d seed articles", len(before.URLs), seedCount)
	}
	for _, u := range before.URLs {
		if !strings.HasPrefix(u.Loc, testPublicURL+"/news/articles/") {
			t.Errorf("loc %q is not under the public URL", u.Loc)
		}
	}
	ts.publish(t, obj{"id": "breaking", "title": "Breaking"})
	edited := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
	r := ts.do(t, http.MethodPut, "/api/articles/"+seedArticles[1].ID, mustJSON(t, obj{
		"title": "Edited", "updated_at": edited.Format(time.RFC3339)}), auth)
	wantStatus(t, r, http.StatusOK)
	after := ts.sitemap(t)
	if len(after.URLs) != seedCount+1 || after.URLs[0].Loc != testPublicURL+"/news/articles/breaking" || after.URLs[0].News == nil {
		t.Fatalf("after a publish: %d entries, first %+v", len(after.URLs), after.URLs[0])
	}
	i := slices.IndexFunc(after.URLs, func(u smURL) bool { return strings.HasSuffix(u.Loc, "/"+seedArticles[1].ID) })
	if i < 0 || after.URLs[i].LastMod != edited.Format(time.RFC3339) {
		t.Errorf("the edited article's entry: %+v, want lastmod %s", after.URLs[max(i, 0)], edited.Format(time.RFC3339))
	}
}
