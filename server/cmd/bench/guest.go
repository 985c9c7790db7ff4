package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"newswidget/server/internal/chromium"
)

// Figure 12, the widget as a light guest of the publisher's page (issue
// #14): where a cross-site frame shares the host page's renderer process
// (iOS Safari, and Android Chromium for most sites), everything the frame
// runs is a task on the publisher's main thread. Chromium is made to do the
// same (guestFlags) with the CPU slowed 4×, and the host renderer's main
// thread is read from Chromium's own trace.

// The conditions of figure 12.
const (
	guestWindow   = 10 * time.Second // the host page's first seconds, no news published
	guestThrottle = 4                // Emulation.setCPUThrottlingRate
	guestSyncMark = "nwbench-sync"   // the performance.mark that ties the page's clock to the trace's
	guestLongTask = 50.0             // ms: beyond it a task blocks input (total blocking time)
)

// guestFlags put a cross-site frame in its host page's renderer process,
// the Chromium flags DESIGN.md names (facts measured 2026-12-06).
var guestFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("disable-site-isolation-trials", true),
	chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"),
}

// guestCategories are the trace categories figure 12 reads: the timeline's
// RunTask, the browser's FrameCommittedInBrowser (which process each frame
// committed in), user-timing marks (the clock sync) and thread names.
var guestCategories = []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing", "__metadata"}

// launchShared is launch (browser.go) with guestFlags: a fresh profile, a
// cold cache, and cross-site frames in their parent's process.
func launchShared(parent context.Context, path, tmp string, limit time.Duration) (*chrome, error) {
	profile, err := os.MkdirTemp(tmp, "chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromium.Options(path, profile), guestFlags...)
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
	if err := chromedp.Run(ctx); err != nil {
		c.cancel()
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return c, nil
}

// guestEvent is the part of a trace event figure 12 reads.
type guestEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Ts   float64 `json:"ts"`   // µs
	Dur  float64 `json:"dur"`  // µs, complete ("X") events
	Tdur float64 `json:"tdur"` // µs of the thread's CPU time in it
	Args struct {
		Name string `json:"name"` // a thread's, in thread_name metadata
		Data struct {
			Frame     string `json:"frame"`
			URL       string `json:"url"`
			ProcessID int    `json:"processId"`
		} `json:"data"`
		// Layout's and ParseHTML's: which frame's document (explainTasks)
		BeginData struct {
			Frame string `json:"frame"`
			URL   string `json:"url"`
			Dirty int    `json:"dirtyObjects"`
			Total int    `json:"totalObjects"`
		} `json:"beginData"`
	} `json:"args"`
}

// guestEventNames are the events kept of the trace; the rest is dropped
// as it arrives.
var guestEventNames = map[string]bool{"RunTask": true, "ThreadControllerImpl::RunTask": true, "thread_name": true,
	"FrameCommittedInBrowser": true, "CommitLoad": true, guestSyncMark: true}

// explainTasks (NWBENCH_TASKS=1 in the environment) prints, for each long
// task of figure 12, the work inside it (every traced event over
// explainOver: parsing, scripts, style, layout, paint, garbage collection,
// navigation) from the trace: where to look when 12a or 12b misses.
// NWBENCH_TASKS=0.5 lowers that to 0.5 ms.
var explainTasks = os.Getenv("NWBENCH_TASKS") != ""

// explainOver is the shortest event explainTasks prints, in µs.
var explainOver = func() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("NWBENCH_TASKS"), 64); err == nil && v > 0 && v < 2 {
		return v * 1000
	}
	return 2000
}()

// guestRequest is one response a frame received, from CDP's Network events.
type guestRequest struct {
	URL   string  `json:"url"`
	Type  string  `json:"type"`
	Bytes float64 `json:"bytes"`          // on the wire: headers and the body as sent (encodedDataLength)
	Open  bool    `json:"open,omitempty"` // still receiving (the event stream): its bytes so far
	frame string
	done  bool
}

// guestTab is one shared-process Chromium whose single tab is traced from
// before its navigation, with its network events kept.
type guestTab struct {
	*chrome
	mu     sync.Mutex
	events []guestEvent
	reqs   map[network.RequestID]*guestRequest
	order  []network.RequestID
	done   chan struct{}
}

