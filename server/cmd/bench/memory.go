package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// publishMany posts n articles, all but the last with a few clients at
// once, within limit, returning the title of the last one.
func publishMany(ctx context.Context, base string, n int, tag string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// from many loopback addresses, each within the server's per-address
	// publishing burst, as several editors and feeds would
	const perAddr = 20
	clients := make([]*http.Client, n/perAddr+1)
	for i := range clients {
		clients[i] = clientFrom(sourceAddr(i*perAddr, perAddr), 10*time.Second)
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	title := func(i int) string { return fmt.Sprintf("Bench update %d %s", i, tag) }
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n-1 || ctx.Err() != nil {
					return
				}
				err := publishArticle(ctx, clients[i/perAddr], base, map[string]any{
					"title":   title(i),
					"summary": "Live update number " + strconv.Itoa(i) + " published by the benchmark through the API.",
					"body":    []string{"A paragraph of body text, as an editor would write it, long enough to be a realistic article of a few lines."},
					"flash":   i%2 == 0, "source": "bench", "category": []string{"World", "Sport", "Business"}[i%3],
				})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("publishing %d articles took longer than %v", n, limit)
	}
	// the last one alone, a second after the others (published_at has
	// whole seconds), so it is the newest
	last := title(n)
	time.Sleep(1100 * time.Millisecond)
	return last, publishArticle(ctx, clients[len(clients)-1], base, map[string]any{"title": last, "summary": "The last update.", "flash": true, "source": "bench"})
}

