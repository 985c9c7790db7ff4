package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"newswidget/server/internal/bidi"
	"newswidget/server/internal/chromium"
	"newswidget/server/internal/webdriver"
)

// engine is one browser engine driving one tab, as the engine tests see it:
// the publisher's page in the tab, the widget in its (cross-origin) frame.
// NewWindow gives another page of the same browser, driven the same way.
type engine interface {
	// Navigate loads url in the tab and waits for its load event.
	Navigate(url string) error
	// Eval evaluates the expression js in the publisher's page, awaits it
	// if it is a promise, and decodes its JSON value into out (nil: drop it).
	Eval(js string, out any) error
	// EvalInFrame is Eval in the widget's frame.
	EvalInFrame(js string, out any) error
	// ClickInFrame clicks the first element of the widget's frame matching
	// the CSS selector with real mouse input (press, release) at its centre.
	ClickInFrame(selector string) error
	// HoverInFrame moves the mouse to the centre of the first element of
	// the widget's frame matching the CSS selector.
	HoverInFrame(selector string) error
	// Click clicks, with real mouse input at its centre (press, release),
	// the element of the page that the JavaScript expression elem
	// evaluates to (`document.querySelector("#id")`, `nr.button("Save")`),
	// scrolled into view.
	Click(elem string) error
	// Type focuses the element of the page that elem evaluates to and
	// types text into it with real key input, a key down and up for each
	// character, so the page gets the keyboard's events and the input
	// events they cause (WebKit: "element send keys"; Firefox: a click,
	// then key actions; Chromium: chromedp.SendKeys).
	Type(elem, text string) error
	// NewWindow opens another top-level page in the same browser, in a
	// window of its own (both pages stay visible: a background tab's page
	// is hidden, and the widget closes its event stream when hidden), as
	// an engine of its own at about:blank. Its Close closes that window
	// only; its Logs are its page's (and its frames').
	NewWindow() (engine, error)
	// Logs returns what the page and the frame logged, as lines
	// "LEVEL: WHERE: TEXT": LEVEL one of log, info, debug, warning, error
	// (console calls) and exception (uncaught errors); WHERE page or frame.
	Logs() []string
	// Close ends the browser.
	Close()
}

// engineFramePart is in the address of the widget's frame and of no other.
const engineFramePart = "/embed"

// needBrowser fails the test, saying what to install, when a browser is
// missing; in -short mode it skips instead.
func needBrowser(t *testing.T, ok bool, what, install string) {
	t.Helper()
	if ok {
		return
	}
	if testing.Short() {
		t.Skipf("%s is not installed (%s); skipped in -short mode", what, install)
	}
	t.Fatalf("%s is not installed: %s. The browser tests run in Chromium, Firefox and WebKit; .ci/run installs them", what, install)
}

// wrapJS makes an expression a promise of its value, undefined read as null.
func wrapJS(js string) string {
	return "(async () => { const v = await (" + js + "\n); return v === undefined ? null : v; })()"
}

// --- Chromium, over the DevTools protocol (chromedp) ---

// chromeEngine is headless Chromium as the other browser tests start it.
type chromeEngine struct {
	b     *browser
	mu    sync.Mutex
	frame context.Context    // the widget frame's target, once attached
	close context.CancelFunc // a window's (NewWindow): closes its tab
}

func startChromium(t *testing.T) engine {
	t.Helper()
	_, ok := chromium.Find()
	needBrowser(t, ok, "Chromium", "apt-get install chromium")
	return &chromeEngine{b: newBrowser(t)}
}

func (c *chromeEngine) run(ctx context.Context, timeout time.Duration, actions ...chromedp.Action) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, actions...)
}

func (c *chromeEngine) Navigate(url string) error {
	return c.run(c.b.ctx, 30*time.Second, chromedp.Navigate(url))
}

func (c *chromeEngine) eval(ctx context.Context, js string, out any) error {
	if out == nil {
		out = new(json.RawMessage)
	}
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	return c.run(ctx, 10*time.Second, chromedp.Evaluate(wrapJS(js), out, await))
}

func (c *chromeEngine) Eval(js string, out any) error { return c.eval(c.b.ctx, js, out) }

