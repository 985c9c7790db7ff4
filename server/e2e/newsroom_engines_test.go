package e2e_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNewsroomEngines runs the newsroom's core in every engine of
// TestEngines, with the user's own input (real clicks and keys, through
// the engines kit): a reader's widget open on a publisher's page (another
// origin) in one window; in another window of the same browser the editor
// signs in to /newsroom through its form, composes an urgent flash and
// publishes it, sees it arrive, marked breaking, in the reader's widget,
// then deletes it with the in-page confirmation and sees it leave the
// widget. Nothing may go wrong in the console, the page or the frame.
func TestNewsroomEngines(t *testing.T) {
	for _, tc := range engineCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runNewsroomEngine(t, tc)
		})
	}
}

// nrEngineWidgetJS reads what the reader sees of the flash titled by the
// JSON string at its end, in the frame: the first headline of the ticker
// and whether the flash is it, the mark beside it, and whether the list
// shows it (and with what mark). It is a function expression to call.
const nrEngineWidgetJS = `(function (title) {
  var first = document.querySelector(".nw-copy:not([aria-hidden]) .nw-flash");
  var item = Array.from(document.querySelectorAll(".nw-item")).find(function (e) { return (e.querySelector(".nw-title") || {}).textContent === title; });
  var mark = function (e) { var m = e && e.querySelector(".nw-breaking"); return m ? m.textContent.trim() : ""; };
  return {first: first ? first.textContent.trim() : "", firstIs: !!first && first.textContent.includes(title), firstMark: mark(first),
    listed: !!item, listMark: mark(item),
    anywhere: (document.querySelector(".nw") || document.body).textContent.includes(title)};
})`

// nrEngineWidget is what nrEngineWidgetJS reads.
type nrEngineWidget struct {
	First     string
	FirstIs   bool
	FirstMark string
	Listed    bool
	ListMark  string
	Anywhere  bool
}