// openGuestTab launches Chromium with guestFlags, starts tracing and, when
// throttle is above 1, slows the tab's CPU by that factor (the renderer's,
// so a frame in its process too).
func openGuestTab(ctx context.Context, env *benchEnv, throttle float64) (*guestTab, error) {
	c, err := launchShared(ctx, env.chromium, env.tmp, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	t := &guestTab{chrome: c, reqs: map[network.RequestID]*guestRequest{}, done: make(chan struct{})}
	var once sync.Once
	chromedp.ListenTarget(c.ctx, func(ev any) {
		t.mu.Lock()
		defer t.mu.Unlock()
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			for _, v := range e.Value {
				var te guestEvent
				if json.Unmarshal(v, &te) == nil && (guestEventNames[te.Name] || explainTasks && te.Dur > explainOver) {
					t.events = append(t.events, te)
				}
			}
		case *tracing.EventTracingComplete:
			once.Do(func() { close(t.done) })
		case *network.EventRequestWillBeSent:
			if _, ok := t.reqs[e.RequestID]; !ok { // a redirect keeps its id
				t.order = append(t.order, e.RequestID)
			}
			t.reqs[e.RequestID] = &guestRequest{URL: e.Request.URL, Type: string(e.Type), frame: string(e.FrameID)}
		case *network.EventResponseReceived:
			if r := t.reqs[e.RequestID]; r != nil && !r.done && e.Response != nil {
				r.Bytes = e.Response.EncodedDataLength // the headers, so far
			}
		case *network.EventDataReceived:
			if r := t.reqs[e.RequestID]; r != nil && !r.done {
				r.Bytes += float64(e.EncodedDataLength)
			}
		case *network.EventLoadingFinished:
			if r := t.reqs[e.RequestID]; r != nil {
				r.Bytes, r.done = e.EncodedDataLength, true
			}
		}
	})
	cats := guestCategories
	if explainTasks {
		cats = append(cats[:len(cats):len(cats)], "v8", "blink", "loading", "navigation", "toplevel")
	}
	err = chromedp.Run(c.ctx, network.Enable(), tracing.Start().
		WithTransferMode(tracing.TransferModeReportEvents).
		WithTraceConfig(&tracing.TraceConfig{IncludedCategories: cats}))
	if err == nil && throttle > 1 {
		err = chromedp.Run(c.ctx, emulation.SetCPUThrottlingRate(throttle))
	}
	if err != nil {
		c.cancel()
		return nil, err
	}
	return t, nil
}

// frameRequests is every request of frame so far, in the order sent.
func (t *guestTab) frameRequests(frame string) []guestRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []guestRequest
	for _, id := range t.order {
		if r := t.reqs[id]; r.frame == frame {
			c := *r
			c.Open = !r.done
			out = append(out, c)
		}
	}
	return out
}

// guestClock ties the host page's clock to the trace's: a user-timing mark
// is in both. Epoch milliseconds (performance.timeOrigin + now, in any
// frame of the page) map to trace microseconds through it.
type guestClock struct {
	Epoch float64 `json:"epoch_ms"`  // the mark's time, ms since the Unix epoch
	Ts    float64 `json:"trace_us"`  // and in the trace
	Skew  float64 `json:"skew_ms"`   // the page's epoch clock minus the bench's (the midpoint of the call)
	Round float64 `json:"round_ms"`  // that call's round trip
	Start float64 `json:"origin_ms"` // the host's performance.timeOrigin
}

// ts is the trace time of an epoch time in milliseconds.
func (k guestClock) ts(epoch float64) float64 { return k.Ts + (epoch-k.Epoch)*1000 }

// mark sets the sync mark in the host page.
func (t *guestTab) mark() (guestClock, error) {
	var k guestClock
	var v [3]float64
	before := time.Now()
	err := chromedp.Run(t.ctx, chromedp.Evaluate(`(function(){var m=performance.mark(`+strconv.Quote(guestSyncMark)+`);
return [performance.timeOrigin,m.startTime,performance.timeOrigin+performance.now()]})()`, &v))
	after := time.Now()
	k.Start, k.Epoch = v[0], v[0]+v[1]
	k.Round = ms(after.Sub(before))
	k.Skew = v[2] - (epochMS(before)+epochMS(after))/2
	return k, err
}

// epochMS is a time in milliseconds since the Unix epoch.
func epochMS(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }

