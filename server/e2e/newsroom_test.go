package e2e_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"newswidget/server"
	"newswidget/web"
)

// The newsroom's people: an editor, signed in through the form.
const (
	editorName     = "ann"
	editorPassword = "correct-horse-battery"
)

// addEditor gives the test server an editor account.
func addEditor(t *testing.T, ws *widgetServer) {
	t.Helper()
	if _, _, err := server.AddUser(context.Background(), ws.ts.Store, editorName, "editor", editorPassword, "test"); err != nil {
		t.Fatal(err)
	}
}

// nrJS are the helpers the newsroom tests evaluate in the page: controls
// are found by their visible label, buttons by their visible text, as an
// editor finds them.
const nrJS = `window.nr = {
	field: function (label) {
		var l = Array.from(document.querySelectorAll("label")).find(function (e) { return e.textContent.trim() === label; });
		return l ? document.getElementById(l.htmlFor) : null;
	},
	set: function (label, value) {
		var e = nr.field(label); e.focus(); e.value = value;
		e.dispatchEvent(new Event("input", {bubbles: true})); return true;
	},
	button: function (text) {
		return Array.from(document.querySelectorAll("button")).find(function (b) { return b.textContent.trim() === text; }) || null;
	},
	press: function (text) { var b = nr.button(text); b.focus(); b.click(); return true; },
	item: function (title) {
		return Array.from(document.querySelectorAll(".nr-article")).find(function (e) { return e.querySelector(".nr-title").textContent === title; }) || null;
	}
}, true`

// openNewsroom opens /newsroom in a new tab of b, at width × 900, and
// waits for the console's Go program.
func openNewsroom(t *testing.T, b *browser, ws *widgetServer, width int64) context.Context {
	t.Helper()
	if _, err := web.FS.Open("dist/newsroom.wasm"); err != nil {
		t.Fatal("web/dist/newsroom.wasm is missing: run the tests with `make test` (it builds the wasm first)")
	}
	ctx, _ := chromedp.NewContext(b.ctx)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ws.URL+"/newsroom")); err != nil {
		t.Fatal(err)
	}
	b.record(ctx, "newsroom")
	waitJS(t, ctx, `document.querySelector("#newsroom[data-ready]")`, 30*time.Second)
	eval(t, ctx, nrJS, nil)
	return ctx
}

// signIn signs the editor in through the form.
func signIn(t *testing.T, ctx context.Context) {
	t.Helper()
	eval(t, ctx, `nr.set("Name", `+strconv.Quote(editorName)+`) && nr.set("Password", `+strconv.Quote(editorPassword)+`) && nr.press("Sign in")`, nil)
	waitJS(t, ctx, `document.querySelector(".nr-articles") && nr.button("Publish")`, 20*time.Second)
}

