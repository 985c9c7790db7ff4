package console

import (
	"net/url"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Register mounts the console on Path, talking to the server through api
// (nil on the server, which renders the sign-in shell).
func Register(api API) {
	app.RouteFunc(Path, func() app.Composer { return &Console{api: api} })
}

// Console is the newsroom: the sign-in form until an editor is signed in,
// then the list of articles beside the compose and edit form and its live
// preview. Its state is in its fields; requests go through the API, from
// event handlers and OnMount, never from Render.
type Console struct {
	app.Compo

	api     API
	ctx     app.Context // the console's own, from OnMount: see dispatch
	ready   bool        // the browser side runs (the wasm's render)
	checked bool        // the session has been asked for
	user    User

	signName, signPassword, signError string
	signBusy                          bool

	articles []news.Article
	editors  map[string]string
	filter   filter
	now      time.Time

	draft   draft             // the article in the form, as typed
	form    draft             // the draft as last loaded into the form: what its controls are rendered with
	errs    map[string]string // by API field name; "" for the form as a whole
	busy    bool
	confirm bool   // the delete confirmation is shown
	changed bool   // the article in the form was changed by someone else meanwhile
	status  string // the polite live region's text

	next  string // the cursor of the page after the articles shown; "": none
	pages int    // the pages of articles shown: more than one after "Show older articles"

	fetching                bool // a listing request runs (older.go)
	reloadAgain, olderAgain bool // asked for while it ran
	stop                    func()

	view      string // viewArticles, viewStats, viewPartners or viewLive
	liveHeard int    // the back-off switch's moves the stream told of
}

// The console's views, which its navigation switches between.
const (
	viewArticles = ""
	viewStats    = "stats"
	viewPartners = "partners" // admins only
	viewLive     = "live"
)

// viewNames are the views' names in the navigation, and what the polite
// live region says when one opens.
var viewNames = map[string]string{
	viewArticles: "Articles", viewStats: "Statistics", viewPartners: "Partners", viewLive: "Live updates",
}

// filter is what the list shows.
type filter struct {
	Flash    string // "", "flash", "other"
	Category string
	Editor   string
}

// OnMount asks who is signed in and starts the live updates.
func (c *Console) OnMount(ctx app.Context) {
	c.now = time.Now()
	if c.api == nil || !app.IsClient {
		return
	}
	c.ctx, c.ready = ctx, true
	c.reload(ctx)
	c.tick(ctx)
}

// follow holds the event stream while someone is signed in, and only then:
// opened after the sign-in, the stream carries the session, so the server
// serves it whatever the back-off switch tells the readers.
func (c *Console) follow() {
	switch {
	case c.user.Name != "" && c.stop == nil && c.api != nil:
		c.stop = c.api.Subscribe(func(event string) {
			c.dispatch(func(ctx app.Context) {
				if event == "live" {
					c.liveHeard++
				} else if c.user.Name != "" {
					c.reload(ctx)
				}
			})
		})
	case c.user.Name == "" && c.stop != nil:
		c.stop()
		c.stop = nil
	}
}

// OnDismount stops the live updates.
func (c *Console) OnDismount() {
	if c.stop != nil {
		c.stop()
	}
}

// dispatch runs fn on the UI goroutine and renders the console after it.
// A response must come back through the console's own context: go-app
// drops a dispatch whose source element is gone, and the button or form
// an event came from is often gone by the time its response arrives.
// Outside a browser (tests; the server makes no requests) it runs fn at
// once.
func (c *Console) dispatch(fn func(app.Context)) {
	switch {
	case c.ctx != nil:
		c.ctx.Dispatch(func(ctx app.Context) {
			fn(ctx)
			c.follow()
		})
	case !app.IsClient:
		fn(nil)
		c.follow()
	}
}

// link is how a view the console mounts (the partners, the live updates)
// talks back to it: the console's dispatch, through which the view's
// responses come, and the console's word that the session ended.
type link struct {
	dispatch func(func(app.Context)) // nil: at once, as in tests
	signOut  func()
}

// answer runs fn with a response on the UI goroutine, through the
// console's context (the button that asked may be gone by then, and go-app
// drops a dispatch whose source left the page), then renders view if it is
// still in the page.
func (l link) answer(view app.Composer, fn func()) {
	if l.dispatch == nil {
		fn()
		return
	}
	l.dispatch(func(app.Context) {
		fn()
		if view.Mounted() {
			view.Update()
		}
	})
}

// after runs fn after the next render, in the browser.
func (l link) after(fn func()) {
	if l.dispatch == nil || !app.IsClient {
		return
	}
	l.dispatch(func(ctx app.Context) { ctx.Defer(func(app.Context) { fn() }) })
}

// focus moves the keyboard focus to the element with id, after the next
// render.
func (l link) focus(id string) {
	l.after(func() {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	})
}

// ended tells the console the session ended.
func (l link) ended() {
	if l.signOut != nil {
		l.signOut()
	}
}

// focus moves the keyboard focus to the element with id, after the render.
func (c *Console) focus(id string) {
	if c.ctx == nil {
		return
	}
	c.ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	})
}

