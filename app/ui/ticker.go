package ui

import (
	"strconv"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Ticker is the Flash News bar: a label, then the flash headlines scrolling
// in an endless CSS loop, with a pause/play button. The loop holds the items
// twice so it can wrap without a jump; the second copy is aria-hidden.
type Ticker struct {
	app.Compo

	Label  string
	Items  []news.Article
	Speed  int // pixels per second
	Target string
	Locale string

	paused bool
	motion tickerMotion // client only: measured widths, keeps the loop steady
}

// Render draws the bar. The duration is an estimate from the text length;
// in the browser OnMount and OnUpdate replace it with a measured one.
func (t *Ticker) Render() app.UI {
	s := Locale(t.Locale)
	toggle := s.Pause
	if t.paused {
		toggle = s.Play
	}
	return app.Elem("section").
		Class("nw-ticker").
		Class(cond(t.paused, "nw-paused")).
		Aria("labelledby", "nw-ticker-label").
		Body(
			// the label is publisher text: it goes in as text, never into an
			// attribute, where go-app's quoting would not escape it
			Isolated(app.Elem("h2").ID("nw-ticker-label").Class("nw-ticker-label"), t.Label),
			app.Elem("div").Class("nw-viewport").Body(
				app.Elem("div").
					Class("nw-track").
					Style("animation-duration", strconv.FormatFloat(t.estimate(), 'f', 1, 64)+"s").
					Body(t.copy(s, false), t.copy(s, true)),
			),
			app.Elem("button").
				Attr("type", "button").
				Class("nw-toggle").
				Aria("pressed", strconv.FormatBool(t.paused)).
				Aria("label", toggle).
				Title(toggle).
				OnClick(t.onToggle).
				Body(app.Elem("span").Class(cond(t.paused, "nw-icon-play", "nw-icon-pause")).Aria("hidden", "true")),
		)
}

func (t *Ticker) copy(s Strings, hidden bool) app.UI {
	ul := app.Elem("ul").Class("nw-copy")
	if hidden {
		// inert as well: go-app prints aria-hidden="true" as a bare
		// attribute in the prerender, which assistive tech may not honour
		ul = ul.Aria("hidden", "true").Attr("inert", true)
	}
	return ul.Body(app.Range(t.Items).Slice(func(i int) app.UI {
		a := t.Items[i]
		link := Isolated(articleLink(a, t.Target).Class("nw-headline"), a.Title)
		if hidden {
			link = link.TabIndex(-1)
		}
		return app.Elem("li").Class("nw-flash", cond(a.Pinned, "nw-pinned")).DataSet("id", a.ID).Body(Breaking(a, s), link)
	}))
}

// estimate guesses the loop's duration from the text length, for the
// prerender, where nothing can be measured.
func (t *Ticker) estimate() float64 {
	px := 0
	for _, a := range t.Items {
		px += utf8.RuneCountInString(a.Title)*8 + 48
		if a.Urgent {
			px += 80
		}
	}
	speed := t.Speed
	if speed <= 0 {
		speed = news.DefaultSpeed
	}
	if px == 0 {
		return 1
	}
	return float64(px) / float64(speed)
}

// OnInit starts paused if the reader paused the prerendered ticker before
// the Go program woke.
func (t *Ticker) OnInit() { t.paused = PrerenderedPaused }

func (t *Ticker) onToggle(ctx app.Context, e app.Event) {
	t.paused = !t.paused
}

// OnMount measures the loop once the ticker is in the page.
func (t *Ticker) OnMount(ctx app.Context) {
	t.motion.adopt = true
	ctx.Defer(t.measure)
}

// OnUpdate re-measures after new items, keeping the headline in view in place.
func (t *Ticker) OnUpdate(ctx app.Context) { ctx.Defer(t.measure) }

func (t *Ticker) measure(ctx app.Context) {
	if app.IsServer {
		return
	}
	t.motion.measure(ctx.JSSrc(), t.Speed)
}

func cond(ok bool, yes string, no ...string) string {
	if ok {
		return yes
	}
	if len(no) > 0 {
		return no[0]
	}
	return ""
}