// TestNewsroom (issue #16) drives the console as an editor would: sign in,
// compose an urgent pinned flash with an expiry through the form while the
// preview shows the unsaved draft as readers will see it, publish it and
// see it in an open widget on a publisher's page (another origin), correct
// it, watch it expire, and retract another article with confirmation.
func TestNewsroom(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	b, f := openWidget(t, ws, `data-loading="eager" data-layout="both" data-limit="5"`)
	waitJS(t, f, `!document.querySelector(".nw-offline")`, 5*time.Second)
	nr := openNewsroom(t, b, ws, 390)

	// A wrong password is refused, next to the form.
	eval(t, nr, `nr.set("Name", "ann") && nr.set("Password", "not-the-password") && nr.press("Sign in")`, nil)
	waitJS(t, nr, `(document.getElementById("nr-signin-error")||{}).textContent == "Wrong name or password."`, 15*time.Second)
	signIn(t, nr)
	for _, label := range []string{"Title", "Summary", "Link", "Source", "Category", "Image", "Flash", "Urgent", "Pinned", "Expires"} {
		var ok bool
		eval(t, nr, `!!nr.field(`+strconv.Quote(label)+`)`, &ok)
		if !ok {
			t.Errorf("no control labelled %q", label)
		}
	}

	// A field the API refuses shows its error next to it.
	eval(t, nr, `nr.set("Title", "Bad link") && nr.set("Link", "javascript:alert(1)") && nr.press("Publish")`, nil)
	waitJS(t, nr, `document.getElementById("nr-url-error") && nr.field("Link").getAttribute("aria-invalid") == "true"`, 10*time.Second)
	eval(t, nr, `nr.set("Link", "")`, nil)

	// Compose: the preview shows the draft before anything is saved.
	const title = "Dam breach: evacuate the valley"
	expires := time.Now().Add(30 * time.Second).Truncate(time.Second)
	eval(t, nr, `nr.set("Title", `+strconv.Quote(title)+`) && nr.set("Summary", "Residents are told to leave now.") &&
		nr.set("Source", "REL") && nr.set("Category", "Alerts") &&
		nr.field("Flash").click() || true`, nil)
	eval(t, nr, `nr.field("Urgent").click(), nr.field("Pinned").click(), nr.set("Expires", `+strconv.Quote(expires.Format("2006-01-02T15:04:05"))+`)`, nil)
	firstIn := func(sel string) string {
		return `(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);return e&&e.textContent.includes(` + strconv.Quote(title) + `)&&e.querySelector(".nw-breaking")})()`
	}
	waitJS(t, nr, firstIn(".nr-preview .nw-copy:not([aria-hidden]) .nw-flash"), 5*time.Second)
	waitJS(t, nr, firstIn(".nr-preview .nw-item"), 5*time.Second)
	var published int
	evalAsync(t, nr, `fetch("/api/articles?limit=50",{cache:"no-store"}).then(function(r){return r.json()}).then(function(j){return j.articles.filter(function(a){return a.title==`+strconv.Quote(title)+`}).length})`, &published)
	if published != 0 {
		t.Fatalf("the draft is published before Publish")
	}

	// Publish: the open widget on the publisher's page shows it first,
	// marked breaking, in the ticker and the list.
	eval(t, nr, `nr.press("Publish")`, nil)
	waitJS(t, nr, `nr.button("Save") && nr.item(`+strconv.Quote(title)+`)`, 10*time.Second)
	waitGo(t, f)
	waitJS(t, f, firstIn(".nw-copy:not([aria-hidden]) .nw-flash"), 10*time.Second)
	waitJS(t, f, firstIn(".nw-item"), 5*time.Second)
	var stored map[string]any
	evalAsync(t, nr, `fetch("/api/articles?limit=50",{cache:"no-store"}).then(function(r){return r.json()}).then(function(j){return j.articles.find(function(a){return a.title==`+strconv.Quote(title)+`})})`, &stored)
	want := map[string]any{"flash": true, "urgent": true, "pinned": true, "source": "REL", "category": "Alerts",
		"expires_at": expires.UTC().Format(time.RFC3339), "summary": "Residents are told to leave now."}
	for k, v := range want {
		if stored[k] != v {
			t.Errorf("published %s = %v, want %v", k, stored[k], v)
		}
	}

	// Correct it: the widget shows the correction.
	const correction = "An earlier version named the wrong valley."
	eval(t, nr, `nr.set("Correction", `+strconv.Quote(correction)+`) && nr.press("Save")`, nil)
	waitJS(t, f, `(function(){var c=document.querySelector('.nw-item .nw-correction');return c&&c.textContent=="Correction: `+correction+`"})()`, 10*time.Second)
	if time.Now().After(expires) {
		t.Fatalf("the steps took past the expiry; the rest would prove nothing")
	}

	// It expires with nobody acting: gone from the widget, marked in the console.
	id, _ := stored["id"].(string)
	waitJS(t, f, `!document.querySelector('[data-id="`+id+`"]')`, time.Until(expires)+10*time.Second)
	if time.Now().Before(expires.Add(-time.Second)) {
		t.Errorf("the flash left before its expiry %v", expires)
	}
	waitJS(t, nr, `nr.item(`+strconv.Quote(title)+`).classList.contains("nr-expired")`, 10*time.Second)

	// Retract another: Delete asks first, then the article leaves the
	// widget and the API.
	var other struct{ ID, Title string }
	eval(t, f, `(function(){var e=document.querySelector(".nw-item");return {id:e.dataset.id,title:e.querySelector(".nw-title").textContent}})()`, &other)
	eval(t, nr, `nr.item(`+strconv.Quote(other.Title)+`).querySelector("button").click(), true`, nil)
	waitJS(t, nr, `nr.field("Title").value == `+strconv.Quote(other.Title), 5*time.Second)
	eval(t, nr, `nr.press("Delete")`, nil)
	waitJS(t, nr, `nr.button("Confirm delete") && document.activeElement === nr.button("Confirm delete")`, 5*time.Second)
	if resp := get(t, ws.URL+"/api/articles/"+other.ID); resp != http.StatusOK {
		t.Fatalf("the article is gone before the delete was confirmed (status %d)", resp)
	}
	eval(t, nr, `nr.press("Confirm delete")`, nil)
	waitJS(t, f, `!document.querySelector('[data-id="`+other.ID+`"]')`, 10*time.Second)
	waitJS(t, nr, `!nr.item(`+strconv.Quote(other.Title)+`) && nr.button("Publish")`, 10*time.Second)
	if resp := get(t, ws.URL+"/api/articles/"+other.ID); resp != http.StatusNotFound {
		t.Errorf("GET the retracted article: %d, want 404", resp)
	}
	// The console still follows the news after all that (a response whose
	// button was gone once stalled its updates for good).
	publish(t, ws, map[string]any{"id": "after-all", "title": "Filed after the retraction"})
	waitJS(t, nr, `nr.item("Filed after the retraction")`, 10*time.Second)
	b.noPageErrors(t)
}