// load puts a draft into the form. The controls are rendered with the
// loaded values, not the typed ones: re-rendering each keystroke's value
// would write a stale one back over keys typed since, and lose them. So a
// load also sets the controls' values itself, which covers loading the
// values the controls were last rendered with.
func (c *Console) load(d draft) {
	c.draft, c.form = d, d
	if c.ctx == nil {
		return
	}
	c.ctx.Defer(func(app.Context) {
		doc := app.Window().Get("document")
		for name, id := range fieldIDs {
			el := doc.Call("getElementById", id)
			if !el.Truthy() {
				continue
			}
			if v, ok := d.value(name); ok {
				el.Set("value", v)
			} else if b, ok := d.flag(name); ok {
				el.Set("checked", b)
			}
		}
	})
}

// tick refreshes the clock the list and the preview count from.
func (c *Console) tick(ctx app.Context) {
	ctx.After(15*time.Second, func(ctx app.Context) {
		c.now = time.Now()
		c.tick(ctx)
	})
}

// loaded takes a fresh listing, noting when the article being edited
// changed under the editor.
func (c *Console) loaded(l Listing) {
	c.user, c.articles, c.editors, c.next = l.User, l.Articles, l.Editors, l.Next
	if c.draft.ID == "" {
		return
	}
	for _, a := range l.Articles {
		if a.ID == c.draft.ID {
			c.changed = !a.Equal(c.draft.orig)
			return
		}
	}
	c.changed = true // deleted meanwhile
}

// Render draws the sign-in form or the newsroom: the articles (the list,
// the form and its preview), the statistics, the partners (admins) or the
// live updates' switch. The articles stay in the page while another view
// is shown, hidden, so that a draft being typed survives a look elsewhere;
// the other views are mounted afresh each time they open, so each shows
// what the server says then.
func (c *Console) Render() app.UI {
	root := app.Elem("div").ID("newsroom").Class("nr")
	if c.ready {
		root = root.DataSet("ready", "1")
	}
	if c.user.Name == "" {
		return root.Body(c.renderHeader(), c.renderSignIn())
	}
	view := c.shown()
	articles := view == viewArticles
	admin := c.user.Role == news.RoleAdmin
	return root.Body(
		when(articles, func() app.UI { return app.Elem("a").Class("nr-skip").Attr("href", "#nr-form").Text("Skip to the form") }),
		c.renderHeader(),
		app.Elem("main").Class("nr-main").Attr("hidden", !articles).Body(
			c.renderList(),
			c.renderEditor(),
		),
		when(view == viewStats, func() app.UI {
			return app.Elem("main").Class("nr-stats-main").Body(newStats(c.api, admin, c.sessionEnded))
		}),
		when(view == viewPartners, func() app.UI {
			return app.Elem("main").Class("nr-stats-main").Body(newPartners(c.api, link{c.dispatch, c.sessionEnded}))
		}),
		when(view == viewLive, func() app.UI {
			return app.Elem("main").Class("nr-stats-main").Body(newLive(c.api, admin, c.liveHeard, link{c.dispatch, c.sessionEnded}))
		}),
		app.Elem("p").Class("nr-sr").Attr("role", "status").Text(c.status),
	)
}

