// Package bidi launches Firefox with a fresh profile and drives it over
// WebDriver BiDi, the W3C protocol Firefox speaks natively (no geckodriver):
// navigate the top-level page, evaluate JavaScript in it or in any of its
// frames (cross-origin ones included), click elements with real pointer
// input, and collect what the pages log (console messages and uncaught
// errors). The browser tests use it to run in Firefox what they run in
// Chromium; nothing that ships imports it.
package bidi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"newswidget/server/internal/procgroup"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/websocket"
)

// Find returns the path of a Firefox binary: $FIREFOX, Debian's
// firefox-esr, or firefox on the PATH.
func Find() (string, bool) {
	if p := os.Getenv("FIREFOX"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Options say how Launch starts Firefox.
type Options struct {
	// Binary is Firefox's path; empty uses Find.
	Binary string
	// Prefs are written to the fresh profile's user.js after DefaultPrefs,
	// so they win (e.g. "network.cookie.cookieBehavior": 1).
	Prefs map[string]any
	// Width and Height are the top-level page's viewport; zero is 1000×900.
	Width, Height int
	// Timeout bounds the start and each command; zero is 30 seconds.
	Timeout time.Duration
	// Env is added to Firefox's environment.
	Env []string
}

// DefaultPrefs are the prefs every profile gets: no first-run pages,
// updates, telemetry or other calls out, so runs are quiet and comparable.
var DefaultPrefs = map[string]any{
	"app.normandy.enabled":                        false,
	"app.update.disabledForTesting":               true,
	"browser.aboutwelcome.enabled":                false,
	"browser.newtabpage.enabled":                  false,
	"browser.region.network.url":                  "",
	"browser.safebrowsing.update.enabled":         false,
	"browser.search.update":                       false,
	"browser.shell.checkDefaultBrowser":           false,
	"browser.startup.homepage_override.mstone":    "ignore",
	"browser.startup.page":                        0,
	"datareporting.healthreport.uploadEnabled":    false,
	"datareporting.policy.dataSubmissionEnabled":  false,
	"dom.ipc.reportProcessHangs":                  false,
	"extensions.getAddons.cache.enabled":          false,
	"extensions.update.enabled":                   false,
	"identity.fxaccounts.enabled":                 false,
	"messaging-system.rsexperimentloader.enabled": false,
	"network.captive-portal-service.enabled":      false,
	"network.connectivity-service.enabled":        false,
	"network.dns.disablePrefetch":                 true,
	"network.prefetch-next":                       false,
	"services.settings.server":                    "data:,#remote-settings-dummy/v1",
	"toolkit.telemetry.enabled":                   false,
	"toolkit.telemetry.reportingpolicy.firstRun":  false,
}

// Browser is a running Firefox with one WebDriver BiDi session.
type Browser struct {
	cmd     *exec.Cmd
	profile string
	conn    *websocket.Conn
	top     string
	timeout time.Duration
	width   int // the viewport's, for NewWindow
	height  int

	wmu     sync.Mutex // serialises writes to conn
	mu      sync.Mutex // guards what follows
	nextID  int
	wait    map[int]chan response
	logs    []LogEntry
	done    chan struct{} // closed when the connection is gone
	err     error         // why it is gone
	stderr  []string      // Firefox's last lines on stderr, for errors
	windows []string      // the windows NewWindow opened and CloseWindow has not closed

	closeOnce sync.Once
	closed    atomic.Bool
}

// LogEntry is one console message or uncaught error a page or frame logged.
type LogEntry struct {
	// Type is "console" for a console API call, "javascript" for an
	// uncaught error.
	Type string
	// Level is "debug", "info", "warn" or "error".
	Level string
	// Method is the console method called ("log", "warn" …); empty for errors.
	Method string
	// Text is the message: the console arguments, or the error's text.
	Text string
	// Context is the id of the browsing context that logged it.
	Context string
}

// Error is a command's error response.
type Error struct {
	Method  string // the command
	Code    string // the BiDi error code, e.g. "no such frame"
	Message string
}

// Error reads as "bidi: METHOD: CODE: MESSAGE".
func (e *Error) Error() string {
	return "bidi: " + e.Method + ": " + e.Code + ": " + e.Message
}

// response is a command's answer, as read off the connection.
type response struct {
	Result  json.RawMessage
	Code    string
	Message string
}

// ErrClosed is returned by commands sent after the session ended.
var ErrClosed = errors.New("bidi: the browser is closed")

var listening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// Launch starts Firefox headless with a fresh profile, connects to its
// WebDriver BiDi server, opens a session, sizes the viewport and starts
// collecting log entries, all of which Close ends.
func Launch(o Options) (b *Browser, err error) {
	if o.Binary == "" {
		p, ok := Find()
		if !ok {
			return nil, errors.New("bidi: no Firefox found ($FIREFOX, firefox-esr or firefox on the PATH); install Debian's firefox-esr")
		}
		o.Binary = p
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1000, 900
	}
	profile, err := os.MkdirTemp("", "bidi-firefox-")
	if err != nil {
		return nil, err
	}
	if err := writeUserJS(profile, o.Prefs); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	// The window is larger than the viewport set below, with room for the
	// browser's own bars: Firefox clips a cross-origin frame's
	// IntersectionObserver to the window's real content area, which the
	// emulated viewport does not change (headless windows are 1366×768).
	cmd := exec.Command(o.Binary, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port=0", "--remote-allow-origins=http://127.0.0.1", "about:blank")
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Env = append(cmd.Env, "MOZ_CRASHREPORTER_DISABLE=1",
		fmt.Sprintf("MOZ_HEADLESS_WIDTH=%d", o.Width+200), fmt.Sprintf("MOZ_HEADLESS_HEIGHT=%d", o.Height+200))
	cmd.SysProcAttr = procgroup.Attr()
	cmd.WaitDelay = 2 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("bidi: starting %s: %w", o.Binary, err)
	}
	b = &Browser{cmd: cmd, profile: profile, timeout: o.Timeout, wait: map[int]chan response{}, done: make(chan struct{})}
	defer func() {
		if err != nil {
			b.Close()
			b = nil
		}
	}()
	url := make(chan string, 1)
	go b.readStderr(stderr, url)
	var wsURL string
	select {
	case u, ok := <-url:
		if !ok {
			return b, fmt.Errorf("bidi: Firefox exited at start; its stderr:\n%s", b.stderrTail())
		}
		wsURL = u
	case <-time.After(o.Timeout):
		return b, fmt.Errorf("bidi: Firefox did not start its BiDi server within %v; its stderr:\n%s", o.Timeout, b.stderrTail())
	}
	err = b.connect(wsURL, o.Width, o.Height)
	return b, err
}

// connect opens the session on the BiDi server at wsURL, finds the tab,
// subscribes to the log and sizes the viewport.
func (b *Browser) connect(wsURL string, width, height int) error {
	cfg, err := websocket.NewConfig(wsURL+"/session", "http://127.0.0.1")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	conn, err := cfg.DialContext(ctx)
	if err != nil {
		return fmt.Errorf("bidi: connecting to %s: %w", wsURL, err)
	}
	conn.MaxPayloadBytes = 64 << 20
	b.conn = conn
	go b.read()
	if err := b.Send("session.new", map[string]any{"capabilities": map[string]any{}}, nil); err != nil {
		return err
	}
	var tree struct {
		Contexts []struct{ Context string }
	}
	if err := b.Send("browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		return err
	}
	if len(tree.Contexts) == 0 {
		return errors.New("bidi: Firefox has no top-level browsing context")
	}
	b.top = tree.Contexts[0].Context
	b.width, b.height = width, height
	if err := b.Send("session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil); err != nil {
		return err
	}
	return b.Send("browsingContext.setViewport", map[string]any{"context": b.top,
		"viewport": map[string]int{"width": width, "height": height}}, nil)
}

// writeUserJS writes DefaultPrefs and then prefs to dir/user.js.
func writeUserJS(dir string, prefs map[string]any) error {
	var sb strings.Builder
	for _, m := range []map[string]any{DefaultPrefs, prefs} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name, _ := json.Marshal(k)
			v, err := json.Marshal(m[k])
			if err != nil {
				return fmt.Errorf("bidi: pref %s: %w", k, err)
			}
			fmt.Fprintf(&sb, "user_pref(%s, %s);\n", name, v)
		}
	}
	return os.WriteFile(dir+"/user.js", []byte(sb.String()), 0o644)
}

