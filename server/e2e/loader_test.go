package e2e_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newswidget/app/news"
)

// TestLoaderAgreesWithServer runs the table of attribute values that the
// server's ParseConfig is tested with through the real loader in the
// browser: each value must become the same setting (read back from the
// iframe's /embed URL) with a console.warn exactly when the server warns.
func TestLoaderAgreesWithServer(t *testing.T) {
	raw, err := os.ReadFile("../../app/news/testdata/config_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Attr, Value, Want string
		Warn              bool
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><body><div id="box"></div>
<script>window.__warns=[];var w=console.warn;console.warn=function(){__warns.push([].join.call(arguments," "));w.apply(console,arguments)}</script>
<script src="`+ws.URL+`/widget.js"></script></body></html>`)
	b := newBrowser(t)
	if err := chromedp.Run(b.ctx, chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b.ctx, `window.NewsWidget`, 10*time.Second)
	defaults := map[string]string{"layout": "both", "limit": "10", "theme": "auto", "speed": "60", "locale": "en",
		"live": "true", "loading": "lazy", "link-target": "_top"}
	for _, tc := range cases {
		t.Run(tc.Attr+"="+tc.Value, func(t *testing.T) {
			var got struct {
				Value string
				Set   bool
				Warns []string
			}
			// the loader adds the frame in a task after the tag's own
			evalAsync(t, b.ctx, `new Promise(function(done){
				__warns.length=0;
				var el=document.createElement("div");document.body.appendChild(el);
				var h=NewsWidget.mount(el,{`+jsString(tc.Attr)+`:`+jsString(tc.Value)+`});
				setTimeout(function(){
					var q=new URL(el.querySelector("iframe").src).searchParams;
					var r={Value:q.get(`+jsString(tc.Attr)+`)||"",Set:q.has(`+jsString(tc.Attr)+`),Warns:__warns.slice()};
					h.destroy();el.remove();done(r)})})`, &got)
			value := got.Value
			if !got.Set {
				value = defaults[tc.Attr]
			}
			want := tc.Want
			if tc.Attr == "locale" { // the server puts the tag into canonical case
				value, want = strings.ToLower(value), strings.ToLower(want)
			}
			if value != want {
				t.Errorf("loader sends %q, server uses %q", value, want)
			}
			if (len(got.Warns) > 0) != tc.Warn || len(got.Warns) > 1 {
				t.Errorf("loader warnings %q; server warns: %v", got.Warns, tc.Warn)
			}
			for _, w := range got.Warns {
				if !strings.Contains(w, "data-"+tc.Attr) || !strings.Contains(w, tc.Value) {
					t.Errorf("warning %q does not name the attribute and the value", w)
				}
			}
		})
	}
	// Every colour name the server accepts is one the browser parses.
	names := news.ColorNames()
	if len(names) < 140 {
		t.Fatalf("only %d colour names", len(names))
	}
	var unsupported []string
	b2, _ := json.Marshal(names)
	eval(t, b.ctx, `(`+string(b2)+`).filter(function(n){return !CSS.supports("color",n)})`, &unsupported)
	if len(unsupported) > 0 {
		t.Errorf("colour names the server accepts but the browser does not parse: %v", unsupported)
	}
	b.noPageErrors(t)
}
