package server

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"time"

	"newswidget/app/news"
	"newswidget/app/ui"
)

// articleHead puts into an article page's <head>, once when the page is
// rendered, what search engines and feed readers look for: the canonical
// URL of the page, links to the feeds, and a schema.org NewsArticle as
// JSON-LD. Every URL comes from the configured public URL. go-app's head is
// shared by all pages, so this is done to the rendered bytes, and only to
// article pages: the widget frame (/embed) has a byte budget and no
// business being indexed.
//
// The JSON-LD is a data block (<script type="application/ld+json">), which
// a browser never executes, so the page's CSP (script-src 'self') does not
// refuse it; encoding/json writes <, > and & as \u003c, \u003e and \u0026,
// so no text of the article can close the element.
func (s *Server) articleHead(path string, status int, page []byte) []byte {
	id, ok := strings.CutPrefix(path, ui.ArticlePathRoot)
	if !ok || status != http.StatusOK || !news.ValidID(id) {
		return page
	}
	end := bytes.Index(page, []byte("</head>"))
	if end < 0 {
		return page
	}
	var b bytes.Buffer
	link := func(attrs ...string) {
		b.WriteString("<link")
		for i := 0; i+1 < len(attrs); i += 2 {
			b.WriteString(" " + attrs[i] + `="` + html.EscapeString(attrs[i+1]) + `"`)
		}
		b.WriteString(">\n")
	}
	link("rel", "canonical", "href", s.articlePageURL(id))
	name := s.publicationName()
	link("rel", "alternate", "type", "application/rss+xml", "title", name+" (RSS)", "href", s.absURL(feedPathRSS))
	link("rel", "alternate", "type", "application/feed+json", "title", name+" (JSON Feed)", "href", s.absURL(feedPathJSON))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a, err := s.store.Article(ctx, id); err == nil {
		if ld, err := json.Marshal(s.newsArticleLD(a)); err == nil {
			b.WriteString(`<script type="application/ld+json">`)
			b.Write(ld)
			b.WriteString("</script>\n")
		}
	}
	out := make([]byte, 0, len(page)+b.Len())
	out = append(out, page[:end]...)
	out = append(out, b.Bytes()...)
	return append(out, page[end:]...)
}

// schema.org types, as JSON-LD.
type (
	ldNewsArticle struct {
		Context          string   `json:"@context"`
		Type             string   `json:"@type"`
		Headline         string   `json:"headline"`
		Description      string   `json:"description,omitempty"`
		Image            []string `json:"image,omitempty"`
		DatePublished    string   `json:"datePublished"`
		DateModified     string   `json:"dateModified"`
		ArticleSection   string   `json:"articleSection,omitempty"`
		Author           *ldOrg   `json:"author,omitempty"`
		Publisher        ldOrg    `json:"publisher"`
		MainEntityOfPage ldThing  `json:"mainEntityOfPage"`
		URL              string   `json:"url"`
		IsBasedOn        string   `json:"isBasedOn,omitempty"`
		Expires          string   `json:"expires,omitempty"`
		Correction       string   `json:"correction,omitempty"`
	}
	ldOrg struct {
		Type string   `json:"@type"`
		Name string   `json:"name"`
		URL  string   `json:"url,omitempty"`
		Logo *ldThing `json:"logo,omitempty"`
	}
	ldThing struct {
		Type string `json:"@type"`
		ID   string `json:"@id,omitempty"`
		URL  string `json:"url,omitempty"`
	}
)

// newsArticleLD describes an article for search engines. The publisher is
// the site (named by its public URL); the article's source, a news agency
// or outlet, is its author.
func (s *Server) newsArticleLD(a news.Article) ldNewsArticle {
	page := s.articlePageURL(a.ID)
	modified := a.UpdatedAt
	if modified.IsZero() || modified.Before(a.PublishedAt) {
		modified = a.PublishedAt
	}
	ld := ldNewsArticle{
		Context:          "https://schema.org",
		Type:             "NewsArticle",
		Headline:         a.Title,
		Description:      a.Summary,
		DatePublished:    feedTime(a.PublishedAt),
		DateModified:     feedTime(modified),
		ArticleSection:   a.Category,
		Publisher:        ldOrg{Type: "Organization", Name: s.publicationName(), URL: s.absURL("/")},
		MainEntityOfPage: ldThing{Type: "WebPage", ID: page},
		URL:              page,
	}
	if s.static.IconPNG != "" {
		ld.Publisher.Logo = &ldThing{Type: "ImageObject", URL: s.absURL(s.static.IconPNG)}
	}
	if news.IsWebURL(a.Image) {
		ld.Image = []string{a.Image}
	}
	if a.Source != "" {
		ld.Author = &ldOrg{Type: "Organization", Name: a.Source}
	}
	if news.IsWebURL(a.URL) {
		ld.IsBasedOn = a.URL
	}
	if !a.ExpiresAt.IsZero() {
		ld.Expires = feedTime(a.ExpiresAt)
	}
	ld.Correction = a.Correction
	return ld
}
