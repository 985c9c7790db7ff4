package ui

import (
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Widget is the page inside each iframe: the ticker and the list, composed by
// the configured layout, themed and localised, with live updates in the
// browser.
type Widget struct {
	app.Compo

	src      Source
	cfg      news.Config
	articles []news.Article // newest first, bounded by Keep
	seq      int64
	now      time.Time
	announce string    // the live region's text
	alert    string    // the id of the urgent article the assertive region announces
	expiry   time.Time // the expiry a timer waits for, zero if none
	fresh    int       // new articles announced in the current window
	clearing bool      // a timer will clear the announcement
	offline  bool      // the live stream is reconnecting
	stop     func()    // ends the browser glue on dismount
}

// OnPreRender loads the configuration and the articles on the server.
func (w *Widget) OnPreRender(ctx app.Context) {
	w.load(ctx.Page().URL())
	ctx.Page().SetTitle(AttrText(Labels(w.cfg).Title))
}

// OnMount starts the browser glue. The data is already there: go-app
// renders a component before its OnMount, and a first render without the
// news would blank the prerendered page for a moment.
func (w *Widget) OnMount(ctx app.Context) {
	if app.IsClient {
		w.stop = startBrowser(ctx, w)
		// Go's wasm never returns memory to the browser, so its peak is
		// what a reader's tab keeps: once the start is over (the news that
		// woke it shown), the heap may grow by 25% between collections, not
		// 100%. Not from the start: collecting that often while the runtime
		// starts, renders and applies what woke it made the cold frame's
		// start longer (make bench, figure 12).
		ctx.After(2*time.Second, func(app.Context) { debug.SetGCPercent(25) })
	}
}

// OnDismount stops the browser glue.
func (w *Widget) OnDismount() {
	if w.stop != nil {
		w.stop()
	}
}

func (w *Widget) load(u *url.URL) {
	w.cfg, _ = news.ParseConfig(u.Query())
	all, seq := w.src.Latest(w.cfg.Category)
	w.now = time.Now()
	w.articles, w.seq = news.Keep(all, w.cfg, w.now), seq
}

// renderAlert is the assertive announcement of the urgent article, while
// it is among the articles: a retraction or an expiry takes its title away
// at once.
func (w *Widget) renderAlert(l LabelSet) app.UI {
	for _, a := range w.articles {
		if a.ID == w.alert && a.ID != "" {
			return app.Elem("span").Class("nw-sr").Body(app.Text(l.Strings.Breaking+": "), Bdi(a.Title))
		}
	}
	return nil
}

// Render draws the widget.
func (w *Widget) Render() app.UI {
	l := Labels(w.cfg)
	ticker, list := news.Select(w.articles, w.cfg, w.now)
	return Frame(w.cfg, l,
		app.If(w.cfg.Layout != "list", &Ticker{Label: l.Ticker, Items: ticker, Speed: w.cfg.Speed, Target: w.cfg.LinkTarget, Locale: w.cfg.Locale}),
		app.If(w.cfg.Layout != "ticker", &LatestList{Label: l.List, Items: list, Target: w.cfg.LinkTarget, Locale: w.cfg.Locale, Now: w.now}),
		app.Elem("div").Class("nw-status").Aria("live", "polite").Body(
			app.If(w.offline, app.Elem("span").Class("nw-offline").Text(l.Strings.Reconnect)).
				Else(app.Elem("span").Class("nw-sr").Text(w.announce)),
		),
		// urgent news alone is announced assertively, once
		app.Elem("div").Class("nw-status").Aria("live", "assertive").Body(
			w.renderAlert(l),
		),
		serverOnly(func() app.UI { return embedData(w.articles, w.seq, nil) }),
	)
}

// Frame is the themed, localised root element shared by the widget and the
// article page.
func Frame(cfg news.Config, l LabelSet, body ...app.UI) app.HTMLElem {
	root := app.Elem("div").
		Class("nw", "nw-layout-"+cfg.Layout).
		DataSet("theme", cfg.Theme).
		Lang(cfg.Locale).
		Dir(l.Strings.Dir)
	if app.IsClient { // marks the wasm's render, which replaces the prerender
		root = root.DataSet("wasm", "1")
	}
	if cfg.Accent != "" {
		root = root.Style("--nw-accent", cfg.Accent).Style("--nw-on-accent", news.OnAccent(cfg.Accent))
	}
	return root.Body(body...)
}

// LabelSet is what a configuration's texts resolve to.
type LabelSet struct {
	Strings Strings
	Ticker  string
	List    string
	Title   string
}

// Labels resolves the configured labels, falling back to the locale's.
func Labels(cfg news.Config) LabelSet {
	s := Locale(cfg.Locale)
	l := LabelSet{Strings: s, Ticker: s.TickerLabel, List: s.ListLabel}
	if cfg.TickerLabel != "" {
		l.Ticker = cfg.TickerLabel
	}
	if cfg.ListLabel != "" {
		l.List = cfg.ListLabel
	}
	l.Title = l.Ticker + " · " + l.List
	return l
}

// AttrText makes text safe for the page's title and description, which
// go-app's Handler also writes into meta attributes with Go quoting (a "
// would end the attribute): double quotes become typographic ones.
func AttrText(s string) string {
	var b strings.Builder
	opening := true
	for _, r := range s {
		if r == '"' {
			r = '”'
			if opening {
				r = '“'
			}
			opening = !opening
		}
		b.WriteRune(r)
	}
	return b.String()
}