// get returns the status of a GET.
func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNewsroomLive: an edit by another editor (here through the API)
// appears in an open console without a reload.
func TestNewsroomLive(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	b := newBrowser(t)
	nr := openNewsroom(t, b, ws, 1280)
	signIn(t, nr)
	publish(t, ws, map[string]any{"id": "from-elsewhere", "title": "Filed from the field desk", "flash": true})
	waitJS(t, nr, `nr.item("Filed from the field desk")`, 10*time.Second)
	// Opened in the form, then changed elsewhere: the editor is told.
	eval(t, nr, `nr.item("Filed from the field desk").querySelector("button").click(), true`, nil)
	waitJS(t, nr, `nr.field("Title").value == "Filed from the field desk"`, 5*time.Second)
	publishPut(t, ws, "from-elsewhere", map[string]any{"title": "Filed from the field desk, updated", "flash": true})
	waitJS(t, nr, `nr.item("Filed from the field desk, updated") && document.querySelector(".nr-notice")`, 10*time.Second)

	// The filters: by editor (the admin token wrote it; the seed has no
	// writer), by flash, by category.
	choose := func(label, value string) {
		eval(t, nr, `(function(e){e.value=`+strconv.Quote(value)+`;e.dispatchEvent(new Event("change",{bubbles:true}));return true})(nr.field(`+strconv.Quote(label)+`))`, nil)
	}
	shown := `document.querySelectorAll(".nr-article").length`
	var all int
	eval(t, nr, shown, &all)
	choose("By editor", "admin-token")
	waitJS(t, nr, shown+` == 1 && nr.item("Filed from the field desk, updated")`, 5*time.Second)
	choose("By editor", "")
	choose("Show", "other")
	waitJS(t, nr, shown+` > 0 && !nr.item("Filed from the field desk, updated") && !document.querySelector(".nr-badge-flash")`, 5*time.Second)
	choose("Show", "")
	choose("In category", "World")
	waitJS(t, nr, shown+` > 0 && `+shown+` < `+strconv.Itoa(all)+` && !nr.item("Filed from the field desk, updated")`, 5*time.Second)
	b.noPageErrors(t)
}

// publishPut replaces an article through the API with the admin token.
func publishPut(t *testing.T, ws *widgetServer, id string, body map[string]any) {
	t.Helper()
	adminDo(t, ws, http.MethodPut, "/api/articles/"+id, body, http.StatusOK, nil)
}

// overflowJS says what sticks out sideways, "" when nothing does: the page
// must not scroll sideways, nothing may stick out at the right edge (the
// ticker's moving track aside, which its viewport clips), and no control
// may stick out of its card.
const overflowJS = `(function(){var s=document.scrollingElement;if(s.scrollWidth>innerWidth)return "page "+s.scrollWidth+" > "+innerWidth;
	var name=function(e){return (e.id||e.getAttribute("name")||e.className||e.tagName)+" right "+Math.round(e.getBoundingClientRect().right)};
	var bad=Array.from(document.querySelectorAll("body *")).filter(function(e){var r=e.getBoundingClientRect();
		return r.width>0&&r.right>innerWidth+0.5&&!e.closest(".nw-viewport,.nr-sr,.nr-skip,.nw-sr")});
	var cut=Array.from(document.querySelectorAll("input,select,textarea,button,iframe")).filter(function(e){
		var c=e.parentElement&&e.parentElement.closest("form,section,pre");if(!c)return false;
		var r=e.getBoundingClientRect(),p=c.getBoundingClientRect();return r.width>0&&(r.right>p.right+0.5||r.left<p.left-0.5)});
	return bad.slice(0,5).map(name).concat(cut.slice(0,5).map(function(e){return name(e)+" out of its card"})).join(", ")})()`

