package server

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswidget/app/news"
	"newswidget/app/ui"
	"newswidget/server/assets"
)

// The publisher's news for feed readers: GET /feed.xml (RSS 2.0) and
// GET /feed.json (JSON Feed 1.1). They list what GET /api/articles lists --
// the same store query, the same limit, category and flash parameters with
// the same validation and JSON errors -- newest first, the newest
// news.MaxListLimit by default. Each is encoded once per store change and
// served with a strong ETag; every absolute URL in them comes from the
// configured public URL.

const (
	// cacheOut is the Cache-Control of the feeds and the sitemap: a CDN may
	// hold them as long as it holds one article's API response, so that a
	// retraction leaves every public surface within the same minute or two.
	cacheOut = "public, max-age=30, stale-while-revalidate=60"
	// maxCachedOut bounds the encoded feeds kept per store change; the key
	// (the query) comes from readers.
	maxCachedOut = 256
	// buildTimeout bounds a shared encoding: it runs detached from the
	// request that started it, whose client may leave while others wait.
	buildTimeout = 30 * time.Second
	// siteLanguage is the language of the pages (go-app's Handler Lang).
	siteLanguage = "en"
	productName  = "newswidget"

	rssContentType      = "application/rss+xml; charset=utf-8"
	jsonFeedContentType = "application/feed+json; charset=utf-8"
	feedPathRSS         = "/feed.xml"
	feedPathJSON        = "/feed.json"
)

// GET /feed.xml?limit=&category=&flash=
func (s *Server) handleFeedRSS(w http.ResponseWriter, r *http.Request) error {
	return s.serveFeed(w, r, feedPathRSS, rssContentType, s.encodeRSS)
}

// GET /feed.json?limit=&category=&flash=
func (s *Server) handleFeedJSON(w http.ResponseWriter, r *http.Request) error {
	return s.serveFeed(w, r, feedPathJSON, jsonFeedContentType, s.encodeJSONFeed)
}

// feedInfo is what a feed says about itself.
type feedInfo struct {
	self, title, description string
}

func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, path, contentType string,
	encode func(feedInfo, []news.Article) ([]byte, error)) error {
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	f, canon, err := parseFeedFilter(q)
	if err != nil {
		return err
	}
	// The self link and the cache key are the validated query, never the
	// request's own bytes.
	query := canon.Encode()
	e, err := s.out.get(s.catalog.currentSeq(), path+"?"+query, func() (*assets.Entity, time.Time, error) {
		// a build takes one of the render slots, so distinct queries cannot
		// take every core
		release, err := s.pages.acquire(r.Context())
		if err != nil {
			return nil, time.Time{}, err
		}
		defer release()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), buildTimeout)
		defer cancel()
		list, _, err := s.store.Articles(ctx, f)
		if err != nil {
			return nil, time.Time{}, err
		}
		named := f
		if f.Category != "" && len(list) > 0 { // the category as the publisher spells it
			named.Category = list[0].Category
		}
		b, err := encode(s.feedInfo(path, query, named), list)
		if err != nil {
			return nil, time.Time{}, err
		}
		return outEntity(b), time.Time{}, nil
	})
	if err != nil {
		return err
	}
	s.writeEncoded(w, r, e, contentType, cacheOut)
	return nil
}

// parseFeedFilter reads a feed's query as parseFilter reads a listing's,
// with the newest news.MaxListLimit articles by default, and returns the
// canonical query of what it accepted. A feed always starts at the newest
// article: a reader polls it, it does not page.
func parseFeedFilter(q url.Values) (news.ArticleFilter, url.Values, error) {
	f, err := parseFilter(q)
	if err != nil {
		return f, nil, err
	}
	if !f.Before.IsZero() {
		return f, nil, news.FieldError("before", "is not accepted by a feed, which always starts at the newest article; page with /api/articles")
	}
	canon := url.Values{}
	if q.Has("limit") {
		canon.Set("limit", strconv.Itoa(f.Limit))
	} else {
		f.Limit = news.MaxListLimit
	}
	if f.Category != "" {
		canon.Set("category", f.Category)
	}
	if f.Flash != nil {
		canon.Set("flash", strconv.FormatBool(*f.Flash))
	}
	return f, canon, nil
}

func (s *Server) feedInfo(path, query string, f news.ArticleFilter) feedInfo {
	self := s.absURL(path)
	if query != "" {
		self += "?" + query
	}
	name := s.publicationName()
	title, what := name+" — Latest news", "The latest news"
	if f.Flash != nil && *f.Flash {
		title, what = name+" — Flash News", "Flash news"
	}
	if f.Category != "" {
		title += ": " + f.Category
		what += " in " + f.Category
	}
	return feedInfo{self: self, title: title, description: what + " from " + name + ", newest first."}
}

