package console

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// Partners is the admins' view of the partner sites: the list from GET
// /api/partners (name, origins, key, created, revoked), the form that adds
// one (POST /api/partners) and shows its key once with the tag to paste,
// and Revoke (DELETE /api/partners/{name}) behind an in-page confirmation.
// Its state is in its fields; requests go from OnMount and the event
// handlers, and their answers come back through the console's context.
type Partners struct {
	app.Compo

	api  API
	link        // back to the console
	site string // this site's origin, for the embed tag

	list     []news.Partner
	loaded   bool
	loading  bool
	listErr  string // why the list could not be loaded or a revoke failed
	name     string // the form, as typed
	origins  string
	formErrs map[string]string // by the API's field: "name", "origins", "" for the form
	adding   bool
	added    *news.Partner // the partner just added: its key and tag are shown
	confirm  string        // the partner whose revoke is being confirmed
	revoking bool
	announce string // the polite live region's text
}

// newPartners is the view, talking to the server through api and back to
// the console through l.
func newPartners(api API, l link) *Partners {
	return &Partners{api: api, link: l}
}

// OnMount learns the site's origin and fetches the partners.
func (p *Partners) OnMount(ctx app.Context) {
	if p.api == nil || !app.IsClient {
		return
	}
	p.site = app.Window().Get("location").Get("origin").String()
	p.fetch()
}

// fetch asks for the partners.
func (p *Partners) fetch() {
	if p.api == nil {
		return
	}
	p.loading = true
	p.api.Do("GET", "/api/partners", nil, func(status int, body []byte, err error) {
		p.answer(p, func() {
			p.loading = false
			p.received(status, body, err)
		})
	})
}

// received takes the answer to GET /api/partners.
func (p *Partners) received(status int, body []byte, err error) {
	if msg := p.failure("The partners could not be loaded: ", status, body, err); msg != "" {
		p.listErr, p.announce = msg, msg
		return
	}
	var r struct {
		Partners []news.Partner `json:"partners"`
	}
	if json.Unmarshal(body, &r) != nil {
		p.listErr = "The partners could not be loaded: the server's answer is not a list of partners."
		p.announce = p.listErr
		return
	}
	p.list, p.loaded, p.listErr = r.Partners, true, ""
}

// failure is what to say of an answer that is no success ("" for one),
// prefixed with what failed; a lost session goes back to the sign-in form.
func (p *Partners) failure(what string, status int, body []byte, err error) string {
	switch {
	case err != nil:
		return "The server cannot be reached: " + err.Error()
	case status == 401:
		p.ended()
		return "Your session has ended; sign in again."
	case status < 200 || status > 299:
		_, msg := readError(status, body)
		return what + msg
	}
	return ""
}

// onRefresh fetches the partners again.
func (p *Partners) onRefresh(ctx app.Context, e app.Event) { p.fetch() }

// onAdd sends the form: the name and the origins, one per line or
// separated by commas.
func (p *Partners) onAdd(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.add()
}

// add sends POST /api/partners with what was typed.
func (p *Partners) add() {
	if p.adding || p.api == nil {
		return
	}
	name := strings.TrimSpace(p.name)
	body := map[string]any{"name": name, "origins": splitOrigins(p.origins)}
	p.adding, p.formErrs, p.added = true, nil, nil
	p.api.Do("POST", "/api/partners", body, func(status int, resp []byte, err error) {
		p.answer(p, func() {
			p.adding = false
			p.addAnswered(status, resp, err)
		})
	})
}