// readStderr sends the BiDi server's address once Firefox prints it (or
// closes url if Firefox ends first), and keeps Firefox's last lines for
// error messages.
func (b *Browser) readStderr(r io.Reader, url chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		b.mu.Lock()
		b.stderr = append(b.stderr, line)
		if len(b.stderr) > 40 {
			b.stderr = b.stderr[len(b.stderr)-40:]
		}
		b.mu.Unlock()
		if m := listening.FindStringSubmatch(line); m != nil && !sent {
			sent = true
			url <- m[1]
		}
	}
	if !sent { // Firefox is gone before it listened
		close(url)
	}
}

func (b *Browser) stderrTail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.stderr, "\n")
}

// read dispatches what arrives: answers to their commands, log entries to
// the log.
func (b *Browser) read() {
	var err error
	for {
		var data []byte
		if err = websocket.Message.Receive(b.conn, &data); err != nil {
			break
		}
		var m struct {
			Type    string
			ID      *int
			Method  string
			Params  json.RawMessage
			Result  json.RawMessage
			Error   string
			Message string
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		switch {
		case m.ID != nil:
			b.mu.Lock()
			ch := b.wait[*m.ID]
			delete(b.wait, *m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- response{Result: m.Result, Code: m.Error, Message: m.Message}
			}
		case m.Type == "event" && m.Method == "log.entryAdded":
			var e struct {
				Type, Level, Method, Text string
				Source                    struct{ Context string }
			}
			if json.Unmarshal(m.Params, &e) == nil {
				b.mu.Lock()
				b.logs = append(b.logs, LogEntry{Type: e.Type, Level: e.Level, Method: e.Method, Text: e.Text, Context: e.Source.Context})
				b.mu.Unlock()
			}
		}
	}
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	close(b.done)
}

// Send sends one command with its params and decodes its result into
// result (which may be nil), waiting at most the launch timeout.
func (b *Browser) Send(method string, params, result any) error {
	return b.send(method, params, result, b.timeout)
}

// send is Send with its own timeout.
func (b *Browser) send(method string, params, result any, timeout time.Duration) error {
	if b.conn == nil || b.closed.Load() {
		return fmt.Errorf("%w (%s)", ErrClosed, method)
	}
	if params == nil {
		params = map[string]any{}
	}
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan response, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	drop := func() {
		b.mu.Lock()
		delete(b.wait, id)
		b.mu.Unlock()
	}
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		drop()
		return err
	}
	b.wmu.Lock()
	err = websocket.Message.Send(b.conn, string(msg))
	b.wmu.Unlock()
	if err != nil {
		drop()
		return fmt.Errorf("bidi: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Code != "" {
			return &Error{Method: method, Code: r.Code, Message: r.Message}
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-b.done:
		drop()
		return fmt.Errorf("%w (%s)", ErrClosed, method)
	case <-time.After(timeout):
		drop()
		return fmt.Errorf("bidi: %s: no answer within %v", method, timeout)
	}
}

// Top returns the id of the top-level browsing context (the tab).
func (b *Browser) Top() string { return b.top }

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(url string) error { return b.NavigateIn(b.top, url) }

// NavigateIn loads url in the top-level browsing context with the given id
// (the tab, or a window NewWindow opened) and waits for its load event.
func (b *Browser) NavigateIn(context, url string) error {
	return b.Send("browsingContext.navigate", map[string]any{"context": context, "url": url, "wait": "complete"}, nil)
}

// NewWindow opens a top-level browsing context in a window of its own,
// its viewport sized as the tab's, and returns its id. A window, not a
// tab: a page in a background tab is hidden (document.hidden), and the
// widget closes its event stream when hidden; each window's page stays
// visible.
func (b *Browser) NewWindow() (string, error) {
	var r struct{ Context string }
	if err := b.Send("browsingContext.create", map[string]any{"type": "window"}, &r); err != nil {
		return "", err
	}
	b.mu.Lock()
	b.windows = append(b.windows, r.Context)
	b.mu.Unlock()
	return r.Context, b.Send("browsingContext.setViewport", map[string]any{"context": r.Context,
		"viewport": map[string]int{"width": b.width, "height": b.height}}, nil)
}

// CloseWindow closes the window NewWindow opened with the given id.
func (b *Browser) CloseWindow(context string) error {
	b.mu.Lock()
	for i, w := range b.windows {
		if w == context {
			b.windows = append(b.windows[:i], b.windows[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	return b.Send("browsingContext.close", map[string]any{"context": context}, nil)
}

// IsTopLevel says whether the browsing context with the given id is the
// tab or a window NewWindow opened (and CloseWindow has not closed).
func (b *Browser) IsTopLevel(context string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return context == b.top || slices.Contains(b.windows, context)
}

// Context is one browsing context: the tab or a frame in it.
type Context struct {
	ID     string // its id, for EvalIn and ClickIn
	URL    string // its document's address
	Parent string // its parent's id; empty for the tab
}

// Frames lists every frame under the tab, depth first.
func (b *Browser) Frames() ([]Context, error) { return b.FramesIn(b.top) }

// FramesIn lists every frame under the top-level browsing context with
// the given id, depth first.
func (b *Browser) FramesIn(root string) ([]Context, error) {
	type node struct {
		Context  string
		URL      string
		Children []node
	}
	var tree struct{ Contexts []node }
	if err := b.Send("browsingContext.getTree", map[string]any{"root": root}, &tree); err != nil {
		return nil, err
	}
	var out []Context
	var walk func(parent string, ns []node)
	walk = func(parent string, ns []node) {
		for _, n := range ns {
			out = append(out, Context{ID: n.Context, URL: n.URL, Parent: parent})
			walk(n.Context, n.Children)
		}
	}
	for _, n := range tree.Contexts {
		walk(n.Context, n.Children)
	}
	return out, nil
}

// Frame returns the first frame under the tab whose address contains part.
func (b *Browser) Frame(part string) (Context, error) { return b.FrameIn(b.top, part) }

// FrameIn returns the first frame under the top-level browsing context
// root whose address contains part.
func (b *Browser) FrameIn(root, part string) (Context, error) {
	fs, err := b.FramesIn(root)
	if err != nil {
		return Context{}, err
	}
	for _, f := range fs {
		if strings.Contains(f.URL, part) {
			return f, nil
		}
	}
	return Context{}, fmt.Errorf("bidi: no frame with %q in its address", part)
}

// Eval evaluates the JavaScript expression js in the tab, awaits it if it
// is a promise, and decodes its value (as JSON.stringify has it) into out,
// which may be nil.
func (b *Browser) Eval(js string, out any) error { return b.EvalIn(b.top, js, out) }

// EvalIn is Eval in the browsing context with the given id.
func (b *Browser) EvalIn(context, js string, out any) error {
	wrapped := "(async () => { const v = await (" + js + "\n); return v === undefined ? \"null\" : JSON.stringify(v); })()"
	v, err := b.evaluate(context, wrapped)
	if err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(v, &struct{ Value *string }{&s}); err != nil {
		return fmt.Errorf("bidi: evaluating %s: result %s", js, v)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return fmt.Errorf("bidi: evaluating %s: decoding %s: %w", js, s, err)
	}
	return nil
}

// evalResult is the result of script.evaluate and script.callFunction.
type evalResult struct {
	Type             string
	Result           json.RawMessage
	ExceptionDetails struct{ Text string }
}

// evaluate evaluates js in context and returns its remote value.
func (b *Browser) evaluate(context, js string) (json.RawMessage, error) {
	var r evalResult
	if err := b.Send("script.evaluate", map[string]any{"expression": js, "target": map[string]any{"context": context},
		"awaitPromise": true, "resultOwnership": "none"}, &r); err != nil {
		return nil, err
	}
	if r.Type == "exception" {
		return nil, fmt.Errorf("bidi: evaluating %s: %s", js, r.ExceptionDetails.Text)
	}
	return r.Result, nil
}

// ClickIn clicks, with a real mouse press and release at its centre, the
// first element matching the CSS selector in the browsing context with the
// given id.
func (b *Browser) ClickIn(context, selector string) error {
	return b.pointer(context, selector, true)
}

// HoverIn moves the mouse to the centre of the first element matching the
// CSS selector in the browsing context with the given id.
func (b *Browser) HoverIn(context, selector string) error {
	return b.pointer(context, selector, false)
}

// ClickOn clicks, with a real mouse press and release at its centre, the
// element the JavaScript expression elem evaluates to in the browsing
// context with the given id, scrolled into view first (pointer input
// does not scroll).
func (b *Browser) ClickOn(context, elem string) error {
	id, err := b.elementOf(context, elem)
	if err != nil {
		return err
	}
	return b.act(context, pointerActions(id, true))
}

// TypeInto clicks the element the JavaScript expression elem evaluates to
// in the browsing context with the given id (as ClickOn, which focuses
// it), then types text with real key input: a key down and up for each
// character, as a keyboard would, so the page gets its keydown, input
// and keyup events.
func (b *Browser) TypeInto(context, elem, text string) error {
	id, err := b.elementOf(context, elem)
	if err != nil {
		return err
	}
	keys := make([]any, 0, 2*len(text))
	for _, r := range text {
		keys = append(keys, map[string]any{"type": "keyDown", "value": string(r)}, map[string]any{"type": "keyUp", "value": string(r)})
	}
	return b.act(context, pointerActions(id, true), map[string]any{"type": "key", "id": "keyboard", "actions": keys})
}

// elementOf returns the shared id of the element the expression elem
// evaluates to in context, scrolled to the middle of the viewport.
func (b *Browser) elementOf(context, elem string) (string, error) {
	fn := "() => { const e = (" + elem + "\n); if (e && e.scrollIntoView) e.scrollIntoView({block: \"center\", inline: \"center\"}); return e; }"
	return b.node(context, fn, nil, elem)
}

// node calls the function declaration fn with args in context and returns
// the shared id of the element it returns; what names the element in errors.
func (b *Browser) node(context, fn string, args []any, what string) (string, error) {
	if args == nil {
		args = []any{}
	}
	var r evalResult
	if err := b.Send("script.callFunction", map[string]any{"functionDeclaration": fn, "arguments": args,
		"target": map[string]any{"context": context}, "awaitPromise": false, "resultOwnership": "none"}, &r); err != nil {
		return "", err
	}
	if r.Type == "exception" {
		return "", fmt.Errorf("bidi: finding %s: %s", what, r.ExceptionDetails.Text)
	}
	var node struct{ Type, SharedID string }
	if err := json.Unmarshal(r.Result, &node); err != nil || node.Type != "node" || node.SharedID == "" {
		return "", fmt.Errorf("bidi: no element is %s", what)
	}
	return node.SharedID, nil
}

// pointerActions are the mouse's actions that move it to the centre of the
// element with the shared id, and press and release it if click is set.
func pointerActions(id string, click bool) map[string]any {
	actions := []any{map[string]any{"type": "pointerMove", "x": 0, "y": 0,
		"origin": map[string]any{"type": "element", "element": map[string]any{"sharedId": id}}}}
	if click {
		actions = append(actions, map[string]any{"type": "pointerDown", "button": 0}, map[string]any{"type": "pointerUp", "button": 0})
	}
	return map[string]any{"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"}, "actions": actions}
}

// act performs the input sources' actions in context, one source after
// the other, and releases what they hold.
func (b *Browser) act(context string, sources ...map[string]any) error {
	for _, src := range sources {
		if err := b.Send("input.performActions", map[string]any{"context": context, "actions": []any{src}}, nil); err != nil {
			return err
		}
	}
	return b.Send("input.releaseActions", map[string]any{"context": context}, nil)
}

// pointer moves the mouse to the element, and clicks it if click is set.
func (b *Browser) pointer(context, selector string, click bool) error {
	id, err := b.node(context, "s => document.querySelector(s)", []any{map[string]any{"type": "string", "value": selector}}, "matching "+selector)
	if err != nil {
		return err
	}
	return b.act(context, pointerActions(id, click))
}

// Logs returns the log entries collected so far, oldest first.
func (b *Browser) Logs() []LogEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]LogEntry(nil), b.logs...)
}

// Close ends the session, kills Firefox and every process it started, and
// removes the profile; closing twice does nothing.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() {
		if b.conn != nil {
			b.send("browser.close", nil, nil, 2*time.Second) // the answer may not come: the browser goes
			b.closed.Store(true)
			b.conn.Close()
		}
		if b.cmd != nil {
			procgroup.Kill(b.cmd)
			b.cmd.Wait()
		}
		for i := 0; b.profile != "" && i < 20; i++ { // Firefox's helpers may still be writing
			if os.RemoveAll(b.profile) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return nil
}
