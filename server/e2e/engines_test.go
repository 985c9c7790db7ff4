package e2e_test

import (
	"encoding/json"
	"math"
	"newswidget/server"
	"strings"
	"sync"
	"testing"
	"time"
)

// engineCase is one browser the engine tests run in.
type engineCase struct {
	name  string
	start func(t *testing.T) engine
	// wake is what wakes the frame's Go program first: "event" (a live
	// article, then the pause button with Go running) or "click" (the
	// pause button, handled by the boot script until Go runs, then a live
	// article). Each path runs in two engines, Firefox in both.
	wake string
	// instrument: the engine has no log API, so its pages record their
	// console and errors themselves (engineRecorderJS).
	instrument bool
}

var engineCases = []engineCase{
	{name: "firefox", start: startFirefox(nil), wake: "event"},
	// Firefox with all third-party cookies blocked throws SecurityError
	// from new BroadcastChannel() in the frame.
	{name: "firefox-3p-cookies-blocked", start: startFirefox(map[string]any{"network.cookie.cookieBehavior": 1}), wake: "click"},
	{name: "chromium", start: startChromium, wake: "event"},
	{name: "webkit", start: startWebKit, wake: "click", instrument: true},
}

// engineRender keeps one engine test at a time between starting its
// widget server and the frame's page being served: go-app's routes are
// global, so /embed is rendered from the catalog (and with the event
// sequence) of the server started last, and a page rendered from another
// test's catalog would resume its stream at the wrong place.
var engineRender sync.Mutex

// TestEngines runs what a reader must get in every browser engine --
// Chromium (DevTools protocol), Firefox (WebDriver BiDi), Firefox blocking
// third-party cookies, and WebKit (WebKitGTK over classic WebDriver) --
// each in a real browser with its own widget server, embedded in a
// publisher's page of another origin: the news drawn in the frame, the
// frame sized to them, the Go program asleep (no wasm downloaded) until a
// live article or the reader wakes it, the live article shown, the pause
// button, one wasm download, the reader's impression and click counted
// with nothing kept about them, and no error in the page or the frame.
func TestEngines(t *testing.T) {
	for _, tc := range engineCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runEngine(t, tc)
		})
	}
}

