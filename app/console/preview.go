package console

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
	"newswidget/app/ui"
)

// previewConfig is the widget the preview shows: the default tag's, with
// a shorter list.
var previewConfig = func() news.Config {
	cfg, _ := news.ParseConfig(nil)
	cfg.Limit = 4
	return cfg
}()

// renderPreview draws the draft among the published articles with the
// widget's own components, as readers will see it, unsaved edits included.
func (c *Console) renderPreview() app.UI {
	now := c.now
	a := c.draft.article(now)
	all := make([]news.Article, 0, len(c.articles)+1)
	for _, x := range c.articles {
		if x.ID != a.ID {
			all = append(all, x)
		}
	}
	all = append(all, a)
	news.SortNewest(all)
	cfg := previewConfig
	ticker, list := news.Select(all, cfg, now)
	l := ui.Labels(cfg)
	note := "As readers will see it."
	if a.Expired(now) {
		note = "Expired: readers no longer see it."
	}
	return app.Elem("section").Class("nr-preview").Aria("labelledby", "nr-preview-heading").Body(
		app.Elem("h2").ID("nr-preview-heading").Text("Preview"),
		app.Elem("p").Class("nr-hint").Text(note),
		ui.Frame(cfg, l,
			&ui.Ticker{Label: l.Ticker, Items: ticker, Speed: cfg.Speed, Target: "_blank", Locale: cfg.Locale},
			&ui.LatestList{Label: l.List, Items: list, Target: "_blank", Locale: cfg.Locale, Now: now},
		),
	)
}