// TestNoHorizontalOverflow: neither the configurator nor the newsroom
// (signed out and in) scrolls sideways on a 390 px phone or at 1280 px,
// and nothing in them is cut off at the right edge.
func TestNoHorizontalOverflow(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	b := newBrowser(t)
	for _, width := range []int64{390, 1280} {
		t.Run("configurator/"+strconv.FormatInt(width, 10), func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(b.ctx)
			defer cancel()
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ws.URL+"/")); err != nil {
				t.Fatal(err)
			}
			waitJS(t, ctx, `document.querySelector("#preview iframe") && document.querySelector("#preview iframe").offsetHeight > 100`, 15*time.Second)
			var got string
			eval(t, ctx, overflowJS, &got)
			if got != "" {
				t.Errorf("at %d px: %s", width, got)
			}
			var frameRight float64
			eval(t, ctx, `document.querySelector("#preview iframe").getBoundingClientRect().right`, &frameRight)
			if frameRight > float64(width) {
				t.Errorf("at %d px the preview is cut: its right edge at %.0f", width, frameRight)
			}
		})
		t.Run("newsroom/"+strconv.FormatInt(width, 10), func(t *testing.T) {
			nr := openNewsroom(t, b, ws, width)
			for _, step := range []string{"signed out", "signed in"} {
				if step == "signed in" {
					signIn(t, nr)
					eval(t, nr, `nr.item(document.querySelector(".nr-title").textContent).querySelector("button").click(), true`, nil)
					waitJS(t, nr, `nr.button("Save")`, 5*time.Second)
				}
				var got string
				eval(t, nr, overflowJS, &got)
				if got != "" {
					t.Errorf("at %d px, %s: %s", width, step, got)
				}
			}
			eval(t, nr, `fetch("/api/session",{method:"DELETE"}).then(function(){return 1})`, nil)
		})
	}
	b.noPageErrors(t)
}

// TestNewsroomAccessibility runs axe-core (testdata/axe, MPL-2.0) on the
// newsroom signed out and signed in with an article open: no serious or
// critical violation.
func TestNewsroomAccessibility(t *testing.T) {
	axe := axeSource(t)
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	b := newBrowser(t)
	for _, width := range []int64{390, 1280} {
		nr := openNewsroom(t, b, ws, width)
		eval(t, nr, axe+";true", nil)
		check := func(state string) { axeCheck(t, nr, strconv.FormatInt(width, 10)+" px, "+state) }
		check("signed out")
		signIn(t, nr)
		eval(t, nr, `nr.item(document.querySelector(".nr-title").textContent).querySelector("button").click(), true`, nil)
		waitJS(t, nr, `nr.button("Save")`, 5*time.Second)
		eval(t, nr, `nr.press("Delete")`, nil)
		waitJS(t, nr, `nr.button("Confirm delete")`, 5*time.Second)
		check("signed in, editing, confirming a delete")
		eval(t, nr, `fetch("/api/session",{method:"DELETE"}).then(function(){return 1})`, nil)
	}
	b.noPageErrors(t)
}

