package ui

import (
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// ArticlePage is an article's own page, in the seed page's shape: the Flash
// News ticker on top, the headline, paragraphs and source, then the Latest
// news list. It is where a headline links when its article has no URL.
type ArticlePage struct {
	app.Compo

	src      Source
	cfg      news.Config
	article  news.Article
	found    bool
	articles []news.Article
	seq      int64
	now      time.Time
	stop     func()
}

// OnPreRender loads the article on the server.
func (p *ArticlePage) OnPreRender(ctx app.Context) {
	p.load(ctx.Page().URL())
	if p.found {
		ctx.Page().SetTitle(AttrText(p.article.Title))
		ctx.Page().SetDescription(AttrText(p.article.Summary))
	}
}

// OnMount starts the live updates; the data was loaded before the first
// render (see Widget.OnMount).
func (p *ArticlePage) OnMount(ctx app.Context) {
	if app.IsClient {
		p.stop = startLive(ctx, func(ev news.Event) {
			p.articles = news.Apply(p.articles, ev)
			if ev.Article.ID == p.article.ID {
				p.article, p.found = ev.Article, ev.Type == news.EventArticle
			}
		}, nil)
	}
}

// OnDismount stops the live updates.
func (p *ArticlePage) OnDismount() {
	if p.stop != nil {
		p.stop()
	}
}

func (p *ArticlePage) load(u *url.URL) {
	p.cfg, _ = news.ParseConfig(u.Query())
	p.cfg.LinkTarget = "_self" // a page of its own: links stay in this window
	id := strings.TrimPrefix(u.Path, ArticlePathRoot)
	p.article, p.found = p.src.Article(id)
	all, seq := p.src.Latest(p.cfg.Category)
	p.now = time.Now()
	p.articles, p.seq = news.Keep(all, p.cfg, p.now), seq
}

// Render draws the page.
func (p *ArticlePage) Render() app.UI {
	l := Labels(p.cfg)
	ticker, list := news.Select(p.articles, p.cfg, p.now)
	a := p.article
	return Frame(p.cfg, l,
		&Ticker{Label: l.Ticker, Items: ticker, Speed: p.cfg.Speed, Target: p.cfg.LinkTarget, Locale: p.cfg.Locale},
		app.Elem("article").Class("nw-article").Body(
			app.If(p.found,
				Isolated(app.Elem("h1").Class("nw-headline-main"), a.Title),
				Meta(a, l.Strings, p.now),
				app.If(news.IsWebURL(a.Image), image(a.Image, "nw-hero")),
				app.Range(a.Body).Slice(func(i int) app.UI { return Isolated(app.Elem("p"), a.Body[i]) }),
				Correction(a, l.Strings),
				// the "/" is the credit's own mark: it goes with the source
				app.If(a.Source != "", app.Elem("p").Class("nw-credit").Body(Bdi("/"+a.Source))),
			).Else(
				app.Elem("p").Class("nw-missing").Text(l.Strings.NotFound),
			),
		),
		&LatestList{Label: l.List, Items: list, Target: p.cfg.LinkTarget, Locale: p.cfg.Locale, Now: p.now},
		serverOnly(func() app.UI { return embedData(p.articles, p.seq, &p.article) }),
	)
}