// addAnswered takes the answer to POST /api/partners: the new partner,
// whose key is shown with its tag, or the errors next to their fields.
func (p *Partners) addAnswered(status int, body []byte, err error) {
	var np news.Partner
	if status == 201 && err == nil && json.Unmarshal(body, &np) == nil && np.Key != "" {
		p.added = &np
		p.list = append([]news.Partner{np}, without(p.list, np.Name)...)
		p.name, p.origins = "", ""
		p.clearForm()
		p.announce = "Partner “" + np.Name + "” added. Its key and the tag to paste are shown below the form."
		p.focus("nr-partner-new")
		return
	}
	field, msg := "", p.failure("The partner could not be added: ", status, body, err)
	if msg == "" {
		msg = "The partner could not be added: the server's answer is not a partner."
	} else if err == nil && status != 401 {
		field, msg = readError(status, body)
		if field != "name" && field != "origins" {
			field, msg = "", "The partner could not be added: "+msg
		}
	}
	p.formErrs = map[string]string{field: msg}
	p.announce = msg
	p.focus(map[string]string{"name": "nr-partner-name", "origins": "nr-partner-origins", "": "nr-partner-name"}[field])
}

// clearForm empties the form's controls, whose typed values are the
// browser's (they are rendered without a value; see Console.load).
func (p *Partners) clearForm() {
	p.after(func() {
		for _, id := range []string{"nr-partner-name", "nr-partner-origins"} {
			if el := app.Window().GetElementByID(id); el.Truthy() {
				el.Set("value", "")
			}
		}
	})
}

// onRevoke asks to confirm revoking a partner's key.
func (p *Partners) onRevoke(name string) {
	p.confirm, p.listErr = name, ""
	p.focus("nr-revoke-yes")
}

// onCancelRevoke closes the confirmation, back to the partner's Revoke.
func (p *Partners) onCancelRevoke(ctx app.Context, e app.Event) {
	name := p.confirm
	p.confirm = ""
	p.focus(revokeID(name))
}

// onConfirmKey closes the confirmation on Escape.
func (p *Partners) onConfirmKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		p.onCancelRevoke(ctx, e)
	}
}

// onConfirmRevoke revokes the key of the partner being confirmed.
func (p *Partners) onConfirmRevoke(ctx app.Context, e app.Event) { p.revoke() }

// revoke sends DELETE /api/partners/{name} for the partner being confirmed.
func (p *Partners) revoke() {
	name := p.confirm
	if name == "" || p.revoking || p.api == nil {
		return
	}
	p.revoking = true
	p.api.Do("DELETE", "/api/partners/"+escapePath(name), nil, func(status int, body []byte, err error) {
		p.answer(p, func() {
			p.revoking, p.confirm = false, ""
			p.revokeAnswered(name, status, body, err)
		})
	})
}

// revokeAnswered takes the answer to DELETE /api/partners/{name}.
func (p *Partners) revokeAnswered(name string, status int, body []byte, err error) {
	if msg := p.failure("“"+name+"” could not be revoked: ", status, body, err); msg != "" {
		p.listErr, p.announce = msg, msg
		return
	}
	for i := range p.list {
		if p.list[i].Name == name {
			p.list[i].Revoked = true
		}
	}
	if p.added != nil && p.added.Name == name {
		p.added = nil
	}
	p.announce = "Revoked “" + name + "”: its widgets show nothing now."
	p.focus("nr-partners-heading")
	p.fetch()
}

// Render draws the list of partners with its Revoke buttons, the form that
// adds one and, after an add, the new key with its tag.
func (p *Partners) Render() app.UI {
	return app.Elem("section").ID("nr-partners").Class("nr-stats", "nr-partners").Aria("labelledby", "nr-partners-heading").Aria("busy", cond(p.loading, "true")).Body(
		app.Elem("div").Class("nr-list-head").Body(
			app.Elem("h2").ID("nr-partners-heading").Attr("tabindex", -1).Text("Partners"),
			app.Elem("button").Attr("type", "button").Class("nr-quiet").Attr("disabled", p.loading || p.api == nil).OnClick(p.onRefresh).Text("Refresh"),
		),
		app.Elem("p").Class("nr-hint").Text("Sites that carry the widget under their own key: only their origins may frame it, and their impressions and clicks count for them. Revoking a key is for good."),
		p.renderForm(),
		when(p.added != nil, func() app.UI { return p.renderAdded(*p.added) }),
		when(p.listErr != "", func() app.UI {
			return app.Elem("p").ID("nr-partners-error").Class("nr-error").Attr("role", "alert").Text(p.listErr)
		}),
		when(p.loading && !p.loaded, func() app.UI { return app.Elem("p").Class("nr-hint").Text("Loading the partners…") }),
		when(p.loaded && len(p.list) == 0, func() app.UI {
			return app.Elem("p").ID("nr-partners-empty").Class("nr-notice").Text("No partner yet. Add one with the form above.")
		}),
		app.Elem("ul").Class("nr-partner-list").Aria("label", "Partners").Body(app.Range(p.list).Slice(func(i int) app.UI { return p.renderPartner(p.list[i]) })),
		app.Elem("p").Class("nr-sr").Attr("role", "status").Text(p.announce),
	)
}