func runNewsroomEngine(t *testing.T, tc engineCase) {
	start := time.Now()
	reader := tc.start(t)
	defer reader.Close() // before the servers stop: no reconnects to log

	// The reader's widget, on the publisher's page, drawn from this
	// test's server (engineRender: see there).
	engineRender.Lock()
	ws := startWidgetServer(t, "", "")
	addEditor(t, ws)
	front := newEngineFront(t, ws, tc.instrument)
	host := hostPage(t, engineHostHTML(front.URL, `data-loading="eager" data-layout="both" data-limit="5"`, tc.instrument))
	err := reader.Navigate(host)
	if err == nil && !engineWait(t, reader, true, "the frame shows the news", `document.readyState === "complete" && document.querySelector(".nw-item .nw-title")`, "", 30*time.Second) {
		err = errors.New("the frame did not show the news")
	}
	engineRender.Unlock()
	if err != nil {
		t.Fatalf("the reader's widget on the publisher's page: %v", err)
	}
	if !waitSubscribed(t, ws, 10*time.Second) {
		t.FailNow()
	}

	// The editor's console, in another window of the same browser, at the
	// widget server's own origin.
	editor, err := reader.NewWindow()
	if err != nil {
		t.Fatalf("opening a second window: %v", err)
	}
	defer editor.Close()
	if err := editor.Navigate(front.URL + "/newsroom"); err != nil {
		t.Fatalf("navigating to the newsroom: %v", err)
	}
	defer func() { // before the windows close
		if t.Failed() {
			t.Logf("%s, the reader's window:%s", tc.name, fmtLogs(reader.Logs()))
			t.Logf("%s, the editor's window:%s", tc.name, fmtLogs(editor.Logs()))
		}
	}()
	if !engineWait(t, editor, false, "the console's Go program ready", `document.querySelector("#newsroom[data-ready]")`, "", 30*time.Second) {
		t.FailNow()
	}
	engineEval(t, editor, false, nrJS, nil)
	t.Logf("console ready %v after start", time.Since(start).Round(time.Millisecond))

	// typeIn types into the control labelled label; the control then holds
	// what was typed, as the browser has it.
	typeIn := func(label, text string) {
		t.Helper()
		l := strconv.Quote(label)
		if err := editor.Type(`nr.field(`+l+`)`, text); err != nil {
			t.Fatalf("typing into %q: %v", label, err)
		}
		var got string
		engineEval(t, editor, false, `nr.field(`+l+`).value`, &got)
		if got != text {
			t.Errorf("%q after typing %q into it: got %q", label, text, got)
		}
	}
	press := func(text string) {
		t.Helper()
		if err := editor.Click(`nr.button(` + strconv.Quote(text) + `)`); err != nil {
			t.Fatalf("clicking %q: %v", text, err)
		}
	}

	// Sign in through the form.
	typeIn("Name", editorName)
	typeIn("Password", editorPassword)
	press("Sign in")
	if !engineWait(t, editor, false, "signed in: the articles and the Publish button", `document.querySelector(".nr-articles") && nr.button("Publish")`,
		`(document.getElementById("nr-signin-error") || {}).textContent`, 20*time.Second) {
		t.FailNow()
	}

	// Compose an urgent flash.
	title := "Dam breach in " + tc.name + ": evacuate the valley"
	typeIn("Title", title)
	typeIn("Summary", "Residents are told to leave now.")
	typeIn("Link", "https://news.example/dam-breach")
	typeIn("Source", "REL")
	typeIn("Category", "Alerts")
	for _, box := range []string{"Flash", "Urgent"} {
		if err := editor.Click(`nr.field(` + strconv.Quote(box) + `)`); err != nil {
			t.Fatalf("clicking %q: %v", box, err)
		}
	}
	var boxes struct{ Flash, Urgent, Pinned bool }
	engineEval(t, editor, false, `({flash: nr.field("Flash").checked, urgent: nr.field("Urgent").checked, pinned: nr.field("Pinned").checked})`, &boxes)
	if !boxes.Flash || !boxes.Urgent || boxes.Pinned {
		t.Errorf("the boxes after clicking Flash and Urgent: %+v, want Flash and Urgent checked, Pinned not", boxes)
	}
	q, _ := json.Marshal(title)
	engineWait(t, editor, false, "the preview shows the draft, marked breaking", `(function (w) { return w.firstIs && w.firstMark && w.listed; })(`+
		nrEngineWidgetJS+`(`+string(q)+`))`, `document.querySelector(".nr-preview").textContent`, 5*time.Second)

	// Publish: the reader's widget shows it, first in the ticker, marked
	// breaking, and in the list.
	t0 := time.Now()
	press("Publish")
	engineWait(t, editor, false, "the console shows the article published", `nr.button("Save") && nr.button("Delete") && nr.item(`+string(q)+`)`,
		`(document.querySelector(".nr-error") || {}).textContent`, 10*time.Second)
	read := nrEngineWidgetJS + `(` + string(q) + `)`
	if !engineWait(t, reader, true, "the published flash in the reader's widget", `(function (w) { return w.firstIs && w.listed; })(`+read+`)`, read, 20*time.Second) {
		t.FailNow()
	}
	arrived := time.Now()
	t.Logf("the flash showed in the widget %v after Publish", arrived.Sub(t0).Round(time.Millisecond))
	var shown nrEngineWidget
	engineEval(t, reader, true, read, &shown)
	want := "Breaking"
	if shown.FirstMark != want || shown.ListMark != want {
		t.Errorf("the urgent mark in the widget: ticker %q, list %q; want %q in both", shown.FirstMark, shown.ListMark, want)
	}
	id := publishedID(t, ws, title)
	if id == "" {
		t.FailNow()
	}
	var stored map[string]any
	if err := json.Unmarshal([]byte(httpGet(t, ws.URL+"/api/articles/"+id)), &stored); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"title": title, "summary": "Residents are told to leave now.", "url": "https://news.example/dam-breach",
		"source": "REL", "category": "Alerts", "flash": true, "urgent": true} {
		if stored[k] != v {
			t.Errorf("published %s: got %v, want %v", k, stored[k], v)
		}
	}

	// Delete, with the in-page confirmation: nothing goes before it is
	// confirmed; then the flash leaves the reader's widget.
	press("Delete")
	if !engineWait(t, editor, false, "the confirmation, focused", `nr.button("Confirm delete") && document.activeElement === nr.button("Confirm delete")`,
		`document.activeElement && document.activeElement.outerHTML.slice(0, 120)`, 5*time.Second) {
		t.FailNow()
	}
	if got := get(t, ws.URL+"/api/articles/"+id); got != http.StatusOK {
		t.Fatalf("before the delete is confirmed: GET the article: %d, want 200", got)
	}
	t0 = time.Now()
	press("Confirm delete")
	if engineWait(t, reader, true, "the deleted flash gone from the reader's ticker and list", `!document.querySelector('[data-id="`+id+`"]')`, read, 10*time.Second) {
		t.Logf("the flash left the widget %v after Confirm delete", time.Since(t0).Round(time.Millisecond))
		// Its title leaves with it, from the assertive live region too
		// (which would otherwise keep announcing it until its 10 s are up).
		var left struct {
			Alert    string
			Anywhere bool
		}
		engineEval(t, reader, true, `({alert: document.querySelector('[aria-live="assertive"]').textContent, anywhere: `+read+`.anywhere})`, &left)
		if left.Alert != "" || left.Anywhere {
			t.Errorf("the deleted flash left the ticker and the list %v after arriving; the widget's text still has its title: %v (assertive live region %q), want none of it",
				time.Since(arrived).Round(time.Millisecond), left.Anywhere, left.Alert)
		}
	}
	engineWait(t, editor, false, "the console without the article, composing anew", `!nr.item(`+string(q)+`) && nr.button("Publish")`, "", 10*time.Second)
	if got := get(t, ws.URL+"/api/articles/"+id); got != http.StatusNotFound {
		t.Errorf("after the delete: GET the article: %d, want 404", got)
	}

	// Nothing went wrong in the console, the page or the frame: each
	// window's log has its own page's console (a probe shows it can tell),
	// and no error.
	engineEval(t, editor, false, `console.info("nw-probe-newsroom"), 1`, nil)
	deadline := time.Now().Add(5 * time.Second)
	for len(logLines(editor.Logs(), "info: page: nw-probe-newsroom")) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := logLines(editor.Logs(), "info: page: nw-probe-newsroom"); len(got) != 1 {
		t.Errorf("the editor's window logged the console's console.info %d times, want 1 (else its errors go unseen): %s", len(got), fmtLogs(editor.Logs()))
	}
	for _, l := range reader.Logs() {
		if strings.Contains(l, "nw-probe-newsroom") {
			t.Errorf("the reader's window has the editor's console.info in its log: %s", l)
		}
	}
	for _, w := range []struct {
		name string
		e    engine
	}{{"the reader's window", reader}, {"the editor's window", editor}} {
		logs := w.e.Logs()
		errs := append(logLines(logs, "exception:"), logLines(logs, "error:")...)
		for _, p := range []string{"log: page: panic:", "log: frame: panic:", "log: page: fatal error:", "log: frame: fatal error:"} {
			errs = append(errs, logLines(logs, p)...)
		}
		errs = append(errs, logLines(logs, "warning: page: newswidget:")...) // the frame's errors, as the loader tells them
		if len(errs) > 0 {
			t.Errorf("errors in %s: %s", w.name, fmtLogs(errs))
		}
	}
	t.Logf("%s done in %v", tc.name, time.Since(start).Round(time.Millisecond))
}

// publishedID returns the id of the listed article titled title, failing
// the test when none is.
func publishedID(t *testing.T, ws *widgetServer, title string) string {
	t.Helper()
	var list struct{ Articles []struct{ ID, Title string } }
	if err := json.Unmarshal([]byte(httpGet(t, ws.URL+"/api/articles?limit=50")), &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list.Articles {
		if a.Title == title {
			return a.ID
		}
	}
	t.Errorf("no article titled %q in /api/articles", title)
	return ""
}