// articlePageURL is an article's own page under the public URL: its
// canonical address, and its stable id in every feed.
func (s *Server) articlePageURL(id string) string {
	return s.absURL(ui.ArticlePathRoot + url.PathEscape(id))
}

// publicationName names the publisher where a name is needed (feed titles,
// the Google News sitemap, schema.org's publisher): the public URL's host
// and path, the one name of the site the configuration holds.
func (s *Server) publicationName() string {
	return s.publicURL.Host + strings.TrimSuffix(s.publicURL.Path, "/")
}

// itemLink is where a headline goes: the article's own URL, else its page.
func (s *Server) itemLink(a news.Article) string {
	if news.IsWebURL(a.URL) {
		return a.URL
	}
	return s.articlePageURL(a.ID)
}

func feedTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// --- RSS 2.0 ---------------------------------------------------------------

// The structures below are written by encoding/xml, which escapes every
// piece of publisher text; element names carry their prefixes literally,
// declared on <rss>.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Content string     `xml:"xmlns:content,attr"`
	DC      string     `xml:"xmlns:dc,attr"`
	Media   string     `xml:"xmlns:media,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Self          atomLink  `xml:"atom:link"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Generator     string    `xml:"generator"`
	Docs          string    `xml:"docs"`
	Image         *rssImage `xml:"image"`
	Items         []rssItem `xml:"item"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssImage struct {
	URL   string `xml:"url"`
	Title string `xml:"title"`
	Link  string `xml:"link"`
}

type rssItem struct {
	Title       string        `xml:"title"`
	Link        string        `xml:"link"`
	GUID        rssGUID       `xml:"guid"`
	PubDate     string        `xml:"pubDate"`
	Updated     string        `xml:"atom:updated"`
	Description string        `xml:"description,omitempty"`
	Content     string        `xml:"content:encoded,omitempty"`
	Category    string        `xml:"category,omitempty"`
	Creator     string        `xml:"dc:creator,omitempty"`
	Media       *mediaContent `xml:"media:content"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type mediaContent struct {
	URL    string `xml:"url,attr"`
	Medium string `xml:"medium,attr"`
}

func (s *Server) encodeRSS(info feedInfo, list []news.Article) ([]byte, error) {
	home := s.absURL("/")
	ch := rssChannel{
		Title:       info.title,
		Link:        home,
		Description: info.description,
		Self:        atomLink{Href: info.self, Rel: "self", Type: "application/rss+xml"},
		Language:    siteLanguage,
		Generator:   productName,
		Docs:        "https://www.rssboard.org/rss-specification",
		Items:       make([]rssItem, 0, len(list)),
	}
	if s.static.IconPNG != "" {
		ch.Image = &rssImage{URL: s.absURL(s.static.IconPNG), Title: info.title, Link: home}
	}
	var newest time.Time
	for _, a := range list {
		if a.UpdatedAt.After(newest) {
			newest = a.UpdatedAt
		}
		// RSS readers treat description and content:encoded as HTML: the
		// plain text is HTML-escaped before encoding/xml escapes it again,
		// so "<b>" reads as those three characters, never as markup.
		desc := a.Summary
		if desc == "" && len(a.Body) > 0 {
			desc = a.Body[0]
		}
		it := rssItem{
			Title:       a.Title, // plain text, as the RSS profile asks of titles
			Link:        s.itemLink(a),
			GUID:        rssGUID{IsPermaLink: true, Value: s.articlePageURL(a.ID)},
			PubDate:     a.PublishedAt.UTC().Format(time.RFC1123Z),
			Updated:     feedTime(a.UpdatedAt),
			Description: textHTML(desc),
			Content:     paragraphsHTML(a.Body),
			Category:    a.Category,
			Creator:     a.Source,
		}
		if news.IsWebURL(a.Image) {
			it.Media = &mediaContent{URL: a.Image, Medium: "image"}
		}
		ch.Items = append(ch.Items, it)
	}
	if !newest.IsZero() { // from the articles, not the clock: one state, one ETag
		ch.LastBuildDate = newest.UTC().Format(time.RFC1123Z)
	}
	doc := rssDoc{
		Version: "2.0",
		Atom:    "http://www.w3.org/2005/Atom",
		Content: "http://purl.org/rss/1.0/modules/content/",
		DC:      "http://purl.org/dc/elements/1.1/",
		Media:   "http://search.yahoo.com/mrss/",
		Channel: ch,
	}
	return marshalXML(doc)
}

// textHTML is plain text as HTML that shows it as it is.
func textHTML(s string) string { return html.EscapeString(s) }

// paragraphsHTML is the body's plain-text paragraphs as HTML paragraphs.
func paragraphsHTML(body []string) string {
	var b strings.Builder
	for _, p := range body {
		b.WriteString("<p>")
		b.WriteString(textHTML(p))
		b.WriteString("</p>")
	}
	return b.String()
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", " ")
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(xml.Header)+len(b)+1)
	out = append(out, xml.Header...)
	out = append(out, b...)
	return append(out, '\n'), nil
}

