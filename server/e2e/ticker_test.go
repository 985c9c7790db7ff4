package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func TestTickerMotionAndAccessibility(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager"`)

	var state string
	// Keyboard focus on a headline pauses the loop.
	eval(t, f, `document.querySelector(".nw-copy .nw-headline").focus(),getComputedStyle(document.querySelector(".nw-track")).animationPlayState`, &state)
	if state != "paused" {
		t.Errorf("with a headline focused the ticker is %q, want paused", state)
	}
	var tabbable int
	eval(t, f, `document.querySelectorAll(".nw-copy[aria-hidden] a:not([tabindex='-1'])").length`, &tabbable)
	if tabbable != 0 {
		t.Errorf("%d links of the hidden loop copy are reachable by keyboard", tabbable)
	}
	eval(t, f, `document.activeElement.blur(),getComputedStyle(document.querySelector(".nw-track")).animationPlayState`, &state)
	if state != "running" {
		t.Errorf("after blur the ticker is %q, want running", state)
	}

	// Under prefers-reduced-motion the headlines stand still, once, and the
	// pause button (nothing to pause) is gone.
	if err := chromedp.Run(f, chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}).Do(ctx)
	})); err != nil {
		t.Fatal(err)
	}
	var anim, copyDisplay, toggle string
	eval(t, f, `getComputedStyle(document.querySelector(".nw-track")).animationName`, &anim)
	eval(t, f, `getComputedStyle(document.querySelectorAll(".nw-copy")[1]).display`, &copyDisplay)
	eval(t, f, `getComputedStyle(document.querySelector(".nw-toggle")).display`, &toggle)
	if anim != "none" || copyDisplay != "none" || toggle != "none" {
		t.Errorf("reduced motion: animation %q, loop copy %q, button %q; want none, none, none", anim, copyDisplay, toggle)
	}
	var visible int
	eval(t, f, `Array.from(document.querySelectorAll(".nw-copy:not([aria-hidden]) .nw-headline")).filter(function(a){var r=a.getBoundingClientRect();return r.width>0&&r.right<=innerWidth+1&&r.left>=-1}).length`, &visible)
	var total int
	eval(t, f, `document.querySelectorAll(".nw-copy:not([aria-hidden]) .nw-headline").length`, &total)
	if visible != total {
		t.Errorf("reduced motion shows %d of %d headlines within the frame, want all", visible, total)
	}
	b.noPageErrors(t)
}

func TestLinkTargets(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	for _, tc := range []struct{ target string }{{"_blank"}, {"_self"}} {
		t.Run(tc.target, func(t *testing.T) {
			b, f := openWidget(t, ws, `data-loading="eager" data-link-target="`+tc.target+`"`)
			var href string
			eval(t, f, `document.querySelector(".nw-item .nw-title").href`, &href)
			if err := chromedp.Run(f, chromedp.Click(".nw-item .nw-title", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				targets, _ := chromedp.Targets(b.ctx)
				for _, ti := range targets {
					switch {
					case tc.target == "_blank" && ti.Type == "page" && ti.URL == href:
						var top string
						eval(t, b.ctx, `location.href`, &top)
						if !strings.HasPrefix(top, "http://127.0.0.2:") { // still the publisher's page
							t.Errorf("_blank also navigated the host page to %s", top)
						}
						return
					case tc.target == "_self" && ti.Type == "iframe" && ti.URL == href:
						var top string
						eval(t, b.ctx, `location.href`, &top)
						if !strings.HasPrefix(top, "http://127.0.0.2:") { // still the publisher's page
							t.Errorf("_self navigated the host page to %s", top)
						}
						return
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Errorf("clicking a headline with target %s did not open %s where it should", tc.target, href)
		})
	}
}
