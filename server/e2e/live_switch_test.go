package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

// The switch's ceilings in these tests: short, so that widgets come back
// within a test's patience.
const (
	testSlow   = 3 * time.Second
	testPaused = 4 * time.Second
)

// setLive sets the back-off switch as the admin.
func setLive(t *testing.T, ws *widgetServer, mode news.LiveMode) {
	t.Helper()
	adminDo(t, ws, http.MethodPut, "/api/live", map[string]news.LiveMode{"mode": mode}, http.StatusOK, nil)
}

// shows is a JS test of the ticker showing title.
func shows(title string) string {
	return `document.querySelector(".nw-ticker").textContent.includes(` + jsonOf(title) + `)`
}

// TestLiveSwitchSlowsWidgets: the newsroom's switch reaches a widget
// through its stream. Slow: the frame lets its stream go and polls, so a
// publish still arrives within the slow ceiling; paused: nothing arrives;
// normal again: the frame holds its stream and news is live within a
// second. Neither the host page nor the reader is told of an outage: the
// stream is closed on purpose. The boot script holds the stream before
// and after the Go program wakes; awake, the widget shows no outage.
func TestLiveSwitchSlowsWidgets(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.LiveSlow, o.LivePaused = testSlow, testPaused })
	b, f := openWidget(t, ws, `data-loading="eager"`)
	waitSubscribers(t, ws, 1)

	// slow, the Go program asleep: the boot script lets the stream go
	setLive(t, ws, news.LiveSlow)
	waitJS(t, f, `newswidget.mode() == "slow"`, 5*time.Second)
	start := time.Now()
	publish(t, ws, map[string]any{"title": "Slow: still arrives", "flash": true})
	waitJS(t, f, shows("Slow: still arrives"), testSlow+3*time.Second)
	t.Logf("slow: the publish arrived after %v (ceiling %v)", time.Since(start).Round(time.Millisecond), testSlow)
	// an article wakes the Go program: from here on it holds the mode too
	waitGo(t, f)
	start = time.Now()
	publish(t, ws, map[string]any{"title": "Slow: the Go program's turn", "flash": true})
	waitJS(t, f, shows("Slow: the Go program's turn"), testSlow+3*time.Second)
	t.Logf("slow, awake: the publish arrived after %v", time.Since(start).Round(time.Millisecond))
	waitJS(t, f, `newswidget.mode() == "slow" && !document.querySelector(".nw-offline")`, testSlow+3*time.Second)

	// paused: nothing arrives, however long the wait within the ceiling
	setLive(t, ws, news.LivePaused)
	waitJS(t, f, `newswidget.mode() == "paused"`, testSlow+3*time.Second)
	waitSubscribers(t, ws, 0)
	publish(t, ws, map[string]any{"title": "Paused: held back", "flash": true})
	time.Sleep(testPaused)
	var shown bool
	eval(t, f, shows("Paused: held back"), &shown)
	if shown {
		t.Error("a paused widget showed an article published while paused")
	}
	waitJS(t, f, `newswidget.mode() == "paused" && !document.querySelector(".nw-offline")`, time.Second)

	// normal: back within the paused ceiling, with what was held back, then live
	setLive(t, ws, news.LiveNormal)
	waitJS(t, f, shows("Paused: held back"), testPaused+3*time.Second)
	waitJS(t, f, `newswidget.mode() == "normal"`, 3*time.Second)
	waitSubscribers(t, ws, 1)
	start = time.Now()
	publish(t, ws, map[string]any{"title": "Normal: live again", "flash": true})
	waitJS(t, f, shows("Normal: live again"), 3*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("normal again: the headline took %v, want within a second", d)
	}
	time.Sleep(time.Second)
	if n := subscribers(t, ws); n != 1 {
		t.Errorf("normal again: the server holds %d streams, want the widget's 1", n)
	}
	var offline bool
	eval(t, f, `!!document.querySelector(".nw-offline")`, &offline)
	if offline {
		t.Error("the widget shows \"Reconnecting…\" after the switch")
	}
	if told := b.lines("warning:"); len(told) > 0 {
		for _, l := range told {
			if strings.Contains(l, "refused or cut") {
				t.Errorf("the host page was told of an outage: %q", l)
			}
		}
	}
	var copies int
	eval(t, f, `document.querySelectorAll(".nw-item[data-id]").length - new Set(Array.from(document.querySelectorAll(".nw-item[data-id]")).map(function (e) { return e.dataset.id })).size`, &copies)
	if copies != 0 {
		t.Errorf("%d articles shown twice after the switch", copies)
	}
	b.noPageErrors(t)
}

// TestNewWidgetObeysTheSwitch: a widget opened while the switch says
// paused hears it at once and holds no stream; it comes back when the
// switch says normal.
func TestNewWidgetObeysTheSwitch(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.LiveSlow, o.LivePaused = testSlow, testPaused })
	setLive(t, ws, news.LivePaused)
	b, f := openWidget(t, ws, `data-loading="eager"`)
	waitJS(t, f, `newswidget.mode() == "paused"`, 5*time.Second)
	waitSubscribers(t, ws, 0)
	setLive(t, ws, news.LiveNormal)
	waitJS(t, f, `newswidget.mode() == "normal"`, testPaused+3*time.Second)
	waitSubscribers(t, ws, 1)
	b.noPageErrors(t)
}

// TestLiveDelayMatchesTheRule: the boot script's wait before it comes back
// in slow and paused modes is news.LiveDelay: full jitter under the
// server's retry_ms, so the widgets a switch closes together come back
// spread over the whole ceiling.
func TestLiveDelayMatchesTheRule(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	_, f := openWidget(t, ws, `data-loading="eager"`)
	cases := []struct {
		mode    news.LiveMode
		ceiling time.Duration
		u       float64
	}{{news.LiveSlow, time.Minute, 0}, {news.LiveSlow, time.Minute, 0.5}, {news.LiveSlow, 3 * time.Second, 0.999},
		{news.LivePaused, 5 * time.Minute, 0.25}, {news.LivePaused, 0, 0.5}, {news.LiveSlow, 0, 0.5}}
	for _, c := range cases {
		var gotMS float64
		eval(t, f, `newswidget.liveDelay(`+jsonOf(string(c.mode))+`, `+jsonOf(c.ceiling.Milliseconds())+`, `+jsonOf(c.u)+`)`, &gotMS)
		got := time.Duration(gotMS * float64(time.Millisecond))
		if want := news.LiveDelay(c.mode, c.ceiling, c.u); got != want {
			t.Errorf("liveDelay(%s, %v, %v): got %v, want %v", c.mode, c.ceiling, c.u, got, want)
		}
	}
	// Many draws spread over the ceiling: no two widgets in three come back together.
	var spread struct{ Distinct, Lo, Hi float64 }
	eval(t, f, `(function () { var s = new Set(), lo = 1e12, hi = 0; for (var i = 0; i < 200; i++) { var d = newswidget.liveDelay("slow", 60000, Math.random()); s.add(Math.round(d / 100)); lo = Math.min(lo, d); hi = Math.max(hi, d) } return {Distinct: s.size, Lo: lo, Hi: hi} })()`, &spread)
	if spread.Distinct < 150 || spread.Lo > 6000 || spread.Hi < 54000 {
		t.Errorf("200 slow waits under 60 s: %v distinct (to 0.1 s) from %v to %v ms, want them spread over the minute", spread.Distinct, spread.Lo, spread.Hi)
	}
}
