package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/sqlite"
)

// publish posts an article through the API, as an editor would.
func publish(t *testing.T, ws *widgetServer, a map[string]any) {
	t.Helper()
	adminDo(t, ws, http.MethodPost, "/api/articles", a, http.StatusCreated, nil)
}

func TestLiveUpdates(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, hostHTML(ws.URL, `data-loading="eager"`))
	b := newBrowser(t)
	if err := chromedp.Run(b.ctx, chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	f := b.frame(t, "/embed")
	waitBoot(t, f) // the boot script holds the stream
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)
	// the stream is open before we publish
	deadline := time.Now().Add(5 * time.Second)
	for ws.srv != nil && time.Now().Before(deadline) && !subscribed(t, ws) {
		time.Sleep(50 * time.Millisecond)
	}

	// The Go program sleeps until news comes: a published flash headline
	// wakes it and reaches the ticker and the list without a reload; once
	// awake, the next one comes within a second. The live region announces
	// them.
	var navs int
	eval(t, f, `performance.getEntriesByType("navigation").length`, &navs)
	var asleep bool
	eval(t, f, `!document.documentElement.dataset.nwGo && !document.querySelector(".nw[data-wasm]")`, &asleep)
	if !asleep {
		t.Error("the Go program started before any news or interaction")
	}
	publish(t, ws, map[string]any{"title": "Live: ministers meet on KFOR", "summary": "A live test headline.", "flash": true, "source": "REL"})
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Live: ministers meet on KFOR")`, 10*time.Second)
	waitGo(t, f)
	start := time.Now()
	publish(t, ws, map[string]any{"title": "Live: ministers agree on KFOR", "summary": "A live test headline.", "flash": true, "source": "REL"})
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Live: ministers agree on KFOR")`, 3*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the headline took %v to reach the ticker, want within a second", d)
	}
	waitJS(t, f, `document.querySelector(".nw-item .nw-title").textContent==="Live: ministers agree on KFOR"`, time.Second)
	var announce string
	eval(t, f, `document.querySelector(".nw-status").textContent`, &announce)
	if announce != "2 new articles" {
		t.Errorf("live region: got %q, want \"2 new articles\"", announce)
	}
	var navsAfter int
	eval(t, f, `performance.getEntriesByType("navigation").length`, &navsAfter)
	var sameDoc bool
	eval(t, f, `!!document.querySelector(".nw[data-wasm]")`, &sameDoc)
	if !sameDoc || navsAfter != navs {
		t.Error("the frame reloaded to show the new article")
	}

	// The server restarts; meanwhile an article is published straight into
	// the store. The widget reconnects and shows it, with nothing missed.
	dir, addr := ws.Dir, ws.addr
	ws.Close()
	waitJS(t, f, `document.querySelector(".nw-offline")`, 10*time.Second)
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := st.CreateArticle(context.Background(), news.Article{ID: "while-away", Title: "Published while the server was down", Flash: true, PublishedAt: now, UpdatedAt: now, Body: []string{}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	startWidgetServer(t, dir, addr)
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Published while the server was down")`, 15*time.Second)
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)
	var still bool
	eval(t, f, `document.querySelector(".nw-ticker").textContent.includes("Live: ministers agree on KFOR")`, &still)
	if !still {
		t.Error("after reconnecting, the article published before the restart is gone")
	}
	b.noPageErrors(t)
}

// subscribed reports whether the server has an open event stream.
func subscribed(t *testing.T, ws *widgetServer) bool {
	t.Helper()
	resp, err := http.Get(ws.URL + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return bytes.Contains(buf.Bytes(), []byte("newswidget_sse_subscribers 1"))
}

// TestNewFlashDoesNotJump publishes a flash headline while the ticker runs:
// the headline in view must stay where the loop's speed puts it, neither
// restarting the loop nor jumping by the new item's width.
func TestNewFlashDoesNotJump(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager" data-speed="60"`)
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)
	time.Sleep(1500 * time.Millisecond) // well into the loop
	// The first headline of the visible copy whose left edge is in view.
	const probe = `(function(){var v=document.querySelector(".nw-viewport").getBoundingClientRect();
		var l=Array.from(document.querySelectorAll(".nw-copy:not([aria-hidden]) .nw-flash, .nw-copy[aria-hidden] .nw-flash"));
		for(var i=0;i<l.length;i++){var r=l[i].getBoundingClientRect();if(r.left>=v.left&&r.left<v.right-50)return {id:l[i].dataset.id,copy:l[i].parentElement.hasAttribute("aria-hidden"),x:r.left,t:performance.now()}}})()`
	var before struct {
		ID   string
		Copy bool
		X, T float64
	}
	eval(t, f, probe, &before)
	if before.ID == "" {
		t.Fatal("no headline in view")
	}
	publish(t, ws, map[string]any{"title": "Jump test: a new flash headline", "flash": true})
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Jump test")`, 3*time.Second)
	time.Sleep(100 * time.Millisecond)
	var after struct {
		X, T float64
	}
	eval(t, f, `(function(){var e=document.querySelector(".nw-copy`+map[bool]string{true: `[aria-hidden]`, false: `:not([aria-hidden])`}[before.Copy]+` .nw-flash[data-id='`+before.ID+`']");var r=e.getBoundingClientRect();return {x:r.left,t:performance.now()}})()`, &after)
	want := before.X - 60*(after.T-before.T)/1000
	if d := after.X - want; d < -20 || d > 20 {
		t.Errorf("the headline in view moved to x=%.0f, want about %.0f (it was at %.0f %.0f ms earlier): the loop jumped", after.X, want, before.X, after.T-before.T)
	}
	b.noPageErrors(t)
}

