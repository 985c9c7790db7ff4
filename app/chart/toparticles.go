package chart

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// The bars' box, in viewBox units (see Timeline's).
const (
	barWidth    = 360.0
	barRowH     = 34.0 // a label line over a bar
	barH        = 12.0
	barLabelLen = 52 // characters of a label drawn; the table has them whole
	barValueW   = 40.0
)

// TopArticles is a horizontal bar chart of the most clicked articles, most
// first, each bar labelled with its title above it, so that the titles stay
// readable on a phone.
type TopArticles struct {
	app.Compo
	Title string // "Most clicked articles"
	Unit  string // "clicks"
	Bars  []Bar  // most first
}

// Render draws the bars and their table.
func (t *TopArticles) Render() app.UI {
	id := slug("nw-chart-", t.Title)
	fig := app.Figure().Class("nw-chart").ID(id)
	caption := app.FigCaption().ID(id + "-title").Text(t.Title)
	var max int64
	for _, b := range t.Bars {
		max = maxOf(max, b.Value)
	}
	if len(t.Bars) == 0 || max == 0 {
		return fig.Body(caption, app.P().Class("nw-chart-empty").Text("No "+t.Unit+" in this period."))
	}
	height := barRowH*float64(len(t.Bars)) + 4
	body := []app.UI{svg("title").ID(id + "-svg-title").Text(t.Title), svg("desc").ID(id + "-desc").Text(t.describe())}
	for i, b := range t.Bars {
		y := barRowH * float64(i)
		w := (barWidth - barValueW) * float64(b.Value) / float64(max)
		body = append(body, svg("g").Body(
			svg("title").Text(fmt.Sprintf("%s: %s", b.Label, plural(b.Value, t.Unit))),
			text(0, y+12, "start", clip(b.Label, barLabelLen)),
			svg("rect").Attr("x", "0").Attr("y", num(y+17)).Attr("width", num(maxF(w, 1))).Attr("height", num(barH)).
				Attr("rx", "2").Style("fill", colour(0)),
			text(maxF(w, 1)+4, y+27, "start", Count(b.Value)),
		))
	}
	chart := svg("svg").Attr("viewBox", fmt.Sprintf("0 0 %s %s", num(barWidth), num(height))).
		Attr("role", "img").Attr("aria-labelledby", id+"-svg-title").Attr("aria-describedby", id+"-desc").Body(body...)
	rows := make([]app.UI, len(t.Bars))
	for i, b := range t.Bars {
		rows[i] = app.Tr().Body(app.Th().Scope("row").Text(b.Label), app.Td().Text(b.Value))
	}
	table := app.Details().Body(app.Summary().Text("The numbers"),
		app.Table().Body(app.Caption().Text(t.Title),
			app.THead().Body(app.Tr().Body(app.Th().Scope("col").Text("Article"), app.Th().Scope("col").Text(capital(t.Unit)))),
			app.TBody().Body(rows...)))
	return fig.Aria("labelledby", id+"-title").Body(caption, chart, table)
}

// describe says in words what the chart shows.
func (t *TopArticles) describe() string {
	parts := make([]string, 0, len(t.Bars))
	for i, b := range t.Bars {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(t.Bars)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%q %s", b.Label, plural(b.Value, t.Unit)))
	}
	return fmt.Sprintf("%d articles by %s, most first: %s.", len(t.Bars), t.Unit, strings.Join(parts, "; "))
}

// clip shortens s to n characters, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func maxF(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
