package ui

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// The browser glue: resizing the iframe, messages with the parent page, the
// live event stream and the relative-time clock. None of it runs on the
// server; each start function returns the stop that releases what it holds.

// startBrowser wires a mounted widget to the page around it.
func startBrowser(ctx app.Context, w *Widget) func() {
	w.armExpiry(ctx)
	stops := []func(){
		startMessages(ctx, w),
		startClock(ctx, func() { w.now = time.Now() }),
		// last: boot.js hands over what it held once the rest listens
		startLive(ctx, func(ev news.Event) { w.onEvent(ctx, ev) }, func(offline bool) { w.offline = offline }),
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// onEvent applies one live event; it runs on the UI goroutine.
func (w *Widget) onEvent(ctx app.Context, ev news.Event) {
	known, urgent := false, false
	for _, a := range w.articles {
		if a.ID == ev.Article.ID {
			known, urgent = true, a.Urgent
		}
	}
	w.now = time.Now()
	w.articles = news.Keep(news.Apply(w.articles, ev), w.cfg, w.now)
	w.armExpiry(ctx)
	if ev.Seq > w.seq {
		w.seq = ev.Seq
	}
	if ev.Type != news.EventArticle || known && (urgent || !ev.Article.Urgent) {
		return
	}
	for _, a := range w.articles {
		if a.ID == ev.Article.ID && a.Urgent { // shown and newly urgent: assertively, once
			w.alert = a.ID
			ctx.After(announceFor, func(app.Context) {
				if w.alert == a.ID {
					w.alert = ""
				}
			})
			return
		}
		if a.ID == ev.Article.ID && !known { // it is shown: announce it, politely and once
			w.fresh++
			w.announce = Labels(w.cfg).Strings.NewArticles(w.fresh)
			if !w.clearing {
				w.clearing = true
				w.clearAnnouncement(ctx)
			}
			return
		}
	}
}

// armExpiry has a timer drop the next article to expire, by the widget's
// own clock (the server's delete event at the expiry does it too, and is
// what wakes a widget whose Go program is not running).
func (w *Widget) armExpiry(ctx app.Context) {
	next := news.NextExpiry(w.articles, time.Now())
	if next.IsZero() || next.Equal(w.expiry) {
		return
	}
	w.expiry = next
	ctx.After(time.Until(next), func(ctx app.Context) {
		if !w.expiry.Equal(next) { // an earlier one came meanwhile and re-armed it
			return
		}
		w.expiry, w.now = time.Time{}, time.Now()
		w.articles = news.Keep(w.articles, w.cfg, w.now)
		w.armExpiry(ctx)
	})
}

// announceFor is how long, at least, the live region keeps "n new
// articles" after the last of them.
const announceFor = 10 * time.Second

// clearAnnouncement empties the live region once announceFor has passed with
// no newer article. One timer serves a whole burst (ctx.After holds a
// goroutine while it waits: one per article held 1,000 of them in a burst).
func (w *Widget) clearAnnouncement(ctx app.Context) {
	n := w.fresh
	ctx.After(announceFor, func(ctx app.Context) {
		if w.fresh != n { // more came meanwhile: give them their time too
			w.clearAnnouncement(ctx)
			return
		}
		w.clearing, w.fresh, w.announce = false, 0, ""
	})
}

// startMessages takes config messages from the parent page. The frame's
// boot script measures the widget and reports its size, before and after
// the Go program wakes, and passes on the messages that woke it.
func startMessages(ctx app.Context, w *Widget) func() {
	win := app.Window()
	onMessage := app.FuncOf(func(_ app.Value, args []app.Value) any {
		e := args[0]
		if !e.Get("source").Equal(win.Get("parent")) || e.Get("origin").String() != w.cfg.Parent {
			return nil
		}
		msg := e.Get("data")
		if !msg.Truthy() || msg.Type() != app.TypeObject || !msg.Get("newswidget").Truthy() {
			return nil
		}
		msg = msg.Get("newswidget")
		if msg.Get("type").String() != "config" || msg.Get("id").String() != w.cfg.ID {
			return nil
		}
		// the loader sends every option, so they replace the configuration whole
		q := url.Values{}
		if opts := msg.Get("options"); opts.Truthy() && opts.Type() == app.TypeObject {
			keys := win.Get("Object").Call("keys", opts)
			for i := 0; i < keys.Length(); i++ {
				// the loader sends validated strings; anything else is not an option
				k := keys.Index(i).String()
				if v := opts.Get(k); v.Type() == app.TypeString {
					q.Set(k, v.String())
				}
			}
		}
		ctx.Dispatch(func(ctx app.Context) { w.reconfigure(ctx, q) })
		return nil
	})
	win.Call("addEventListener", "message", onMessage)
	return func() {
		win.Call("removeEventListener", "message", onMessage)
		onMessage.Release()
	}
}

// reconfigure applies options sent by the parent page. The stream and the
// instance stay as they were: only what is drawn changes.
func (w *Widget) reconfigure(ctx app.Context, q url.Values) {
	cfg, _ := news.ParseConfig(q)
	cfg.ID, cfg.Parent, cfg.Live = w.cfg.ID, w.cfg.Parent, w.cfg.Live
	w.cfg = cfg
	all, _ := w.src.Latest(cfg.Category)
	w.now = time.Now()
	w.articles = news.Keep(mergeNewest(w.articles, all), cfg, w.now)
	w.armExpiry(ctx)
}

// mergeNewest joins two newest-first lists, the first one winning on ids.
func mergeNewest(a, b []news.Article) []news.Article {
	out := append([]news.Article(nil), a...)
	seen := map[string]bool{}
	for _, x := range a {
		seen[x.ID] = true
	}
	for _, x := range b {
		if !seen[x.ID] {
			out = append(out, x)
		}
	}
	news.SortNewest(out)
	return out
}

// startClock refreshes relative times every minute.
func startClock(ctx app.Context, tick func()) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				ctx.Dispatch(func(app.Context) { tick() })
			}
		}
	}()
	return func() { close(done) }
}