// shown is the view to draw: the partners are an admin's, so anyone else
// (an admin whose role changed meanwhile) sees the articles instead.
func (c *Console) shown() string {
	if c.view == viewPartners && c.user.Role != news.RoleAdmin {
		return viewArticles
	}
	return c.view
}

// renderHeader is the bar with the console's name and, signed in, its
// navigation and who is signed in.
func (c *Console) renderHeader() app.UI {
	return app.Elem("header").Class("nr-header").Body(
		app.Elem("h1").Text("Newsroom"),
		app.If(c.user.Name != "",
			app.Elem("nav").Class("nr-nav").Aria("label", "Newsroom").Body(
				c.navButton(viewArticles),
				c.navButton(viewStats),
				when(c.user.Role == news.RoleAdmin, func() app.UI { return c.navButton(viewPartners) }),
				c.navButton(viewLive),
			),
			app.Elem("div").Class("nr-who").Body(
				app.Elem("span").Text(c.user.Name+" · "+string(c.user.Role)),
				app.Elem("button").Attr("type", "button").Class("nr-quiet").OnClick(c.onSignOut).Text("Sign out"),
			),
		),
	)
}

// navButton switches to a view; the current one says so.
func (c *Console) navButton(view string) app.UI {
	return app.Elem("button").Attr("type", "button").Class("nr-tab").
		Aria("current", cond(c.shown() == view, "page")).
		OnClick(func(ctx app.Context, e app.Event) { c.show(view) }, view).Text(viewNames[view])
}

// show switches to a view.
func (c *Console) show(view string) {
	if view == c.view {
		return
	}
	c.view = view
	c.status = viewNames[c.shown()] + "."
}

// sessionEnded is a view's word that the session ended: back to the
// sign-in form.
func (c *Console) sessionEnded() {
	c.dispatch(func(app.Context) {
		c.user, c.view = User{}, viewArticles
		c.signError = "Your session has ended; sign in again."
	})
}

// onSignOut ends the session.
func (c *Console) onSignOut(ctx app.Context, e app.Event) {
	c.api.Do("DELETE", "/api/session", nil, func(int, []byte, error) {
		c.dispatch(func(app.Context) {
			c.user, c.articles, c.errs, c.view = User{}, nil, nil, viewArticles
			c.next, c.pages = "", 0
			c.load(draft{})
			c.signName, c.signPassword, c.signError = "", "", ""
		})
	})
}

// categories lists the categories of the articles, each once.
func (c *Console) categories() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range c.articles {
		if k := strings.ToLower(a.Category); a.Category != "" && !seen[k] {
			seen[k] = true
			out = append(out, a.Category)
		}
	}
	return out
}

// editorNames lists who last wrote the articles, each once.
func (c *Console) editorNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range c.articles {
		if n := c.editors[a.ID]; n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// handleFailure shows an error response: next to its field when it names
// one, else for the form; a lost session goes back to the sign-in form.
func (c *Console) handleFailure(status int, body []byte, err error) {
	if err != nil {
		c.errs = map[string]string{"": "The server cannot be reached: " + err.Error()}
		return
	}
	if status == 401 {
		c.user, c.view = User{}, viewArticles
		c.signError = "Your session has ended; sign in again."
		return
	}
	field, msg := readError(status, body)
	if _, ok := fieldIDs[field]; !ok {
		field = ""
	}
	c.errs = map[string]string{field: msg}
}

// escapePath escapes an article id for a path (ids are already safe).
func escapePath(id string) string { return url.PathEscape(id) }
