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
