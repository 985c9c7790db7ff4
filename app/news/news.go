// Package news holds the domain of newswidget: articles with their
// validation and text rules, the events that change them, the Store
// interface, list cursors, the widget configuration, the rules of what a
// widget shows (Select, Keep, Apply), and the error type with the domain's
// codes. It does no I/O and knows nothing of HTTP, so the server and the
// WebAssembly widget share one definition of every contract.
package news

import (
	"context"
	"slices"
	"time"
)

// Article is one news item, exactly as the JSON API sends it.
type Article struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Summary     string    `json:"summary"`
	Body        []string  `json:"body"`
	URL         string    `json:"url"`
	Source      string    `json:"source"`
	Category    string    `json:"category"`
	Image       string    `json:"image"`
	Flash       bool      `json:"flash"`
	PublishedAt time.Time `json:"published_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// The flash lifecycle. Urgent: shown as breaking news. Pinned: first in
	// the ticker and the list whatever its age. ExpiresAt (absent: never):
	// from that instant on the article is out of every public surface.
	// Correction: a note shown with the article ("Correction: …"; absent:
	// none).
	Urgent     bool      `json:"urgent"`
	Pinned     bool      `json:"pinned"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	Correction string    `json:"correction,omitempty"`
}

// Expired reports whether the article has expired at now: it has an expiry
// and now is at or past it.
func (a Article) Expired(now time.Time) bool {
	return !a.ExpiresAt.IsZero() && !now.Before(a.ExpiresAt)
}

// EventType names what happened to an article.
type EventType string

// The event types, as sent in the SSE `event:` field.
const (
	EventArticle EventType = "article" // created or updated
	EventDelete  EventType = "delete"
)

// Event is one change to the store, numbered by a sequence that increases
// with every create, update and delete.
type Event struct {
	Seq     int64     `json:"seq"`
	Type    EventType `json:"type"`
	Article Article   `json:"article"` // for a delete only ID is set
}

// ArticleFilter selects articles for a listing, newest first.
type ArticleFilter struct {
	Limit    int    // 1..MaxListLimit
	Category string // empty: all
	Flash    *bool  // nil: both
	Pinned   *bool  // nil: both
	Before   Cursor // zero: from the newest
	// Expired includes the articles whose expiry has passed, which a
	// listing leaves out otherwise (the public never sees them).
	Expired bool
}

// Cursor marks a position in the newest-first order of articles.
type Cursor struct {
	PublishedAt time.Time
	ID          string
}

// IsZero reports whether the cursor marks no position.
func (c Cursor) IsZero() bool { return c.ID == "" && c.PublishedAt.IsZero() }

// Before reports whether a sorts before b in newest-first order.
func Before(a, b Article) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	return a.ID > b.ID
}

// Store keeps articles and the numbered events that changed them. An
// acknowledged write is durable.
//
// The event log holds no article text: each write adds an event naming its
// type and the article's id, numbered without gaps, kept for good (a few
// dozen bytes each). Replay serves current state, never history: an article
// event carries the article as it is now, so a deleted article's text is
// gone from every replay the moment the delete commits, and a reader
// resuming from any sequence, 0 included, ends with the current articles.
type Store interface {
	// Articles lists articles newest first; next is the cursor of the page
	// after this one, zero at the end.
	Articles(ctx context.Context, f ArticleFilter) (list []Article, next Cursor, err error)
	// Article returns one article or an error with code NotFound.
	Article(ctx context.Context, id string) (Article, error)
	// CreateArticle stores a new article; Conflict if the id exists.
	CreateArticle(ctx context.Context, a Article) (Event, error)
	// UpdateArticle replaces an existing article; NotFound if there is none.
	UpdateArticle(ctx context.Context, a Article) (Event, error)
	// UpsertArticle creates or replaces an article, reporting changed=false
	// (and no event) when the stored one is already equal. A replacement
	// keeps the stored article's lifecycle (urgent, pinned, expires_at,
	// correction): feeds upsert, and editors set those.
	UpsertArticle(ctx context.Context, a Article) (ev Event, changed bool, err error)
	// DeleteArticle removes an article; NotFound if there is none.
	DeleteArticle(ctx context.Context, id string) (Event, error)
	// EventsSince returns, in sequence order, the latest event of every
	// article whose latest event is above seq, up to limit of them (limit <=
	// 0: all): an article event with the article as it is now, a delete with
	// the id only. Every article changed after seq is thus served once, in
	// its current state, and a reader that resumes after the last event it
	// was served misses nothing. At an event it cannot read (a damaged row)
	// it returns the events before it and an error with a method
	// DamagedSeq() int64 naming that event, so that the caller can report it
	// and read on after it rather than stop there for good.
	EventsSince(ctx context.Context, seq int64, limit int) ([]Event, error)
	// LastSeq returns the sequence of the newest event, 0 if none.
	LastSeq(ctx context.Context) (int64, error)
	// Expire logs a delete event for every article whose expiry is at or
	// before now and has not been logged yet, once for each expiry however
	// many nodes call it (a write that sets the article again arms it
	// anew); the article stays in the store for its editors. It returns the
	// events and the next expiry after now (zero: none). It reads first and
	// writes only when something is due.
	Expire(ctx context.Context, now time.Time) (evs []Event, next time.Time, err error)
	// Close releases the store.
	Close() error
}

// Limits of a listing.
const (
	DefaultListLimit = 10
	MaxListLimit     = 50
)

// NonNilBody returns a with an empty body in place of a nil one, so that its
// JSON carries "body": [] and never null.
func NonNilBody(a Article) Article {
	if a.Body == nil {
		a.Body = []string{}
	}
	return a
}

// Equal reports whether two articles are the same in every field, times
// compared as instants.
func (a Article) Equal(b Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary &&
		slices.Equal(a.Body, b.Body) && a.URL == b.URL && a.Source == b.Source &&
		a.Category == b.Category && a.Image == b.Image && a.Flash == b.Flash &&
		a.PublishedAt.Equal(b.PublishedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Urgent == b.Urgent && a.Pinned == b.Pinned && a.ExpiresAt.Equal(b.ExpiresAt) && a.Correction == b.Correction
}
