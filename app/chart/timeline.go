package chart

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// MaxBuckets is the most buckets a Timeline draws; a longer span asks for
// a coarser bucket (by day rather than by hour).
const MaxBuckets = 1000

// The drawing's box, in viewBox units: about a pixel each on a 390 px
// phone, and scaled up (to the CSS max-width) on a wider screen.
const (
	tlWidth, tlHeight   = 360.0, 190.0
	tlLeft, tlRight     = 34.0, 8.0
	tlTop, tlBottom     = 8.0, 24.0
	tlPlotW, tlPlotH    = tlWidth - tlLeft - tlRight, tlHeight - tlTop - tlBottom
	tlXTicks            = 4
	tlHourLabel         = "15:04"
	tlDayLabel          = "Jan 2"
	tlTableTimeByHour   = "Jan 2 15:04"
	tlTableTimeByDay    = "Mon Jan 2"
	tlDescriptionMaxLen = 8 // series named in the description at most
)

// Timeline is a line chart of counts over time, one line per series (a
// partner's impressions, say), over whole buckets from From to To (UTC).
type Timeline struct {
	app.Compo
	Title  string        // "Impressions per hour"
	Unit   string        // what is counted, plural: "impressions"
	Bucket time.Duration // time.Hour or 24 * time.Hour
	From   time.Time     // the first bucket's start
	To     time.Time     // the end of the last bucket
	Series []Series
}

// buckets returns the starts of the buckets from From to To, nil when
// there are none or too many.
func (t *Timeline) buckets() []time.Time {
	if t.Bucket <= 0 || !t.From.Before(t.To) || t.To.Sub(t.From)/t.Bucket > MaxBuckets {
		return nil
	}
	var out []time.Time
	for at := t.From.UTC(); at.Before(t.To); at = at.Add(t.Bucket) {
		out = append(out, at)
	}
	return out
}

