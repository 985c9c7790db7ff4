package console

import (
	"encoding/json"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// fieldIDs maps the API's field names to the form's controls, where their
// errors are shown.
var fieldIDs = map[string]string{
	"title": "nr-title", "summary": "nr-summary", "body": "nr-body", "url": "nr-url", "source": "nr-source",
	"category": "nr-category", "image": "nr-image", "flash": "nr-flash", "urgent": "nr-urgent",
	"pinned": "nr-pinned", "expires_at": "nr-expires", "correction": "nr-correction", "": "nr-form-error",
}

// renderEditor is the compose and edit form beside its live preview.
func (c *Console) renderEditor() app.UI {
	d, f := c.draft, c.form
	editing := d.ID != ""
	heading := "New article"
	if editing {
		heading = "Edit article"
	}
	return app.Elem("section").Class("nr-editor").Aria("labelledby", "nr-editor-heading").Body(
		app.Elem("form").ID("nr-form").Class("nr-form").Attr("novalidate", true).OnSubmit(c.onSubmit).Body(
			app.Elem("h2").ID("nr-editor-heading").Text(heading),
			when(c.changed, func() app.UI {
				return app.Elem("p").Class("nr-notice").Attr("role", "status").Text("Another editor changed or removed this article after you opened it; saving replaces their version.")
			}),
			c.text("title", "Title", f.Title, func(v string) { c.draft.Title = v }, "input"),
			c.text("summary", "Summary", f.Summary, func(v string) { c.draft.Summary = v }, "textarea"),
			c.text("body", "Body", f.Body, func(v string) { c.draft.Body = v }, "textarea", "Paragraphs separated by a blank line."),
			c.text("url", "Link", f.URL, func(v string) { c.draft.URL = v }, "url", "Where the headline goes; empty: the article's own page."),
			app.Elem("div").Class("nr-row").Body(
				c.text("source", "Source", f.Source, func(v string) { c.draft.Source = v }, "input"),
				c.text("category", "Category", f.Category, func(v string) { c.draft.Category = v }, "input"),
			),
			c.text("image", "Image", f.Image, func(v string) { c.draft.Image = v }, "url", "An https:// address."),
			app.Elem("fieldset").Class("nr-checks").Body(
				app.Elem("legend").Text("Placement"),
				c.check("flash", "Flash", f.Flash, func(v bool) { c.draft.Flash = v }),
				c.check("urgent", "Urgent", f.Urgent, func(v bool) { c.draft.Urgent = v }),
				c.check("pinned", "Pinned", f.Pinned, func(v bool) { c.draft.Pinned = v }),
			),
			c.text("expires_at", "Expires", f.Expires, func(v string) { c.draft.Expires = v }, "datetime-local", "Your local time; empty: never."),
			c.text("correction", "Correction", f.Correction, func(v string) { c.draft.Correction = v }, "textarea", "Shown as “Correction: …” with the article."),
			when(c.errs[""] != "", func() app.UI {
				return app.Elem("p").ID("nr-form-error").Class("nr-error").Attr("role", "alert").Text(c.errs[""])
			}),
			app.Elem("div").Class("nr-actions").Body(
				app.If(editing,
					app.Elem("button").Attr("type", "submit").Class("nr-primary").Attr("disabled", c.busy).Text("Save"),
					app.Elem("button").ID("nr-delete").Attr("type", "button").Class("nr-danger").Attr("disabled", c.busy).
						Aria("expanded", cond(c.confirm, "true")).Aria("controls", "nr-confirm").OnClick(c.onDelete).Text("Delete"),
				).Else(
					app.Elem("button").Attr("type", "submit").Class("nr-primary").Attr("disabled", c.busy).Text("Publish"),
				),
			),
			when(c.confirm, func() app.UI {
				return app.Elem("div").ID("nr-confirm").Class("nr-confirm").Attr("role", "group").Aria("labelledby", "nr-confirm-text").
					OnKeyDown(c.onConfirmKey).Body(
					app.Elem("p").ID("nr-confirm-text").Text("Delete “"+d.Title+"”? It leaves every widget, page and feed at once; this cannot be undone."),
					app.Elem("button").ID("nr-confirm-yes").Attr("type", "button").Class("nr-danger").OnClick(c.onConfirmDelete).Text("Confirm delete"),
					app.Elem("button").Attr("type", "button").Class("nr-quiet").OnClick(c.onCancelDelete).Text("Cancel"),
				)
			}),
		),
		c.renderPreview(),
	)
}

// text is a labelled text control (kind: input, textarea, url or
// datetime-local) bound to a draft field.
func (c *Console) text(name, label, value string, set func(string), kind string, hint ...string) app.UI {
	id := fieldIDs[name]
	errText := c.errs[name]
	onInput := func(ctx app.Context, e app.Event) {
		set(ctx.JSSrc().Get("value").String())
		c.now = time.Now()
	}
	attrs := func(set func(k string, v any)) {
		set("id", id)
		set("name", name)
		set("value", value)
		if kind == "datetime-local" {
			set("step", 1)
		}
		if name == "title" {
			set("required", true)
		}
		if name == "category" {
			set("list", "nr-categories")
		}
		described := ""
		if len(hint) > 0 {
			described = id + "-hint"
		}
		if errText != "" {
			set("aria-invalid", "true")
			described += " " + id + "-error"
		}
		if described != "" {
			set("aria-describedby", described)
		}
	}
	var ctl app.UI
	if kind == "textarea" {
		e := app.Elem("textarea").Attr("rows", 3).OnInput(onInput, name)
		attrs(func(k string, v any) { e = e.Attr(k, v) })
		ctl = e
	} else {
		e := app.ElemSelfClosing("input").Attr("type", map[string]string{"input": "text", "url": "url", "datetime-local": "datetime-local"}[kind]).OnInput(onInput, name)
		attrs(func(k string, v any) { e = e.Attr(k, v) })
		ctl = e
	}
	var extra app.UI
	if name == "category" {
		extra = app.Elem("datalist").ID("nr-categories").Body(app.Range(c.categories()).Slice(func(i int) app.UI {
			return app.Elem("option").Attr("value", c.categories()[i])
		}))
	}
	return app.Elem("div").Body(field(id, label, errText, ctl, hint...), extra)
}

// check is a labelled checkbox bound to a draft field.
func (c *Console) check(name, label string, value bool, set func(bool)) app.UI {
	id := fieldIDs[name]
	return app.Elem("div").Class("nr-check").Body(
		app.ElemSelfClosing("input").Attr("type", "checkbox").ID(id).Attr("name", name).Attr("checked", value).
			OnChange(func(ctx app.Context, e app.Event) { set(ctx.JSSrc().Get("checked").Bool()) }, name),
		app.Elem("label").Attr("for", id).Text(label),
		when(c.errs[name] != "", func() app.UI { return app.Elem("p").Class("nr-error").Text(c.errs[name]) }),
	)
}

// onSubmit publishes a new article or saves the one being edited.
func (c *Console) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	d := c.draft
	if _, ok := d.expiry(); !ok {
		c.errs = map[string]string{"expires_at": "Enter a date and time, or leave it empty."}
		c.focus("nr-expires")
		return
	}
	method, path, verb := "POST", "/api/articles", "Published"
	if d.ID != "" {
		method, path, verb = "PUT", "/api/articles/"+escapePath(d.ID), "Saved"
	}
	c.busy, c.errs = true, nil
	c.api.Do(method, path, d.body(), func(status int, body []byte, err error) {
		c.dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil || status != 200 && status != 201 {
				c.handleFailure(status, body, err)
				for f := range c.errs {
					c.focus(fieldIDs[f])
					break
				}
				return
			}
			var a news.Article
			if json.Unmarshal(body, &a) == nil && a.ID != "" {
				c.changed = false
				c.load(draftOf(a))
				c.articles = upsert(c.articles, a)
			}
			c.status = verb + " “" + a.Title + "”."
			c.reload(ctx)
		})
	})
}

