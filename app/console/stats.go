package console

import (
	"encoding/json"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/chart"
	"newswidget/app/news"
)

// Stats is the newsroom's statistics view: impressions and clicks over time
// (a line per partner) and the most clicked articles, by hour or by day,
// drawn by app/chart from GET /api/stats. Its state is in its fields; the
// report is fetched from OnMount and the event handlers, never from Render.
type Stats struct {
	app.Compo

	// Admin: the signed-in user sees everything. An editor sees the clicks
	// on the articles they published, and no impressions (the widget's).
	Admin bool

	api      API
	signOut  func() // the session ended: back to the sign-in form
	ctx      app.Context
	by       string // "hour" or "day"
	loading  bool
	seq      int // the latest request; older answers are dropped
	loaded   bool
	report   news.StatsReport
	errText  string
	announce string // the polite live region's text
}

// newStats is the view, talking to the server through api.
func newStats(api API, admin bool, signOut func()) *Stats {
	return &Stats{Admin: admin, api: api, signOut: signOut, by: "hour"}
}

// statsBy are the buckets the view offers: the API's by, and its label.
var statsBy = []struct{ value, label string }{
	{"hour", "Hour (last 48 hours)"},
	{"day", "Day (last 30 days)"},
}

// OnMount fetches the report.
func (s *Stats) OnMount(ctx app.Context) {
	if s.by == "" {
		s.by = "hour"
	}
	if s.api == nil || !app.IsClient {
		return
	}
	s.ctx = ctx
	s.fetch()
}

// fetch asks for the report by s.by; the answer to an older request (the
// choice changed meanwhile) is dropped.
func (s *Stats) fetch() {
	if s.api == nil {
		return
	}
	s.seq++
	seq, by := s.seq, s.by
	s.loading, s.errText = true, ""
	s.api.Do("GET", "/api/stats?by="+by, nil, func(status int, body []byte, err error) {
		if s.ctx == nil {
			return
		}
		s.ctx.Dispatch(func(app.Context) {
			if seq != s.seq {
				return
			}
			s.loading = false
			s.received(status, body, err)
		})
	})
}

// received takes the server's answer: a report, or an error shown as such.
func (s *Stats) received(status int, body []byte, err error) {
	switch {
	case err != nil:
		s.errText = "The server cannot be reached: " + err.Error()
	case status == 401:
		s.errText = "Your session has ended; sign in again."
		if s.signOut != nil {
			s.signOut()
		}
	case status != 200:
		_, msg := readError(status, body)
		s.errText = "The statistics could not be loaded: " + msg
	default:
		var r news.StatsReport
		if json.Unmarshal(body, &r) != nil || (r.By != "hour" && r.By != "day") {
			s.errText = "The statistics could not be loaded: the server's answer is not a report."
			return
		}
		s.report, s.loaded, s.errText = r, true, ""
		s.announce = "Statistics per " + r.By + ": " + plural(s.impressions(), "impression") + ", " + plural(r.Clicks, "click") + "."
		return
	}
	s.announce = s.errText
}

// impressions is the report's impressions as this user sees them.
func (s *Stats) impressions() int64 {
	if !s.Admin {
		return 0
	}
	return s.report.Impressions
}

// onBy switches between buckets of an hour and of a day.
func (s *Stats) onBy(ctx app.Context, e app.Event) {
	v := ctx.JSSrc().Get("value").String()
	if v != "hour" && v != "day" || v == s.by {
		return
	}
	s.by = v
	s.fetch()
}

// onRefresh fetches the report again.
func (s *Stats) onRefresh(ctx app.Context, e app.Event) { s.fetch() }

// Render draws the choice of buckets, the totals and the charts, or what
// stands in their place: loading, an error, or nothing counted yet.
func (s *Stats) Render() app.UI {
	r := s.report
	empty := s.loaded && r.Impressions == 0 && r.Clicks == 0
	return app.Elem("section").ID("nr-stats").Class("nr-stats").Aria("labelledby", "nr-stats-heading").Aria("busy", cond(s.loading, "true")).Body(
		app.Elem("div").Class("nr-list-head").Body(
			app.Elem("h2").ID("nr-stats-heading").Text("Statistics"),
			app.Elem("button").Attr("type", "button").Class("nr-quiet").Attr("disabled", s.loading || s.api == nil).OnClick(s.onRefresh).Text("Refresh"),
		),
		app.Elem("div").Class("nr-filters").Body(
			field("nr-stats-by", "Counts per", "", app.Elem("select").ID("nr-stats-by").OnChange(s.onBy).Body(
				app.Range(statsBy).Slice(func(i int) app.UI { return option(statsBy[i].value, statsBy[i].label, s.by) }),
			)),
		),
		when(!s.Admin, func() app.UI {
			return app.Elem("p").Class("nr-hint").Text("You see the clicks on the articles you published. Impressions are the widget's, not an article's: an admin sees them.")
		}),
		when(s.errText != "", func() app.UI {
			return app.Elem("p").ID("nr-stats-error").Class("nr-error").Attr("role", "alert").Text(s.errText)
		}),
		when(s.loading && !s.loaded, func() app.UI { return app.Elem("p").Class("nr-hint").Text("Loading the statistics…") }),
		when(empty, func() app.UI {
			return app.Elem("p").ID("nr-stats-empty").Class("nr-notice").Text("No impressions or clicks yet. Counts reach the statistics within a minute of a reader's view or click.")
		}),
		when(s.loaded && !empty, func() app.UI { return s.renderCharts() }),
		app.Elem("p").Class("nr-sr").Attr("role", "status").Text(s.announce),
	)
}

// renderCharts is the totals, the timelines and the top articles.
func (s *Stats) renderCharts() app.UI {
	r := s.report
	totals := []app.UI{}
	if s.Admin {
		totals = append(totals, app.Elem("li").Body(app.Elem("strong").Text(chart.Count(r.Impressions)), app.Text(" "+unit(r.Impressions, "impression"))))
	}
	totals = append(totals, app.Elem("li").Body(app.Elem("strong").Text(chart.Count(r.Clicks)), app.Text(" "+unit(r.Clicks, "click"))))
	return app.Elem("div").Class("nr-charts").Body(
		app.Elem("ul").Class("nr-totals").Aria("label", "Totals").Body(totals...),
		when(s.Admin, func() app.UI { return chart.Impressions(r) }),
		chart.Clicks(r),
		chart.Top(r),
	)
}

// unit is "impression" or "impressions" for n.
func unit(n int64, one string) string {
	if n == 1 {
		return one
	}
	return one + "s"
}

// plural is "1 click", "2 clicks".
func plural(n int64, one string) string {
	return chart.Count(n) + " " + unit(n, one)
}
