package e2e_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"

	"github.com/chromedp/chromedp"
)

// adminGet is GET path's JSON as the admin (the admin token), decoded into out.
func adminGet(t *testing.T, ws *widgetServer, path string, out any) {
	t.Helper()
	adminDo(t, ws, http.MethodGet, path, nil, http.StatusOK, out)
}

// apiPartner is a partner as GET /api/partners lists it.
type apiPartner struct {
	Name    string
	Key     string
	Origins []string
	Revoked bool
}

// partnerNamed is the partner named name as the API lists it now.
func partnerNamed(t *testing.T, ws *widgetServer, name string) (apiPartner, bool) {
	t.Helper()
	var list struct{ Partners []apiPartner }
	adminGet(t, ws, "/api/partners", &list)
	for _, p := range list.Partners {
		if p.Name == name {
			return p, true
		}
	}
	return apiPartner{}, false
}

// liveMode is the mode GET /api/live says every widget follows.
func liveMode(t *testing.T, ws *widgetServer) string {
	t.Helper()
	var r struct{ Mode string }
	adminGet(t, ws, "/api/live", &r)
	return r.Mode
}

// pressedJS is a JS test of a live mode's button being the pressed one.
func pressedJS(label string) string {
	return `(function(){var b=nr.button(` + strconv.Quote(label) + `);return b&&b.getAttribute("aria-pressed")=="true"&&
		document.querySelectorAll('.nr-live-modes [aria-pressed="true"]').length==1})()`
}

