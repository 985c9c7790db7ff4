// Package chart draws the newsroom's statistics as go-app components that
// render SVG: impressions and clicks over time per partner (Timeline) and
// the most clicked articles (TopArticles). They do no I/O: the page that
// mounts them hands them the numbers (GET /api/stats). Colours come from
// CSS variables and currentColor (CSS, below), so one drawing serves the
// light and the dark theme; each chart is an image with a title and a
// description for screen readers, and the same numbers as a table.
package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Point is one bucket of a series: its start and its count.
type Point struct {
	At    time.Time
	Value int64
}

// Series is one line of a Timeline: a partner's counts, oldest first.
// Buckets without a point count zero.
type Series struct {
	Name   string
	Points []Point
}

// Bar is one row of TopArticles: an article and its count.
type Bar struct {
	Label string
	Value int64
}

// CSS styles the charts: the palette in light and dark (following the
// reader's colour scheme, or a [data-theme] ancestor), text in the current
// colour, and a width that stays readable from a 390 px phone up.
const CSS = `.nw-chart{--chart-grid:rgba(127,127,127,.35);--chart-1:#0b57d0;--chart-2:#b00020;--chart-3:#137333;--chart-4:#8430ce;--chart-5:#9c4a00;--chart-6:#00727c;max-width:42rem;margin:0 0 1.5rem}
@media (prefers-color-scheme:dark){.nw-chart{--chart-1:#8ab4f8;--chart-2:#f28b82;--chart-3:#81c995;--chart-4:#d7aefb;--chart-5:#fcad70;--chart-6:#78d9ec}}
[data-theme=light] .nw-chart{--chart-1:#0b57d0;--chart-2:#b00020;--chart-3:#137333;--chart-4:#8430ce;--chart-5:#9c4a00;--chart-6:#00727c}
[data-theme=dark] .nw-chart{--chart-1:#8ab4f8;--chart-2:#f28b82;--chart-3:#81c995;--chart-4:#d7aefb;--chart-5:#fcad70;--chart-6:#78d9ec}
.nw-chart figcaption{font-weight:600;margin-bottom:.25rem}
.nw-chart svg{display:block;width:100%;height:auto;overflow:visible}
.nw-chart text{fill:currentColor;font-size:11px}
.nw-chart .nw-chart-grid{stroke:var(--chart-grid);stroke-width:1}
.nw-chart .nw-chart-line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.nw-chart-legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.25rem 0;font-size:.875rem}
.nw-chart-legend span{display:inline-block;width:1.25rem;margin-right:.35rem;vertical-align:middle;border-top-width:3px}
.nw-chart details{font-size:.875rem}
.nw-chart table{border-collapse:collapse;margin-top:.25rem}
.nw-chart th,.nw-chart td{padding:.125rem .5rem;text-align:right;border-bottom:1px solid var(--chart-grid)}
.nw-chart th:first-child,.nw-chart td:first-child{text-align:left}
.nw-chart-empty{opacity:.75}`

// palette is how many colours the charts cycle through; dashes tell lines
// apart beyond colour.
const palette = 6

var dashes = []string{"", "6 3", "2 3", "8 3 2 3", "1 4", "10 4"}

// colour is the CSS colour of the i-th series.
func colour(i int) string { return "var(--chart-" + strconv.Itoa(i%palette+1) + ")" }

// dash is the dash pattern of the i-th series, "" for a solid line.
func dash(i int) string { return dashes[i%len(dashes)] }

const svgNS = "http://www.w3.org/2000/svg"

// svg returns an SVG element: go-app creates it in the SVG namespace in
// the browser.
func svg(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// text is an SVG text element at x, y.
func text(x, y float64, anchor, s string) app.HTMLElem {
	return svg("text").Attr("x", num(x)).Attr("y", num(y)).Attr("text-anchor", anchor).Text(s)
}

// line is a grid line from x1, y1 to x2, y2.
func line(x1, y1, x2, y2 float64) app.HTMLElem {
	return styled(svg("line").Attr("x1", num(x1)).Attr("y1", num(y1)).Attr("x2", num(x2)).Attr("y2", num(y2)), "nw-chart-grid")
}

// svgStyles are the styles of the SVG shapes' classes. go-app sets an
// element's class through its className property, which an SVG element
// does not take (it is an SVGAnimatedString): in the browser an SVG shape
// has no class, so the shapes carry their styles inline too; the class
// stays for the server's rendering and for CSS that can use it.
var svgStyles = map[string][][2]string{
	"nw-chart-grid": {{"stroke", "var(--chart-grid)"}, {"stroke-width", "1"}},
	"nw-chart-line": {{"fill", "none"}, {"stroke-width", "2"}, {"stroke-linejoin", "round"}, {"stroke-linecap", "round"}},
}

// styled gives an SVG shape a class of svgStyles and its styles inline.
func styled(e app.HTMLElem, class string) app.HTMLElem {
	e = e.Class(class)
	for _, kv := range svgStyles[class] {
		e = e.Style(kv[0], kv[1])
	}
	return e
}

// num prints a coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// niceMax is the top of a value axis: a round number at least max, and
// the step of its ticks (four of them).
func niceMax(max int64) (top, step int64) {
	if max <= 4 {
		return 4, 1
	}
	raw := float64(max) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if s := m * mag; s >= raw {
			step = int64(math.Ceil(s))
			break
		}
	}
	return step * 4, step
}

// Count prints a count short: 950, 1.2k, 12k, 3.4M.
func Count(n int64) string {
	switch f := float64(n); {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 10_000:
		return strings.TrimSuffix(strconv.FormatFloat(f/1000, 'f', 1, 64), ".0") + "k"
	case n < 1_000_000:
		return strconv.FormatInt((n+500)/1000, 10) + "k"
	default:
		return strings.TrimSuffix(strconv.FormatFloat(f/1e6, 'f', 1, 64), ".0") + "M"
	}
}

// slug makes an id out of a title, for the ids that tie a chart's title
// and description to it.
func slug(prefix, s string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// plural is "1 click", "2 clicks".
func plural(n int64, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%s %s", strconv.FormatInt(n, 10), unit)
}
