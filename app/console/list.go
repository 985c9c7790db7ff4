package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
	"newswidget/app/ui"
)

// renderList is the list of articles with its filters: flash or not,
// category, and who last wrote each.
func (c *Console) renderList() app.UI {
	shown := c.filtered()
	s := ui.Locale("en")
	return app.Elem("section").Class("nr-list").Aria("labelledby", "nr-list-heading").Body(
		app.Elem("div").Class("nr-list-head").Body(
			app.Elem("h2").ID("nr-list-heading").Text("Articles"),
			app.Elem("button").Attr("type", "button").Class("nr-quiet").OnClick(c.onNew).Text("New article"),
		),
		app.Elem("div").Class("nr-filters").Body(
			field("nr-filter-flash", "Show", "", app.Elem("select").ID("nr-filter-flash").OnChange(c.onFilter("flash"), "flash").Body(
				option("", "All articles", c.filter.Flash),
				option("flash", "Flash only", c.filter.Flash),
				option("other", "Not flash", c.filter.Flash),
			)),
			field("nr-filter-category", "In category", "", app.Elem("select").ID("nr-filter-category").OnChange(c.onFilter("category"), "category").Body(
				option("", "Any", c.filter.Category),
				app.Range(c.categories()).Slice(func(i int) app.UI {
					v := c.categories()[i]
					return option(v, v, c.filter.Category)
				}),
			)),
			field("nr-filter-editor", "By editor", "", app.Elem("select").ID("nr-filter-editor").OnChange(c.onFilter("editor"), "editor").Body(
				option("", "Anyone", c.filter.Editor),
				app.Range(c.editorNames()).Slice(func(i int) app.UI {
					v := c.editorNames()[i]
					return option(v, v, c.filter.Editor)
				}),
			)),
		),
		app.If(len(shown) == 0, app.Elem("p").Class("nr-hint").Text("No article matches.")),
		app.Elem("ul").Class("nr-articles").Body(app.Range(shown).Slice(func(i int) app.UI {
			a := shown[i]
			expired := a.Expired(c.now)
			return app.Elem("li").Class("nr-article", cond(a.ID == c.draft.ID, "nr-current"), cond(expired, "nr-expired")).DataSet("id", a.ID).Body(
				app.Elem("button").ID(openID(a.ID)).Attr("type", "button").Class("nr-open").
					Aria("current", cond(a.ID == c.draft.ID, "true")).
					OnClick(func(ctx app.Context, e app.Event) { c.edit(a) }, a.ID).
					Body(ui.Isolated(app.Elem("span").Class("nr-title"), a.Title)),
				app.Elem("p").Class("nr-meta").Body(
					when(a.Flash, func() app.UI { return badge("Flash", "flash") }),
					when(a.Urgent, func() app.UI { return badge("Urgent", "urgent") }),
					when(a.Pinned, func() app.UI { return badge("Pinned", "pinned") }),
					when(expired, func() app.UI { return badge("Expired", "expired") }),
					when(a.Correction != "", func() app.UI { return badge("Corrected", "corrected") }),
					when(a.Category != "", func() app.UI { return app.Elem("span").Body(ui.Bdi(a.Category)) }),
					when(c.editors[a.ID] != "", func() app.UI { return app.Elem("span").Text("by " + c.editors[a.ID]) }),
					app.Elem("time").Attr("datetime", a.PublishedAt.UTC().Format("2006-01-02T15:04:05Z")).
						Title(s.Date(a.PublishedAt)).Text(s.Ago(a.PublishedAt, c.now)),
				),
			)
		})),
		c.renderOlder(),
	)
}

// filtered is the articles the filters let through, in the listing's order.
func (c *Console) filtered() []news.Article {
	var out []news.Article
	for _, a := range c.articles {
		switch {
		case c.filter.Flash == "flash" && !a.Flash, c.filter.Flash == "other" && a.Flash:
			continue
		case c.filter.Category != "" && !strings.EqualFold(a.Category, c.filter.Category):
			continue
		case c.filter.Editor != "" && c.editors[a.ID] != c.filter.Editor:
			continue
		}
		out = append(out, a)
	}
	return out
}

// onFilter sets one filter from its select.
func (c *Console) onFilter(which string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		v := ctx.JSSrc().Get("value").String()
		switch which {
		case "flash":
			c.filter.Flash = v
		case "category":
			c.filter.Category = v
		case "editor":
			c.filter.Editor = v
		}
	}
}

// onNew empties the form for a new article.
func (c *Console) onNew(ctx app.Context, e app.Event) {
	c.errs, c.confirm, c.changed = nil, false, false
	c.load(draft{})
	c.status = "New article."
	c.focus("nr-title")
}

// edit loads an article into the form.
func (c *Console) edit(a news.Article) {
	c.errs, c.confirm, c.changed = nil, false, false
	c.load(draftOf(a))
	c.status = "Editing “" + a.Title + "”."
}

// option is an <option> of a select, selected when its value is current.
func option(value, label, current string) app.UI {
	o := app.Elem("option").Attr("value", value).Text(label)
	if value == current {
		o = o.Attr("selected", true)
	}
	return o
}

// badge is a word that marks an article's state.
func badge(text, kind string) app.UI {
	return app.Elem("span").Class("nr-badge", "nr-badge-"+kind).Text(text)
}