// TestNewsroomAdmin (the partners' and the back-off switch's issues): an
// admin on a 390 px phone adds a partner through the console's form and
// gets its key with the tag to paste, which shows the widget on the
// partner's site; revokes it after the confirmation; switches every
// widget's live updates to Slow and back to Normal, Paused asking first.
// An editor sees no Partners, and the live mode read-only. axe finds
// nothing serious in the new views, and nothing is wider than the phone
// or the desk's 1280 px.
func TestNewsroomAdmin(t *testing.T) {
	axe := axeSource(t)
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	if _, _, err := server.AddUser(context.Background(), ws.ts.Store, adminName, "admin", adminPassword, "test"); err != nil {
		t.Fatal(err)
	}
	site := newPartnerSite(t)
	b := newBrowser(t)
	nr := openNewsroom(t, b, ws, 390)
	eval(t, nr, axe+";true", nil)
	// noOverflow looks at the phone and at a desk's 1280 px, and goes
	// back to the phone.
	noOverflow := func(state string) {
		t.Helper()
		for _, width := range []int64{1280, 390} {
			if err := chromedp.Run(nr, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			var got string
			eval(t, nr, overflowJS, &got)
			if got != "" {
				t.Errorf("%s at %d px: %s", state, width, got)
			}
		}
	}
	eval(t, nr, `nr.set("Name", `+strconv.Quote(adminName)+`) && nr.set("Password", `+strconv.Quote(adminPassword)+`) && nr.press("Sign in")`, nil)
	waitJS(t, nr, `document.querySelector(".nr-articles") && nr.button("Publish")`, 20*time.Second)

	// Partners: none yet.
	eval(t, nr, `nr.press("Partners")`, nil)
	waitJS(t, nr, `document.getElementById("nr-partners-empty") && document.querySelector('.nr-nav [aria-current="page"]').textContent == "Partners"`, 10*time.Second)

	// A bad origin is refused next to its field.
	eval(t, nr, `nr.set("Name", "gazette") && nr.set("Origins", "gazette.example") && nr.press("Add partner")`, nil)
	waitJS(t, nr, `document.getElementById("nr-partner-origins-error") && nr.field("Origins").getAttribute("aria-invalid") == "true"`, 10*time.Second)
	if _, ok := partnerNamed(t, ws, "gazette"); ok {
		t.Fatal("a partner with a bad origin was added")
	}

	// Add: the key and the tag are shown, and the API has them.
	eval(t, nr, `nr.set("Origins", `+strconv.Quote(site.URL+",\nhttps://www.gazette.example")+`) && nr.press("Add partner")`, nil)
	waitJS(t, nr, `document.getElementById("nr-partner-key") && document.querySelector('.nr-partner[data-name="gazette"]')`, 10*time.Second)
	var shown struct{ Key, Snippet, Name, Origins string }
	eval(t, nr, `({key: document.getElementById("nr-partner-key").textContent, snippet: document.getElementById("nr-partner-snippet").textContent,
		name: nr.field("Name").value, origins: nr.field("Origins").value})`, &shown)
	p, ok := partnerNamed(t, ws, "gazette")
	if !ok || p.Key != shown.Key || p.Revoked || len(p.Origins) != 2 || p.Origins[0] != site.URL || p.Origins[1] != "https://www.gazette.example" {
		t.Fatalf("the API lists %+v (found %v); the console showed the key %q", p, ok, shown.Key)
	}
	if want := `<script src="` + ws.URL + `/widget.js" async data-partner="` + p.Key + `"></script>`; shown.Snippet != want {
		t.Errorf("the tag shown is %q, want %q", shown.Snippet, want)
	}
	if shown.Name != "" || shown.Origins != "" {
		t.Errorf("the form keeps %q and %q after the add", shown.Name, shown.Origins)
	}
	axeCheck(t, nr, "partners, a key just added")
	noOverflow("partners, a key just added")

	// The tag shown works: pasted into the partner's page, it shows the widget.
	site.mu.Lock()
	site.html = `<!DOCTYPE html><html lang="en"><head><title>Gazette</title></head><body>` +
		shown.Snippet[:len(shown.Snippet)-len("></script>")] + ` data-loading="eager" data-limit="2"></script></body></html>`
	site.mu.Unlock()
	open(t, b, site.URL)
	f := b.frame(t, "/embed")
	waitJS(t, f, `document.querySelector(".nw-list .nw-item a")`, 15*time.Second)

	// Revoke asks first; confirmed, the API says revoked.
	eval(t, nr, `document.querySelector('.nr-partner[data-name="gazette"] button').click(), true`, nil)
	waitJS(t, nr, `nr.button("Confirm revoke") && document.activeElement === nr.button("Confirm revoke")`, 5*time.Second)
	axeCheck(t, nr, "partners, confirming a revoke")
	noOverflow("partners, confirming a revoke")
	if p, _ := partnerNamed(t, ws, "gazette"); p.Revoked {
		t.Fatal("revoked before the confirmation")
	}
	eval(t, nr, `nr.press("Confirm revoke")`, nil)
	waitJS(t, nr, `!nr.button("Confirm revoke") && document.querySelector('.nr-partner[data-name="gazette"] .nr-badge-revoked') && !document.querySelector('.nr-partner[data-name="gazette"] button')`, 10*time.Second)
	if p, _ := partnerNamed(t, ws, "gazette"); !p.Revoked {
		t.Error("the API does not say the partner is revoked")
	}

	// The back-off switch: Normal at first, Slow at once, Paused asks.
	eval(t, nr, `nr.press("Live updates")`, nil)
	waitJS(t, nr, pressedJS("Normal"), 10*time.Second)
	eval(t, nr, `nr.press("Slow")`, nil)
	waitJS(t, nr, pressedJS("Slow"), 10*time.Second)
	if m := liveMode(t, ws); m != "slow" {
		t.Errorf("after Slow, GET /api/live says %q", m)
	}
	eval(t, nr, `nr.press("Paused")`, nil)
	waitJS(t, nr, `nr.button("Confirm pause") && document.activeElement === nr.button("Confirm pause")`, 5*time.Second)
	axeCheck(t, nr, "live updates, confirming a pause")
	noOverflow("live updates, confirming a pause")
	eval(t, nr, `nr.press("Cancel")`, nil)
	waitJS(t, nr, `!nr.button("Confirm pause") && document.activeElement === nr.button("Paused")`, 5*time.Second)
	if m := liveMode(t, ws); m != "slow" {
		t.Errorf("after a cancelled pause, GET /api/live says %q", m)
	}
	eval(t, nr, `nr.press("Normal")`, nil)
	waitJS(t, nr, pressedJS("Normal"), 10*time.Second)
	if m := liveMode(t, ws); m != "normal" {
		t.Errorf("after Normal, GET /api/live says %q", m)
	}

	// An editor: no Partners; the live mode read-only.
	eval(t, nr, `nr.press("Sign out")`, nil)
	waitJS(t, nr, `nr.button("Sign in")`, 10*time.Second)
	signIn(t, nr)
	var nav []string
	eval(t, nr, `Array.from(document.querySelectorAll(".nr-nav button")).map(function(b){return b.textContent})`, &nav)
	for _, n := range nav {
		if n == "Partners" {
			t.Errorf("an editor's navigation offers Partners: %q", nav)
		}
	}
	eval(t, nr, `nr.press("Live updates")`, nil)
	waitJS(t, nr, `(document.getElementById("nr-live-current")||{textContent:""}).textContent.includes("Normal")`, 10*time.Second)
	var buttons bool
	eval(t, nr, `!!(nr.button("Slow") || nr.button("Paused") || nr.button("Normal"))`, &buttons)
	if buttons {
		t.Error("an editor is offered the switch")
	}
	// The switch holds readers back, not the newsroom: paused by someone
	// else, the editor's view says so without a click, and what is
	// published meanwhile still reaches the editor's list live.
	setLive(t, ws, news.LivePaused)
	waitJS(t, nr, `document.getElementById("nr-live-current").textContent.includes("Paused")`, 10*time.Second)
	publish(t, ws, map[string]any{"title": "Filed while the readers are paused", "flash": true})
	eval(t, nr, `nr.press("Articles")`, nil)
	waitJS(t, nr, `document.querySelector(".nr-main").textContent.includes("Filed while the readers are paused")`, 10*time.Second)
	setLive(t, ws, news.LiveNormal)
	b.noPageErrors(t)
}
