package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"newswidget/server"
)

// open navigates to html on the host origin.
func open(t *testing.T, b *browser, url string) {
	t.Helper()
	if err := chromedp.Run(b.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
}

func TestTwoWidgetsSideBySide(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><body>
<div style="display:flex;gap:16px"><div style="flex:1" data-news-widget data-layout="ticker" data-theme="dark" data-loading="eager"></div>
<div style="flex:1" data-news-widget data-layout="list" data-limit="3" data-locale="sq" data-loading="eager"></div></div>
<script src="`+ws.URL+`/widget.js" async></script></body></html>`)
	b := newBrowser(t)
	open(t, b, host)
	waitJS(t, b.ctx, `document.querySelectorAll(".newswidget iframe").length===2`, 10*time.Second)
	var boxes int
	eval(t, b.ctx, `document.querySelectorAll(".newswidget").length`, &boxes)
	if boxes != 2 {
		t.Errorf("got %d widgets, want 2 (the script tag adds none of its own)", boxes)
	}

	ticker := b.frame(t, "id=w1")
	waitBoot(t, ticker)
	var hasList, hasTicker bool
	var bg string
	eval(t, ticker, `!!document.querySelector(".nw-list")`, &hasList)
	eval(t, ticker, `!!document.querySelector(".nw-ticker")`, &hasTicker)
	eval(t, ticker, `getComputedStyle(document.querySelector(".nw")).backgroundColor`, &bg)
	if hasList || !hasTicker || bg != "rgb(22, 24, 28)" {
		t.Errorf("ticker widget: list %v, ticker %v, background %s; want a dark ticker only", hasList, hasTicker, bg)
	}

	list := b.frame(t, "id=w2")
	waitBoot(t, list)
	var items int
	var label string
	eval(t, list, `document.querySelectorAll(".nw-item").length`, &items)
	eval(t, list, `document.querySelector(".nw-list-label").textContent`, &label)
	eval(t, list, `!!document.querySelector(".nw-ticker")`, &hasTicker)
	if items != 3 || label != "Lajmet e fundit" || hasTicker {
		t.Errorf("list widget: %d items, label %q, ticker %v; want 3 Albanian items and no ticker", items, label, hasTicker)
	}
	b.noPageErrors(t)
}

func TestBadAttributeWarnsAndUsesDefault(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-limit="lots" data-theme="neon" data-loading="eager"`)
	warns := strings.Join(b.lines("warning:"), "\n")
	for _, want := range []string{`data-limit="lots" is not valid; using "10"`, `data-theme="neon" is not valid; using "auto"`} {
		if !strings.Contains(warns, want) {
			t.Errorf("console warnings %q lack %q", warns, want)
		}
	}
	if n := len(b.lines("warning:")); n != 2 {
		t.Errorf("got %d warnings, want one per bad attribute (2)", n)
	}
	var items int
	var theme string
	eval(t, f, `document.querySelectorAll(".nw-item").length`, &items)
	eval(t, f, `document.querySelector(".nw").dataset.theme`, &theme)
	if items != 10 || theme != "auto" {
		t.Errorf("frame shows %d items in theme %q, want the defaults 10 and auto", items, theme)
	}
	b.noPageErrors(t)
}

// TestNoLayoutShift loads the tag as the configurator writes it: without
// async, so the loader (1.5 KB, cached) holds the widget's space before
// anything below the tag is drawn.
func TestNoLayoutShift(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><head>
<script>window.__cls=0;new PerformanceObserver(function(l){l.getEntries().forEach(function(e){if(!e.hadRecentInput)window.__cls+=e.value})}).observe({type:"layout-shift",buffered:true})</script>
</head><body style="margin:0"><p>Text before.</p><script src="`+ws.URL+`/widget.js" data-loading="eager"></script>
<p id="after" style="font-size:20px">Text after the widget, which must not move.</p></body></html>`)
	b := newBrowser(t)
	open(t, b, host)
	f := b.frame(t, "/embed")
	waitBoot(t, f)
	time.Sleep(time.Second) // resize messages and any late shifts
	var cls float64
	var boxH, contentH float64
	eval(t, b.ctx, `window.__cls`, &cls)
	eval(t, b.ctx, `document.querySelector(".newswidget").getBoundingClientRect().height`, &boxH)
	eval(t, f, `document.querySelector(".nw").getBoundingClientRect().height`, &contentH)
	if cls != 0 {
		t.Errorf("Cumulative Layout Shift %.4f, want 0 (reserved %.0fpx, content %.0fpx)", cls, boxH, contentH)
	}
	if boxH != contentH {
		t.Errorf("reserved height %.1f, content %.1f: want the reservation exact", boxH, contentH)
	}
}

func TestAutoThemeFollowsColorScheme(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager"`)
	for _, tc := range []struct{ scheme, bg string }{{"dark", "rgb(22, 24, 28)"}, {"light", "rgb(255, 255, 255)"}, {"dark", "rgb(22, 24, 28)"}} {
		if err := chromedp.Run(f, chromedp.ActionFunc(func(ctx context.Context) error {
			return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: tc.scheme}}).Do(ctx)
		})); err != nil {
			t.Fatal(err)
		}
		waitJS(t, f, `getComputedStyle(document.querySelector(".nw")).backgroundColor===`+jsString(tc.bg), 3*time.Second)
		var scheme string
		eval(t, f, `getComputedStyle(document.documentElement).colorScheme`, &scheme)
		if scheme != "light dark" {
			t.Errorf("frame color-scheme %q, want \"light dark\" for theme auto", scheme)
		}
	}
	var frameScheme string
	eval(t, b.ctx, `document.querySelector(".newswidget iframe").style.colorScheme`, &frameScheme)
	if frameScheme != "light dark" {
		t.Errorf("iframe element color-scheme %q, want it to match the frame's", frameScheme)
	}
}

