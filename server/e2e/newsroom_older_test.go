package e2e_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"newswidget/server"
)

// TestNewsroomOlder: an editor reaches an article published before the
// newest 50 with "Show older articles", on a 390 px phone; a live reload
// (here the editor's own save, then another editor's publish) keeps it
// shown; from there it is corrected and retracted like any other.
func TestNewsroomOlder(t *testing.T) {
	// 55 publishes in a row are a burst the default limit refuses.
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.PublishLimit = server.RateLimit{Burst: -1} })
	addEditor(t, ws)
	base := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	for i := range 55 {
		publish(t, ws, map[string]any{"id": fmt.Sprintf("older-%02d", i), "title": fmt.Sprintf("Bulletin %02d", i),
			"published_at": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)})
	}
	b := newBrowser(t)
	nr := openNewsroom(t, b, ws, 390)
	signIn(t, nr)
	const oldest = "Bulletin 00"
	waitJS(t, nr, `nr.item("Bulletin 54") && nr.button("Show older articles")`, 10*time.Second)
	var shown bool
	eval(t, nr, `!!nr.item(`+strconv.Quote(oldest)+`)`, &shown)
	if shown {
		t.Fatalf("%s is among the newest 50", oldest)
	}

	// Show older: the oldest is listed, the focus is on the first article
	// newly shown, the status says so, the button is gone (the end).
	eval(t, nr, `nr.press("Show older articles")`, nil)
	waitJS(t, nr, `nr.item(`+strconv.Quote(oldest)+`) && !nr.button("Show older articles")`, 10*time.Second)
	waitJS(t, nr, `document.activeElement.classList.contains("nr-open") && document.querySelector("[role=status]").textContent.includes("older articles shown")`, 5*time.Second)
	var overflow string
	eval(t, nr, overflowJS, &overflow)
	if overflow != "" {
		t.Errorf("at 390 px with the older articles: %s", overflow)
	}

	// Open it, correct it: the save's reload keeps it in the list.
	eval(t, nr, `nr.item(`+strconv.Quote(oldest)+`).querySelector("button").click(), true`, nil)
	waitJS(t, nr, `nr.field("Title").value == `+strconv.Quote(oldest)+` && nr.button("Save")`, 5*time.Second)
	const corrected = "Bulletin 00, corrected"
	eval(t, nr, `nr.set("Title", `+strconv.Quote(corrected)+`) && nr.set("Correction", "The first version had the wrong time.") && nr.press("Save")`, nil)
	waitJS(t, nr, `nr.item(`+strconv.Quote(corrected)+`)`, 10*time.Second)
	var stored struct{ Title, Correction string }
	evalAsync(t, nr, `fetch("/api/articles/older-00",{cache:"no-store"}).then(function(r){return r.json()})`, &stored)
	if stored.Title != corrected || stored.Correction == "" {
		t.Errorf("stored: %+v", stored)
	}

	// Another editor publishes: the live reload keeps the older page.
	publish(t, ws, map[string]any{"id": "newer", "title": "Filed while the editor looked back"})
	waitJS(t, nr, `nr.item("Filed while the editor looked back")`, 10*time.Second)
	waitJS(t, nr, `nr.item(`+strconv.Quote(corrected)+`) && nr.item("Bulletin 01")`, 5*time.Second)

	// Retract it from there.
	eval(t, nr, `nr.item(`+strconv.Quote(corrected)+`).querySelector("button").click(), true`, nil)
	waitJS(t, nr, `nr.field("Title").value == `+strconv.Quote(corrected), 5*time.Second)
	eval(t, nr, `nr.press("Delete")`, nil)
	waitJS(t, nr, `nr.button("Confirm delete")`, 5*time.Second)
	eval(t, nr, `nr.press("Confirm delete")`, nil)
	waitJS(t, nr, `!nr.item(`+strconv.Quote(corrected)+`) && nr.item("Bulletin 01") && nr.button("Publish")`, 10*time.Second)
	if got := get(t, ws.URL+"/api/articles/older-00"); got != http.StatusNotFound {
		t.Errorf("GET the retracted article: %d, want 404", got)
	}
	b.noPageErrors(t)
}