func runEngine(t *testing.T, tc engineCase) {
	start := time.Now()
	e := tc.start(t)
	defer e.Close() // before the servers stop: no reconnects to log
	t.Logf("%s started in %v", tc.name, time.Since(start).Round(time.Millisecond))

	engineRender.Lock()
	locked := true
	unlock := func() {
		if locked {
			locked = false
			engineRender.Unlock()
		}
	}
	defer unlock()
	// every engine's reader is counted (the bot rule would drop headless
	// Chromium); the counts reach the store when the test says
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.CountBots, o.StatsFlush = true, time.Hour })
	front := newEngineFront(t, ws, tc.instrument)
	host := hostPage(t, engineHostHTML(front.URL, `data-loading="eager" data-theme="purple"`, tc.instrument))
	if err := e.Navigate(host); err != nil {
		t.Fatalf("navigating to the publisher's page: %v", err)
	}
	defer func() { // before the browser closes
		if t.Failed() {
			front.mu.Lock()
			t.Logf("wasm requests: %q", front.wasm)
			front.mu.Unlock()
			t.Logf("%s log:%s", tc.name, fmtLogs(e.Logs()))
		}
	}()

	// The news are drawn in the frame: ticker headlines and list items,
	// of a size, in a frame of a size.
	ok := t.Run("content", func(t *testing.T) {
		const content = `(function () {
  function shown(e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }
  return {headlines: Array.from(document.querySelectorAll(".nw-ticker .nw-headline")).filter(shown).length,
    items: Array.from(document.querySelectorAll(".nw-item .nw-title")).filter(shown).length,
    // the rows and headlines drawn in the task after the first (widget.css's nw-staged)
    skipped: Array.from(document.querySelectorAll(".nw-item .nw-title, .nw-copy .nw-headline")).filter(function (e) { return e.checkVisibility && !e.checkVisibility(); }).length,
    staged: document.documentElement.classList.contains("nw-staged"),
    origin: location.origin, ready: document.readyState};
})()`
		if !engineWait(t, e, true, "the frame shows the news", `(function (c) { return c.headlines > 0 && c.items > 0 && !c.staged && c.skipped === 0 && c.ready === "complete"; })(`+content+`)`, content, 30*time.Second) {
			t.FailNow()
		}
		var got struct {
			Headlines, Items int
			Origin           string
		}
		engineEval(t, e, true, content, &got)
		if got.Items != 10 {
			t.Errorf("the list shows %d items, want 10 (data-limit's default)", got.Items)
		}
		if got.Origin != front.URL {
			t.Errorf("the frame's origin is %s, want the widget server's %s", got.Origin, front.URL)
		}
		var frame struct{ W, H float64 }
		engineEval(t, e, false, `(function () { var r = document.querySelector(".newswidget iframe").getBoundingClientRect(); return {w: r.width, h: r.height}; })()`, &frame)
		if frame.W < 100 || frame.H < 100 {
			t.Errorf("the iframe is %.0f×%.0f px, want a visible widget", frame.W, frame.H)
		}
		t.Logf("frame drawn %v after start", time.Since(start).Round(time.Millisecond))
	})
	unlock()
	if !ok {
		t.FailNow()
	}

	// The frame measures the widget and tells the loader, which gives the
	// box it made the widget's height: no placeholder, no scrollbar.
	t.Run("sized", func(t *testing.T) {
		type sizes struct {
			Box     float64
			Style   string
			Resizes []float64
		}
		const hostSizes = `(function () { var b = document.querySelector("div.newswidget");
  return {box: b ? b.getBoundingClientRect().height : -1, style: b ? b.style.cssText : "",
    resizes: __nwMsgs.filter(function (m) { return m.type === "resize"; }).map(function (m) { return m.height; })}; })()`
		var got sizes
		var frame struct{ NW, Inner, Scroll float64 }
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, frame.NW, frame.Inner, frame.Scroll = sizes{}, 0, 0, 0
			errH := e.Eval(hostSizes, &got)
			errF := e.EvalInFrame(`({nw: document.querySelector(".nw").getBoundingClientRect().height, inner: innerHeight, scroll: document.documentElement.scrollHeight})`, &frame)
			if errH == nil && errF == nil && frame.NW > 0 && len(got.Resizes) > 0 &&
				math.Abs(got.Box-frame.NW) <= 1 && got.Box == math.Ceil(got.Resizes[len(got.Resizes)-1]) && !strings.Contains(got.Style, "background") &&
				frame.Scroll-frame.Inner <= 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 10 s: box div.newswidget %.1f px (style %q), frame's .nw %.1f px, resize messages %v, frame %.0f px tall scrolling %.0f px (errors: %v, %v); want the box at the .nw height ±1 px, set from the last resize message, and nothing to scroll",
					got.Box, got.Style, frame.NW, got.Resizes, frame.Inner, frame.Scroll, errH, errF)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	// The reader is counted by the rule: the widget, brought to the top of
	// the host's window (most of it in view), is one impression in
	// /api/stats after a second, whatever the engine's privacy settings.
	// (Less than half in view counting nothing is TestImpressionNeedsView's,
	// in Chromium.)
	t.Run("counted", func(t *testing.T) {
		var seen float64 // the share of the frame in the host's viewport
		engineEval(t, e, false, `(function () { var f = document.querySelector(".newswidget iframe"); scrollTo(0, scrollY + f.getBoundingClientRect().top);
  var r = f.getBoundingClientRect(); return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)) / r.height; })()`, &seen)
		if seen < 0.6 {
			t.Fatalf("%.0f%% of the widget in view at the top of the window, want most of it", 100*seen)
		}
		waitAccepted(t, ws, 1)
		rep := readStats(t, ws, "")
		if rep.Impressions != 1 || rep.Clicks != 0 {
			t.Errorf("/api/stats with %.0f%% of the widget in view: got %d impressions and %d clicks, want 1 and 0", 100*seen, rep.Impressions, rep.Clicks)
		}
	})

	// Until a live article or the reader wakes it, the Go program sleeps:
	// no wasm is downloaded.
	t.Run("asleep", func(t *testing.T) {
		engineWait(t, e, true, "the frame has been up 1.5 s", `performance.now() > 1500`, "", 10*time.Second)
		var state *string
		engineEval(t, e, true, `document.documentElement.getAttribute("data-nw-go")`, &state)
		if state != nil {
			t.Errorf("before any event or interaction data-nw-go is %q, want it absent (the Go program asleep)", *state)
		}
		if got := front.wasmRequests(); got != 0 {
			t.Errorf("before any event or interaction: got %d wasm downloads, want 0", got)
		}
	})

	live := func() {
		t.Run("live", func(t *testing.T) {
			if !waitSubscribed(t, ws, 10*time.Second) {
				t.FailNow()
			}
			title := "Engines: a live headline in " + tc.name
			t0 := time.Now()
			publish(t, ws, map[string]any{"title": title, "summary": "An engine test's headline.", "flash": true, "source": "REL"})
			q, _ := json.Marshal(title)
			engineWait(t, e, true, "the published article in the ticker and the list",
				`document.querySelector(".nw-ticker").textContent.includes(`+string(q)+`) && Array.from(document.querySelectorAll(".nw-item .nw-title")).some(function (e) { return e.textContent === `+string(q)+`; })`,
				`document.querySelector(".nw-item .nw-title").textContent`, 10*time.Second)
			t.Logf("the live article showed %v after publishing", time.Since(t0).Round(time.Millisecond))
		})
	}
	goFailed := false // waited for once in vain: fail at once
	running := func(t *testing.T) bool {
		t.Helper()
		if goFailed {
			t.Error("the Go program is not running (see above)")
			return false
		}
		goFailed = !engineWait(t, e, true, "the Go program running", `document.documentElement.getAttribute("data-nw-go") === "running"`,
			`document.documentElement.getAttribute("data-nw-go")`, 20*time.Second)
		return !goFailed
	}
	pause := func(name string, firstClickWakes bool) {
		t.Run(name, func(t *testing.T) {
			if firstClickWakes && !t.Run("paused", func(t *testing.T) { enginePause(t, e, true) }) {
				t.FailNow()
			}
			if firstClickWakes {
				// the press woke the Go program; the reader's pause survives its taking over
				if !running(t) {
					t.FailNow()
				}
				enginePauseState(t, e, true)
				t.Run("resumed", func(t *testing.T) { enginePause(t, e, false) })
				return
			}
			if t.Run("paused", func(t *testing.T) { enginePause(t, e, true) }) {
				t.Run("resumed", func(t *testing.T) { enginePause(t, e, false) })
			}
		})
	}
	switch tc.wake {
	case "event":
		live()
		t.Run("running", func(t *testing.T) { running(t) })
		pause("pause", false)
	case "click":
		pause("pause-wakes", true)
		live()
	}

	// One wasm download for this reader, once the Go program runs; it told
	// the loader so, once.
	t.Run("one-wasm", func(t *testing.T) {
		running(t)
		time.Sleep(500 * time.Millisecond) // a late second download
		if got := front.wasmRequests(); got != 1 {
			t.Errorf("with the Go program running: got %d wasm downloads, want 1", got)
		}
		var ready int
		engineEval(t, e, false, `__nwMsgs.filter(function (m) { return m.type === "ready"; }).length`, &ready)
		if ready != 1 {
			t.Errorf("the frame posted %d ready messages, want 1", ready)
		}
	})

	// The loader warned of the bad attribute, once; nothing else went
	// wrong in the page or the frame (the frame's errors reach the
	// publisher's console as the loader's warnings).
	// Nothing is kept about the reader, asleep or awake: the frame holds
	// no cookie and no storage (where storage is blocked, none can be read).
	t.Run("nothing-kept", func(t *testing.T) {
		var kept string
		engineEval(t, e, true, `(function () { try { return document.cookie + "|" + localStorage.length + "|" + sessionStorage.length; } catch (e) { return "|0|0"; } })()`, &kept)
		if kept != "|0|0" {
			t.Errorf("the frame keeps cookie|localStorage|sessionStorage %q, want none", kept)
		}
	})

	// A reader's click on an article link is counted, once, in every
	// engine: the beacon goes out as the link is followed. (The test keeps
	// the page: a listener after the beacon's own cancels the navigation.)
	t.Run("click-counted", func(t *testing.T) {
		var id string
		engineEval(t, e, true, `(function () { document.addEventListener("click", function (e) { e.preventDefault(); });
  return document.querySelector(".nw-list .nw-item a[href]").closest("[data-id]").dataset.id; })()`, &id)
		if err := e.ClickInFrame(".nw-list .nw-item a[href]"); err != nil {
			t.Fatalf("clicking an article link: %v", err)
		}
		waitAccepted(t, ws, 2)
		rep := readStats(t, ws, "")
		if rep.Impressions != 1 || rep.Clicks != 1 || len(rep.Articles) != 1 || rep.Articles[0].ID != id {
			t.Errorf("/api/stats after one click: got %+v, want 1 impression and 1 click on %s", rep, id)
		}
	})

	t.Run("logs", func(t *testing.T) {
		// the engine's log catches a frame's console call and uncaught error
		engineEval(t, e, true, `console.info("nw-probe-info"), setTimeout(function () { throw new Error("nw-probe-exception"); }), 1`, nil)
		deadline := time.Now().Add(5 * time.Second)
		var logs []string
		for {
			logs = e.Logs()
			if len(logLines(logs, "info: frame: nw-probe-info")) > 0 && len(logLines(logs, "exception: frame:")) > 0 &&
				strings.Contains(strings.Join(logLines(logs, "exception: frame:"), "\n"), "nw-probe-exception") {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("the %s log did not get the frame's console.info and uncaught error within 5 s (so it cannot tell the frame's errors): %s", tc.name, fmtLogs(logs))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		var warned []string
		for _, l := range logLines(logs, "warning: page: newswidget:") {
			if strings.Contains(l, `data-theme="purple"`) {
				warned = append(warned, l)
			}
		}
		if len(warned) != 1 {
			t.Errorf("the loader's warnings of data-theme=\"purple\": got %d, want 1: %s", len(warned), fmtLogs(logLines(logs, "warning:")))
		}
		if l := logLines(logs, "warning: page: newswidget:", `data-theme="purple"`); len(l) > 0 {
			t.Errorf("the frame reported errors to the publisher's page: %s", fmtLogs(l))
		}
		errs := append(logLines(logs, "exception:", "nw-probe"), logLines(logs, "error:")...)
		for _, p := range []string{"log: frame: panic:", "log: frame: fatal error:"} { // the Go runtime's, through console.log
			errs = append(errs, logLines(logs, p)...)
		}
		if l := errs; len(l) > 0 {
			t.Errorf("errors in the page or the frame: %s", fmtLogs(l))
		}
	})
	t.Logf("%s done in %v", tc.name, time.Since(start).Round(time.Millisecond))
}

// enginePauseStateJS reads the ticker's pause state in the frame.
const enginePauseStateJS = `(function () {
  var t = document.querySelector(".nw-ticker"), b = document.querySelector(".nw-toggle"), k = document.querySelector(".nw-track");
  return {paused: t.classList.contains("nw-paused"), pressed: b.getAttribute("aria-pressed"), play: getComputedStyle(k).animationPlayState,
    why: {hover: t.matches(":hover"), focus: t.matches(":focus-within"), active: document.activeElement && document.activeElement.className}};
})()`

type enginePaused struct {
	Paused  bool
	Pressed string
	Play    string
}

func wantPaused(paused bool) enginePaused {
	if paused {
		return enginePaused{Paused: true, Pressed: "true", Play: "paused"}
	}
	return enginePaused{Paused: false, Pressed: "false", Play: "running"}
}

// enginePause clicks the ticker's pause button, moves the mouse off the
// ticker (onto the list's heading) and blurs the button (hover and focus pause the ticker too), and
// waits for the ticker to be paused (or running).
func enginePause(t *testing.T, e engine, paused bool) {
	t.Helper()
	if err := e.ClickInFrame(".nw-toggle"); err != nil {
		t.Fatalf("clicking the pause button: %v", err)
	}
	if err := e.HoverInFrame(".nw-list-label"); err != nil {
		t.Fatalf("moving the mouse off the ticker: %v", err)
	}
	engineEval(t, e, true, `document.activeElement && document.activeElement.blur(), 1`, nil)
	enginePauseState(t, e, paused)
}

// enginePauseState waits up to 5 s for the ticker to be paused (or running).
func enginePauseState(t *testing.T, e engine, paused bool) {
	t.Helper()
	want := wantPaused(paused)
	var got enginePaused
	deadline := time.Now().Add(5 * time.Second)
	for {
		var raw struct {
			enginePaused
			Why json.RawMessage
		}
		err := e.EvalInFrame(enginePauseStateJS, &raw)
		got = raw.enginePaused
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticker: got nw-paused %v, aria-pressed %q, animation-play-state %q; want %v, %q, %q (also pausing: %s; last error: %v)",
				got.Paused, got.Pressed, got.Play, want.Paused, want.Pressed, want.Play, raw.Why, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
