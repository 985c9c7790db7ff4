package e2e_test

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestConfigurator drives the page a publisher sees first after `make run`:
// changing an option updates the live preview and the tag to copy.
func TestConfigurator(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	b := newBrowser(t)
	open(t, b, ws.URL+"/")
	waitJS(t, b.ctx, `document.querySelector("#preview iframe")`, 10*time.Second)
	var fields []string
	eval(t, b.ctx, `Array.from(document.querySelectorAll("#options [name]")).map(function(e){return e.name})`, &fields)
	for _, want := range []string{"layout", "limit", "category", "theme", "accent", "speed", "locale", "ticker-label", "list-label", "live", "loading", "height", "link-target"} {
		if !strings.Contains(strings.Join(fields, " "), want) {
			t.Errorf("the configurator has no field for data-%s", want)
		}
	}
	// Both fields change in one script: chromedp's SetValue fires an input
	// event per field, and on a slow machine the 250 ms debounce could then
	// render the first change alone.
	eval(t, b.ctx, `(function(f){f.layout.value="ticker";f.accent.value="#0b57d0";f.dispatchEvent(new Event("input"));return true})(document.getElementById("options"))`, nil)
	waitJS(t, b.ctx, `document.getElementById("tag").textContent.includes('data-layout="ticker"')`, 5*time.Second)
	src := `document.querySelector("#preview iframe").src`
	waitJS(t, b.ctx, src+`.includes("layout=ticker")&&`+src+`.includes("accent=%230b57d0")`, 5*time.Second)
	var tag string
	eval(t, b.ctx, `document.getElementById("tag").textContent`, &tag)
	if !strings.HasPrefix(tag, `<script src="`+ws.URL+`/widget.js"`) || !strings.Contains(tag, `data-accent="#0b57d0"`) {
		t.Errorf("tag to copy: %s", tag)
	}
	// The demo page and the widget share an origin, so the frame is reached
	// through contentDocument rather than as a target of its own.
	doc := `document.querySelector("#preview iframe").contentDocument`
	waitJS(t, b.ctx, doc+`&&`+doc+`.querySelector(".nw-ticker")&&!`+doc+`.querySelector(".nw-list")`, 20*time.Second)
	var label string
	eval(t, b.ctx, `getComputedStyle(`+doc+`.querySelector(".nw-ticker-label")).backgroundColor`, &label)
	if label != "rgb(11, 87, 208)" {
		t.Errorf("preview label background %s, want the chosen accent", label)
	}
	var copyButton bool
	eval(t, b.ctx, `!!document.getElementById("copy")`, &copyButton)
	if !copyButton {
		t.Error("no copy button")
	}
	b.noPageErrors(t)
}

// TestContrast measures every text colour against its background in the
// light and the dark theme: WCAG AA wants 4.5:1.
func TestContrast(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) {
			b, f := openWidget(t, ws, `data-loading="eager" data-theme="`+theme+`"`)
			var pairs [][3]string
			eval(t, f, `(function(){
				function bg(e){for(;e;e=e.parentElement){var c=getComputedStyle(e).backgroundColor;if(c!=="rgba(0, 0, 0, 0)"&&c!=="transparent")return c}return "rgb(255, 255, 255)"}
				return [".nw-title",".nw-meta",".nw-source",".nw-summary",".nw-list-label",".nw-headline",".nw-ticker-label",".nw-toggle"].map(function(s){
					var e=document.querySelector(s);return [s,getComputedStyle(e).color,bg(e)]})})()`, &pairs)
			for _, p := range pairs {
				if r := contrast(p[1], p[2]); r < 4.5 {
					t.Errorf("%s: %s on %s is %.2f:1, want at least 4.5:1", p[0], p[1], p[2], r)
				}
			}
			b.noPageErrors(t)
		})
	}
}

func contrast(fg, bg string) float64 {
	l := func(c string) float64 {
		var r, g, b float64
		c = strings.NewReplacer("rgba(", "", "rgb(", "", ")", "", ",", " ").Replace(c)
		var v [4]float64
		n := 0
		for _, f := range strings.Fields(c) {
			if n < 4 {
				v[n], _ = parseFloat(f)
				n++
			}
		}
		r, g, b = v[0], v[1], v[2]
		lin := func(x float64) float64 {
			x /= 255
			if x <= 0.03928 {
				return x / 12.92
			}
			return math.Pow((x+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	}
	a, b := l(fg), l(bg)
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmtSscan(s, &f)
	return f, err
}
