package console

import (
	"strings"
	"time"

	"newswidget/app/news"
)

// draft is the article in the form, as typed: text fields hold what the
// editor wrote, Expires a datetime-local value in the browser's zone.
type draft struct {
	ID          string // empty: a new article
	PublishedAt time.Time
	orig        news.Article // as stored when opened, to notice another editor's change
	Title       string
	Summary     string
	Body        string // paragraphs separated by blank lines
	URL         string
	Source      string
	Category    string
	Image       string
	Flash       bool
	Urgent      bool
	Pinned      bool
	Expires     string
	Correction  string
}

// localLayout is the format of a datetime-local input with seconds.
const localLayout = "2006-01-02T15:04:05"

// draftOf fills the form from a stored article.
func draftOf(a news.Article) draft {
	d := draft{
		ID: a.ID, PublishedAt: a.PublishedAt, orig: a, Title: a.Title, Summary: a.Summary,
		Body: strings.Join(a.Body, "\n\n"), URL: a.URL, Source: a.Source, Category: a.Category,
		Image: a.Image, Flash: a.Flash, Urgent: a.Urgent, Pinned: a.Pinned, Correction: a.Correction,
	}
	if !a.ExpiresAt.IsZero() {
		d.Expires = a.ExpiresAt.In(time.Local).Format(localLayout)
	}
	return d
}

// expiry reads the Expires field: zero when empty, ok false when it is not
// a date and time.
func (d draft) expiry() (t time.Time, ok bool) {
	v := strings.TrimSpace(d.Expires)
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{localLayout, "2006-01-02T15:04", "2006-01-02T15:04:05.000"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// paragraphs splits the body at blank lines.
func (d draft) paragraphs() []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(d.Body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// article is the draft as readers would see it at now: what the preview
// shows.
func (d draft) article(now time.Time) news.Article {
	a := news.Article{
		ID: d.ID, Title: strings.TrimSpace(d.Title), Summary: strings.TrimSpace(d.Summary), Body: d.paragraphs(),
		URL: strings.TrimSpace(d.URL), Source: strings.TrimSpace(d.Source), Category: strings.TrimSpace(d.Category),
		Image: strings.TrimSpace(d.Image), Flash: d.Flash, Urgent: d.Urgent, Pinned: d.Pinned,
		Correction: strings.TrimSpace(d.Correction), PublishedAt: d.PublishedAt, UpdatedAt: now,
	}
	if a.ID == "" {
		a.ID = previewID
	}
	if a.PublishedAt.IsZero() {
		a.PublishedAt = now
	}
	if a.Title == "" {
		a.Title = "Your headline"
	}
	a.ExpiresAt, _ = d.expiry()
	return a
}

// previewID stands in the preview for an article not yet published.
const previewID = "newsroom-draft"

// body is the JSON a POST or PUT sends: every field of the form, so that a
// PUT, which replaces the whole article, keeps nothing the form cleared.
func (d draft) body() map[string]any {
	paras := d.paragraphs()
	if paras == nil {
		paras = []string{}
	}
	m := map[string]any{
		"title": d.Title, "summary": d.Summary, "body": paras, "url": strings.TrimSpace(d.URL),
		"source": d.Source, "category": d.Category, "image": strings.TrimSpace(d.Image),
		"flash": d.Flash, "urgent": d.Urgent, "pinned": d.Pinned, "correction": d.Correction,
	}
	if t, ok := d.expiry(); ok && !t.IsZero() {
		m["expires_at"] = t.Format(time.RFC3339)
	}
	if d.ID != "" && !d.PublishedAt.IsZero() {
		m["published_at"] = d.PublishedAt.UTC().Format(time.RFC3339)
	}
	return m
}

// value is the text of the form field named as the API names it.
func (d draft) value(name string) (string, bool) {
	switch name {
	case "title":
		return d.Title, true
	case "summary":
		return d.Summary, true
	case "body":
		return d.Body, true
	case "url":
		return d.URL, true
	case "source":
		return d.Source, true
	case "category":
		return d.Category, true
	case "image":
		return d.Image, true
	case "expires_at":
		return d.Expires, true
	case "correction":
		return d.Correction, true
	}
	return "", false
}

// flag is the state of the checkbox named as the API names it.
func (d draft) flag(name string) (bool, bool) {
	switch name {
	case "flash":
		return d.Flash, true
	case "urgent":
		return d.Urgent, true
	case "pinned":
		return d.Pinned, true
	}
	return false, false
}
