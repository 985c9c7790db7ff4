// Package ui holds the go-app components of the widget. The same code renders
// on the server (prerender) and in the browser (wasm); it does no I/O of its
// own and gets its articles through a Source.
package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Source supplies the articles that the components show: the server fills it
// from its store, the browser from the JSON embedded in the page.
type Source interface {
	// Latest returns the newest articles of a category ("" for all), newest
	// first, and the event sequence they reflect.
	Latest(category string) (articles []news.Article, seq int64)
	// Article returns the article with the id, if there is one.
	Article(id string) (news.Article, bool)
}

// Routes on which the components are mounted.
const (
	EmbedPath       = "/embed"
	ArticlePathRoot = "/articles/"
)

// Register mounts the components on their routes, reading data from src;
// the server calls it once, before serving.
func Register(src Source) {
	app.RouteFunc(EmbedPath, func() app.Composer { return &Widget{src: src} })
	app.RouteWithRegexpFunc("^"+ArticlePathRoot+"[A-Za-z0-9_-]+$", func() app.Composer { return &ArticlePage{src: src} })
}

// RegisterPage mounts the component of one page, the one at path, reading
// data from src: the wasm's Register. Every link loads a new page, so the
// wasm only ever shows the page it was loaded on, and a route for that
// exact path keeps go-app's regexp routing (and package regexp, about 5%
// of the bundle) out of the wasm.
func RegisterPage(path string, src Source) {
	// Each component loads its data as it is made, before go-app first
	// renders it, so the wasm's first render equals the prerender.
	switch {
	case path == EmbedPath:
		app.RouteFunc(path, func() app.Composer {
			w := &Widget{src: src}
			w.load(app.Window().URL())
			return w
		})
	case strings.HasPrefix(path, ArticlePathRoot) && news.ValidID(strings.TrimPrefix(path, ArticlePathRoot)):
		app.RouteFunc(path, func() app.Composer {
			p := &ArticlePage{src: src}
			p.load(app.Window().URL())
			return p
		})
	}
}

// Bounds on what a widget keeps, because Go wasm never returns memory to
// the browser.
const (
	MaxTickerItems = 20
	MaxKept        = 100
)

// Select picks, from articles sorted newest first, the ticker's flash items
// and the list's items for a configuration.
func Select(all []news.Article, cfg news.Config) (ticker, list []news.Article) {
	for _, a := range all {
		if cfg.Category != "" && !strings.EqualFold(a.Category, cfg.Category) {
			continue
		}
		if a.Flash && len(ticker) < MaxTickerItems {
			ticker = append(ticker, a)
		}
		if len(list) < cfg.Limit {
			list = append(list, a)
		}
	}
	return ticker, list
}

// Keep returns the union of what Select picks, in order: what a page embeds
// for its widget and what the widget holds in memory.
func Keep(all []news.Article, cfg news.Config) []news.Article {
	ticker, list := Select(all, cfg)
	seen := make(map[string]bool, len(ticker)+len(list))
	out := make([]news.Article, 0, len(ticker)+len(list))
	for _, l := range [][]news.Article{list, ticker} {
		for _, a := range l {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	sortNewest(out)
	return out
}

// Apply returns articles changed by one event, sorted newest first and
// bounded to MaxKept.
func Apply(articles []news.Article, ev news.Event) []news.Article {
	out := make([]news.Article, 0, len(articles)+1)
	for _, a := range articles {
		if a.ID != ev.Article.ID {
			out = append(out, a)
		}
	}
	if ev.Type == news.EventArticle {
		out = append(out, ev.Article)
	}
	sortNewest(out)
	if len(out) > MaxKept {
		out = out[:MaxKept]
	}
	return out
}

// sortNewest sorts newest first: an insertion sort, since the lists are
// short and mostly sorted, and package sort would grow the wasm.
func sortNewest(l []news.Article) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && news.Before(l[j], l[j-1]); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}
