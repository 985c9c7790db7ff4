package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// LatestList is the Latest news list: a heading, then the newest articles
// with title, source, relative time and summary.
type LatestList struct {
	app.Compo

	Label  string
	Items  []news.Article
	Target string
	Locale string
	Now    time.Time // the time relative dates are counted from
}

// Render draws the list.
func (l *LatestList) Render() app.UI {
	s := Locale(l.Locale)
	return app.Section().Class("nw-list").Aria("labelledby", "nw-list-label").Body(
		app.H2().ID("nw-list-label").Class("nw-list-label").Text(l.Label),
		app.Ol().Class("nw-items").Body(app.Range(l.Items).Slice(func(i int) app.UI {
			a := l.Items[i]
			return app.Li().Class("nw-item").DataSet("id", a.ID).Body(
				app.If(news.IsWebURL(a.Image), app.Img().Class("nw-thumb").Src(a.Image).Alt("").Attr("loading", "lazy").Width(64).Height(64).Attr("referrerpolicy", "no-referrer")),
				app.Div().Class("nw-text").Body(
					articleLink(a, l.Target).Class("nw-title").Text(a.Title),
					Meta(a, s, l.Now),
					app.If(a.Summary != "", app.P().Class("nw-summary").Text(a.Summary)),
				),
			)
		})),
	)
}

// Meta is an article's source and relative time, with the full date as the
// tooltip and in the <time datetime> attribute.
func Meta(a news.Article, s Strings, now time.Time) app.UI {
	return app.P().Class("nw-meta").Body(
		app.If(a.Source != "", app.Span().Class("nw-source").Text(a.Source)),
		app.Time().
			Class("nw-time").
			DateTime(a.PublishedAt.UTC().Format(time.RFC3339)).
			Title(s.Date(a.PublishedAt)).
			Text(s.Ago(a.PublishedAt, now)),
	)
}

// articleLink is the anchor to an article: its own URL when it is an http(s)
// one, else its page on this server. Only http(s) URLs ever become links.
func articleLink(a news.Article, target string) app.HTMLA {
	href := ArticlePathRoot + a.ID
	if news.IsWebURL(a.URL) {
		href = a.URL
	}
	link := app.A().Href(href).Class("nw-link")
	switch target {
	case "_blank":
		link = link.Target("_blank").Rel("noopener")
	case "_self":
		link = link.Target("_self")
	default:
		link = link.Target("_top")
	}
	return link
}
