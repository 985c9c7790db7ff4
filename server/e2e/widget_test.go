package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// hostHTML is a publisher's page with the one script tag, and text after it.
func hostHTML(widgetURL, attrs string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publisher</title></head>
<body style="margin:0;font-family:sans-serif"><h1>A publisher's page</h1><p>Before the widget.</p>
<script src="` + widgetURL + `/widget.js" async ` + attrs + `></script>
<p id="after">After the widget.</p></body></html>`
}

func TestWidgetEndToEnd(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, hostHTML(ws.URL, ""))
	b := newBrowser(t)

	if err := chromedp.Run(b.ctx, chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b.ctx, `document.querySelector(".newswidget iframe")`, 10*time.Second)
	var placement string
	eval(t, b.ctx, `(function(){var box=document.querySelector(".newswidget");return box.previousElementSibling.tagName+">"+box.nextElementSibling.id})()`, &placement)
	if placement != "SCRIPT>after" {
		t.Errorf("widget placement: got %q, want right after the script tag (SCRIPT>after)", placement)
	}
	var title, loading string
	eval(t, b.ctx, `document.querySelector(".newswidget iframe").title`, &title)
	eval(t, b.ctx, `document.querySelector(".newswidget iframe").loading`, &loading)
	if title == "" || loading != "lazy" {
		t.Errorf("iframe: title %q, loading %q; want a title and lazy loading", title, loading)
	}

	f := b.frame(t, "/embed")
	waitJS(t, f, `document.querySelector(".nw-ticker-label")`, 10*time.Second)
	var label, listLabel, headlines string
	eval(t, f, `document.querySelector(".nw-ticker-label").textContent`, &label)
	eval(t, f, `document.querySelector(".nw-list-label").textContent`, &listLabel)
	eval(t, f, `document.querySelector(".nw-ticker").textContent`, &headlines)
	if label != "Flash News" || listLabel != "Latest news" {
		t.Errorf("labels: got %q and %q, want Flash News and Latest news", label, listLabel)
	}
	if !strings.Contains(headlines, "93 NATO soldiers were injured") {
		t.Errorf("ticker %q lacks the seed headline about the 93 injured soldiers", headlines)
	}
	var items int
	eval(t, f, `document.querySelectorAll(".nw-item").length`, &items)
	if items < 2 {
		t.Errorf("Latest news shows %d items, want the seed articles", items)
	}

	// The prerendered widget, held by its boot script; the Go program
	// sleeps until the reader presses the pause button below.
	waitBoot(t, f)

	// The iframe is exactly as tall as its content.
	waitJS(t, b.ctx, `(function(){var h=document.querySelector(".newswidget").getBoundingClientRect().height;return h>100})()`, 5*time.Second)
	var contentH, boxH float64
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		eval(t, f, `document.querySelector(".nw").getBoundingClientRect().height`, &contentH)
		eval(t, b.ctx, `document.querySelector(".newswidget").getBoundingClientRect().height`, &boxH)
		if d := contentH - boxH; d > -1 && d < 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := contentH - boxH; d <= -1 || d >= 1 {
		t.Errorf("iframe height %.1f, content height %.1f: want them equal", boxH, contentH)
	}

	// The ticker moves; the pause button stops it, with the pointer away.
	moving := func() bool {
		var a, c string
		eval(t, f, `getComputedStyle(document.querySelector(".nw-track")).transform`, &a)
		time.Sleep(300 * time.Millisecond)
		eval(t, f, `getComputedStyle(document.querySelector(".nw-track")).transform`, &c)
		return a != c
	}
	away := chromedp.ActionFunc(func(ctx context.Context) error {
		return input.DispatchMouseEvent(input.MouseMoved, 5, 5).Do(ctx)
	})
	if err := chromedp.Run(b.ctx, away); err != nil {
		t.Fatal(err)
	}
	if !moving() {
		t.Fatal("the ticker does not move")
	}
	if err := chromedp.Run(f, chromedp.Click(".nw-toggle", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	// at once, before the Go program the press wakes has started
	var pressed struct{ Pressed, State, Go string }
	eval(t, f, `({pressed: document.querySelector(".nw-toggle").getAttribute("aria-pressed"),
		state: getComputedStyle(document.querySelector(".nw-track")).animationPlayState,
		go: document.documentElement.dataset.nwGo || ""})`, &pressed)
	if pressed.Pressed != "true" || pressed.State != "paused" || pressed.Go == "running" {
		t.Errorf("just after the press: aria-pressed %q, animation %q, Go program %q; want true, paused, not yet running", pressed.Pressed, pressed.State, pressed.Go)
	}
	// and once it runs, the ticker stays paused
	waitGo(t, f)
	if err := chromedp.Run(b.ctx, away); err != nil {
		t.Fatal(err)
	}
	eval(t, f, `document.querySelector(".nw-toggle").getAttribute("aria-pressed")`, &pressed.Pressed)
	if pressed.Pressed != "true" || moving() {
		t.Errorf("the ticker moves (aria-pressed %q) after the pause button was pressed and the Go program woke", pressed.Pressed)
	}
	var hiddenCopy string
	eval(t, f, `document.querySelectorAll(".nw-copy")[1].getAttribute("aria-hidden")`, &hiddenCopy)
	if hiddenCopy != "true" {
		t.Errorf("the loop's second copy: aria-hidden=%q, want true", hiddenCopy)
	}

	b.noPageErrors(t)

	// A headline link navigates the top window (data-link-target defaults to _top).
	var href string
	eval(t, f, `document.querySelector(".nw-copy .nw-headline").href`, &href)
	if err := chromedp.Run(f, chromedp.Click(".nw-copy .nw-headline", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b.ctx, `location.href===`+jsString(href), 10*time.Second)
	if !strings.HasPrefix(href, ws.URL+"/articles/") {
		t.Errorf("headline link %q, want the article's page on the widget server", href)
	}
	var h1 string
	waitJS(t, b.ctx, `document.querySelector("h1.nw-headline-main")`, 10*time.Second)
	eval(t, b.ctx, `document.querySelector("h1.nw-headline-main").textContent`, &h1)
	if h1 == "" {
		t.Error("the article page shows no headline")
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
