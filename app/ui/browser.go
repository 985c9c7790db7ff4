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
	var stops []func()
	stops = append(stops, startMessages(ctx, w))
	if w.cfg.Live {
		stops = append(stops, startLive(ctx, w.seq, w.cfg, func(ev news.Event) { w.onEvent(ctx, ev) }, func(offline bool) { w.offline = offline }))
	}
	stops = append(stops, startClock(ctx, func() { w.now = time.Now() }))
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// onEvent applies one live event; it runs on the UI goroutine.
func (w *Widget) onEvent(ctx app.Context, ev news.Event) {
	known := false
	for _, a := range w.articles {
		known = known || a.ID == ev.Article.ID
	}
	w.articles = news.Keep(news.Apply(w.articles, ev), w.cfg)
	if ev.Seq > w.seq {
		w.seq = ev.Seq
	}
	if ev.Type != news.EventArticle || known {
		return
	}
	for _, a := range w.articles {
		if a.ID == ev.Article.ID { // it is shown: announce it, politely and once
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

// postToParent sends a namespaced message to the embedding page, only to the
// origin the loader named.
func postToParent(cfg news.Config, typ string, fields map[string]any) {
	win := app.Window()
	parent := win.Get("parent")
	if cfg.Parent == "" || !parent.Truthy() || parent.Equal(win.JSValue()) {
		return
	}
	msg := map[string]any{"id": cfg.ID, "type": typ}
	for k, v := range fields {
		msg[k] = v
	}
	parent.Call("postMessage", map[string]any{"newswidget": msg}, cfg.Parent)
}

// startMessages reports the widget's height to the parent whenever it
// changes, says it is ready, and takes config messages from the parent.
func startMessages(ctx app.Context, w *Widget) func() {
	win := app.Window()
	last := -1
	report := func() {
		root := ctx.JSSrc()
		if !root.Truthy() {
			return
		}
		h := int(root.Call("getBoundingClientRect").Get("height").Float() + 0.999)
		if h != last {
			last = h
			postToParent(w.cfg, "resize", map[string]any{"height": h})
		}
	}
	onResize := app.FuncOf(func(app.Value, []app.Value) any { report(); return nil })
	var observer app.Value
	if ro := win.Get("ResizeObserver"); ro.Truthy() && ctx.JSSrc().Truthy() {
		observer = ro.New(onResize)
		observer.Call("observe", ctx.JSSrc())
	}
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
	postToParent(w.cfg, "ready", nil)
	ctx.Defer(func(app.Context) { report() })
	return func() {
		if observer != nil && observer.Truthy() {
			observer.Call("disconnect")
		}
		win.Call("removeEventListener", "message", onMessage)
		onResize.Release()
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
	w.articles = news.Keep(mergeNewest(w.articles, all), cfg)
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

// The back-off of a widget whose stream was refused or cut: a random wait
// below a ceiling that doubles from liveRetryFirst up to liveRetryMax.
const (
	liveRetryFirst = 2 * time.Second
	liveRetryMax   = 30 * time.Second
)

// LiveRetryDelay is how long a widget waits before it reconnects after its
// failures-th refusal in a row (0 the first), for u drawn uniformly from
// [0, 1): u times a ceiling of 2 s, 4 s, … up to 30 s ("full jitter"). A
// crowd refused together (a server at its cap, readers behind one address
// over its rate) comes back spread out rather than at once; the server's
// Retry-After is not visible to an EventSource. Exported for the server's
// test of such a crowd.
func LiveRetryDelay(failures int, u float64) time.Duration {
	ceil := liveRetryMax
	if failures < 4 {
		ceil = liveRetryFirst << failures
	}
	return time.Duration(u * float64(ceil))
}

// startLive subscribes to the event stream from seq on. The browser's
// EventSource reconnects by itself, sending Last-Event-ID; when it gives up
// (the server refused or is gone), this reconnects with jittered backoff
// (LiveRetryDelay) from the last event seen, so nothing is missed.
func startLive(ctx app.Context, seq int64, cfg news.Config, apply func(news.Event), setOffline func(bool)) func() {
	win := app.Window()
	if !win.Get("EventSource").Truthy() {
		return func() {}
	}
	var (
		es       app.Value
		funcs    []app.Func
		stopped  bool
		failures int          // refusals since the stream was last open
		pending  []news.Event // arrived, not yet applied
		told     bool         // the parent heard of the current outage
	)
	// Events that arrive together are applied in one update, so a burst
	// costs one render rather than one per event.
	flush := func(app.Context) {
		for _, ev := range pending {
			seq = max(seq, ev.Seq)
			apply(ev)
		}
		pending = nil
	}
	handler := func(typ news.EventType) app.Func {
		return app.FuncOf(func(_ app.Value, args []app.Value) any {
			e := args[0]
			ev, ok := decodeEvent(typ, e.Get("lastEventId").String(), e.Get("data").String())
			if !ok {
				return nil
			}
			if pending = append(pending, ev); len(pending) == 1 {
				ctx.Dispatch(flush)
			}
			return nil
		})
	}
	offline := func(v bool) {
		if setOffline != nil {
			ctx.Dispatch(func(app.Context) { setOffline(v) })
		}
	}
	onArticle, onDelete := handler(news.EventArticle), handler(news.EventDelete)
	var connect func()
	onOpen := app.FuncOf(func(app.Value, []app.Value) any {
		failures, told = 0, false
		offline(false)
		return nil
	})
	onError := app.FuncOf(func(app.Value, []app.Value) any {
		offline(true)
		if es.Get("readyState").Int() == 2 { // CLOSED: the browser will not retry
			es.Call("close")
			if !told { // once an outage: the publisher's console learns why nothing moves
				told = true
				postToParent(cfg, "error", map[string]any{"message": "live updates: the event stream was refused or cut; retrying with backoff, the news shown stay"})
			}
			wait := LiveRetryDelay(failures, win.Get("Math").Call("random").Float()) // no Go generator in the wasm
			failures++
			ctx.After(wait, func(app.Context) {
				if !stopped {
					connect()
				}
			})
		}
		return nil
	})
	funcs = append(funcs, onArticle, onDelete, onOpen, onError)
	connect = func() {
		es = win.Get("EventSource").New("/api/events?since=" + strconv.FormatInt(seq, 10))
		es.Call("addEventListener", "article", onArticle)
		es.Call("addEventListener", "delete", onDelete)
		es.Set("onopen", onOpen)
		es.Set("onerror", onError)
	}
	connect()
	return func() {
		stopped = true
		es.Call("close")
		for _, f := range funcs {
			f.Release()
		}
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
// scrolled, so the wasm's ticker continues from there instead of jumping
// back to the start when it replaces the prerendered page.
func CapturePrerenderedPhase() {
	win := app.Window()
	track := win.Get("document").Call("querySelector", ".nw-track")
	if !track.Truthy() || !win.Get("DOMMatrix").Truthy() {
		return
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