// frameCtx attaches to the widget frame's target (a cross-origin frame is
// a target of its own), once it exists, and records its console too.
func (c *chromeEngine) frameCtx() (context.Context, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frame != nil {
		return c.frame, nil
	}
	targets, err := chromedp.Targets(c.b.ctx)
	if err != nil {
		return nil, err
	}
	for _, ti := range targets {
		if ti.Type == "iframe" && strings.Contains(ti.URL, engineFramePart) {
			fctx, _ := chromedp.NewContext(c.b.ctx, chromedp.WithTargetID(ti.TargetID))
			if err := chromedp.Run(fctx); err != nil {
				return nil, err
			}
			c.b.record(fctx, "frame")
			c.frame = fctx
			return fctx, nil
		}
	}
	return nil, errors.New("chromium: no widget frame yet")
}

func (c *chromeEngine) EvalInFrame(js string, out any) error {
	f, err := c.frameCtx()
	if err != nil {
		return err
	}
	return c.eval(f, js, out)
}

func (c *chromeEngine) ClickInFrame(selector string) error {
	f, err := c.frameCtx()
	if err != nil {
		return err
	}
	return c.run(f, 10*time.Second, chromedp.Click(selector, chromedp.ByQuery, chromedp.NodeVisible))
}

func (c *chromeEngine) HoverInFrame(selector string) error {
	f, err := c.frameCtx()
	if err != nil {
		return err
	}
	sel, _ := json.Marshal(selector)
	var at struct{ X, Y float64 }
	if err := c.eval(f, `(function () { var r = document.querySelector(`+string(sel)+`).getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`, &at); err != nil {
		return err
	}
	return c.run(f, 10*time.Second, chromedp.MouseEvent(input.MouseMoved, at.X, at.Y))
}

func (c *chromeEngine) Click(elem string) error {
	return c.run(c.b.ctx, 10*time.Second, chromedp.Click(elem, chromedp.ByJSPath, chromedp.NodeVisible))
}

func (c *chromeEngine) Type(elem, text string) error {
	return c.run(c.b.ctx, 10*time.Second, chromedp.SendKeys(elem, text, chromedp.ByJSPath, chromedp.NodeVisible))
}

// NewWindow opens a tab (headless Chromium keeps every tab's page
// visible). Its frame methods look for the widget's frame in the whole
// browser (frameCtx), so only one window should hold a widget.
func (c *chromeEngine) NewWindow() (engine, error) {
	ctx, cancel := chromedp.NewContext(c.b.ctx)
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		return nil, err
	}
	b := &browser{ctx: ctx}
	b.record(ctx, "page")
	return &chromeEngine{b: b, close: cancel}, nil
}

func (c *chromeEngine) Logs() []string { return c.b.lines("") }

// Close closes a window's tab, and leaves the browser to the test's
// cleanup (newBrowser's).
func (c *chromeEngine) Close() {
	if c.close != nil {
		c.close()
	}
}

// --- Firefox, over WebDriver BiDi ---

// firefoxEngine is headless Firefox driven over WebDriver BiDi, in its tab
// or in a window NewWindow opened.
type firefoxEngine struct {
	b      *bidi.Browser
	top    string // its page's browsing context: the tab's, or its window's
	window bool   // opened by NewWindow: Close closes only the window
	mu     sync.Mutex
	frame  string // the widget frame's browsing context, once found
}

// startFirefox returns a starter of Firefox with prefs in its profile.
func startFirefox(prefs map[string]any) func(t *testing.T) engine {
	return func(t *testing.T) engine {
		t.Helper()
		_, ok := bidi.Find()
		needBrowser(t, ok, "Firefox", "apt-get install firefox-esr")
		b, err := bidi.Launch(bidi.Options{Prefs: prefs, Timeout: 60 * time.Second})
		if err != nil {
			t.Fatalf("starting Firefox: %v", err)
		}
		e := &firefoxEngine{b: b, top: b.Top()}
		t.Cleanup(e.Close)
		return e
	}
}

func (f *firefoxEngine) Navigate(url string) error { return f.b.NavigateIn(f.top, url) }

func (f *firefoxEngine) Eval(js string, out any) error { return f.b.EvalIn(f.top, js, out) }

// frameID finds the widget frame's browsing context (once it exists).
func (f *firefoxEngine) frameID() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frame != "" {
		return f.frame, nil
	}
	c, err := f.b.FrameIn(f.top, engineFramePart)
	if err != nil {
		return "", err
	}
	f.frame = c.ID
	return c.ID, nil
}

// forget drops the frame's id when the browser says it is gone.
func (f *firefoxEngine) forget(err error) error {
	var be *bidi.Error
	if errors.As(err, &be) && be.Code == "no such frame" {
		f.mu.Lock()
		f.frame = ""
		f.mu.Unlock()
	}
	return err
}