// onDelete asks for confirmation.
func (c *Console) onDelete(ctx app.Context, e app.Event) {
	c.confirm = true
	c.focus("nr-confirm-yes")
}

// onCancelDelete closes the confirmation.
func (c *Console) onCancelDelete(ctx app.Context, e app.Event) {
	c.confirm = false
	c.focus("nr-delete")
}

// onConfirmKey closes the confirmation on Escape.
func (c *Console) onConfirmKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		c.confirm = false
		c.focus("nr-delete")
	}
}

// onConfirmDelete retracts the article being edited.
func (c *Console) onConfirmDelete(ctx app.Context, e app.Event) {
	id, title := c.draft.ID, c.draft.Title
	c.busy = true
	c.api.Do("DELETE", "/api/articles/"+escapePath(id), nil, func(status int, body []byte, err error) {
		c.dispatch(func(ctx app.Context) {
			c.busy, c.confirm = false, false
			if err != nil || status != 204 && status != 404 {
				c.handleFailure(status, body, err)
				return
			}
			c.articles = remove(c.articles, id)
			c.errs, c.changed = nil, false
			c.load(draft{})
			c.status = "Deleted “" + title + "”."
			c.reload(ctx)
		})
	})
}

// upsert puts a into the listing in its place, newest first.
func upsert(l []news.Article, a news.Article) []news.Article {
	return news.Apply(l, news.Event{Type: news.EventArticle, Article: a})
}

// remove drops the article with id from the listing.
func remove(l []news.Article, id string) []news.Article {
	return news.Apply(l, news.Event{Type: news.EventDelete, Article: news.Article{ID: id}})
}
