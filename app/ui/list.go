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
	return app.Elem("section").Class("nw-list").Aria("labelledby", "nw-list-label").Body(
		Isolated(app.Elem("h2").ID("nw-list-label").Class("nw-list-label"), l.Label),
		app.Elem("ol").Class("nw-items").Body(app.Range(l.Items).Slice(func(i int) app.UI {
			a := l.Items[i]
			return app.Elem("li").Class("nw-item", cond(a.Pinned, "nw-pinned")).DataSet("id", a.ID).Body(
				app.If(news.IsWebURL(a.Image), image(a.Image, "nw-thumb").Attr("loading", "lazy").Attr("width", 64).Attr("height", 64)),
				app.Elem("div").Class("nw-text").Body(
					Isolated(articleLink(a, l.Target).Class("nw-title"), a.Title),
					Meta(a, s, l.Now),
					app.If(a.Summary != "", Isolated(app.Elem("p").Class("nw-summary"), a.Summary)),
					Correction(a, s),
				),
			)
		})),
	)
}

// Meta is an article's source and relative time, with the full date as the
// tooltip and in the <time datetime> attribute. The source sits in a <bdi>
// inside its span, whose ::after separator is the widget's and must stay on
// the widget's side of it.
func Meta(a news.Article, s Strings, now time.Time) app.UI {
	return app.Elem("p").Class("nw-meta").Body(
		Breaking(a, s),
		app.If(a.Source != "", app.Elem("span").Class("nw-source").Body(Bdi(a.Source))),
		app.Elem("time").
			Class("nw-time").
			Attr("datetime", a.PublishedAt.UTC().Format(time.RFC3339)).
			Title(s.Date(a.PublishedAt)).
			Text(s.Ago(a.PublishedAt, now)),
	)
}

// Breaking is the mark of an urgent article: a word, not a colour alone.
func Breaking(a news.Article, s Strings) app.UI {
	return app.If(a.Urgent, app.Elem("span").Class("nw-breaking").Text(s.Breaking))
}

// Correction is an article's correction, after its label, if it has one.
func Correction(a news.Article, s Strings) app.UI {
	return app.If(a.Correction != "", app.Elem("p").Class("nw-correction").Body(
		app.Elem("span").Class("nw-correction-label").Text(s.Correction+" "),
		Bdi(a.Correction),
	))
}

// Isolated puts publisher text into e, an element that holds nothing else,
// with dir="auto": the text takes its direction from its own first strong
// character, and (as any element with dir) it is a bidi isolate, so an RTL
// title or a stray override can never reorder the widget's own text around
// it ("2 minutes ago", separators, labels).
func Isolated(e app.HTMLElem, text string) app.HTMLElem {
	return e.Dir("auto").Text(text)
}

// Bdi is publisher text that shares an element with the widget's own text:
// a <bdi>, the inline isolate whose direction is its text's.
func Bdi(text string) app.UI {
	return app.Elem("bdi").Text(text)
}

// image is an <img> of an http(s) URL (the caller checks), sending no
// referrer to the image's host.
func image(src, class string) app.HTMLElemSelfClosing {
	return app.ElemSelfClosing("img").Class(class).Attr("src", src).Attr("alt", "").Attr("referrerpolicy", "no-referrer")
}

// articleLink is the anchor to an article: its own URL when it is an http(s)
// one, else its page on this server. Only http(s) URLs ever become links.
//
// Every element is app.Elem: one go-app type instead of one per tag keeps
// the wasm within its size budget (each HTML type brings its methods).
func articleLink(a news.Article, target string) app.HTMLElem {
	href := ArticlePathRoot + a.ID
	if news.IsWebURL(a.URL) {
		href = a.URL
	}
	link := app.Elem("a").Attr("href", href).Class("nw-link")
	switch target {
	case "_blank":
		link = link.Attr("target", "_blank").Attr("rel", "noopener")
	case "_self":
		link = link.Attr("target", "_self")
	default:
		link = link.Attr("target", "_top")
	}
	return link
}
