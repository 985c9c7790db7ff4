package console

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// renderSignIn is the sign-in form: name and password, sent to POST
// /api/session, which sets the session cookie. Its inputs carry no value
// attribute: what is typed stays the browser's (see Console.load).
func (c *Console) renderSignIn() app.UI {
	return app.Elem("main").Class("nr-signin").Body(
		app.Elem("form").ID("nr-signin").Attr("novalidate", true).OnSubmit(c.onSignIn).Body(
			app.Elem("h2").Text("Sign in"),
			field("nr-name", "Name", "",
				app.ElemSelfClosing("input").ID("nr-name").Attr("name", "name").Attr("autocomplete", "username").
					Attr("autocapitalize", "none").Attr("spellcheck", "false").Attr("required", true).
					OnInput(func(ctx app.Context, e app.Event) { c.signName = ctx.JSSrc().Get("value").String() }, "name")),
			field("nr-password", "Password", "",
				app.ElemSelfClosing("input").ID("nr-password").Attr("name", "password").Attr("type", "password").
					Attr("autocomplete", "current-password").Attr("required", true).
					OnInput(func(ctx app.Context, e app.Event) { c.signPassword = ctx.JSSrc().Get("value").String() }, "password")),
			app.If(c.signError != "", app.Elem("p").ID("nr-signin-error").Class("nr-error").Attr("role", "alert").Text(c.signError)),
			app.Elem("button").Attr("type", "submit").Class("nr-primary").Attr("disabled", c.signBusy || !c.ready).Text("Sign in"),
			app.If(!c.ready, app.Elem("p").Class("nr-hint").Text("The newsroom is loading…")),
		),
	)
}

// onSignIn sends the name and password.
func (c *Console) onSignIn(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.signBusy || c.api == nil {
		return
	}
	if c.signName == "" || c.signPassword == "" {
		c.signError = "Enter your name and password."
		return
	}
	c.signBusy, c.signError = true, ""
	body := map[string]string{"name": c.signName, "password": c.signPassword}
	c.api.Do("POST", "/api/session", body, func(status int, resp []byte, err error) {
		c.dispatch(func(ctx app.Context) {
			c.signBusy = false
			switch {
			case err != nil:
				c.signError = "The server cannot be reached: " + err.Error()
			case status == 204 || status == 200:
				c.signPassword = ""
				c.reload(ctx)
			case status == 401:
				c.signError = "Wrong name or password."
			default:
				_, c.signError = readError(status, resp)
			}
		})
	})
}

// field is a form field with its visible label, an optional hint and the
// place of its error, which the control names with aria-describedby.
func field(id, label, errText string, control app.UI, hint ...string) app.UI {
	return app.Elem("div").Class("nr-field", cond(errText != "", "nr-invalid")).Body(
		app.Elem("label").Attr("for", id).Text(label),
		when(len(hint) > 0, func() app.UI { return app.Elem("span").ID(id + "-hint").Class("nr-hint").Text(hint[0]) }),
		control,
		when(errText != "", func() app.UI { return app.Elem("p").ID(id + "-error").Class("nr-error").Text(errText) }),
	)
}

func cond(ok bool, yes string) string {
	if ok {
		return yes
	}
	return ""
}

// when renders f's element only when ok (app.If would build it either way).
func when(ok bool, f func() app.UI) app.UI {
	if ok {
		return f()
	}
	return nil
}