func (f *firefoxEngine) EvalInFrame(js string, out any) error {
	id, err := f.frameID()
	if err != nil {
		return err
	}
	return f.forget(f.b.EvalIn(id, js, out))
}

func (f *firefoxEngine) ClickInFrame(selector string) error {
	id, err := f.frameID()
	if err != nil {
		return err
	}
	return f.forget(f.b.ClickIn(id, selector))
}

func (f *firefoxEngine) HoverInFrame(selector string) error {
	id, err := f.frameID()
	if err != nil {
		return err
	}
	return f.forget(f.b.HoverIn(id, selector))
}

func (f *firefoxEngine) Click(elem string) error { return f.b.ClickOn(f.top, elem) }

func (f *firefoxEngine) Type(elem, text string) error { return f.b.TypeInto(f.top, elem, text) }

func (f *firefoxEngine) NewWindow() (engine, error) {
	id, err := f.b.NewWindow()
	if err != nil {
		return nil, err
	}
	return &firefoxEngine{b: f.b, top: id, window: true}, nil
}

// Logs leaves out the other windows' pages; it cannot tell their frames
// (a log entry names its browsing context only), which it counts as its
// own.
func (f *firefoxEngine) Logs() []string {
	var out []string
	for _, e := range f.b.Logs() {
		where := "frame"
		switch {
		case e.Context == f.top:
			where = "page"
		case f.b.IsTopLevel(e.Context):
			continue
		}
		level := e.Method
		switch {
		case e.Type == "javascript":
			level = "exception"
		case level == "warn":
			level = "warning"
		case level == "":
			level = e.Level
		}
		out = append(out, level+": "+where+": "+e.Text)
	}
	return out
}

func (f *firefoxEngine) Close() {
	if f.window {
		f.b.CloseWindow(f.top)
		return
	}
	f.b.Close()
}

// --- WebKit (WebKitGTK's MiniBrowser), over classic WebDriver ---

// webkitEngine is MiniBrowser driven by WebKitWebDriver under an Xvfb, in
// its first window or one NewWindow opened. Classic WebDriver has no log
// API, so its pages carry engineRecorderJS (see engineFront) and Logs
// reads what it recorded.
type webkitEngine struct {
	*webkitSession
	window string // its window's handle
	opened bool   // by NewWindow: Close closes only the window
}

// webkitSession is the WebDriver session the engines of one MiniBrowser
// share, and where it is: commands act in the current window and frame.
type webkitSession struct {
	s       *webdriver.Session
	mu      sync.Mutex // one current window and frame at a time
	current string     // the current window's handle
	inFrame bool
}

