package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// loaderTrace is the host main-thread time the loader's code took in one
// traced visit, from Chromium's own timeline: the evaluation of the script
// (its compile, its run and the DOM work it does, the frame's insertion
// included) and every later call into it (its message and DOMContentLoaded
// listeners).
type loaderTrace struct {
	Evaluate float64 `json:"evaluate_ms"` // EvaluateScript of the loader
	Calls    float64 `json:"calls_ms"`    // FunctionCall into it, in all
	NCalls   int     `json:"calls"`       // how many
	Compile  float64 `json:"compile_ms"`  // part of Evaluate
}

// Total is all the loader's main-thread time.
func (t loaderTrace) Total() float64 { return t.Evaluate + t.Calls }

// traceEvent is the part of a Chromium trace event the bench reads.
type traceEvent struct {
	Name string  `json:"name"` // the event
	Ph   string  `json:"ph"`   // its phase: "X" is a complete event with a duration
	Dur  float64 `json:"dur"`  // µs
	// Args holds the script's URL, for script events.
	Args struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	} `json:"args"`
}

// tracedVisit visits url in a fresh browser with the devtools timeline
// traced, waits for the frame's ready message, and sums what script urls
// containing part took.
func tracedVisit(ctx context.Context, env *benchEnv, url, part string) (loaderTrace, error) {
	var t loaderTrace
	c, err := launch(ctx, env.chromium, env.tmp, 2*time.Minute)
	if err != nil {
		return t, err
	}
	defer c.cancel()
	var mu sync.Mutex
	var events []traceEvent
	done := make(chan struct{})
	var once sync.Once
	chromedp.ListenTarget(c.ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				var te traceEvent
				if json.Unmarshal(v, &te) == nil && te.Ph == "X" && strings.Contains(te.Args.Data.URL, part) {
					events = append(events, te)
				}
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			once.Do(func() { close(done) })
		}
	})
	if err := chromedp.Run(c.ctx, tracing.Start().
		WithTransferMode(tracing.TransferModeReportEvents).
		WithTraceConfig(&tracing.TraceConfig{IncludedCategories: []string{"devtools.timeline", "v8", "disabled-by-default-devtools.timeline"}})); err != nil {
		return t, err
	}
	if _, err := c.visit(url, true); err != nil {
		return t, err
	}
	if err := chromedp.Run(c.ctx, tracing.End()); err != nil {
		return t, err
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		return t, errors.New("the trace did not complete")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range events {
		switch e.Name {
		case "EvaluateScript":
			t.Evaluate += e.Dur / 1000
		case "FunctionCall":
			t.Calls += e.Dur / 1000
			t.NCalls++
		case "v8.compile", "V8.CompileCode", "v8.compileModule":
			t.Compile += e.Dur / 1000
		}
	}
	if t.Evaluate == 0 {
		return t, errors.New("the trace holds no evaluation of the loader")
	}
	return t, nil
}