// finish ends the trace and waits for all of it.
func (t *guestTab) finish() ([]guestEvent, error) {
	if err := chromedp.Run(t.ctx, tracing.End()); err != nil {
		return nil, err
	}
	select {
	case <-t.done:
	case <-time.After(30 * time.Second):
		return nil, errors.New("the trace did not complete")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events, nil
}

// guestTask is one top-level task of a thread, in trace microseconds: its
// wall time and its thread's CPU time (which includes the 4× throttle's
// spinning but not the time the machine's other work preempted it).
type guestTask struct{ Start, Dur, CPU float64 }

// End is when it ended.
func (k guestTask) End() float64 { return k.Start + k.Dur }

// guestTrace is one visit's trace, read.
type guestTrace struct {
	events []guestEvent
	clock  guestClock
}

// commit finds where a frame whose URL satisfies match committed: the
// frame's id, its renderer process and when (the last such commit).
func (tr *guestTrace) commit(match func(url string) bool) (frame string, pid int, ts float64, ok bool) {
	for _, e := range tr.events { // the browser's view first, the renderer's as a fallback
		if e.Name == "FrameCommittedInBrowser" && match(e.Args.Data.URL) {
			frame, pid, ts, ok = e.Args.Data.Frame, e.Args.Data.ProcessID, e.Ts, true
		}
	}
	if ok {
		return
	}
	for _, e := range tr.events {
		if e.Name == "CommitLoad" && match(e.Args.Data.URL) {
			frame, pid, ts, ok = e.Args.Data.Frame, e.Pid, e.Ts, true
		}
	}
	return
}

// syncTs is the trace time of the sync mark.
func (tr *guestTrace) syncTs() (float64, bool) {
	for _, e := range tr.events {
		if e.Name == guestSyncMark {
			return e.Ts, true
		}
	}
	return 0, false
}

// mainTasks are the top-level tasks of process pid's main thread
// (CrRendererMain), in order: the timeline's RunTask, or the scheduler's
// ThreadControllerImpl::RunTask when the timeline has none; a task nested
// in another is part of it.
func (tr *guestTrace) mainTasks(pid int) []guestTask {
	tid := pid // Linux: the main thread's id is the process's
	for _, e := range tr.events {
		if e.Name == "thread_name" && e.Pid == pid && e.Args.Name == "CrRendererMain" {
			tid = e.Tid
		}
	}
	var tasks []guestTask
	for _, name := range []string{"RunTask", "ThreadControllerImpl::RunTask"} {
		for _, e := range tr.events {
			if e.Name == name && e.Ph == "X" && e.Pid == pid && e.Tid == tid {
				tasks = append(tasks, guestTask{e.Ts, e.Dur, e.Tdur})
			}
		}
		if len(tasks) > 0 {
			break
		}
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Start < tasks[j].Start })
	var top []guestTask
	end := math.Inf(-1)
	for _, k := range tasks {
		if k.Start >= end {
			top = append(top, k)
			end = k.End()
		}
	}
	return top
}

// explain prints the work inside task k of process pid (events over
// explainOver).
func (tr *guestTrace) explain(page string, pid int, k guestTask, from float64) {
	fmt.Fprintf(os.Stderr, "bench: 12 %s: task at %.0f ms, %.1f ms\n", page, (k.Start-from)/1000, k.Dur/1000)
	for _, e := range tr.events {
		if e.Pid == pid && !guestEventNames[e.Name] && e.Ts >= k.Start && e.Ts < k.End() && e.Dur > explainOver {
			b := e.Args.BeginData
			fmt.Fprintf(os.Stderr, "bench:      +%.1f ms %s %.1f ms %s%s", (e.Ts-k.Start)/1000, e.Name, e.Dur/1000, e.Args.Data.URL, b.URL)
			if b.Frame != "" {
				fmt.Fprintf(os.Stderr, " frame %.6s %d/%d objects", b.Frame, b.Dirty, b.Total)
			}
			fmt.Fprintln(os.Stderr)
		}
	}
}

// longestOverlapping is the longest task that overlaps [from, to].
func longestOverlapping(tasks []guestTask, from, to float64) guestTask {
	var m guestTask
	for _, k := range tasks {
		if k.Start < to && k.End() > from && k.Dur > m.Dur {
			m = k
		}
	}
	return m
}

// guestVisit is what one visit of figure 12 measured.
type guestVisit struct {
	Run        int            `json:"run"`
	Page       string         `json:"page"`     // widget, none, empty or hello
	Throttle   float64        `json:"throttle"` // CPU slowdown
	HostPID    int            `json:"host_pid"`
	FramePID   int            `json:"frame_pid,omitempty"` // the embedded frame's renderer process
	Longest    float64        `json:"longest_ms"`          // the window's longest main-thread task
	LongestCPU float64        `json:"longest_cpu_ms"`      // the thread's CPU time in it
	Blocking   float64        `json:"blocking_ms"`         // its Σ (task − 50 ms)
	Tasks      int            `json:"tasks"`               // top-level tasks in the window
	Long       [][2]float64   `json:"long_tasks"`          // those over 50 ms: [ms after the navigation start, ms]
	Requests   []guestRequest `json:"frame_requests,omitempty"`
	FrameBytes float64        `json:"frame_bytes,omitempty"`
	GoBefore   string         `json:"go_before,omitempty"`       // the frame's data-nw-go as the window ends ("" absent)
	GoStates   [][2]any       `json:"go_states,omitempty"`       // its changes after: [value, epoch ms]
	ReadyAt    *float64       `json:"ready_ms,omitempty"`        // the frame's ready message, host clock
	Published  [2]float64     `json:"published,omitempty"`       // the two publishes, ms after the navigation start
	Cold       float64        `json:"cold_ms,omitempty"`         // publish → title in the frame, first
	Awake      float64        `json:"awake_ms,omitempty"`        // and second
	WakeFrom   string         `json:"wake_from,omitempty"`       // "news": the first publish started Go; "load": it ran already
	Wake       float64        `json:"wake_longest_ms,omitempty"` // the Go program's start: its longest task
	WakeAt     float64        `json:"wake_longest_at,omitempty"` // when that began, ms after the navigation start
	WakeSpan   float64        `json:"wake_span_ms,omitempty"`    // the start's window, the publish or the frame's commit to running
	Clock      guestClock     `json:"clock"`
}

