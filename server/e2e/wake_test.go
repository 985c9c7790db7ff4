package e2e_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

// setHidden makes the frame's document hidden or shown, as a switch of tabs
// does, and tells its listeners.
func setHidden(hidden bool) string {
	v := "false"
	if hidden {
		v = "true"
	}
	return `Object.defineProperty(document, "hidden", {configurable: true, get: function () { return ` + v + ` }}),
		document.dispatchEvent(new Event("visibilitychange")), 1`
}

// TestHiddenTabClosesItsStream: a widget in a tab hidden for longer than
// the server's -hidden-close closes its event stream (the server sees it
// go); shown again, it reopens it from the last event it had, so what was
// published meanwhile arrives, and nothing twice.
func TestHiddenTabClosesItsStream(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.HiddenClose = time.Second })
	b, f := openWidget(t, ws, `data-loading="eager"`)
	waitSubscribers(t, ws, 1)

	// hidden for less than the grace: the stream stays
	eval(t, f, setHidden(true), nil)
	time.Sleep(300 * time.Millisecond)
	eval(t, f, setHidden(false), nil)
	time.Sleep(1200 * time.Millisecond)
	if n := subscribers(t, ws); n != 1 {
		t.Fatalf("after a short hide: %d streams, want 1", n)
	}

	eval(t, f, setHidden(true), nil)
	waitSubscribers(t, ws, 0)
	publish(t, ws, map[string]any{"title": "Published while the tab was hidden", "flash": true})
	time.Sleep(500 * time.Millisecond)
	var shown bool
	eval(t, f, `document.body.textContent.includes("Published while the tab was hidden")`, &shown)
	if shown {
		t.Fatal("a hidden widget with its stream closed showed a new article")
	}

	eval(t, f, setHidden(false), nil)
	waitJS(t, f, `document.querySelector(".nw-ticker").textContent.includes("Published while the tab was hidden")`, 10*time.Second)
	waitSubscribers(t, ws, 1)
	var copies int
	eval(t, f, `document.querySelectorAll(".nw-item[data-id] .nw-title").length - new Set(Array.from(document.querySelectorAll(".nw-item[data-id]")).map(function (e) { return e.dataset.id })).size`, &copies)
	if copies != 0 {
		t.Errorf("%d articles shown twice after the resume", copies)
	}
	b.noPageErrors(t)
}

// TestGoProgramExitTellsThePublisher: if the frame's Go program ever
// stops (here a panic in its event handler, called with no arguments),
// the publisher's console is told, and the widget keeps showing its news.
func TestGoProgramExitTellsThePublisher(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager"`)
	// keep the handler the Go program attaches, to call it wrongly
	eval(t, f, `(function () { var a = newswidget.attach; newswidget.attach = function (ev) { if (ev) window.goHandler = ev; return a.apply(this, arguments) } })(), 1`, nil)
	wakeGo(t, f)
	eval(t, f, `(function () { try { goHandler() } catch (e) {} })(), 1`, nil)
	waitJS(t, f, `document.documentElement.dataset.nwGo == "exited"`, 10*time.Second)
	if told := b.told("newswidget: the widget's program stopped", 5*time.Second); len(told) != 1 {
		t.Errorf("host console: got %d warnings of the stopped program, want 1: %q", len(told), b.lines("warning:"))
	}
	var items int
	eval(t, f, `document.querySelectorAll(".nw-item").length`, &items)
	if items != 10 {
		t.Errorf("the frame shows %d items after its program stopped, want the 10 it had", items)
	}
}

// TestRetryDelayMatchesTheRule: the boot script's back-off after a refused
// stream is news.RetryDelay, the rule the server's crowd test relies on.
func TestRetryDelayMatchesTheRule(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	_, f := openWidget(t, ws, `data-loading="eager"`)
	cases := []struct {
		failures int
		u        float64
	}{{0, 0}, {0, 0.5}, {0, 0.999}, {1, 0.5}, {2, 0.25}, {3, 0.5}, {4, 0.5}, {5, 0.999}, {60, 0.5}}
	for _, c := range cases {
		var gotMS float64
		eval(t, f, `newswidget.delay(`+jsonOf(c.failures)+`, `+jsonOf(c.u)+`)`, &gotMS)
		got := time.Duration(gotMS * float64(time.Millisecond))
		if want := news.RetryDelay(c.failures, c.u); got != want {
			t.Errorf("delay(%d, %v): got %v, want %v", c.failures, c.u, got, want)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// subscribers is the server's count of open event streams.
func subscribers(t *testing.T, ws *widgetServer) int {
	t.Helper()
	for _, line := range strings.Split(httpGet(t, ws.URL+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, "newswidget_sse_subscribers "); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	t.Fatal("no newswidget_sse_subscribers in /metrics")
	return 0
}

// waitSubscribers waits until the server has n open event streams.
func waitSubscribers(t *testing.T, ws *widgetServer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if subscribers(t, ws) == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server holds %d event streams, want %d", subscribers(t, ws), n)
}
