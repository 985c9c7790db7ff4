package server

import (
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"newswidget/app/news"
	"newswidget/server/assets"
)

// GET /sitemap.xml lists the article pages for search engines: each page's
// canonical URL (from the public URL) with its <lastmod>, newest first, and
// for the articles published in the last 48 hours the Google News sitemap
// extension (publication name and language, publication date, title).
//
// It is bounded as sitemaps are: at most 50,000 URLs (the newest), and at
// most 1,000 of them with <news:news>, Google News' own limit. Like the
// feeds it is encoded once per store change, and again when the 48-hour
// window lets its oldest news entry go.

const (
	maxSitemapURLs     = 50000
	maxSitemapNews     = 1000
	newsWindow         = 48 * time.Hour
	sitemapContentType = "application/xml; charset=utf-8"
	sitemapNS          = "http://www.sitemaps.org/schemas/sitemap/0.9"
	googleNewsNS       = "http://www.google.com/schemas/sitemap-news/0.9"
)

type sitemapSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	News    string       `xml:"xmlns:news,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string       `xml:"loc"`
	LastMod string       `xml:"lastmod"`
	News    *sitemapNews `xml:"news:news"`
}

type sitemapNews struct {
	Name     string `xml:"news:publication>news:name"`
	Language string `xml:"news:publication>news:language"`
	Date     string `xml:"news:publication_date"`
	Title    string `xml:"news:title"`
}

// GET /sitemap.xml
func (s *Server) handleSitemap(w http.ResponseWriter, r *http.Request) error {
	e, err := s.out.get(s.catalog.currentSeq(), "/sitemap.xml", func() (*assets.Entity, time.Time, error) {
		// a build takes one of the render slots, so distinct queries cannot
		// take every core
		release, err := s.pages.acquire(r.Context())
		if err != nil {
			return nil, time.Time{}, err
		}
		defer release()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), buildTimeout)
		defer cancel()
		b, expires, err := s.encodeSitemap(ctx, time.Now())
		if err != nil {
			return nil, time.Time{}, err
		}
		return outEntity(b), expires, nil
	})
	if err != nil {
		return err
	}
	s.writeEncoded(w, r, e, sitemapContentType, cacheOut)
	return nil
}

// encodeSitemap pages through the store, newest first, and returns the
// sitemap and when its news entries change with the clock (zero: never).
func (s *Server) encodeSitemap(ctx context.Context, now time.Time) (body []byte, expires time.Time, err error) {
	set := sitemapSet{NS: sitemapNS, News: googleNewsNS}
	name := s.publicationName()
	cutoff := now.Add(-newsWindow)
	withNews := 0
	f := news.ArticleFilter{Limit: news.MaxListLimit}
	for len(set.URLs) < maxSitemapURLs {
		list, next, err := s.store.Articles(ctx, f)
		if err != nil {
			return nil, time.Time{}, err
		}
		for _, a := range list[:min(len(list), maxSitemapURLs-len(set.URLs))] {
			modified := a.UpdatedAt
			if modified.IsZero() || modified.Before(a.PublishedAt) {
				modified = a.PublishedAt
			}
			u := sitemapURL{Loc: s.articlePageURL(a.ID), LastMod: feedTime(modified)}
			if a.PublishedAt.After(cutoff) {
				if end := a.PublishedAt.Add(newsWindow); expires.IsZero() || end.Before(expires) {
					expires = end
				}
				if withNews < maxSitemapNews {
					withNews++
					u.News = &sitemapNews{Name: name, Language: siteLanguage, Date: feedTime(a.PublishedAt), Title: a.Title}
				}
			}
			set.URLs = append(set.URLs, u)
		}
		if next.IsZero() {
			break
		}
		f.Before = next
	}
	body, err = marshalXML(set)
	return body, expires, err
}