// startLive takes the live events from the frame's boot script, which
// holds the event stream (with its back-off and hidden-tab rules, see
// news.RetryDelay) from page load on, so that the Go program need not run
// until something happens. Attaching hands over what arrived before the
// program woke; events that arrive together are applied in one update, so a
// burst costs one render rather than one per event. The back-off switch's
// "live" events stay with boot.js, which closes and reopens the stream by
// the mode's rule (news.LiveDelay) and reports no outage while it is
// closed on purpose.
func startLive(ctx app.Context, apply func(news.Event), setOffline func(bool)) func() {
	boot := app.Window().Get("newswidget")
	if !boot.Truthy() {
		return func() {}
	}
	var pending []news.Event // arrived, not yet applied
	flush := func(app.Context) {
		for _, ev := range pending {
			apply(ev)
		}
		pending = nil
	}
	onEvent := app.FuncOf(func(_ app.Value, args []app.Value) any {
		ev, ok := decodeEvent(news.EventType(args[0].String()), args[1].String(), args[2].String())
		if ok && (ev.Type == news.EventArticle || ev.Type == news.EventDelete) {
			if pending = append(pending, ev); len(pending) == 1 {
				ctx.Dispatch(flush)
			}
		}
		return nil
	})
	onOffline := app.FuncOf(func(_ app.Value, args []app.Value) any {
		v := args[0].Truthy()
		if setOffline != nil {
			ctx.Dispatch(func(app.Context) { setOffline(v) })
		}
		return nil
	})
	boot.Call("attach", onEvent, onOffline)
	return func() {
		boot.Call("attach")
		onEvent.Release()
		onOffline.Release()
	}
}

// decodeEvent reads one SSE message: the id is the sequence, the data the
// article (or, for a delete, {"id": …}).
func decodeEvent(typ news.EventType, id, data string) (news.Event, bool) {
	seq, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return news.Event{}, false
	}
	var a news.Article
	if json.Unmarshal([]byte(data), &a) != nil || !news.ValidID(a.ID) {
		return news.Event{}, false
	}
	return news.Event{Seq: seq, Type: typ, Article: a}, true
}

// InstallLinkGuard keeps go-app's window click handler away from the
// widget's links, so the browser follows them natively with their target
// (_top, _blank or _self) instead of go-app's in-app navigation or
// window.open. The listener sits on the document, which a click reaches
// before the window.
func InstallLinkGuard() {
	doc := app.Window().Get("document")
	doc.Call("addEventListener", "click", app.FuncOf(func(_ app.Value, args []app.Value) any {
		e := args[0]
		if t := e.Get("target"); t.Truthy() && t.Get("closest").Truthy() && t.Call("closest", "a.nw-link").Truthy() {
			e.Call("stopPropagation")
		}
		return nil
	}))
}

// CapturePrerenderedPhase remembers how far the prerendered ticker had
// scrolled, and whether the reader had paused it, so the wasm's ticker
// continues from there instead of jumping back to the start when it replaces
// the prerendered page.
func CapturePrerenderedPhase() {
	win := app.Window()
	doc := win.Get("document")
	PrerenderedPaused = doc.Call("querySelector", ".nw-paused").Truthy()
	track := doc.Call("querySelector", ".nw-track")
	if !track.Truthy() || !win.Get("DOMMatrix").Truthy() {
		return
	}
	if c := track.Call("querySelector", ".nw-copy"); c.Truthy() {
		prerenderedLefts = itemLefts(c)
	}
	if a := firstAnimation(track); a.Truthy() && a.Get("playState").String() == "running" {
		// the time the computed transform is of: the last frame's
		prerenderedAt = doc.Get("timeline").Get("currentTime").Float()
	}
	m := win.Get("DOMMatrix").New(win.Call("getComputedStyle", track).Get("transform"))
	PrerenderedPhase = m.Get("m41").Float()
	if PrerenderedPhase < 0 { // left to right moves left, right to left moves right
		PrerenderedPhase = -PrerenderedPhase
	}
}

// ReadEmbedded reads the initial data the server put into the page.
func ReadEmbedded() Embedded {
	el := app.Window().Get("document").Call("getElementById", EmbeddedID)
	if !el.Truthy() {
		return Embedded{}
	}
	e, err := ParseEmbedded(el.Get("textContent").String())
	if err != nil {
		app.Log("newswidget: embedded data unreadable:", err)
	}
	return e
}
