package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// clsPage is a publisher's page (served from another origin by hostPage)
// with text above and below what body puts between them. Its head measures
// the page's cumulative layout shift, shifts after input left out, and, at
// the first frame that draws the text below, the space held between the
// two texts.
func clsPage(head, body string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publisher</title>
<script>window.__cls=0;window.__shifts=[];
new PerformanceObserver(function(l){l.getEntries().forEach(function(e){if(!e.hadRecentInput){__cls+=e.value;__shifts.push(Math.round(e.startTime)+"ms "+e.value.toFixed(4))}})}).observe({type:"layout-shift",buffered:true});
(function held(){var a=document.getElementById("above"),b=document.getElementById("below");
if(a&&b)window.__held=b.getBoundingClientRect().top-a.getBoundingClientRect().bottom;else requestAnimationFrame(held)})();
</script>` + head + `</head>
<body style="margin:0;font:16px/1.5 sans-serif"><h1>A publisher's page</h1><p id="above">Text above the widget.</p>
` + body + `
<p id="below">Text below the widget, which must not move.</p><p>More of the publisher's text.</p></body></html>`
}

// pausedHostPage serves html on 127.0.0.2 as hostPage does, but in two
// parts: what comes before "<!--pause-->", then, after a pause, the rest,
// as a server that flushes early sends a page.
func pausedHostPage(t *testing.T, html string) string {
	t.Helper()
	first, rest, _ := strings.Cut(html, "<!--pause-->")
	return hostServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, first)
		w.(http.Flusher).Flush()
		time.Sleep(700 * time.Millisecond)
		fmt.Fprint(w, rest)
	}))
}

// clsResult is what one page load measured.
type clsResult struct {
	CLS      float64  // cumulative layout shift of the host page
	Held     float64  // px between the texts above and below at the first frame that drew both
	Final    float64  // the same once every widget has its size
	Shifts   []string // each shift: when, how much
	Overlaps []string // the page's content drawn under a widget (a box outgrowing the space held)
}

// measureCLS opens page in a new tab of b and waits until each of the
// widgets has received its frame's size (the loader then sets its box to
// exactly "height:Npx"), then 1 s more for any late shift. It does not
// wait for the wasm.
func measureCLS(t *testing.T, b *browser, host string, widgets int) clsResult {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	b.record(tab, "page")
	if err := chromedp.Run(tab, chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab, fmt.Sprintf(`(function(){var b=document.querySelectorAll("div.newswidget");
		return b.length===%d&&[].every.call(b,function(e){return /^height: \d+px;$/.test(e.style.cssText)})})()`, widgets), 10*time.Second)
	time.Sleep(time.Second)
	var r clsResult
	eval(t, tab, `({CLS:__cls,Held:__held,Shifts:__shifts,
		Final:document.getElementById("below").getBoundingClientRect().top-document.getElementById("above").getBoundingClientRect().bottom,
		Overlaps:(function(){var out=[];[].forEach.call(document.querySelectorAll("div.newswidget"),function(b){var end=b.getBoundingClientRect().bottom;
			[].forEach.call(document.body.querySelectorAll("*"),function(e){
				if(!e.getClientRects().length||e.contains(b)||b.contains(e)||!(b.compareDocumentPosition(e)&Node.DOCUMENT_POSITION_FOLLOWING))return;
				var top=e.getBoundingClientRect().top;if(top<end-0.5)out.push((e.id||e.tagName)+" at "+top+"px, under a widget ending at "+end+"px")})});return out})()})`, &r)
	return r
}