// values is each series' count per bucket, and the largest.
func (t *Timeline) values(buckets []time.Time) ([][]int64, []int64, int64) {
	index := make(map[int64]int, len(buckets))
	for i, b := range buckets {
		index[b.Unix()] = i
	}
	vals := make([][]int64, len(t.Series))
	totals := make([]int64, len(t.Series))
	var max int64
	for s, sr := range t.Series {
		vals[s] = make([]int64, len(buckets))
		for _, p := range sr.Points {
			if i, ok := index[p.At.UTC().Truncate(t.Bucket).Unix()]; ok {
				vals[s][i] += p.Value
				totals[s] += p.Value
			}
		}
		for _, v := range vals[s] {
			max = maxOf(max, v)
		}
	}
	return vals, totals, max
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Render draws the chart, its legend and its table.
func (t *Timeline) Render() app.UI {
	id := slug("nw-chart-", t.Title)
	buckets := t.buckets()
	fig := app.Figure().Class("nw-chart").ID(id)
	caption := app.FigCaption().ID(id + "-title").Text(t.Title)
	if len(buckets) == 0 || len(t.Series) == 0 {
		return fig.Body(caption, app.P().Class("nw-chart-empty").Text("No "+t.Unit+" in this period."))
	}
	vals, totals, max := t.values(buckets)
	top, step := niceMax(max)
	x := func(i int) float64 {
		if len(buckets) == 1 {
			return tlLeft + tlPlotW/2
		}
		return tlLeft + tlPlotW*float64(i)/float64(len(buckets)-1)
	}
	y := func(v int64) float64 { return tlTop + tlPlotH*(1-float64(v)/float64(top)) }

	var body []app.UI
	body = append(body, svg("title").ID(id+"-svg-title").Text(t.Title), svg("desc").ID(id+"-desc").Text(t.describe(buckets, vals, totals)))
	for v := int64(0); v <= top; v += step { // the value axis: grid lines and labels
		body = append(body, line(tlLeft, y(v), tlWidth-tlRight, y(v)), text(tlLeft-4, y(v)+4, "end", Count(v)))
	}
	layout := t.timeLayout()
	for k := 0; k < tlXTicks; k++ { // the time axis
		i := k * (len(buckets) - 1) / max1(tlXTicks-1)
		if k > 0 && i == (k-1)*(len(buckets)-1)/max1(tlXTicks-1) {
			continue
		}
		anchor := map[int]string{0: "start", tlXTicks - 1: "end"}[k]
		if anchor == "" {
			anchor = "middle"
		}
		body = append(body, text(x(i), tlHeight-6, anchor, buckets[i].Format(layout)))
	}
	for s := range t.Series {
		pts := make([]string, len(buckets))
		for i, v := range vals[s] {
			pts[i] = num(x(i)) + "," + num(y(v))
		}
		el := styled(svg("polyline"), "nw-chart-line").Attr("points", strings.Join(pts, " ")).
			Style("stroke", colour(s))
		if d := dash(s); d != "" {
			el = el.Attr("stroke-dasharray", d)
		}
		if len(buckets) == 1 { // a single bucket: a dot, not a line
			el = svg("circle").Attr("cx", num(x(0))).Attr("cy", num(y(vals[s][0]))).Attr("r", "3").Style("fill", colour(s))
		}
		body = append(body, el)
	}
	chart := svg("svg").Attr("viewBox", fmt.Sprintf("0 0 %s %s", num(tlWidth), num(tlHeight))).
		Attr("role", "img").Attr("aria-labelledby", id+"-svg-title").Attr("aria-describedby", id+"-desc").
		Attr("preserveAspectRatio", "xMidYMid meet").Body(body...)

	legend := make([]app.UI, len(t.Series))
	for s, sr := range t.Series {
		style := "solid"
		if dash(s) != "" {
			style = "dashed"
		}
		legend[s] = app.Li().Body(
			app.Span().Aria("hidden", "true").Style("border-top-style", style).Style("border-top-color", colour(s)),
			app.Text(fmt.Sprintf("%s: %s", sr.Name, plural(totals[s], t.Unit))))
	}
	return fig.Aria("labelledby", id+"-title").Body(caption, chart, app.Ul().Class("nw-chart-legend").Body(legend...), t.table(buckets, vals))
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// timeLayout is how the time axis prints a bucket: hours within a day,
// else days.
func (t *Timeline) timeLayout() string {
	if t.Bucket < 24*time.Hour && t.To.Sub(t.From) <= 24*time.Hour {
		return tlHourLabel
	}
	if t.Bucket < 24*time.Hour {
		return tlDayLabel + " 15h"
	}
	return tlDayLabel
}

// describe says in words what the chart shows, for screen readers.
func (t *Timeline) describe(buckets []time.Time, vals [][]int64, totals []int64) string {
	per := "hour"
	if t.Bucket >= 24*time.Hour {
		per = "day"
	}
	var parts []string
	for s, sr := range t.Series {
		if s == tlDescriptionMaxLen {
			parts = append(parts, fmt.Sprintf("and %d more", len(t.Series)-s))
			break
		}
		peak, at := int64(0), 0
		for i, v := range vals[s] {
			if v > peak {
				peak, at = v, i
			}
		}
		d := fmt.Sprintf("%s %s", sr.Name, plural(totals[s], t.Unit))
		if peak > 0 {
			d += fmt.Sprintf(" (most in one %s: %d, %s)", per, peak, buckets[at].Format(tlTableTimeByHour))
		}
		parts = append(parts, d)
	}
	return fmt.Sprintf("%s per %s, %s to %s UTC: %s.", capital(t.Unit), per,
		t.From.UTC().Format(tlTableTimeByHour), t.To.UTC().Format(tlTableTimeByHour), strings.Join(parts, "; "))
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// table is the chart's numbers: a row per bucket with a count, a column
// per series.
func (t *Timeline) table(buckets []time.Time, vals [][]int64) app.UI {
	layout := tlTableTimeByHour
	if t.Bucket >= 24*time.Hour {
		layout = tlTableTimeByDay
	}
	head := []app.UI{app.Th().Scope("col").Text("UTC")}
	for _, sr := range t.Series {
		head = append(head, app.Th().Scope("col").Text(sr.Name))
	}
	var rows []app.UI
	for i, b := range buckets {
		cells := []app.UI{app.Th().Scope("row").Text(b.Format(layout))}
		any := false
		for s := range t.Series {
			any = any || vals[s][i] != 0
			cells = append(cells, app.Td().Text(vals[s][i]))
		}
		if any {
			rows = append(rows, app.Tr().Body(cells...))
		}
	}
	return app.Details().Body(
		app.Summary().Text("The numbers ("+plural(int64(len(rows)), "rows")+" with "+t.Unit+")"),
		app.Table().Body(app.Caption().Text(t.Title), app.THead().Body(app.Tr().Body(head...)), app.TBody().Body(rows...)))
}