// guestSpec says what one visit does.
type guestSpec struct {
	run       int
	page      string // its name in the report
	url       string
	throttle  float64
	framePart string        // the embedded frame's URL contains this ("" no frame)
	publish   bool          // publish twice after the window and time the frame
	server    *widgetServer // where to publish
	ready     bool          // wait for the frame's ready message rather than the window
}

// guestObserverJS, run in an isolated world of the widget frame, records
// when each wanted title enters the frame's DOM and each change of the
// frame's data-nw-go, as epoch milliseconds. A world of its own: the
// frame's scripts neither see nor disturb it, and it shares the DOM.
const guestObserverJS = `(function(){if(window.__nwb)return true;
var b=window.__nwb={want:{},titles:{},go:[]},now=function(){return performance.timeOrigin+performance.now()};
b.check=function(){var t=document.body?document.body.textContent:"";for(var k in b.want)if(!b.titles[k]&&t.indexOf(k)>=0)b.titles[k]=now()};
new MutationObserver(function(rs){for(var i=0;i<rs.length;i++)if(rs[i].type==="attributes"&&rs[i].target===document.documentElement)
b.go.push([document.documentElement.getAttribute("data-nw-go")||"",now()]);b.check()}).observe(document.documentElement,
{subtree:true,childList:true,characterData:true,attributes:true,attributeFilter:["data-nw-go"]});return true})()`

// inWorld evaluates expr in an execution context of the page, returning
// its value into out.
func inWorld(ctx context.Context, world runtime.ExecutionContextID, expr string, out any) error {
	return chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		res, exc, err := runtime.Evaluate(expr).WithContextID(world).WithReturnByValue(true).Do(ctx)
		if err != nil {
			return err
		}
		if exc != nil {
			return fmt.Errorf("%s: %s", expr, exc.Text)
		}
		if out == nil || res == nil || len(res.Value) == 0 {
			return nil
		}
		return json.Unmarshal(res.Value, out)
	}))
}

// guestFrameID is the id of the page's child frame whose URL contains part.
func guestFrameID(ctx context.Context, part string) (cdp.FrameID, error) {
	var tree *page.FrameTree
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) (err error) {
		tree, err = page.GetFrameTree().Do(ctx)
		return err
	})); err != nil {
		return "", err
	}
	var walk func(t *page.FrameTree) cdp.FrameID
	walk = func(t *page.FrameTree) cdp.FrameID {
		for _, ch := range t.ChildFrames {
			if strings.Contains(ch.Frame.URL, part) {
				return ch.Frame.ID
			}
			if id := walk(ch); id != "" {
				return id
			}
		}
		return ""
	}
	if id := walk(tree); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("no frame with %q in its URL", part)
}

// hostReady is when the host page got a frame's ready message, on its own
// clock (ms from its time origin), or nil.
func (t *guestTab) hostReady() (*float64, error) {
	var r *float64
	err := chromedp.Run(t.ctx, chromedp.Evaluate(`window.__bench?window.__bench.ready:null`, &r))
	return r, err
}