// TestCLSEmbeddingForms loads every form of embedding the README documents
// and the configurator writes, each as a publisher's page with text above
// and below the widget: the page must never move (CLS 0), so the space held
// before the first paint must be the space the widget ends up using.
// Heights held by hand are the loader's reservations: the frame's border 2,
// the ticker 44, the list heading 42 and 117 a row; data-height holds the
// height of a list of 20 when there are fewer (the seed has 11 articles).
func TestCLSEmbeddingForms(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	W := ws.URL + "/widget.js"
	tagManager := `<script>(function(s){s.src="{W}";document.head.appendChild(s)})(document.createElement("script"))</script>`
	forms := []struct {
		name       string
		head, body string // {W} is the loader's address
		widgets    int
		offered    bool // false: a form the README warns against; its figure is only logged
		paused     bool // the page comes in two parts (pausedHostPage)
	}{
		{name: "plain tag", body: `<script src="{W}" data-layout="both" data-theme="auto"></script>`, widgets: 1, offered: true},
		{name: "plain tag, ticker", body: `<script src="{W}" data-layout="ticker"></script>`, widgets: 1, offered: true},
		{name: "plain tag, data-height", body: `<script src="{W}" data-limit="20" data-height="1375"></script>`, widgets: 1, offered: true},
		{name: "element right before the tag, nothing held", body: `<div data-news-widget data-layout="ticker"></div>
<script src="{W}"></script>`, widgets: 1, offered: true},
		{name: "placeholder, tag after", body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>
<script src="{W}"></script>`, widgets: 1, offered: true},
		{name: "placeholder, async tag after", body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>
<script src="{W}" async></script>`, widgets: 1, offered: true},
		{name: "async tag, placeholder after", body: `<script src="{W}" async></script>
<div data-news-widget data-layout="ticker" style="height:46px"></div>`, widgets: 1, offered: true},
		{name: "async tag, placeholder after it in a later part of the page", body: `<script src="{W}" async></script>
<!--pause--><div data-news-widget data-layout="ticker" style="height:46px"></div>`, widgets: 1, offered: true, paused: true},
		{name: "async tag in the head, placeholder", head: `<script src="{W}" async></script>`,
			body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>`, widgets: 1, offered: true},
		{name: "tag manager, placeholder", head: tagManager,
			body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>`, widgets: 1, offered: true},
		{name: "placeholder, both", body: `<div data-news-widget style="height:1258px"></div>
<script src="{W}" async></script>`, widgets: 1, offered: true},
		{name: "placeholder too small", body: `<div data-news-widget style="height:46px"></div>
<script src="{W}" async></script>`, widgets: 1},
		{name: "several placeholders", body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>
<p>Between the widgets.</p>
<div data-news-widget data-layout="list" data-limit="3" style="height:395px"></div>
<script src="{W}"></script>`, widgets: 2, offered: true},
		{name: "several placeholders, async", body: `<div data-news-widget data-layout="ticker" style="height:46px"></div>
<p>Between the widgets.</p>
<div data-news-widget data-layout="list" data-limit="3" style="height:395px"></div>
<script src="{W}" async></script>`, widgets: 2, offered: true},
		{name: "data-target holding the space, async", body: `<div id="news" style="height:395px"></div>
<p>Between the widget and its tag.</p>
<script src="{W}" async data-target="#news" data-layout="list" data-limit="3"></script>`, widgets: 1, offered: true},
	}
	b := newBrowser(t, chromedp.WindowSize(1000, 1600)) // the text below stays in view
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			page, serve := clsPage(strings.ReplaceAll(f.head, "{W}", W), strings.ReplaceAll(f.body, "{W}", W)), hostPage
			if f.paused {
				serve = pausedHostPage
			}
			r := measureCLS(t, b, serve(t, page), f.widgets)
			t.Logf("CLS %.4f, held %.0fpx, final %.0fpx, shifts %v", r.CLS, r.Held, r.Final, r.Shifts)
			if len(r.Overlaps) > 0 {
				t.Errorf("the page's content is drawn under a widget, which outgrew the space held: %v", r.Overlaps)
			}
			b.noPageErrors(t)
			if !f.offered {
				return
			}
			if r.CLS != 0 {
				t.Errorf("CLS: got %.4f, want 0 (shifts %v)", r.CLS, r.Shifts)
			}
			if r.Held != r.Final {
				t.Errorf("space held before the widget measured itself: got %.0fpx, want its final %.0fpx", r.Held, r.Final)
			}
		})
	}
}

// TestCLSConfiguratorSnippet takes the snippet the configurator writes for
// a few sets of options and loads it as a publisher would paste it, and as
// a tag manager would insert its script: the page must not move.
func TestCLSConfiguratorSnippet(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b := newBrowser(t, chromedp.WindowSize(1000, 1600))
	open(t, b, ws.URL+"/")
	waitJS(t, b.ctx, `window.NewsWidget&&document.getElementById("tag").textContent`, 10*time.Second)
	sets := []struct {
		name                  string
		layout, limit, height string
		tagManager            bool
	}{
		{name: "defaults", layout: "both", limit: "10"},
		{name: "ticker", layout: "ticker", limit: "10"},
		{name: "list of 3", layout: "list", limit: "3"},
		{name: "data-height", layout: "both", limit: "20", height: "1375"}, // the seed's 11 articles
		{name: "list of 3, tag manager", layout: "list", limit: "3", tagManager: true},
	}
	for _, set := range sets {
		eval(t, b.ctx, `(function(f){f.layout.value=`+jsString(set.layout)+`;f.limit.value=`+jsString(set.limit)+`;f.height.value=`+jsString(set.height)+`;
			f.dispatchEvent(new Event("input"));return true})(document.getElementById("options"))`, nil)
		// wait for the snippet of these options
		has := func(s string, in bool) string {
			not := map[bool]string{true: "", false: "!"}[in]
			return not + `document.getElementById("tag").textContent.includes(` + jsString(s) + `)`
		}
		waitJS(t, b.ctx, has(`data-layout="`+set.layout+`"`, set.layout != "both")+"&&"+has(`data-limit="`+set.limit+`"`, set.limit != "10")+"&&"+
			has(`data-height="`+set.height+`"`, set.height != "")+"&&"+has(`data-height=`, set.height != ""), 5*time.Second)
		var snippet string
		eval(t, b.ctx, `document.getElementById("tag").textContent`, &snippet)
		set := set
		t.Run(set.name, func(t *testing.T) {
			head, body := "", snippet
			if set.tagManager { // the script leaves the snippet; a script inserts it
				end := strings.Index(snippet, "</script>")
				if end < 0 {
					t.Fatalf("the snippet has no script tag: %s", snippet)
				}
				body = snippet[:strings.Index(snippet, "<script")] + snippet[end+len("</script>"):]
				head = `<script>(function(s){s.src=` + jsString(ws.URL+"/widget.js") + `;document.head.appendChild(s)})(document.createElement("script"))</script>`
			}
			r := measureCLS(t, b, hostPage(t, clsPage(head, body)), 1)
			t.Logf("%s\nCLS %.4f, held %.0fpx, final %.0fpx, shifts %v", snippet, r.CLS, r.Held, r.Final, r.Shifts)
			if r.CLS != 0 {
				t.Errorf("CLS: got %.4f, want 0 (shifts %v)", r.CLS, r.Shifts)
			}
			if r.Held != r.Final {
				t.Errorf("space held before the widget measured itself: got %.0fpx, want its final %.0fpx", r.Held, r.Final)
			}
			if len(r.Overlaps) > 0 {
				t.Errorf("the page's content is drawn under the widget: %v", r.Overlaps)
			}
		})
	}
	b.noPageErrors(t)
}
