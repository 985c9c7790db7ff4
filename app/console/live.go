package console

import (
	"encoding/json"
	"strconv"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Live is the view of the back-off switch, which tells every open widget
// to hold its live stream (normal), poll (slow) or stop (paused): the mode
// served now and who set it, from GET /api/live when the view opens. An
// admin switches it (PUT /api/live), pausing only after a confirmation; an
// editor sees it read-only. Its state is in its fields; requests go from
// OnMount and the event handlers, and their answers come back through the
// console's context.
type Live struct {
	app.Compo

	// Admin: the signed-in user may switch the mode.
	Admin bool
	// Heard counts the moves of the switch the console's event stream told
	// of: each one makes the view ask for the mode again.
	Heard int

	api  API
	link // back to the console

	report   liveReport
	loaded   bool
	loading  bool
	busy     bool   // a switch is on its way
	confirm  bool   // the pause's confirmation is shown
	errText  string // why the mode could not be read or switched
	announce string // the polite live region's text
}

// liveReport is the part of GET and PUT /api/live's answer the view shows.
type liveReport struct {
	Mode       news.LiveMode    `json:"mode"`
	SetBy      string           `json:"set_by"` // "person", "auto" (this server's overload) or "default"
	Setting    news.LiveSetting `json:"setting"`
	Overload   bool             `json:"overload"`
	Streams    int              `json:"streams"`
	MaxStreams int              `json:"max_streams"`
}

// liveModes are the switch's positions: the mode, its button's label and
// what it does to the widgets.
var liveModes = []struct {
	mode         news.LiveMode
	label, about string
}{
	{news.LiveNormal, "Normal", "Widgets hold their stream: news arrive at once."},
	{news.LiveSlow, "Slow", "Widgets poll: news arrive within a minute, at a fraction of the load."},
	{news.LivePaused, "Paused", "Widgets stop live updates and check back every few minutes; they keep the news they show."},
}

// newLive is the view, talking to the server through api and back to the
// console through lk.
func newLive(api API, admin bool, heard int, lk link) *Live {
	return &Live{Admin: admin, Heard: heard, api: api, link: lk}
}

// OnMount fetches the mode.
func (l *Live) OnMount(ctx app.Context) {
	if l.api == nil || !app.IsClient {
		return
	}
	l.fetch()
}

// OnUpdate asks for the mode again when the console heard the switch move
// (someone else switched it, or this server slowed itself down).
func (l *Live) OnUpdate(ctx app.Context) {
	if l.api != nil && app.IsClient && !l.loading {
		l.fetch()
	}
}

// fetch asks for the mode.
func (l *Live) fetch() {
	if l.api == nil {
		return
	}
	l.loading = true
	l.api.Do("GET", "/api/live", nil, func(status int, body []byte, err error) {
		l.answer(l, func() {
			l.loading = false
			l.received("The live updates' mode could not be read: ", status, body, err)
		})
	})
}

// received takes an answer of GET or PUT /api/live: the mode, or an error
// prefixed with what failed.
func (l *Live) received(what string, status int, body []byte, err error) {
	var r liveReport
	switch {
	case err != nil:
		l.errText = "The server cannot be reached: " + err.Error()
	case status == 401:
		l.errText = "Your session has ended; sign in again."
		l.ended()
	case status != 200:
		_, msg := readError(status, body)
		l.errText = what + msg
	case json.Unmarshal(body, &r) != nil || modeLabel(r.Mode) == "":
		l.errText = what + "the server's answer is not a mode."
	default:
		l.report, l.loaded, l.errText = r, true, ""
		l.announce = "Live updates: " + modeLabel(r.Mode) + "."
		return
	}
	l.announce = l.errText
}

// onRefresh reads the mode again.
func (l *Live) onRefresh(ctx app.Context, e app.Event) { l.fetch() }

// onMode switches to a mode; a pause is confirmed first.
func (l *Live) onMode(m news.LiveMode) {
	if l.busy || !l.Admin {
		return
	}
	if m == news.LivePaused {
		l.confirm = true
		l.focus("nr-live-confirm-yes")
		return
	}
	l.confirm = false
	l.put(m)
}

// onConfirmPause pauses every widget's live updates.
func (l *Live) onConfirmPause(ctx app.Context, e app.Event) {
	l.confirm = false
	l.put(news.LivePaused)
	l.focus(modeID(news.LivePaused))
}

// onCancelPause closes the confirmation, back to Paused.
func (l *Live) onCancelPause(ctx app.Context, e app.Event) {
	l.confirm = false
	l.focus(modeID(news.LivePaused))
}

// onConfirmKey closes the confirmation on Escape.
func (l *Live) onConfirmKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		l.onCancelPause(ctx, e)
	}
}

// put sends the mode m.
func (l *Live) put(m news.LiveMode) {
	if l.api == nil {
		return
	}
	l.busy, l.errText = true, ""
	l.api.Do("PUT", "/api/live", map[string]string{"mode": string(m)}, func(status int, body []byte, err error) {
		l.answer(l, func() {
			l.busy = false
			l.received("The live updates could not be switched to "+modeLabel(m)+": ", status, body, err)
		})
	})
}