// waitFrameJS polls a JS expression in a frame until it is truthy.
func waitFrameJS(fctx context.Context, expr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		var ok bool
		if last = chromedp.Run(fctx, chromedp.Evaluate("!!("+expr+")", &ok)); last == nil && ok {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %v waiting for %s (last error: %v)", limit, expr, last)
}

// memoryRun is one measurement of figure 6.
type memoryRun struct {
	Before, Half, After memSample   // after 0, n/2 and n updates
	BeforeAll, AfterAll []memSample // every reading the medians came from
	PublishSeconds      float64     // how long publishing took
	DeliverSeconds      float64     // until the frame showed the last update
	StreamRequests      int64       // event-stream requests the frame made meanwhile (reconnects)
	Updates             int         // n
}

// memoryPass starts a fresh server and browser, lets the widget run, reads
// its frame's memory, publishes n articles, waits until the frame shows the
// last one, and reads its memory again.
func memoryPass(ctx context.Context, env *benchEnv, hostURL string, n int) (*memoryRun, error) {
	data, _ := os.MkdirTemp(env.tmp, "memory-data-")
	ws, err := startWidget(ctx, env.serverBin, data, env.tmp)
	if err != nil {
		return nil, err
	}
	defer ws.Stop()
	c, err := launch(ctx, env.chromium, env.tmp, 4*time.Minute)
	if err != nil {
		return nil, err
	}
	defer c.cancel()
	if _, err := c.visit(hostURL+"/widget?w="+ws.URL, false); err != nil {
		return nil, err
	}
	// The Go program sleeps until news or the reader need it; the
	// publisher's update() wakes it, as a page changing its widget would.
	wake := `(function () { var s = document.querySelector('script[src$="/widget.js"]');
  return !!(s && s.newswidget && window.__bench.t1 && (s.newswidget.update({}), true)); })()`
	for deadline := time.Now().Add(30 * time.Second); ; {
		var woken bool
		if err := chromedp.Run(c.ctx, chromedp.Evaluate(wake+`&&window.__bench.ready!==null`, &woken)); err != nil {
			return nil, err
		}
		if woken {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the frame's Go program did not wake on update() within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	fctx, err := c.frame("/embed")
	if err != nil {
		return nil, err
	}
	var streams atomic.Int64
	chromedp.ListenTarget(fctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.Contains(e.Request.URL, "/api/events") {
			streams.Add(1)
		}
	})
	if err := waitFrameJS(fctx, `!document.getElementById("nw-data") && !document.querySelector(".nw-offline")`, 20*time.Second); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second) // the frame's stream is open
	for {
		if v, err := metric(ws.URL, "newswidget_sse_subscribers"); err == nil && v >= 1 {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the widget frame never opened its event stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	r := &memoryRun{Updates: n}
	if r.Before, r.BeforeAll, err = medianMem(fctx, 3); err != nil {
		return nil, err
	}
	start := time.Now()
	// two halves, the frame's memory read between them too: a plateau is
	// the Go heap's high-water mark, a climb is a leak
	for half := 0; half < 2; half++ {
		tag := strconv.FormatInt(time.Now().UnixNano(), 36)
		last, err := publishMany(ctx, ws.URL, n/2, tag, 2*time.Minute)
		if err != nil {
			return nil, err
		}
		r.PublishSeconds = time.Since(start).Seconds()
		if err := waitFrameJS(fctx, `document.body.textContent.includes(`+strconv.Quote(last)+`)`, 90*time.Second); err != nil {
			var shown string
			chromedp.Run(fctx, chromedp.Evaluate(`(document.querySelector(".nw-item .nw-title")||{}).textContent`, &shown))
			return nil, fmt.Errorf("the frame did not show the last of %d updates (its newest shown: %q; %d event-stream requests): %w", (half+1)*n/2, shown, streams.Load(), err)
		}
		if half == 0 {
			time.Sleep(time.Second)
			if r.Half, _, err = medianMem(fctx, 1); err != nil {
				return nil, err
			}
		}
	}
	r.DeliverSeconds = time.Since(start).Seconds()
	r.StreamRequests = streams.Load()
	time.Sleep(2 * time.Second)
	if r.After, r.AfterAll, err = medianMem(fctx, 3); err != nil {
		return nil, err
	}
	return r, nil
}

// measureMemory reports figure 6: a widget frame's memory (JS heap + wasm
// linear memory) after 1,000 live updates, beside the same frame before.
func measureMemory(ctx context.Context, rep *Report, env *benchEnv, hostURL string) {
	const fig = "widget frame memory (JS heap + wasm memory) after 1,000 live updates"
	var before, after []float64
	var runs []*memoryRun
	var errs []string
	for i := 0; i < env.memRuns && ctx.Err() == nil; i++ {
		r, err := memoryPass(ctx, env, hostURL, 1000)
		if err != nil {
			errs = append(errs, err.Error())
			fmt.Fprintf(os.Stderr, "bench: memory run %d: %v\n", i, err)
			continue
		}
		runs = append(runs, r)
		before = append(before, r.Before.Total()/(1<<20))
		after = append(after, r.After.Total()/(1<<20))
	}
	rep.detail("memory_runs", runs)
	if len(runs) == 0 {
		rep.fail("6", fig, errors.New(strings.Join(errs, "; ")))
		return
	}
	r := runs[0]
	rep.add(&Row{ID: "6", Figure: fig, Unit: "MiB", Value: median(after), Runs: after, Anchor: median(before), AnchorRuns: before,
		HasAnchor: true, AnchorName: "same frame, 0 updates", Kind: RatioMax, Limit: 1.10,
		Note: fmt.Sprintf("run 1: JS heap %.1f → %.1f → %.1f MiB, wasm memory %.1f → %.1f → %.1f MiB (0 → 500 → 1,000 updates; %d memory); 1,000 published in %.1f s, shown after %.1f s; %d event-stream reconnects",
			r.Before.JSUsed/(1<<20), r.Half.JSUsed/(1<<20), r.After.JSUsed/(1<<20), r.Before.WasmBytes/(1<<20), r.Half.WasmBytes/(1<<20), r.After.WasmBytes/(1<<20), r.After.Memories,
			r.PublishSeconds, r.DeliverSeconds, r.StreamRequests)})
}