func startWebKit(t *testing.T) engine {
	t.Helper()
	var missing []string
	for _, f := range []struct {
		name string
		find func() (string, bool)
	}{{"WebKitWebDriver", webdriver.FindDriver}, {"MiniBrowser", webdriver.FindBrowser}, {"Xvfb", webdriver.FindXvfb}} {
		if _, ok := f.find(); !ok {
			missing = append(missing, f.name)
		}
	}
	needBrowser(t, len(missing) == 0, "WebKit ("+strings.Join(missing, ", ")+")", "apt-get install webkit2gtk-driver xvfb")
	s, err := webdriver.Start(webdriver.Options{Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("starting WebKit: %v", err)
	}
	h, err := s.Window()
	if err != nil {
		s.Close()
		t.Fatalf("starting WebKit: %v", err)
	}
	e := &webkitEngine{webkitSession: &webkitSession{s: s, current: h}, window: h}
	t.Cleanup(e.Close)
	return e
}

func (w *webkitEngine) Navigate(url string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.to(false); err != nil {
		return err
	}
	return w.s.Navigate(url)
}

// to makes the engine's window current, and in it the page (frame false)
// or the widget's frame.
func (w *webkitEngine) to(frame bool) error {
	if w.current != w.window {
		if err := w.s.SwitchToWindow(w.window); err != nil {
			return err
		}
		w.current, w.inFrame = w.window, false
	}
	if w.inFrame == frame {
		return nil
	}
	if err := w.s.SwitchToTop(); err != nil {
		return err
	}
	w.inFrame = false
	if !frame {
		return nil
	}
	el, err := w.s.FindElement(`.newswidget iframe[src*="` + engineFramePart + `"]`)
	if err != nil {
		return err
	}
	if err := w.s.SwitchToFrame(el); err != nil {
		return err
	}
	w.inFrame = true
	return nil
}

func (w *webkitEngine) evalIn(frame bool, js string, out any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.to(frame); err != nil {
		return err
	}
	err := w.s.Execute("return "+wrapJS(js), nil, out)
	var we *webdriver.Error
	if errors.As(err, &we) && (we.Code == "no such frame" || we.Code == "no such window") {
		w.inFrame = !frame // switch again next time
	}
	return err
}

func (w *webkitEngine) Eval(js string, out any) error { return w.evalIn(false, js, out) }

func (w *webkitEngine) EvalInFrame(js string, out any) error { return w.evalIn(true, js, out) }

func (w *webkitEngine) ClickInFrame(selector string) error {
	return w.actInFrame(selector, w.s.Click)
}

func (w *webkitEngine) HoverInFrame(selector string) error {
	return w.actInFrame(selector, w.s.Hover)
}

// actInFrame does act (a real pointer action) on the frame's element
// matching selector.
func (w *webkitEngine) actInFrame(selector string, act func(webdriver.Element) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.to(true); err != nil {
		return err
	}
	el, err := w.s.FindElement(selector)
	if err != nil {
		return err
	}
	return act(el)
}

func (w *webkitEngine) Click(elem string) error {
	return w.actOn(elem, w.s.Click)
}

func (w *webkitEngine) Type(elem, text string) error {
	return w.actOn(elem, func(el webdriver.Element) error { return w.s.SendKeys(el, text) })
}

// actOn does act on the page's element that the expression elem
// evaluates to.
func (w *webkitEngine) actOn(elem string, act func(webdriver.Element) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.to(false); err != nil {
		return err
	}
	el, err := w.s.ElementByScript("return (" + elem + "\n)")
	if err != nil {
		return err
	}
	return act(el)
}

func (w *webkitEngine) NewWindow() (engine, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, err := w.s.NewWindow()
	if err != nil {
		return nil, err
	}
	return &webkitEngine{webkitSession: w.webkitSession, window: h, opened: true}, nil
}

func (w *webkitEngine) Logs() []string {
	var page, frame []string
	w.Eval(`window.__nwLog || []`, &page)
	w.EvalInFrame(`window.__nwLog || []`, &frame)
	return append(page, frame...)
}

func (w *webkitEngine) Close() {
	if !w.opened {
		w.s.Close()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.s.SwitchToWindow(w.window) == nil {
		w.s.CloseWindow()
	}
	w.current, w.inFrame = "", false // the next command switches to its window
}

// engineRecorderJS records, for an engine without a log API, the page's
// console calls and uncaught errors in window.__nwLog, as engine.Logs
// has them.
const engineRecorderJS = `(function () {
  var w = window, where = w === w.top ? "page" : "frame", log = w.__nwLog = [];
  function text(x) {
    if (typeof x === "string") return x;
    if (x instanceof Error) return String(x);
    try { return JSON.stringify(x); } catch (e) { return String(x); }
  }
  ["log", "info", "debug", "warn", "error"].forEach(function (m) {
    var orig = console[m];
    console[m] = function () {
      log.push((m === "warn" ? "warning" : m) + ": " + where + ": " + Array.prototype.map.call(arguments, text).join(" "));
      return orig.apply(console, arguments);
    };
  });
  w.addEventListener("error", function (e) { log.push("exception: " + where + ": " + (e.error ? String(e.error) : e.message)); });
  w.addEventListener("unhandledrejection", function (e) { log.push("exception: " + where + ": unhandled rejection: " + text(e.reason)); });
})();`

// engineRecorderPath is where engineFront serves engineRecorderJS to the
// frame and the newsroom (their policies allow only scripts of their own
// origin).
const engineRecorderPath = "/__nwtest/recorder.js"

// engineNewsroomPath is the newsroom's page, which engineFront instruments
// as it does the frame's.
const engineNewsroomPath = "/newsroom"

// engineFront serves a widget server's handler on a loopback listener of
// its own, the widget's origin for one browser: it counts the requests for
// wasm, and for an engine without a log API puts engineRecorderJS first
// in the frame's page and the newsroom's.
type engineFront struct {
	URL        string
	h          http.Handler
	instrument bool

	mu   sync.Mutex
	wasm []string // the paths of the wasm requests, in order
}

// newEngineFront serves ws through a front of its own; it stops before ws
// does, cutting the event streams it holds.
func newEngineFront(t *testing.T, ws *widgetServer, instrument bool) *engineFront {
	t.Helper()
	f := &engineFront{h: ws.srv, instrument: instrument}
	hs := httptest.NewServer(f)
	f.URL = hs.URL
	t.Cleanup(func() {
		ws.Close() // ends the event streams, so hs.Close does not wait on them
		hs.CloseClientConnections()
		hs.Close()
	})
	return f
}

func (f *engineFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, ".wasm") {
		f.mu.Lock()
		f.wasm = append(f.wasm, r.URL.Path)
		f.mu.Unlock()
	}
	if f.instrument {
		switch r.URL.Path {
		case engineRecorderPath:
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			io.WriteString(w, engineRecorderJS)
			return
		case engineFramePart, engineNewsroomPath:
			r2 := r.Clone(r.Context())
			r2.Header.Del("Accept-Encoding")
			r2.Header.Del("If-None-Match")
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, r2)
			body := bytes.Replace(rec.Body.Bytes(), []byte("<head>"), []byte(`<head><script src="`+engineRecorderPath+`"></script>`), 1)
			for k, v := range rec.Header() {
				if k != "Content-Length" && k != "Etag" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
	}
	f.h.ServeHTTP(w, r)
}

// wasmRequests returns how many wasm requests the front has seen.
func (f *engineFront) wasmRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.wasm)
}