// axeCheck runs axe-core, already loaded in the page, and fails the test
// for every serious or critical violation, saying in which state.
func axeCheck(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	var found []struct {
		ID, Impact, Help string
		Nodes            []struct{ Target []string }
	}
	evalAsync(t, ctx, `axe.run(document, {resultTypes: ["violations"]}).then(function(r){return r.violations.filter(function(v){return v.impact=="serious"||v.impact=="critical"}).map(function(v){return {id:v.id,impact:v.impact,help:v.help,nodes:v.nodes.slice(0,3).map(function(n){return {target:n.target.map(String)}})}})})`, &found)
	for _, v := range found {
		t.Errorf("%s: axe %s (%s): %s at %v", state, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// axeSource is axe-core's script, vendored gzipped in testdata/axe.
func axeSource(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/axe/axe.min.js.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	src, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src[:200]), "axe v") {
		t.Fatal("testdata/axe/axe.min.js.gz is not axe-core")
	}
	return string(src)
}

// TestScreenshotConsole writes the README's pictures of the configurator
// and of the newsroom (an urgent pinned flash open in the form, its
// preview beside it) next to $NEWSWIDGET_SCREENSHOT (`make screenshot`:
// web/configurator.png and web/newsroom.png). Without the variable it only
// checks that the captures work.
func TestScreenshotConsole(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	publish(t, ws, map[string]any{"id": "storm-warning", "title": "Storm warning: ferries stay in port until Sunday", "flash": true, "urgent": true, "pinned": true,
		"source": "REL", "category": "Weather", "summary": "The coast guard closed every crossing as winds reach 110 km/h.",
		"expires_at": time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)})
	b := newBrowser(t)
	shots := map[string][]byte{}

	conf, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	if err := chromedp.Run(conf, chromedp.EmulateViewport(1280, 860), chromedp.Navigate(ws.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, conf, `document.querySelector("#preview iframe") && document.querySelector("#preview iframe").contentDocument && document.querySelector("#preview iframe").contentDocument.querySelector(".nw-item")`, 20*time.Second)
	time.Sleep(time.Second)
	var png []byte
	if err := chromedp.Run(conf, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatal(err)
	}
	shots["configurator.png"] = png

	nr := openNewsroom(t, b, ws, 1280)
	signIn(t, nr)
	eval(t, nr, `nr.item("Storm warning: ferries stay in port until Sunday").querySelector("button").click(), true`, nil)
	waitJS(t, nr, `nr.button("Save") && document.querySelector(".nr-preview .nw-item")`, 10*time.Second)
	eval(t, nr, `nr.set("Correction", "An earlier version gave the wrong day.") && (document.activeElement.blur(), scrollTo(0, 0), true)`, nil)
	time.Sleep(time.Second)
	png = nil
	if err := chromedp.Run(nr, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatal(err)
	}
	shots["newsroom.png"] = png

	for name, png := range shots {
		if len(png) < 1000 {
			t.Fatalf("%s is %d bytes, want an image", name, len(png))
		}
		if out := os.Getenv("NEWSWIDGET_SCREENSHOT"); out != "" {
			if err := os.WriteFile(filepath.Join(filepath.Dir(out), name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.noPageErrors(t)
}

// TestNewsroomKeyboard: the console works from the keyboard alone -- sign
// in (Tab, Enter), land on the headline, publish with Enter, and back out
// of a delete with Escape, the focus returning to Delete.
func TestNewsroomKeyboard(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	b := newBrowser(t)
	nr := openNewsroom(t, b, ws, 390)
	if err := chromedp.Run(nr,
		chromedp.Focus("#nr-name", chromedp.ByQuery),
		chromedp.KeyEvent(editorName+"\t"+editorPassword+"\r"),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, nr, `document.activeElement === nr.field("Title")`, 20*time.Second)
	if err := chromedp.Run(nr, chromedp.KeyEvent("Typed at the keyboard\r")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, nr, `nr.button("Save") && nr.item("Typed at the keyboard")`, 10*time.Second)
	eval(t, nr, `nr.button("Delete").focus(), true`, nil)
	if err := chromedp.Run(nr, chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, nr, `document.activeElement === nr.button("Confirm delete")`, 5*time.Second)
	if err := chromedp.Run(nr, chromedp.KeyEvent("\u001b")); err != nil { // Escape
		t.Fatal(err)
	}
	waitJS(t, nr, `!nr.button("Confirm delete") && document.activeElement === nr.button("Delete")`, 5*time.Second)
	b.noPageErrors(t)
}

// The newsroom's admin, who sees every statistic.
const (
	adminName     = "chief"
	adminPassword = "staple-battery-horse-correct"
)

// postBeacon sends POST /api/beacon as a widget's frame in a reader's
// browser does (web/beacon.js): same origin, a browser's User-Agent.
func postBeacon(t *testing.T, ws *widgetServer, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ws.URL+"/api/beacon", strings.NewReader(body))
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36")
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/beacon %s: %d", body, resp.StatusCode)
	}
}

// TestNewsroomStatistics: an admin opens Statistics from the navigation
// and sees, first, that nothing is counted yet; then, after beacons from
// the direct widget and a partner's, the SVG charts of impressions and
// clicks per partner and the most clicked articles with those numbers, by
// hour and by day, with nothing wider than a 390 px phone.
func TestNewsroomStatistics(t *testing.T) {
	ws := startWidgetServer(t, "", "", func(o *server.Options) { o.StatsFlush = time.Hour })
	if _, _, err := server.AddUser(context.Background(), ws.ts.Store, adminName, "admin", adminPassword, "test"); err != nil {
		t.Fatal(err)
	}
	key := addPartner(t, ws, "gazette", "https://gazette.example")
	// The partner's widget is loaded once, as its page does: the server
	// learns the key, and counts its beacons.
	resp, err := http.Get(ws.URL + "/embed?partner=" + key + "&parent=https://gazette.example")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the partner's /embed: %d", resp.StatusCode)
	}
	b := newBrowser(t)
	nr := openNewsroom(t, b, ws, 390)
	eval(t, nr, `nr.set("Name", `+strconv.Quote(adminName)+`) && nr.set("Password", `+strconv.Quote(adminPassword)+`) && nr.press("Sign in")`, nil)
	waitJS(t, nr, `document.querySelector(".nr-articles") && nr.button("Publish")`, 20*time.Second)

	// Nothing counted yet: the view says so.
	eval(t, nr, `nr.press("Statistics")`, nil)
	waitJS(t, nr, `(document.getElementById("nr-stats-empty")||{textContent:""}).textContent.includes("No impressions or clicks yet")`, 10*time.Second)
	var state struct {
		Current      string
		ArticlesGone bool
	}
	eval(t, nr, `({current: document.querySelector('.nr-nav [aria-current="page"]').textContent, articlesGone: document.querySelector("main.nr-main").offsetHeight == 0})`, &state)
	if state.Current != "Statistics" || !state.ArticlesGone {
		t.Errorf("in Statistics: navigation %+v", state)
	}

	// Readers: 3 direct impressions, 2 of the gazette's; the top article
	// clicked twice on the gazette's page, the second once directly.
	var list struct {
		Articles []struct{ ID, Title string }
	}
	if err := json.Unmarshal([]byte(httpGet(t, ws.URL+"/api/articles?limit=2")), &list); err != nil || len(list.Articles) != 2 {
		t.Fatalf("articles: %v %+v", err, list)
	}
	first, second := list.Articles[0], list.Articles[1]
	for range 3 {
		postBeacon(t, ws, `{"p":"","i":1,"c":[]}`)
	}
	postBeacon(t, ws, `{"p":"`+key+`","i":1,"c":["`+first.ID+`"]}`)
	postBeacon(t, ws, `{"p":"`+key+`","i":1,"c":["`+first.ID+`"]}`)
	postBeacon(t, ws, `{"p":"","i":0,"c":["`+second.ID+`"]}`)
	if err := ws.srv.FlushStats(context.Background()); err != nil {
		t.Fatal(err)
	}

	eval(t, nr, `nr.press("Refresh")`, nil)
	figs := `document.querySelectorAll("#nr-stats figure.nw-chart svg[role=img]").length == 3`
	waitJS(t, nr, figs+` && !document.getElementById("nr-stats-empty")`, 10*time.Second)
	// rows reads a chart's table: its cells, row by row, without the time.
	rows := func(id string) [][]string {
		var out [][]string
		eval(t, nr, `Array.from(document.querySelectorAll("#`+id+` tbody tr")).map(function(r){return Array.from(r.children).slice(1).map(function(c){return c.textContent.trim()})})`, &out)
		return out
	}
	head := func(id string) []string {
		var out []string
		eval(t, nr, `Array.from(document.querySelectorAll("#`+id+` thead th")).map(function(c){return c.textContent.trim()})`, &out)
		return out
	}
	check := func(per string) {
		t.Helper()
		imp, clk := "nw-chart-impressions-per-"+per, "nw-chart-clicks-per-"+per
		if got := strings.Join(head(imp), "|"); got != "UTC|direct|gazette" {
			t.Errorf("%s: columns %q, want UTC|direct|gazette", imp, got)
		}
		if got := rows(imp); len(got) != 1 || strings.Join(got[0], "|") != "3|2" {
			t.Errorf("%s: rows %q, want one of 3|2", imp, got)
		}
		if got := rows(clk); len(got) != 1 || strings.Join(got[0], "|") != "1|2" {
			t.Errorf("%s: rows %q, want one of 1|2", clk, got)
		}
		// a line per partner, drawn as a line (not a filled shape), over
		// visible grid lines
		var lines struct {
			N                  int
			Fill, Grid, Stroke string
		}
		eval(t, nr, `(function(){var l=document.querySelectorAll("#`+imp+` svg polyline"),g=document.querySelector("#`+imp+` svg line");
			return {n:l.length,fill:getComputedStyle(l[0]).fill,stroke:getComputedStyle(l[0]).stroke,grid:getComputedStyle(g).stroke}})()`, &lines)
		if lines.N != 2 || lines.Fill != "none" || lines.Stroke == "none" || lines.Grid == "none" {
			t.Errorf("%s: %d lines, fill %q, stroke %q, grid %q; want one per partner, unfilled, stroked, on a grid", imp, lines.N, lines.Fill, lines.Stroke, lines.Grid)
		}
		var desc string
		eval(t, nr, `document.querySelector("#`+imp+` svg desc").textContent`, &desc)
		if !strings.Contains(desc, "direct 3 impressions") || !strings.Contains(desc, "gazette 2 impressions") {
			t.Errorf("%s: description %q", imp, desc)
		}
		var top [][]string
		eval(t, nr, `Array.from(document.querySelectorAll("#nw-chart-most-clicked-articles tbody tr")).map(function(r){return Array.from(r.children).map(function(c){return c.textContent.trim()})})`, &top)
		want := [][]string{{first.Title, "2"}, {second.Title, "1"}}
		if len(top) != 2 || top[0][0] != want[0][0] || top[0][1] != "2" || top[1][0] != want[1][0] || top[1][1] != "1" {
			t.Errorf("most clicked: %q, want %q", top, want)
		}
		var bars int
		eval(t, nr, `document.querySelectorAll("#nw-chart-most-clicked-articles svg rect").length`, &bars)
		if bars != 2 {
			t.Errorf("most clicked: %d bars, want 2", bars)
		}
		var totals []string
		eval(t, nr, `Array.from(document.querySelectorAll(".nr-totals li")).map(function(e){return e.textContent})`, &totals)
		if strings.Join(totals, "|") != "5 impressions|3 clicks" {
			t.Errorf("totals %q, want 5 impressions and 3 clicks", totals)
		}
		// Every table open, nothing is wider than the phone.
		eval(t, nr, `document.querySelectorAll("#nr-stats details").forEach(function(d){d.open=true}), true`, nil)
		var got string
		eval(t, nr, overflowJS, &got)
		if got != "" {
			t.Errorf("by %s at 390 px: %s", per, got)
		}
	}
	check("hour")

	// By day: the same numbers in a day's bucket.
	eval(t, nr, `(function(e){e.value="day";e.dispatchEvent(new Event("change",{bubbles:true}));return true})(nr.field("Counts per"))`, nil)
	waitJS(t, nr, `document.getElementById("nw-chart-impressions-per-day") && `+figs, 10*time.Second)
	check("day")

	// The charts take their palette from app/chart's CSS, light and dark.
	for _, tc := range []struct{ scheme, want string }{{"light", "rgb(11, 87, 208)"}, {"dark", "rgb(138, 180, 248)"}} {
		if err := chromedp.Run(nr, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: tc.scheme}})); err != nil {
			t.Fatal(err)
		}
		var stroke string
		eval(t, nr, `getComputedStyle(document.querySelector("#nw-chart-impressions-per-day polyline")).stroke`, &stroke)
		if stroke != tc.want {
			t.Errorf("%s: the first line's colour is %q, want %s (chart.CSS)", tc.scheme, stroke, tc.want)
		}
	}

	// Back to the articles.
	eval(t, nr, `nr.press("Articles")`, nil)
	waitJS(t, nr, `document.querySelector("main.nr-main").offsetHeight > 0 && !document.getElementById("nr-stats") && nr.button("Publish")`, 5*time.Second)
	b.noPageErrors(t)
}