// --- JSON Feed 1.1 ---------------------------------------------------------

type jsonFeed struct {
	Version     string         `json:"version"`
	Title       string         `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Description string         `json:"description"`
	Icon        string         `json:"icon,omitempty"`
	Favicon     string         `json:"favicon,omitempty"`
	Language    string         `json:"language"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonFeedItem struct {
	ID            string           `json:"id"`
	URL           string           `json:"url"`
	Title         string           `json:"title"`
	Summary       string           `json:"summary,omitempty"`
	ContentText   string           `json:"content_text"`
	Image         string           `json:"image,omitempty"`
	DatePublished string           `json:"date_published"`
	DateModified  string           `json:"date_modified"`
	Tags          []string         `json:"tags,omitempty"`
	Authors       []jsonFeedAuthor `json:"authors,omitempty"`
}

type jsonFeedAuthor struct {
	Name string `json:"name"`
}

func (s *Server) encodeJSONFeed(info feedInfo, list []news.Article) ([]byte, error) {
	feed := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       info.title,
		HomePageURL: s.absURL("/"),
		FeedURL:     info.self,
		Description: info.description,
		Language:    siteLanguage,
		Items:       make([]jsonFeedItem, 0, len(list)),
	}
	if s.static.IconPNG != "" {
		feed.Icon = s.absURL(s.static.IconPNG)
	}
	if s.static.IconSVG != "" {
		feed.Favicon = s.absURL(s.static.IconSVG)
	}
	for _, a := range list {
		// JSON Feed requires content: the body's paragraphs, else the
		// summary, else the headline.
		content := strings.Join(a.Body, "\n\n")
		if content == "" {
			content = a.Summary
		}
		if content == "" {
			content = a.Title
		}
		it := jsonFeedItem{
			ID:            s.articlePageURL(a.ID),
			URL:           s.itemLink(a),
			Title:         a.Title,
			Summary:       a.Summary,
			ContentText:   content,
			DatePublished: feedTime(a.PublishedAt),
			DateModified:  feedTime(a.UpdatedAt),
		}
		if news.IsWebURL(a.Image) {
			it.Image = a.Image
		}
		if a.Category != "" {
			it.Tags = []string{a.Category}
		}
		if a.Source != "" {
			it.Authors = []jsonFeedAuthor{{Name: a.Source}}
		}
		feed.Items = append(feed.Items, it)
	}
	b, err := json.Marshal(feed)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// --- serving ---------------------------------------------------------------

// outEntity is a body with its strong ETag, compressed once when it is
// encoded (not per request) unless too small to gain.
func outEntity(b []byte) *assets.Entity {
	e := &assets.Entity{Body: b, ETag: assets.ETagOf(b)}
	if len(b) > 512 {
		e.Br, e.Gz = assets.CompressFast(b)
	}
	return e
}

// outCache holds the feeds and the sitemap, each encoded once per store
// change: tied to the catalog's event sequence as the catalog's own
// responses are, bounded, and built once however many readers ask at the
// same time. An entry may also expire with time (the sitemap's Google News
// window moves on with the clock). The zero value is ready.
type outCache struct {
	mu  sync.Mutex
	seq int64
	m   map[string]*outEntry
}

type outEntry struct {
	done    chan struct{} // closed once the fields below are set
	e       *assets.Entity
	expires time.Time // zero: until the store changes
	err     error
}

// get returns the entity of key at the store's sequence seq, building it
// (or waiting for the build under way) when it is not cached or expired.
// A build that fails is not cached: the next asker tries again.
func (c *outCache) get(seq int64, key string, build func() (*assets.Entity, time.Time, error)) (*assets.Entity, error) {
	c.mu.Lock()
	if c.m == nil || seq > c.seq {
		c.seq, c.m = seq, map[string]*outEntry{}
	}
	if seq < c.seq { // a reader that saw an older sequence: serve it, keep nothing
		c.mu.Unlock()
		e, _, err := build()
		return e, err
	}
	en, ok := c.m[key]
	if ok {
		select {
		case <-en.done:
			if !en.expires.IsZero() && !time.Now().Before(en.expires) {
				ok = false
			}
		default:
		}
	}
	if ok {
		c.mu.Unlock()
		<-en.done
		return en.e, en.err
	}
	en = &outEntry{done: make(chan struct{})}
	if len(c.m) >= maxCachedOut {
		clear(c.m)
	}
	c.m[key] = en
	c.mu.Unlock()
	defer func() {
		if en.e == nil && en.err == nil { // the build panicked
			en.err = news.Errorf(news.EInternal, "internal error")
		}
		if en.err != nil {
			c.mu.Lock()
			if c.m[key] == en {
				delete(c.m, key)
			}
			c.mu.Unlock()
		}
		close(en.done)
	}()
	en.e, en.expires, en.err = build()
	return en.e, en.err
}
