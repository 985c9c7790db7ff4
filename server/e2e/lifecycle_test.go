package e2e_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
)

// TestFlashLifecycle (issue #16) in an open widget on a publisher's page: an
// urgent pinned flash comes first in the ticker and the list with the
// breaking mark and is announced assertively; at its expiry it leaves the
// widget with nobody acting; a correction shows in the list.
func TestFlashLifecycle(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b, f := openWidget(t, ws, `data-loading="eager" data-layout="both" data-limit="5"`)
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)

	expires := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	publish(t, ws, map[string]any{
		"id": "quake-flash", "title": "Earthquake shakes the capital", "flash": true, "urgent": true, "pinned": true,
		// older than every seed article: pinned brings it first all the same
		"published_at": "2020-01-01T00:00:00Z",
		"expires_at":   expires.Format(time.RFC3339),
	})
	// The event wakes the Go program, which shows it first, marked.
	waitGo(t, f)
	first := func(sel string) string {
		return `(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);return e&&e.dataset.id=="quake-flash"&&e.querySelector(".nw-breaking")&&e.querySelector(".nw-breaking").textContent=="Breaking"})()`
	}
	waitJS(t, f, first(".nw-copy:not([aria-hidden]) .nw-flash"), 10*time.Second)
	waitJS(t, f, first(".nw-item"), 5*time.Second)
	var alert, polite string
	eval(t, f, `document.querySelector('[aria-live="assertive"]').textContent`, &alert)
	eval(t, f, `document.querySelector('[aria-live="polite"]').textContent`, &polite)
	if alert != "Breaking: Earthquake shakes the capital" {
		t.Errorf("assertive live region: %q, want the breaking announcement", alert)
	}
	if polite != "" {
		t.Errorf("polite live region: %q, want it silent about an urgent article", polite)
	}
	if time.Now().After(expires) {
		t.Fatalf("the checks took past the expiry; the rest would prove nothing")
	}

	// At the expiry it leaves the open widget, with nobody acting.
	waitJS(t, f, `!document.querySelector('[data-id="quake-flash"]')`, time.Until(expires)+10*time.Second)
	if gone := time.Now(); gone.Before(expires.Add(-time.Second)) {
		t.Errorf("the flash left at %v, before its expiry %v", gone, expires)
	}

	// A correction shows in the list, after its label.
	publish(t, ws, map[string]any{"id": "fixed-story", "title": "Minister resigns", "correction": "An earlier version named the wrong minister."})
	waitJS(t, f, `(function(){var c=document.querySelector('.nw-item[data-id="fixed-story"] .nw-correction');return c&&c.textContent=="Correction: An earlier version named the wrong minister."})()`, 10*time.Second)
	var height float64
	eval(t, f, `document.querySelector('.nw-item[data-id="fixed-story"]').getBoundingClientRect().height`, &height)
	if height != 117 {
		t.Errorf("a row with a correction is %vpx high, want the fixed 117", height)
	}
	b.noPageErrors(t)
}

// neverExpires is a store whose expiries are never logged: no event comes
// at an expiry, as when the store is out of reach.
type neverExpires struct{ news.Store }

func (neverExpires) Expire(context.Context, time.Time) ([]news.Event, time.Time, error) {
	return nil, time.Time{}, nil
}

// TestFlashExpiresByTheWidgetsClock: with no event at the expiry, a widget
// whose Go program runs drops the article by its own clock.
func TestFlashExpiresByTheWidgetsClock(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.Store = neverExpires{o.Store} })
	b, f := openWidget(t, ws, `data-loading="eager" data-layout="both"`)
	wakeGo(t, f)
	expires := time.Now().Add(4 * time.Second).UTC().Truncate(time.Second)
	publish(t, ws, map[string]any{"id": "brief", "title": "Brief flash", "flash": true, "expires_at": expires.Format(time.RFC3339)})
	waitJS(t, f, `document.querySelector('.nw-item[data-id="brief"]')`, 10*time.Second)
	waitJS(t, f, `!document.querySelector('[data-id="brief"]')`, time.Until(expires)+5*time.Second)
	if time.Now().Before(expires) {
		t.Errorf("the flash left before its expiry %v", expires)
	}
	b.noPageErrors(t)
}