// renderForm is the form that adds a partner. Its controls carry no value
// attribute: what is typed stays the browser's (see Console.load).
func (p *Partners) renderForm() app.UI {
	errs := p.formErrs
	return app.Elem("form").ID("nr-partner-form").Class("nr-form", "nr-partner-form").Attr("novalidate", true).
		Aria("labelledby", "nr-partner-form-heading").OnSubmit(p.onAdd).Body(
		app.Elem("h3").ID("nr-partner-form-heading").Text("Add partner"),
		field("nr-partner-name", "Name", errs["name"], described(app.ElemSelfClosing("input").ID("nr-partner-name").Attr("name", "name").
			Attr("autocapitalize", "none").Attr("spellcheck", "false").Attr("autocomplete", "off").Attr("required", true).
			OnInput(func(ctx app.Context, e app.Event) { p.name = ctx.JSSrc().Get("value").String() }, "name"), "nr-partner-name", errs["name"]),
			"Lower-case letters, digits, “.”, “_” and “-”, such as gazette."),
		field("nr-partner-origins", "Origins", errs["origins"], described(app.Elem("textarea").ID("nr-partner-origins").Attr("name", "origins").Attr("rows", 3).
			Attr("autocapitalize", "none").Attr("spellcheck", "false").Attr("required", true).
			OnInput(func(ctx app.Context, e app.Event) { p.origins = ctx.JSSrc().Get("value").String() }, "origins"), "nr-partner-origins", errs["origins"]),
			"The sites that may show the widget, one per line or separated by commas, such as https://gazette.example."),
		when(errs[""] != "", func() app.UI {
			return app.Elem("p").ID("nr-partner-form-error").Class("nr-error").Attr("role", "alert").Text(errs[""])
		}),
		app.Elem("div").Class("nr-actions").Body(
			app.Elem("button").Attr("type", "submit").Class("nr-primary").Attr("disabled", p.adding || p.api == nil).Text("Add partner"),
		),
	)
}

// described sets a control's aria-describedby to its hint and, when there
// is one, its error, and marks it invalid then.
func described[T interface{ Aria(string, any) T }](ctl T, id, errText string) T {
	ids := id + "-hint"
	if errText != "" {
		ctl = ctl.Aria("invalid", "true")
		ids += " " + id + "-error"
	}
	return ctl.Aria("describedby", ids)
}

// renderAdded is the partner just added: its key, shown this once here
// (the list has it too), and the tag its pages carry.
func (p *Partners) renderAdded(np news.Partner) app.UI {
	return app.Elem("div").ID("nr-partner-new").Class("nr-notice", "nr-partner-new").Attr("tabindex", -1).
		Aria("labelledby", "nr-partner-new-heading").Attr("role", "group").Body(
		app.Elem("h3").ID("nr-partner-new-heading").Text("“"+np.Name+"” is a partner"),
		app.Elem("p").Body(app.Text("Its key: "), app.Elem("code").ID("nr-partner-key").Text(np.Key)),
		app.Elem("p").ID("nr-partner-snippet-label").Text("The tag to paste into its pages, where the widget goes:"),
		app.Elem("pre").Class("nr-snippet").Aria("labelledby", "nr-partner-snippet-label").Body(
			app.Elem("code").ID("nr-partner-snippet").Text(embedTag(p.site, np.Key)),
		),
	)
}