// TestLiveUpdateAndDelete changes and then deletes an article while the
// widget is open: it changes in place, then leaves the ticker and the list.
func TestLiveUpdateAndDelete(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager"`)
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)

	send := func(method, path string, body map[string]any, want int) {
		t.Helper()
		adminDo(t, ws, method, path, body, want, nil)
	}
	const id = "flash-kfor-4500"
	var pos int
	eval(t, f, `Array.from(document.querySelectorAll(".nw-item")).findIndex(function(e){return e.dataset.id==="`+id+`"})`, &pos)
	send(http.MethodPut, "/api/articles/"+id, map[string]any{"title": "KFOR reaches 4,500 troops (updated)", "flash": true, "source": "REL", "category": "World"}, http.StatusOK)
	waitJS(t, f, `document.querySelector(".nw-item[data-id='`+id+`'] .nw-title").textContent==="KFOR reaches 4,500 troops (updated)"`, 3*time.Second)
	var posAfter int
	eval(t, f, `Array.from(document.querySelectorAll(".nw-item")).findIndex(function(e){return e.dataset.id==="`+id+`"})`, &posAfter)
	if posAfter != pos {
		t.Errorf("the updated article moved from row %d to %d, want it changed in place", pos, posAfter)
	}
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("KFOR reaches 4,500 troops (updated)")`, 3*time.Second)
	send(http.MethodDelete, "/api/articles/"+id, nil, http.StatusNoContent)
	waitJS(t, f, `!document.querySelector("[data-id='`+id+`']")`, 3*time.Second)
	b.noPageErrors(t)
}

// TestStreamRefusedTellsThePublisher refuses the frame's event stream (the
// only connect its address may make is spent before the page opens): the
// widget keeps the news it has and shows it is reconnecting, and the
// frame's error message reaches the host page's console through the
// loader, once for the outage however often the stream is retried.
func TestStreamRefusedTellsThePublisher(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) {
		o.EventsLimit = server.RateLimit{Burst: 1, PerSecond: 0.001}
	})
	resp, err := http.Get(ws.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the test's own stream: status %d, want 200", resp.StatusCode)
	}
	b, f := openWidget(t, ws, `data-loading="eager"`)
	time.Sleep(4 * time.Second) // a retry within 2 s (jittered), refused too, maybe another
	var told []string
	for _, l := range b.lines("warning: page:") {
		if strings.Contains(l, "newswidget: live updates: the event stream was refused") {
			told = append(told, l)
		}
	}
	if len(told) != 1 {
		t.Errorf("host console: got %d warnings of the refused stream, want 1: %q", len(told), b.lines("warning:"))
	}
	// the Go program, once woken, shows the reader the stream is down
	wakeGo(t, f)
	waitJS(t, f, `document.querySelector(".nw-offline")`, 5*time.Second)
	var items int
	eval(t, f, `document.querySelectorAll(".nw-item").length`, &items)
	if items != 10 {
		t.Errorf("frame shows %d items while offline, want the 10 it had", items)
	}
	b.noPageErrors(t)
}

// TestWasmFailureTellsThePublisher blocks every wasm download: the frame
// keeps its prerendered news and its boot script's error message reaches
// the embedding page's console through the loader. (The configurator's
// preview is on the widget's own origin, so its frame shares the page's
// network, where the block applies.)
func TestWasmFailureTellsThePublisher(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b := newBrowser(t)
	if err := chromedp.Run(b.ctx, network.Enable(), network.SetBlockedURLs([]string{"*.wasm"})); err != nil {
		t.Fatal(err)
	}
	open(t, b, ws.URL+"/")
	// a reader's press on the preview wakes its Go program, whose download fails
	waitJS(t, b.ctx, `document.querySelector("#preview iframe").contentWindow.newswidget`, 20*time.Second)
	eval(t, b.ctx, `document.querySelector("#preview iframe").contentDocument.querySelector(".nw").dispatchEvent(new PointerEvent("pointerdown", {bubbles: true})), 1`, nil)
	if told := b.told("newswidget: the widget's wasm failed to load", 15*time.Second); len(told) != 1 {
		t.Fatalf("host console: got %d warnings of the failed wasm, want 1: %q", len(told), b.lines("warning:"))
	}
	doc := `document.querySelector("#preview iframe").contentDocument`
	var items int
	eval(t, b.ctx, doc+`.querySelectorAll(".nw-item").length`, &items)
	if items != 10 {
		t.Errorf("the frame without its wasm shows %d items, want the 10 prerendered", items)
	}
	if l := b.lines("exception:"); len(l) > 0 {
		t.Errorf("exceptions: %q", l)
	}
}
