package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/internal/chromium"
	"newswidget/server/internal/testserver"
	"newswidget/web"
)

// widgetServer is a real newswidget server on 127.0.0.1 with a seeded
// SQLite store, as `make run` has it (testserver.Start).
type widgetServer struct {
	URL   string
	Dir   string
	Token string
	Store news.Store
	srv   *server.Server
	addr  string
	ts    *testserver.Server
}

// startWidgetServer opens a store in dir (a new one when empty) and serves
// it; addr "" picks a free port.
func startWidgetServer(t *testing.T, dir, addr string, opts ...func(*server.Options)) *widgetServer {
	t.Helper()
	if _, err := web.FS.Open("dist/app.wasm"); err != nil {
		t.Fatal("web/dist/app.wasm is missing: run the tests with `make test` (it builds the wasm first)")
	}
	ts := testserver.Start(t, testserver.Config{Dir: dir, Addr: addr,
		Options: server.Options{AdminToken: "test-admin-token-0123", Heartbeat: time.Second}}, opts...)
	return &widgetServer{URL: ts.URL, Dir: ts.Dir, Token: ts.Options.AdminToken, Store: ts.Store, srv: ts.Srv, addr: ts.Addr, ts: ts}
}

// Close stops the server as a shutdown would: streams end, clients retry.
func (ws *widgetServer) Close() { ws.ts.Close() }

// hostPage serves html on 127.0.0.2, another origin than the widget server,
// as a publisher's site would be.
func hostPage(t *testing.T, html string) string {
	t.Helper()
	return hostServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}))
}

// hostServer serves h on 127.0.0.2, the publisher's origin, until the test ends.
func hostServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL
}

// browser is a headless Chromium with a fresh profile, recording every
// page error and console message of the page and its frames.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	log []string // "error: …", "warning: …", "exception: …"
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p, ok := chromium.Find(); ok {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping browser tests")
	return ""
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := chromium.Options(chromiumPath(t), profileDir(t))
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	if err := chromedp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	b.record(ctx, "page")
	return b
}

// record collects exceptions and console messages of one target.
func (b *browser) record(ctx context.Context, where string) {
	chromedp.ListenTarget(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			line = "exception: " + where + ": " + e.ExceptionDetails.Error()
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				var s string
				if json.Unmarshal(a.Value, &s) != nil {
					s = string(a.Value)
				}
				parts = append(parts, s)
			}
			line = string(e.Type) + ": " + where + ": " + strings.Join(parts, " ")
		default:
			return
		}
		b.mu.Lock()
		b.log = append(b.log, line)
		b.mu.Unlock()
	})
}

// lines returns the recorded lines that start with prefix.
func (b *browser) lines(prefix string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.log {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// told waits, up to within, for the host page's console to carry a
// warning containing text (the loader's word from a frame), and returns
// every such line.
func (b *browser) told(text string, within time.Duration) []string {
	deadline := time.Now().Add(within)
	for {
		var out []string
		for _, l := range b.lines("warning: page:") {
			if strings.Contains(l, text) {
				out = append(out, l)
			}
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noPageErrors fails the test on any exception or console error recorded.
func (b *browser) noPageErrors(t *testing.T) {
	t.Helper()
	for _, p := range []string{"exception:", "error:"} {
		if l := b.lines(p); len(l) > 0 {
			t.Errorf("page errors:\n%s", strings.Join(l, "\n"))
		}
	}
}

// frame attaches to the widget iframe whose URL contains part (the frame is
// cross-origin, so it is a target of its own) and records its errors too.
func (b *browser) frame(t *testing.T, part string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		targets, err := chromedp.Targets(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.Contains(ti.URL, part) {
				fctx, _ := chromedp.NewContext(b.ctx, chromedp.WithTargetID(ti.TargetID))
				if err := chromedp.Run(fctx); err != nil {
					t.Fatal(err)
				}
				b.record(fctx, "frame")
				return fctx
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no widget frame with %q in its URL", part)
	return nil
}

// frames lists the iframe targets' URLs.
func (b *browser) frames() []*target.Info {
	targets, _ := chromedp.Targets(b.ctx)
	var out []*target.Info
	for _, ti := range targets {
		if ti.Type == "iframe" {
			out = append(out, ti)
		}
	}
	return out
}

// waitJS polls a JS expression in ctx until it is truthy.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		var ok bool
		if last = chromedp.Run(ctx, chromedp.Evaluate("!!("+expr+")", &ok)); last == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (last error: %v)", expr, last)
}

// eval evaluates a JS expression in ctx into out.
func eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, out)); err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
}

var errTimeout = errors.New("timeout")

// httpGet returns a page's body.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// profileDir is a fresh Chromium profile. It is removed after the browser is
// gone, retrying, because Chromium's helpers may still be writing when the
// test ends (t.TempDir would fail the test for that).
func profileDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "newswidget-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 20; i++ {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

// openWidget opens a publisher's page with the tag (and attrs) in a new
// browser, and returns the browser and the widget's frame once its boot
// script runs: the prerendered widget, live, with its Go program asleep.
func openWidget(t *testing.T, ws *widgetServer, attrs string, opts ...chromedp.ExecAllocatorOption) (*browser, context.Context) {
	t.Helper()
	host := hostPage(t, hostHTML(ws.URL, attrs))
	b := newBrowser(t, opts...)
	open(t, b, host)
	f := b.frame(t, "/embed")
	waitBoot(t, f)
	return b, f
}

// waitBoot waits for the frame's boot script (web/boot.js), which holds
// the stream, the size and the pause button until the Go program wakes.
func waitBoot(t *testing.T, f context.Context) {
	t.Helper()
	waitJS(t, f, `window.newswidget && document.querySelector(".nw")`, 20*time.Second)
}

// wakeGo wakes the frame's Go program as a reader's press on the widget
// does, and waits for its own render (which marks the root data-wasm) and
// its taking over from the boot script.
func wakeGo(t *testing.T, f context.Context) {
	t.Helper()
	waitBoot(t, f)
	eval(t, f, `document.querySelector(".nw").dispatchEvent(new PointerEvent("pointerdown", {bubbles: true})), 1`, nil)
	waitGo(t, f)
}

// waitGo waits until the frame's Go program runs the widget.
func waitGo(t *testing.T, f context.Context) {
	t.Helper()
	waitJS(t, f, `document.documentElement.dataset.nwGo == "running" && document.querySelector(".nw[data-wasm]")`, 20*time.Second)
}

// evalAsync evaluates a JS expression that yields a promise, into out.
func evalAsync(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, out, await)); err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
}

// adminDo sends method path to ws as the admin (the admin token), with
// body as JSON (nil: none); it wants the status want and decodes the
// answer into out (nil: not read).
func adminDo(t *testing.T, ws *widgetServer, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ws.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+ws.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
