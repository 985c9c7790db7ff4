package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"newswidget/server/internal/chromium"
)

// chrome is one headless Chromium with a fresh profile: a cold cache.
type chrome struct {
	ctx     context.Context
	cancel  func()
	profile string
}

// launch starts Chromium with a new profile, as the browser tests do.
// The profile lives under tmp, which the bench removes at the end whatever
// Chromium's helpers were still writing.
func launch(parent context.Context, path, tmp string, limit time.Duration) (*chrome, error) {
	profile, err := os.MkdirTemp(tmp, "chromium-")
	if err != nil {
		return nil, err
	}
	opts := chromium.Options(path, profile)
	actx, cancelA := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	c := &chrome{ctx: ctx, profile: profile, cancel: func() {
		cancelT()
		cancelC()
		cancelA()
		for i := 0; i < 20; i++ { // Chromium's helpers may still be writing
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}}
	if err := chromedp.Run(ctx, performance.Enable()); err != nil {
		c.cancel()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return c, nil
}

// hostMetrics is what a host page's probe and timings hold after a visit.
type hostMetrics struct {
	Origin    float64   `json:"origin"`    // performance.timeOrigin, ms since the epoch
	Load      float64   `json:"load"`      // loadEventStart
	DCL       float64   `json:"dcl"`       // domContentLoadedEventStart
	Ready     *float64  `json:"ready"`     // when a frame said it is ready (its wasm rendered)
	CLS       float64   `json:"cls"`       // the host page's layout shifts
	Shifts    int       `json:"shifts"`    // how many
	LongTasks []float64 `json:"lt"`        // durations of the host's long tasks
	T0        float64   `json:"t0"`        // just before the loader tag
	T1        float64   `json:"t1"`        // just after it
	LoaderEnd *float64  `json:"loaderEnd"` // the loader's responseEnd
	Script    float64   `json:"script"`    // CDP ScriptDuration of the host renderer, ms
	Task      float64   `json:"task"`      // CDP TaskDuration, ms
}

const hostMetricsJS = `(function(){var m=window.__bench,n=performance.getEntriesByType("navigation")[0],
w=performance.getEntriesByType("resource").filter(function(r){return /\/widget\.js/.test(r.name)})[0];
return {origin:performance.timeOrigin,load:n.loadEventStart,dcl:n.domContentLoadedEventStart,ready:m.ready,cls:m.cls,shifts:m.shifts,
lt:m.lt,t0:m.t0,t1:m.t1,loaderEnd:w?w.responseEnd:null};})()`

// loaderEval is the main-thread time of the loader tag: from when its
// script had arrived (or the parser reached it) to the next statement.
func (h hostMetrics) loaderEval() float64 {
	start := h.T0
	if h.LoaderEnd != nil && *h.LoaderEnd > start {
		start = *h.LoaderEnd
	}
	return h.T1 - start
}

// blocking is the total blocking time of the host's long tasks.
func (h hostMetrics) blocking() float64 {
	var t float64
	for _, d := range h.LongTasks {
		t += max(0, d-50)
	}
	return t
}

// visit navigates to url and, when wantReady, waits for a frame's ready
// message, then lets layout settle and reads the host's metrics.
func (c *chrome) visit(url string, wantReady bool) (hostMetrics, error) {
	var h hostMetrics
	if err := chromedp.Run(c.ctx, chromedp.Navigate(url)); err != nil {
		return h, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for wantReady {
		var ready bool
		if err := chromedp.Run(c.ctx, chromedp.Evaluate(`window.__bench&&window.__bench.ready!==null`, &ready)); err != nil {
			return h, err
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			return h, errors.New("no frame said it was ready within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // a late resize would shift the page now
	if err := chromedp.Run(c.ctx, chromedp.Evaluate(hostMetricsJS, &h)); err != nil {
		return h, err
	}
	if err := chromedp.Run(c.ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		ms, err := performance.GetMetrics().Do(ctx)
		for _, m := range ms {
			switch m.Name {
			case "ScriptDuration":
				h.Script = m.Value * 1000
			case "TaskDuration":
				h.Task = m.Value * 1000
			}
		}
		return err
	})); err != nil {
		return h, err
	}
	return h, nil
}

// frameMetrics is what a frame's own timings hold.
type frameMetrics struct {
	Origin      float64  `json:"origin"`       // performance.timeOrigin, ms since the epoch
	FCP         *float64 `json:"fcp"`          // first-contentful-paint
	Label       bool     `json:"label"`        // the widget's .nw-ticker-label is there
	Embedded    bool     `json:"embedded"`     // the prerendered #nw-data is still there (no wasm render yet)
	CLS         float64  `json:"cls"`          // the frame document's own layout shifts
	Shifts      int      `json:"shifts"`       // how many
	WasmTx      *float64 `json:"wasmTransfer"` // bytes the wasm took on the wire
	WasmEncoded *float64 `json:"wasmEncoded"`  // its body as sent
	WasmDecoded *float64 `json:"wasmDecoded"`  // and decoded
	// the frame's own timeline: its document and every resource, as
	// [name, startTime, responseEnd] in ms from the frame's navigation start
	Doc       map[string]float64 `json:"doc"`       // the navigation entry's milestones
	Resources [][3]any           `json:"resources"` // [name, startTime, responseEnd]
}

const frameMetricsJS = `new Promise(function(res){var o={origin:performance.timeOrigin,fcp:null,label:!!document.querySelector(".nw-ticker-label"),
embedded:!!document.getElementById("nw-data"),cls:0,shifts:0,wasmTransfer:null,wasmEncoded:null,wasmDecoded:null};
var p=performance.getEntriesByName("first-contentful-paint")[0];if(p)o.fcp=p.startTime;
var w=performance.getEntriesByType("resource").filter(function(r){return /\.wasm/.test(r.name)})[0];
if(w){o.wasmTransfer=w.transferSize;o.wasmEncoded=w.encodedBodySize;o.wasmDecoded=w.decodedBodySize}
try{new PerformanceObserver(function(l){l.getEntries().forEach(function(e){if(!e.hadRecentInput){o.cls+=e.value;o.shifts++}})}).observe({type:"layout-shift",buffered:true})}catch(e){}
var n=performance.getEntriesByType("navigation")[0];
if(n)o.doc={responseStart:n.responseStart,responseEnd:n.responseEnd,domInteractive:n.domInteractive,dcl:n.domContentLoadedEventStart,load:n.loadEventStart};
o.resources=performance.getEntriesByType("resource").map(function(r){return [r.name.replace(/^https?:\/\/[^/]+/,"").slice(0,60),Math.round(r.startTime),Math.round(r.responseEnd)]});
setTimeout(function(){res(o)},150);})`

// wasmEnd is when the frame's wasm response ended, on the frame's clock.
func (f *frameMetrics) wasmEnd() (float64, bool) {
	for _, r := range f.Resources {
		name, _ := r[0].(string)
		end, ok := r[2].(float64)
		if ok && strings.Contains(name, ".wasm") {
			return end, true
		}
	}
	return 0, false
}

// frame attaches to the iframe target whose URL contains part (a
// cross-origin frame is a target of its own).
func (c *chrome) frame(part string) (context.Context, error) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		targets, err := chromedp.Targets(c.ctx)
		if err != nil {
			return nil, err
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.Contains(ti.URL, part) {
				fctx, _ := chromedp.NewContext(c.ctx, chromedp.WithTargetID(ti.TargetID))
				if err := chromedp.Run(fctx); err != nil {
					return nil, err
				}
				return fctx, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("no frame with %q in its URL", part)
}

// frameMetrics reads a frame's timings.
func (c *chrome) frameMetrics(part string) (frameMetrics, error) {
	var f frameMetrics
	fctx, err := c.frame(part)
	if err != nil {
		return f, err
	}
	err = chromedp.Run(fctx, chromedp.Evaluate(frameMetricsJS, &f, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	return f, err
}

// browserSamples gathers figures 3–5 over the runs.
type browserSamples struct {
	visible, visibleAnchor   []float64 // 3: frame FCP − host load event
	cold, coldAnchor         []float64 // 4: host navigation start → wasm rendered
	warm, warmAnchor         []float64 // 4: the same on the next visit
	warm2, warm2Anchor       []float64 // and the one after
	frameCold, frameColdAnch []float64 // 4: frame navigation start → wasm rendered
	eval, evalAnchor         []float64 // 5: the loader tag's main-thread time
	evalFrameJS              []float64 // 5: an inline script inserting the same frame
	traced, tracedEval       []float64 // 5: the loader's main-thread time in Chromium's trace
	traces                   []loaderTrace
	frameStart, frameStartE  []float64 // 3: when the frame's navigation starts, after the host's
	fcpOwn, fcpOwnE          []float64 // 3: the frame's FCP on its own clock
	fcpHost, fcpHostE        []float64 // 3: the frame's FCP from the host's navigation start
	postWasm, postWasmAnchor []float64 // 4: wasm response end → first render, frame clock
	script, scriptAnchor     []float64 // 5: CDP ScriptDuration of the host
	tbt, tbtAnchor           []float64 // 5: long tasks' blocking time
	cls, clsAnchor           []float64 // 5: host CLS
	frameCLS                 []float64 // the widget frame's own layout shift
	wasmTx, helloTx          []float64 // bytes of the wasm on the wire, in the browser
	raw                      []map[string]any
	errs                     []string
}

func (s *browserSamples) fail(what string, err error) {
	s.errs = append(s.errs, what+": "+err.Error())
	fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
}

// onePass launches a fresh browser and visits url, reading the host and,
// when framePart is set, the frame; warm more visits follow in the same
// profile.
func onePass(ctx context.Context, env *benchEnv, url string, ready bool, framePart string, warm int) (hostMetrics, *frameMetrics, []hostMetrics, error) {
	c, err := launch(ctx, env.chromium, env.tmp, 2*time.Minute)
	if err != nil {
		return hostMetrics{}, nil, nil, err
	}
	defer c.cancel()
	h, err := c.visit(url, ready)
	if err != nil {
		return h, nil, nil, err
	}
	var f *frameMetrics
	if framePart != "" {
		fm, err := c.frameMetrics(framePart)
		if err != nil {
			return h, nil, nil, err
		}
		f = &fm
	}
	var warms []hostMetrics
	for i := 0; i < warm; i++ {
		if err := chromedp.Run(c.ctx, chromedp.Navigate("about:blank")); err != nil {
			return h, f, warms, err
		}
		w, err := c.visit(url, ready)
		if err != nil {
			return h, f, warms, err
		}
		warms = append(warms, w)
	}
	return h, f, warms, nil
}

// measureBrowser reports figures 3, 4 and 5 from cold (fresh profile) and
// warm visits of the host pages, each run visiting every variant.
func measureBrowser(ctx context.Context, rep *Report, env *benchEnv, anchorURL, hostURL string) {
	data, _ := os.MkdirTemp(env.tmp, "browser-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		for _, id := range []string{"3", "4a", "4b", "5a", "5b", "5c"} {
			rep.fail(id, "browser figures", err)
		}
		return
	}
	defer ws.Stop()
	widgetPage := hostURL + "/widget?w=" + ws.URL
	emptyPage := hostURL + "/empty?a=" + anchorURL
	helloPage := hostURL + "/hello?a=" + anchorURL
	nonePage := hostURL + "/none"
	frameJSPage := hostURL + "/frame-js?a=" + anchorURL
	var s browserSamples
	for i := 0; i < env.runs && ctx.Err() == nil; i++ {
		// the widget: cold, then two warm visits
		if h, f, warms, err := onePass(ctx, env, widgetPage, true, "/embed", 2); err != nil {
			s.fail(fmt.Sprintf("run %d widget", i), err)
		} else {
			s.raw = append(s.raw, map[string]any{"run": i, "page": "widget", "host": h, "frame": f, "warm": warms})
			if f.FCP != nil && f.Label {
				s.visible = append(s.visible, f.Origin+*f.FCP-(h.Origin+h.Load))
			}
			s.cold = append(s.cold, *h.Ready)
			s.frameCold = append(s.frameCold, h.Origin+*h.Ready-f.Origin)
			s.frameStart = append(s.frameStart, f.Origin-h.Origin)
			if f.FCP != nil {
				s.fcpOwn = append(s.fcpOwn, *f.FCP)
				s.fcpHost = append(s.fcpHost, f.Origin+*f.FCP-h.Origin)
			}
			if end, ok := f.wasmEnd(); ok {
				s.postWasm = append(s.postWasm, h.Origin+*h.Ready-f.Origin-end)
			}
			if len(warms) == 2 {
				s.warm = append(s.warm, *warms[0].Ready)
				s.warm2 = append(s.warm2, *warms[1].Ready)
			}
			s.eval = append(s.eval, h.loaderEval())
			s.script = append(s.script, h.Script)
			s.tbt = append(s.tbt, h.blocking())
			s.cls = append(s.cls, h.CLS)
			s.frameCLS = append(s.frameCLS, f.CLS)
			if f.WasmTx != nil {
				s.wasmTx = append(s.wasmTx, *f.WasmTx)
			}
		}
		// the widget again, traced: the loader's own main-thread time
		if t, err := tracedVisit(ctx, env, widgetPage, "/widget.js"); err != nil {
			s.fail(fmt.Sprintf("run %d widget traced", i), err)
		} else {
			s.traces = append(s.traces, t)
			s.traced = append(s.traced, t.Total())
			s.tracedEval = append(s.tracedEval, t.Evaluate)
		}
		// the same page with an empty frame
		if h, f, _, err := onePass(ctx, env, emptyPage, false, "/blank", 0); err != nil {
			s.fail(fmt.Sprintf("run %d empty frame", i), err)
		} else {
			s.raw = append(s.raw, map[string]any{"run": i, "page": "empty", "host": h, "frame": f})
			if f.FCP != nil {
				s.visibleAnchor = append(s.visibleAnchor, f.Origin+*f.FCP-(h.Origin+h.Load))
				s.fcpOwnE = append(s.fcpOwnE, *f.FCP)
				s.fcpHostE = append(s.fcpHostE, f.Origin+*f.FCP-h.Origin)
			}
			s.frameStartE = append(s.frameStartE, f.Origin-h.Origin)
		}
		// the same frame inserted by an inline script: what any embed costs
		if h, _, _, err := onePass(ctx, env, frameJSPage, false, "", 0); err != nil {
			s.fail(fmt.Sprintf("run %d inline frame", i), err)
		} else {
			s.raw = append(s.raw, map[string]any{"run": i, "page": "frame-js", "host": h})
			s.evalFrameJS = append(s.evalFrameJS, h.T1-h.T0)
		}
		// go-app's hello world in the frame: cold, then two warm visits
		if h, f, warms, err := onePass(ctx, env, helloPage, true, anchorURL+"/", 2); err != nil {
			s.fail(fmt.Sprintf("run %d hello world", i), err)
		} else {
			s.raw = append(s.raw, map[string]any{"run": i, "page": "hello", "host": h, "frame": f, "warm": warms})
			s.coldAnchor = append(s.coldAnchor, *h.Ready)
			s.frameColdAnch = append(s.frameColdAnch, h.Origin+*h.Ready-f.Origin)
			if end, ok := f.wasmEnd(); ok {
				s.postWasmAnchor = append(s.postWasmAnchor, h.Origin+*h.Ready-f.Origin-end)
			}
			if len(warms) == 2 {
				s.warmAnchor = append(s.warmAnchor, *warms[0].Ready)
				s.warm2Anchor = append(s.warm2Anchor, *warms[1].Ready)
			}
			if f.WasmTx != nil {
				s.helloTx = append(s.helloTx, *f.WasmTx)
			}
		}
		// the page without the widget
		if h, _, _, err := onePass(ctx, env, nonePage, false, "", 0); err != nil {
			s.fail(fmt.Sprintf("run %d no widget", i), err)
		} else {
			s.raw = append(s.raw, map[string]any{"run": i, "page": "none", "host": h})
			s.evalAnchor = append(s.evalAnchor, h.T1-h.T0)
			s.scriptAnchor = append(s.scriptAnchor, h.Script)
			s.tbtAnchor = append(s.tbtAnchor, h.blocking())
			s.clsAnchor = append(s.clsAnchor, h.CLS)
		}
	}
	rep.detail("browser_runs", s.raw)
	rep.detail("loader_traces", s.traces)
	if len(s.errs) > 0 {
		rep.detail("browser_errors", s.errs)
	}
	rep.detail("browser_wasm_on_the_wire", map[string]any{"widget_transfer_bytes": s.wasmTx, "hello_transfer_bytes": s.helloTx,
		"note": "PerformanceResourceTiming.transferSize of the wasm in the frame, cold: what Chromium fetched over http://127.0.0.1 with its own Accept-Encoding"})
	errNote := func() error { return fmt.Errorf("no run measured it: %s", strings.Join(s.errs, "; ")) }
	add := func(r *Row, runs, anchor []float64) {
		if len(runs) == 0 || (r.HasAnchor && len(anchor) == 0) {
			rep.fail(r.ID, r.Figure, errNote())
			return
		}
		r.Runs, r.Value = runs, median(runs)
		if r.HasAnchor {
			r.AnchorRuns, r.Anchor = anchor, median(anchor)
		}
		rep.add(r)
	}
	add(&Row{ID: "3", Diff: true, Figure: "widget content visible after host load (frame FCP − host load event), cold", Unit: "ms",
		HasAnchor: true, AnchorName: "same page, empty frame", Kind: ValueMax, Limit: 100,
		Note: fmt.Sprintf("frame first-contentful-paint (the prerendered ticker, .nw-ticker-label present) minus the host's loadEventStart, both as epoch ms (performance.timeOrigin); negative is before the load event. "+
			"The lazy frame starts %.0f ms after the host's navigation (empty frame %.0f ms) and paints at %.0f ms of its own clock (empty frame %.0f ms), %.0f ms after the host's navigation start (empty frame %.0f ms); "+
			"the host's load event waits for the frame only when the lazy frame starts before it, so the runs are bimodal",
			median(s.frameStart), median(s.frameStartE), median(s.fcpOwn), median(s.fcpOwnE), median(s.fcpHost), median(s.fcpHostE))},
		s.visible, s.visibleAnchor)
	add(&Row{ID: "4a", Figure: "wasm running in the frame, cold (host navigation start → first wasm render)", Unit: "ms",
		HasAnchor: true, AnchorName: "go-app hello world frame", Kind: RatioMax, Limit: 1.2,
		Note: fmt.Sprintf("the widget's \"ready\" message (OnMount of the first wasm render) vs the hello world's first wasm-created <h1>, both seen by the host page; from the frame's own navigation start: widget %.0f ms, hello %.0f ms; from the wasm's responseEnd (compile, Go start, first render): widget %.0f ms, hello %.0f ms",
			median(s.frameCold), median(s.frameColdAnch), median(s.postWasm), median(s.postWasmAnchor))},
		s.cold, s.coldAnchor)
	add(&Row{ID: "4b", Figure: "wasm running in the frame, warm (next visit, same profile)", Unit: "ms",
		HasAnchor: true, AnchorName: "go-app hello world frame", Kind: ValueMax, Limit: 300,
		Note: fmt.Sprintf("the visit after that: widget %.0f ms, hello %.0f ms", median(s.warm2), median(s.warm2Anchor))},
		s.warm, s.warmAnchor)
	add(&Row{ID: "5a", Diff: true, Figure: "host main thread: the loader's own script time (Chromium trace: evaluation + its listeners)", Unit: "ms",
		HasAnchor: true, AnchorName: "no widget", Kind: ValueMax, Limit: 5,
		Note: fmt.Sprintf("EvaluateScript of widget.js %.2f ms (the frame's insertion included) + its later calls; by performance.now() around the tag: %.2f ms (includes the parser's wait for its task), an inline script inserting the same sandboxed lazy frame %.2f ms",
			median(s.tracedEval), median(s.eval), median(s.evalFrameJS))},
		s.traced, zeros(len(s.evalAnchor)))
	add(&Row{ID: "5b", Diff: true, Figure: "host main thread: all script time (CDP ScriptDuration), widget vs none", Unit: "ms",
		HasAnchor: true, AnchorName: "no widget", Kind: DiffMax, Limit: 5,
		Note: fmt.Sprintf("host ScriptDuration widget %.2f ms vs no widget %.2f ms; long tasks' blocking time widget %.1f ms vs %.1f ms",
			median(s.script), median(s.scriptAnchor), median(s.tbt), median(s.tbtAnchor))},
		s.script, s.scriptAnchor)
	add(&Row{ID: "5c", Diff: true, Figure: "host Cumulative Layout Shift (sync tag, until ready + 1 s)", Unit: "",
		HasAnchor: true, AnchorName: "no widget", Kind: ValueMax, Limit: 0,
		Note: fmt.Sprintf("the frame's own layout shift (its document, not the host's CLS): median %.4f", median(s.frameCLS))},
		s.cls, s.clsAnchor)
}

// zeros is n zeros: the anchor of a time the page without the widget
// does not spend at all.
func zeros(n int) []float64 { return make([]float64, n) }

// memSample is one frame's memory.
type memSample struct {
	JSUsed    float64 `json:"js_used"`         // Runtime.getHeapUsage usedSize
	JSTotal   float64 `json:"js_total"`        // and totalSize
	Embedder  float64 `json:"embedder"`        // embedderHeapUsedSize (Blink's heap)
	Backing   float64 `json:"backing_storage"` // backingStorageSize (array buffers, external strings)
	WasmBytes float64 `json:"wasm_memory"`     // every WebAssembly.Memory's buffer.byteLength
	Memories  int     `json:"wasm_memories"`   // how many there are
}

// Total is the JS heap in use plus the wasm linear memory.
func (m memSample) Total() float64 { return m.JSUsed + m.WasmBytes }

// frameMemory collects garbage in the frame and reads its JS heap and the
// size of every WebAssembly.Memory in it (found through the prototype, as
// DevTools' queryObjects does: the Go instance is not reachable by name).
func frameMemory(fctx context.Context) (memSample, error) {
	var m memSample
	err := chromedp.Run(fctx, chromedp.ActionFunc(func(ctx context.Context) error {
		heapprofiler.CollectGarbage().Do(ctx)
		heapprofiler.CollectGarbage().Do(ctx)
		var err error
		if m.JSUsed, m.JSTotal, m.Embedder, m.Backing, err = runtime.GetHeapUsage().Do(ctx); err != nil {
			return err
		}
		proto, exc, err := runtime.Evaluate("WebAssembly.Memory.prototype").WithObjectGroup("bench").Do(ctx)
		if err != nil || exc != nil {
			return fmt.Errorf("WebAssembly.Memory.prototype: %v %v", err, exc)
		}
		objs, err := runtime.QueryObjects(proto.ObjectID).WithObjectGroup("bench").Do(ctx)
		if err != nil {
			return err
		}
		res, exc, err := runtime.CallFunctionOn(`function(){var s=0;for(var i=0;i<this.length;i++)s+=this[i].buffer.byteLength;return [this.length,s]}`).
			WithObjectID(objs.ObjectID).WithReturnByValue(true).Do(ctx)
		if err != nil || exc != nil {
			return fmt.Errorf("summing wasm memories: %v %v", err, exc)
		}
		var pair [2]float64
		if err := json.Unmarshal(res.Value, &pair); err != nil {
			return err
		}
		m.Memories, m.WasmBytes = int(pair[0]), pair[1]
		return runtime.ReleaseObjectGroup("bench").Do(ctx)
	}))
	return m, err
}

// medianMem reads the frame's memory n times and returns the median
// sample by total.
func medianMem(fctx context.Context, n int) (memSample, []memSample, error) {
	var all []memSample
	for i := 0; i < n; i++ {
		m, err := frameMemory(fctx)
		if err != nil {
			return m, all, err
		}
		all = append(all, m)
		time.Sleep(200 * time.Millisecond)
	}
	best, bestD := all[0], math.Inf(1)
	totals := make([]float64, len(all))
	for i, m := range all {
		totals[i] = m.Total()
	}
	med := median(totals)
	for _, m := range all {
		if d := math.Abs(m.Total() - med); d < bestD {
			best, bestD = m, d
		}
	}
	return best, all, nil
}