func TestRightToLeft(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-locale="ar" data-loading="eager"`)
	var dir, label, anim, prerendered string
	eval(t, f, `document.querySelector(".nw").dir`, &dir)
	eval(t, f, `document.querySelector(".nw-ticker-label").textContent`, &label)
	eval(t, f, `getComputedStyle(document.querySelector(".nw-track")).animationName`, &anim)
	if dir != "rtl" || label != "أخبار عاجلة" || anim != "nw-scroll-rtl" {
		t.Errorf("ar widget: dir %q, label %q, animation %q; want rtl, أخبار عاجلة, nw-scroll-rtl", dir, label, anim)
	}
	// The server's prerender says the same as the wasm render.
	resp := httpGet(t, ws.URL+"/embed?locale=ar")
	for _, want := range []string{`dir="rtl"`, "أخبار عاجلة", "آخر الأخبار", "منذ 3 سنوات"} {
		if !strings.Contains(resp, want) {
			t.Errorf("prerendered ar page lacks %q", want)
		}
	}
	eval(t, f, `document.querySelector(".nw-time").textContent`, &prerendered)
	if !strings.Contains(resp, prerendered) {
		t.Errorf("wasm shows the time %q, which the prerender does not", prerendered)
	}
	b.noPageErrors(t)
}

func TestMountUpdateDestroy(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><body><div id="slot"></div>
<script src="`+ws.URL+`/widget.js"></script>
<script src="`+ws.URL+`/widget.js"></script></body></html>`)
	b := newBrowser(t)
	open(t, b, host)
	waitJS(t, b.ctx, `window.NewsWidget`, 10*time.Second)
	var n int
	eval(t, b.ctx, `document.querySelectorAll(".newswidget").length`, &n)
	if n != 2 {
		t.Errorf("two loader tags gave %d widgets, want one each", n)
	}
	eval(t, b.ctx, `document.querySelectorAll(".newswidget").forEach(function(e){e.remove()}),0`, &n)
	eval(t, b.ctx, `window.__w=NewsWidget.mount(document.getElementById("slot"),{layout:"list",limit:"2",loading:"eager"}),1`, &n)
	f := b.frame(t, "layout=list")
	waitBoot(t, f)
	waitJS(t, f, `document.querySelectorAll(".nw-item").length===2`, 5*time.Second)
	// A message that claims to be the frame's but comes from elsewhere (the
	// page itself) is ignored.
	var before, after float64
	eval(t, b.ctx, `document.querySelector("#slot .newswidget").getBoundingClientRect().height`, &before)
	eval(t, b.ctx, `postMessage({newswidget:{id:"w3",type:"resize",height:5}},"*"),1`, &n)
	time.Sleep(200 * time.Millisecond)
	eval(t, b.ctx, `document.querySelector("#slot .newswidget").getBoundingClientRect().height`, &after)
	if after != before {
		t.Errorf("a spoofed resize message changed the widget's height from %.0f to %.0f", before, after)
	}
	eval(t, b.ctx, `__w.update({theme:"dark",limit:"4"}),1`, &n)
	waitJS(t, f, `document.querySelector(".nw").dataset.theme==="dark"&&document.querySelectorAll(".nw-item").length===4`, 5*time.Second)
	var again bool
	eval(t, b.ctx, `NewsWidget.mount(document.getElementById("slot"))===__w`, &again)
	if !again {
		t.Error("mounting the same element twice made a second widget")
	}
	eval(t, b.ctx, `__w.destroy(),document.querySelectorAll("#slot iframe").length`, &n)
	if n != 0 {
		t.Errorf("after destroy %d iframes remain", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(b.frames()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(b.frames()) > 0 {
		t.Error("the destroyed widget's frame is still alive")
	}
	b.noPageErrors(t)
}

func TestOriginsRefuseOtherSites(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.Origins = []string{"https://allowed.example"} })
	host := hostPage(t, hostHTML(ws.URL, `data-loading="eager"`))
	b := newBrowser(t)
	open(t, b, host)
	waitJS(t, b.ctx, `document.querySelector(".newswidget iframe")`, 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	for _, fr := range b.frames() {
		fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(fr.TargetID))
		var shown bool
		if err := chromedp.Run(fctx, chromedp.Evaluate(`!!document.querySelector(".nw-ticker")`, &shown)); err == nil && shown {
			t.Error("a site outside -origins shows the widget")
		}
		cancel()
	}
	page := httpGet(t, ws.URL+"/embed?parent=https://allowed.example")
	if !strings.Contains(page, "nw-ticker") {
		t.Error("an allowed origin does not get the widget")
	}
}