// guestPublish publishes an article titled title and times it until the
// frame's observer saw the title in the frame's DOM: the publish's start
// and the title's arrival, epoch ms (the page's clock for the arrival).
func guestPublish(ctx context.Context, t *guestTab, world runtime.ExecutionContextID, cl *http.Client, base, title string) (pub, shown float64, err error) {
	if err := inWorld(t.ctx, world, `__nwb.want[`+strconv.Quote(title)+`]=1`, nil); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := publishArticle(ctx, cl, base, map[string]any{"title": title, "summary": "Published by the benchmark to time the way to the reader's screen.",
		"flash": true, "source": "bench"}); err != nil {
		return 0, 0, err
	}
	pub = epochMS(start)
	deadline := start.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var at float64
		if err := inWorld(t.ctx, world, `__nwb.titles[`+strconv.Quote(title)+`]||0`, &at); err != nil {
			return pub, 0, err
		}
		if at > 0 {
			return pub, at, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return pub, 0, fmt.Errorf("%q was not in the frame's DOM 30 s after its publish", title)
}

// visitGuest makes one visit of figure 12: it opens the page in a fresh
// shared-process Chromium, traced, and waits for the window (or the
// frame's ready message); for the widget with publish set it then reads
// the frame's requests, publishes twice and times each article to the
// frame's DOM; it reads the host renderer's main thread from the trace.
func visitGuest(ctx context.Context, env *benchEnv, s guestSpec) (*guestVisit, error) {
	v := &guestVisit{Run: s.run, Page: s.page, Throttle: s.throttle}
	t, err := openGuestTab(ctx, env, s.throttle)
	if err != nil {
		return nil, err
	}
	defer t.cancel()
	start := time.Now()
	if err := chromedp.Run(t.ctx, chromedp.Navigate(s.url)); err != nil {
		return nil, err
	}
	if s.ready {
		for {
			r, err := t.hostReady()
			if err != nil {
				return nil, err
			}
			if r != nil {
				break
			}
			if time.Since(start) > time.Minute {
				return nil, errors.New("the frame did not say it was ready within a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
	} else { // until the window, from the host's navigation start, is over
		var origin float64
		if err := chromedp.Run(t.ctx, chromedp.Evaluate(`performance.timeOrigin`, &origin)); err != nil {
			return nil, err
		}
		end := time.UnixMicro(int64(origin * 1000)).Add(guestWindow + 300*time.Millisecond)
		time.Sleep(time.Until(end))
	}
	if v.Clock, err = t.mark(); err != nil {
		return nil, err
	}
	readyBefore, err := t.hostReady()
	if err != nil {
		return nil, err
	}
	var pub1, shown1 float64
	var frameID cdp.FrameID
	if s.publish {
		if frameID, err = guestFrameID(t.ctx, s.framePart); err != nil {
			return nil, err
		}
		// before any news: what the frame downloaded in the window
		v.Requests = t.frameRequests(string(frameID))
		for _, r := range v.Requests {
			v.FrameBytes += r.Bytes
		}
		var world runtime.ExecutionContextID
		if err := chromedp.Run(t.ctx, chromedp.ActionFunc(func(ctx context.Context) (err error) {
			world, err = page.CreateIsolatedWorld(frameID).WithWorldName("nwbench").Do(ctx)
			return err
		})); err != nil {
			return nil, fmt.Errorf("an isolated world in the widget frame (is it in the host's process?): %w", err)
		}
		if err := inWorld(t.ctx, world, guestObserverJS, nil); err != nil {
			return nil, err
		}
		if err := inWorld(t.ctx, world, `document.documentElement.getAttribute("data-nw-go")||""`, &v.GoBefore); err != nil {
			return nil, err
		}
		cl := clientFrom(sourceAddr(s.run, 1), 10*time.Second)
		tag := strconv.FormatInt(time.Now().UnixNano(), 36)
		pub1, shown1, err = guestPublish(ctx, t, world, cl, s.server.URL, "Guest bench cold "+tag)
		if err != nil {
			return nil, fmt.Errorf("cold frame: %w", err)
		}
		time.Sleep(time.Second) // the wake's work and its follow-up tasks are over
		pub2, shown2, err := guestPublish(ctx, t, world, cl, s.server.URL, "Guest bench awake "+tag)
		if err != nil {
			return nil, fmt.Errorf("awake frame: %w", err)
		}
		v.Cold, v.Awake = shown1-pub1, shown2-pub2
		v.Published = [2]float64{round1(pub1 - v.Clock.Start), round1(pub2 - v.Clock.Start)}
		if err := inWorld(t.ctx, world, `__nwb.go`, &v.GoStates); err != nil {
			return nil, err
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v.ReadyAt, err = t.hostReady(); err != nil {
		return nil, err
	}
	events, err := t.finish()
	if err != nil {
		return nil, err
	}
	tr := &guestTrace{events: events, clock: v.Clock}
	ts, ok := tr.syncTs()
	if !ok {
		return nil, errors.New("the trace holds no sync mark")
	}
	tr.clock.Ts, v.Clock.Ts = ts, ts

	// the host's renderer, and the frame's
	u, err := url.Parse(s.url)
	if err != nil {
		return nil, err
	}
	host := u.Scheme + "://" + u.Host
	_, hostPID, _, ok := tr.commit(func(u string) bool { return strings.HasPrefix(u, host+"/") })
	if !ok {
		return nil, errors.New("the trace holds no commit of the host page")
	}
	v.HostPID = hostPID
	var frameCommit float64
	if s.framePart != "" {
		var fid string
		fid, v.FramePID, frameCommit, ok = tr.commit(func(u string) bool { return strings.Contains(u, s.framePart) && !strings.HasPrefix(u, host+"/") })
		if !ok {
			return nil, fmt.Errorf("the trace holds no commit of the frame %q", s.framePart)
		}
		if frameID != "" && fid != string(frameID) {
			return nil, fmt.Errorf("the frame committed as %s in the trace, %s in the frame tree", fid, frameID)
		}
		if v.FramePID != v.HostPID {
			return nil, fmt.Errorf("the frame ran in process %d, the host page in %d: not the shared process figure 12 is about", v.FramePID, v.HostPID)
		}
	}

	// the window: the host's first 10 s, from its navigation start
	tasks := tr.mainTasks(hostPID)
	if len(tasks) == 0 {
		return nil, fmt.Errorf("the trace holds no task of the host renderer's main thread (pid %d)", hostPID)
	}
	from := tr.clock.ts(v.Clock.Start)
	to := from + float64(guestWindow/time.Microsecond)
	if s.ready && v.ReadyAt != nil { // the hello world: until it rendered
		to = tr.clock.ts(v.Clock.Start + *v.ReadyAt)
	}
	for _, k := range tasks {
		if k.Start < from || k.Start >= to {
			continue
		}
		d := k.Dur / 1000
		v.Tasks++
		if d > v.Longest {
			v.Longest, v.LongestCPU = d, round1(k.CPU/1000)
		}
		if d > guestLongTask {
			if explainTasks {
				tr.explain(s.page, hostPID, k, from)
			}
			v.Blocking += d - guestLongTask
			v.Long = append(v.Long, [2]float64{round1((k.Start - from) / 1000), round1(d)})
		}
	}

	// the Go program's start: on the first news (the light guest), or at
	// load (before it; the hello world): the longest task until it ran
	wakeFrom, wakeTo := 0.0, 0.0
	switch {
	case s.ready && v.ReadyAt != nil:
		v.WakeFrom, wakeFrom, wakeTo = "load", frameCommit, tr.clock.ts(v.Clock.Start+*v.ReadyAt)
	case s.publish && readyBefore != nil && v.Clock.Start+*readyBefore < pub1:
		v.WakeFrom, wakeFrom, wakeTo = "load", frameCommit, tr.clock.ts(v.Clock.Start+*readyBefore)
	case s.publish:
		end := shown1
		for _, st := range v.GoStates {
			if at, ok := st[1].(float64); ok && st[0] == "running" {
				end = max(end, at)
				break
			}
		}
		v.WakeFrom, wakeFrom, wakeTo = "news", tr.clock.ts(pub1), tr.clock.ts(end)
	}
	if v.WakeFrom != "" {
		k := longestOverlapping(tasks, wakeFrom, wakeTo)
		v.Wake, v.WakeAt, v.WakeSpan = round1(k.Dur/1000), round1((k.Start-from)/1000), round1((wakeTo-wakeFrom)/1000)
	}
	return v, nil
}

// guestSamples gathers figure 12 over the runs.
type guestSamples struct {
	gap4, gap4None     []float64 // 12a
	block4, block4None []float64 // 12b
	gap4Empty          []float64 // 12h: an empty cross-site frame, the floor of any embed
	block4Empty        []float64
	gap1, gap1None     []float64 // 12c
	bytes              []float64 // 12d
	cold, awake        []float64 // 12e, 12f
	wake, wakeHello    []float64 // 12g
	wakeFrom           []string
	visits             []*guestVisit
	errs               []string
}

// measureGuest reports figure 12: the widget as a guest of the publisher's
// page when its frame shares the page's renderer process, at 4× CPU
// slowdown: the host main thread's longest task and added blocking time in
// the page's first 10 s with no news (and the longest at normal speed), the
// bytes the frame downloads before any news, the time from a publish to the
// title in a cold frame and in an awake one, and the longest task of the
// Go program's start beside go-app's hello world starting likewise.
func measureGuest(ctx context.Context, rep *Report, env *benchEnv, anchorURL, hostURL string) {
	from := waitQuiet(ctx, 2*time.Minute)
	rep.detail("guest_quiet", map[string]float64{"load_before": from, "load_at_start": loadAvg()})
	var s guestSamples
	// visit makes one visit; a widget visit gets a server of its own on a
	// fresh store, so every run's frame shows the same seeded news
	visit := func(spec guestSpec) *guestVisit {
		if ctx.Err() != nil {
			return nil
		}
		fail := func(err error) *guestVisit {
			s.errs = append(s.errs, fmt.Sprintf("run %d %s %g×: %v", spec.run, spec.page, spec.throttle, err))
			fmt.Fprintf(os.Stderr, "bench: guest run %d, %s at %g× CPU: %v\n", spec.run, spec.page, spec.throttle, err)
			return nil
		}
		if spec.page == "widget" {
			data, err := os.MkdirTemp(env.tmp, "guest-data-")
			if err != nil {
				return fail(err)
			}
			defer os.RemoveAll(data)
			ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
			if err != nil {
				return fail(err)
			}
			defer ws.Stop()
			spec.url = hostURL + "/widget?w=" + ws.URL
			if spec.publish {
				spec.server = ws
			}
		}
		v, err := visitGuest(ctx, env, spec)
		if err != nil {
			return fail(err)
		}
		s.visits = append(s.visits, v)
		return v
	}
	for i := 0; i < env.runs && ctx.Err() == nil; i++ {
		if v := visit(guestSpec{run: i, page: "widget", throttle: guestThrottle, framePart: "/embed", publish: true}); v != nil {
			s.gap4, s.block4 = append(s.gap4, v.Longest), append(s.block4, v.Blocking)
			s.bytes = append(s.bytes, v.FrameBytes)
			s.cold, s.awake = append(s.cold, v.Cold), append(s.awake, v.Awake)
			s.wake, s.wakeFrom = append(s.wake, v.Wake), append(s.wakeFrom, v.WakeFrom)
			if i == 0 {
				fmt.Fprintf(os.Stderr, "bench: guest: host renderer pid %d, widget frame pid %d (shared); Go program before any news: %q, started by %s; the frame's responses before any news:\n",
					v.HostPID, v.FramePID, v.GoBefore, v.WakeFrom)
				for _, r := range v.Requests {
					fmt.Fprintf(os.Stderr, "bench:   %9.0f B  %-12s %s%s\n", r.Bytes, r.Type, r.URL, map[bool]string{true: "  (open: bytes so far)"}[r.Open])
				}
			}
		}
		if v := visit(guestSpec{run: i, page: "none", url: hostURL + "/none", throttle: guestThrottle}); v != nil {
			s.gap4None, s.block4None = append(s.gap4None, v.Longest), append(s.block4None, v.Blocking)
		}
		// the floor: an empty cross-site frame in the same box, sharing the
		// process as the widget's does; what any embed costs the host
		if v := visit(guestSpec{run: i, page: "empty", url: hostURL + "/empty?a=" + anchorURL, throttle: guestThrottle, framePart: anchorURL + "/blank"}); v != nil {
			s.gap4Empty, s.block4Empty = append(s.gap4Empty, v.Longest), append(s.block4Empty, v.Blocking)
		}
		if v := visit(guestSpec{run: i, page: "hello", url: hostURL + "/hello?a=" + anchorURL, throttle: guestThrottle, framePart: anchorURL + "/", ready: true}); v != nil {
			s.wakeHello = append(s.wakeHello, v.Wake)
		}
		if v := visit(guestSpec{run: i, page: "widget", throttle: 1, framePart: "/embed"}); v != nil {
			s.gap1 = append(s.gap1, v.Longest)
		}
		if v := visit(guestSpec{run: i, page: "none", url: hostURL + "/none", throttle: 1}); v != nil {
			s.gap1None = append(s.gap1None, v.Longest)
		}
	}
	rep.detail("guest_visits", s.visits)
	if len(s.errs) > 0 {
		rep.detail("guest_errors", s.errs)
	}
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
	started := wakeText(s.wakeFrom)
	add(&Row{ID: "12a", Diff: true, Figure: "light guest, host's first 10 s, no news: longest main-thread task (shared process, 4× CPU)", Unit: "ms",
		HasAnchor: true, AnchorName: "same page, no widget", Kind: ValueMax, Limit: 250,
		Note: fmt.Sprintf("Chromium with --disable-site-isolation-trials --disable-features=IsolateOrigins,site-per-process: the frame (127.0.0.1) committed in the host page's (127.0.0.2) renderer process in every run counted "+
			"(FrameCommittedInBrowser; the pids are in guest_visits); Emulation.setCPUThrottlingRate 4 from before the navigation. Top-level RunTask events of that process's main thread in Chromium's trace, "+
			"10 s from the host's navigation start. %s. Tasks over 50 ms of the median run (ms at ms): %s; without the widget: %s",
			started, longTasksText(s.visits, "widget", guestThrottle, median(s.gap4)), longTasksText(s.visits, "none", guestThrottle, median(s.gap4None))) + pageAlone(s.gap4None, 250)},
		s.gap4, s.gap4None)
	add(&Row{ID: "12b", Diff: true, Figure: "light guest, host's first 10 s, no news: blocking time Σ(task − 50 ms) (shared process, 4× CPU)", Unit: "ms",
		HasAnchor: true, AnchorName: "same page, no widget", Kind: DiffMax, Limit: 100,
		Note: "the same tasks; the anchor is the page's own (a fresh renderer's first tasks at 4×), so the widget adds the difference"},
		s.block4, s.block4None)
	add(&Row{ID: "12c", Diff: true, Figure: "light guest, host's first 10 s, no news: longest main-thread task (shared process, normal CPU)", Unit: "ms",
		HasAnchor: true, AnchorName: "same page, no widget", Kind: ValueMax, Limit: 250,
		Note: "for the record, held to 12a's budget; tasks over 50 ms of the median run: " + longTasksText(s.visits, "widget", 1, median(s.gap1))},
		s.gap1, s.gap1None)
	add(&Row{ID: "12d", Figure: "light guest: bytes the widget frame downloads before any news (on the wire, 10 s)", Unit: "B",
		AnchorName: "(absolute budget: 40 KB read as 40,000 B)", Kind: ValueMax, Limit: 40000,
		Note: "Network.loadingFinished encodedDataLength (headers + body as sent) of every request of the widget frame (its frameId) sent in the window, the open event stream's bytes so far; " +
			requestsText(s.visits, median(s.bytes))},
		s.bytes, nil)
	add(&Row{ID: "12e", Figure: "light guest: publish → title in the frame's DOM, cold frame (shared process, 4× CPU)", Unit: "ms",
		AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 2000,
		Note: fmt.Sprintf("POST /api/articles after the 10 s without news, to a MutationObserver in an isolated world of the frame seeing its title (the bench's and the page's clocks agree within %.1f ms, median). %s",
			median(guestSkews(s.visits)), started)},
		s.cold, nil)
	add(&Row{ID: "12f", Figure: "light guest: publish → title in the frame's DOM, awake frame (shared process, 4× CPU)", Unit: "ms",
		AnchorName: "(absolute budget)", Kind: ValueMax, Limit: 500,
		Note: "the second publish, a second after the first article showed"},
		s.awake, nil)
	add(&Row{ID: "12g", Figure: "light guest: the Go program's start, its longest main-thread task (shared process, 4× CPU)", Unit: "ms",
		HasAnchor: true, AnchorName: "go-app hello world frame, same conditions", Kind: Reported,
		Note: "the longest host main-thread task overlapping the start: the widget's from the first publish to its title in the DOM or data-nw-go=\"running\" when news woke it, " +
			"from its frame's commit to its ready message when it started at load; the hello world's (server/cmd/bench/hello through go-app's Handler, host page /hello) from its frame's commit to its first render. " +
			"Reported, as issue #14 asks, with no budget: the widget's start also renders the whole prerendered widget again, which the hello world has not. " + started},
		s.wake, s.wakeHello)
	add(&Row{ID: "12h", Diff: true, Figure: "light guest floor: blocking time Σ(task − 50 ms) of the page with an empty cross-site frame in the widget's box (shared process, 4× CPU)", Unit: "ms",
		HasAnchor: true, AnchorName: "same page, no frame", Kind: Reported,
		Note: fmt.Sprintf("what any embed costs before its content: the same host page, the same box, a lazy sandboxed frame from the other site (a few bytes of HTML, no script) "+
			"committing in the host's process; against 12b's budget (+100 ms) the widget's own page has the difference. Its longest task: %s ms (no frame %s ms). Tasks over 50 ms of the median run: %s",
			num(median(s.gap4Empty)), num(median(s.gap4None)), longTasksText(s.visits, "empty", guestThrottle, median(s.gap4Empty)))},
		s.block4Empty, s.block4None)
}

// pageAlone warns when the page without the widget is over the budget
// limit itself: then the row says more about the machine than the widget.
func pageAlone(anchor []float64, limit float64) string {
	if m := median(anchor); m > limit {
		return fmt.Sprintf(". The page alone is over the budget (%s ms): a loaded machine (see the load average) or a slower renderer start", num(m))
	}
	return ""
}

// wakeText says how the Go program started in the widget runs.
func wakeText(from []string) string {
	n := map[string]int{}
	for _, f := range from {
		n[f]++
	}
	switch {
	case len(from) == 0:
		return "no run"
	case n["news"] == len(from):
		return "The Go program started on the first publish in every run (it had not run before)"
	case n["load"] == len(from):
		return "The Go program started at page load in every run, before any news (the frame's ready message came in the window)"
	}
	return fmt.Sprintf("The Go program started on the first publish in %d runs, at page load in %d", n["news"], n["load"])
}

// guestSkews are the visits' clock differences, the page's minus the bench's, in absolute value.
func guestSkews(vs []*guestVisit) []float64 {
	var out []float64
	for _, v := range vs {
		out = append(out, math.Abs(v.Clock.Skew))
	}
	return out
}

// round1 rounds to a tenth.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// longTasksText lists the long tasks of the visit (page, throttle) whose
// longest task is the median m.
func longTasksText(vs []*guestVisit, page string, throttle, m float64) string {
	for _, v := range vs {
		if v.Page == page && v.Throttle == throttle && v.Longest == m {
			var parts []string
			for _, l := range v.Long {
				parts = append(parts, fmt.Sprintf("%s at %s", num(l[1]), num(l[0])))
			}
			if len(parts) == 0 {
				return "none"
			}
			return strings.Join(parts, ", ") + " ms"
		}
	}
	return "(the median is between two runs)"
}

// requestsText lists the frame's responses of the widget visit whose total
// is the median m, by file name, with their bytes.
func requestsText(vs []*guestVisit, m float64) string {
	for _, v := range vs {
		if v.Page == "widget" && v.Throttle == guestThrottle && v.FrameBytes == m {
			var parts []string
			for _, r := range v.Requests {
				name := r.URL
				if i := strings.Index(name, "?"); i >= 0 {
					name = name[:i]
				}
				name = path.Base(name)
				if r.Type == "Document" {
					name = "document " + name
				}
				if r.Open {
					name += " (open)"
				}
				parts = append(parts, fmt.Sprintf("%s %s B", name, num(r.Bytes)))
			}
			return "the median run's: " + strings.Join(parts, ", ")
		}
	}
	return "the runs: see guest_visits in the JSON"
}