// engineHostHTML is the publisher's page for the engine tests: the widget
// tag with attrs, and a record of the frame's messages in window.__nwMsgs
// ({type, height}); with instrument, engineRecorderJS first.
func engineHostHTML(widgetURL, attrs string, instrument bool) string {
	head := `<script>window.__nwMsgs = []; addEventListener("message", function (e) {
  var m = e.data && e.data.newswidget; if (m) __nwMsgs.push({type: m.type, height: m.height, origin: e.origin});
});</script>`
	if instrument {
		head = "<script>" + engineRecorderJS + "</script>" + head
	}
	return strings.Replace(hostHTML(widgetURL, attrs), "<head>", "<head>"+head, 1)
}

// engineWait evaluates the expression js (in the frame, or in the page)
// until it is truthy; past timeout it fails the test, saying what it
// waited for, with the last value of show (a JS expression, "" for none)
// and the last error.
func engineWait(t *testing.T, e engine, inFrame bool, what, js, show string, timeout time.Duration) bool {
	t.Helper()
	eval := e.Eval
	if inFrame {
		eval = e.EvalInFrame
	}
	deadline := time.Now().Add(timeout)
	var last error
	for {
		var ok bool
		if last = eval("!!("+js+")", &ok); last == nil && ok {
			return true
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var got json.RawMessage
	if show != "" {
		if err := eval(show, &got); err != nil {
			got = json.RawMessage(strconv.Quote("(" + err.Error() + ")"))
		}
	}
	where := "page"
	if inFrame {
		where = "frame"
	}
	t.Errorf("%s: not within %v (in the %s: %s; got %s; last error: %v)", what, timeout, where, js, got, last)
	return false
}

// engineEval evaluates js into out (in the frame, or the page), failing the
// test on an error.
func engineEval(t *testing.T, e engine, inFrame bool, js string, out any) bool {
	t.Helper()
	eval := e.Eval
	if inFrame {
		eval = e.EvalInFrame
	}
	if err := eval(js, out); err != nil {
		t.Errorf("evaluating %s: %v", js, err)
		return false
	}
	return true
}

var sseSubscribers = regexp.MustCompile(`(?m)^newswidget_sse_subscribers (\d+)`)

// waitSubscribed waits until the server has at least one open event stream.
func waitSubscribed(t *testing.T, ws *widgetServer, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := "none"
	for {
		resp, err := http.Get(ws.URL + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if m := sseSubscribers.FindSubmatch(b); m != nil {
				got = string(m[1])
				if n, _ := strconv.Atoi(got); n > 0 {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the frame opened no event stream within %v: newswidget_sse_subscribers %s, want ≥ 1", timeout, got)
	return false
}

// logLines returns the lines of logs that start with prefix and contain
// none of skip.
func logLines(logs []string, prefix string, skip ...string) []string {
	var out []string
next:
	for _, l := range logs {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		for _, s := range skip {
			if strings.Contains(l, s) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// fmtLogs shows log lines one a line, for a failure message.
func fmtLogs(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return fmt.Sprintf("\n\t%s", strings.Join(l, "\n\t"))
}