// Render draws the mode served now and who set it, and for an admin the
// switch: a button per mode, the current one pressed.
func (l *Live) Render() app.UI {
	r := l.report
	return app.Elem("section").ID("nr-live").Class("nr-stats", "nr-live").Aria("labelledby", "nr-live-heading").Aria("busy", cond(l.loading || l.busy, "true")).Body(
		app.Elem("div").Class("nr-list-head").Body(
			app.Elem("h2").ID("nr-live-heading").Text("Live updates"),
			app.Elem("button").Attr("type", "button").Class("nr-quiet").Attr("disabled", l.loading || l.api == nil).OnClick(l.onRefresh).Text("Refresh"),
		),
		app.Elem("p").Class("nr-hint").Text("Every open widget follows this switch: slow or pause the live updates when the servers are under too much load."),
		when(l.loading && !l.loaded, func() app.UI { return app.Elem("p").Class("nr-hint").Text("Reading the mode…") }),
		when(l.loaded, func() app.UI {
			return app.Elem("p").ID("nr-live-current").Class("nr-notice").Body(
				app.Text("Now: "), app.Elem("strong").Text(modeLabel(r.Mode)), app.Text(". "+l.who()),
			)
		}),
		when(l.errText != "", func() app.UI {
			return app.Elem("p").ID("nr-live-error").Class("nr-error").Attr("role", "alert").Text(l.errText)
		}),
		when(l.Admin, func() app.UI { return l.renderSwitch() }),
		when(!l.Admin, func() app.UI {
			return app.Elem("p").Class("nr-hint").Text("Only an admin can switch the live updates.")
		}),
		app.Elem("p").Class("nr-sr").Attr("role", "status").Text(l.announce),
	)
}

// renderSwitch is the admin's switch: a button per mode, with what each
// does, and the pause's confirmation.
func (l *Live) renderSwitch() app.UI {
	return app.Elem("div").Class("nr-live-switch").Body(
		app.Elem("p").ID("nr-live-choice").Class("nr-live-label").Text("Switch every widget to"),
		app.Elem("div").Class("nr-live-modes").Attr("role", "group").Aria("labelledby", "nr-live-choice").Body(
			app.Range(liveModes).Slice(func(i int) app.UI {
				m := liveModes[i]
				on := l.loaded && l.report.Mode == m.mode
				return app.Elem("div").Class("nr-live-mode").Body(
					app.Elem("button").ID(modeID(m.mode)).Attr("type", "button").Class("nr-tab").
						Aria("pressed", strconv.FormatBool(on)).Aria("describedby", modeID(m.mode)+"-about").
						Attr("disabled", l.busy || l.api == nil).
						OnClick(func(ctx app.Context, e app.Event) { l.onMode(m.mode) }, string(m.mode)).Text(m.label),
					app.Elem("span").ID(modeID(m.mode)+"-about").Class("nr-hint").Text(m.about),
				)
			}),
		),
		when(l.confirm, func() app.UI {
			return app.Elem("div").ID("nr-live-confirm").Class("nr-confirm").Attr("role", "group").Aria("labelledby", "nr-live-confirm-text").
				OnKeyDown(l.onConfirmKey).Body(
				app.Elem("p").ID("nr-live-confirm-text").Text("Pause the live updates of every open widget? Readers see no new article until the switch is back to Normal or Slow."),
				app.Elem("button").ID("nr-live-confirm-yes").Attr("type", "button").Class("nr-danger").OnClick(l.onConfirmPause).Text("Confirm pause"),
				app.Elem("button").Attr("type", "button").Class("nr-quiet").OnClick(l.onCancelPause).Text("Cancel"),
			)
		}),
	)
}

// who says who set the mode served now.
func (l *Live) who() string {
	r := l.report
	switch r.SetBy {
	case "auto":
		s := "This server slowed down by itself: its open streams are near their limit"
		if r.MaxStreams > 0 {
			s += " (" + strconv.Itoa(r.Streams) + " of " + strconv.Itoa(r.MaxStreams) + ")"
		}
		return s + ". It returns to the switch's setting, " + modeLabel(r.Setting.Mode) + ", when they are well below it."
	case "person":
		s := "Set by " + r.Setting.By
		if !r.Setting.At.IsZero() {
			s += ", " + r.Setting.At.UTC().Format("2 Jan 2006 15:04 UTC")
		}
		return s + "."
	}
	return "No one has switched it."
}

// modeLabel is a mode's name in the console, "" for none it knows.
func modeLabel(m news.LiveMode) string {
	for _, lm := range liveModes {
		if lm.mode == m {
			return lm.label
		}
	}
	return ""
}

// modeID is the id of a mode's button.
func modeID(m news.LiveMode) string { return "nr-live-" + string(m) }