// renderPartner is one partner in the list, with Revoke (and its
// confirmation) while its key works.
func (p *Partners) renderPartner(pt news.Partner) app.UI {
	confirming := p.confirm == pt.Name
	return app.Elem("li").Class("nr-partner", cond(pt.Revoked, "nr-revoked")).DataSet("name", pt.Name).Body(
		app.Elem("h3").Class("nr-partner-name").Body(
			app.Elem("span").Class("nr-partner-title").Text(pt.Name),
			app.If(pt.Revoked, badge("Revoked", "revoked")).Else(badge("Active", "active")),
		),
		app.Elem("dl").Class("nr-partner-facts").Body(
			app.Elem("dt").Text("Origins"),
			app.Elem("dd").Body(app.Range(pt.Origins).Slice(func(i int) app.UI {
				return app.Elem("span").Class("nr-origin").Text(pt.Origins[i])
			})),
			app.Elem("dt").Text("Key"),
			app.Elem("dd").Body(app.Elem("code").Text(pt.Key)),
			app.Elem("dt").Text("Created"),
			app.Elem("dd").Body(app.Elem("time").Attr("datetime", pt.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")).
				Text(pt.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"))),
		),
		when(!pt.Revoked, func() app.UI {
			return app.Elem("div").Class("nr-actions").Body(
				p.revokeButton(pt.Name, confirming),
			)
		}),
		when(confirming && !pt.Revoked, func() app.UI {
			return app.Elem("div").ID("nr-revoke-confirm").Class("nr-confirm").Attr("role", "group").Aria("labelledby", "nr-revoke-text").
				OnKeyDown(p.onConfirmKey).Body(
				app.Elem("p").ID("nr-revoke-text").Text("Revoke “"+pt.Name+"”? Its widgets on "+strings.Join(pt.Origins, ", ")+" stop showing news at once; this cannot be undone."),
				app.Elem("button").ID("nr-revoke-yes").Attr("type", "button").Class("nr-danger").Attr("disabled", p.revoking).OnClick(p.onConfirmRevoke).Text("Confirm revoke"),
				app.Elem("button").Attr("type", "button").Class("nr-quiet").OnClick(p.onCancelRevoke).Text("Cancel"),
			)
		}),
	)
}

// revokeButton is a partner's Revoke, which says whether its confirmation
// is open (and names it then).
func (p *Partners) revokeButton(name string, confirming bool) app.UI {
	b := app.Elem("button").ID(revokeID(name)).Attr("type", "button").Class("nr-danger").
		Attr("disabled", p.revoking).Aria("label", "Revoke "+name).Aria("expanded", strconv.FormatBool(confirming))
	if confirming {
		b = b.Aria("controls", "nr-revoke-confirm")
	}
	return b.OnClick(func(ctx app.Context, e app.Event) { p.onRevoke(name) }, name).Text("Revoke")
}

// revokeID is the id of a partner's Revoke button (names are a-z 0-9 . _ -).
func revokeID(name string) string { return "nr-revoke-" + name }

// embedTag is the tag a partner's pages carry: the loader from site (this
// server's origin) with the partner's key, as the configurator writes it.
func embedTag(site, key string) string {
	return `<script src="` + site + `/widget.js" async data-partner="` + key + `"></script>`
}

// splitOrigins splits what was typed in Origins at commas, spaces and line
// breaks.
func splitOrigins(s string) []string {
	out := news.SplitOrigins(strings.ReplaceAll(s, "\r", "\n"))
	if out == nil {
		out = []string{}
	}
	return out
}

// without is list less the partner named name.
func without(list []news.Partner, name string) []news.Partner {
	var out []news.Partner
	for _, pt := range list {
		if pt.Name != name {
			out = append(out, pt)
		}
	}
	return out
}
