// Package row is the one shape in which both SQL stores (SQLite and
// PostgreSQL) keep an article: the column values, their encoding and the
// form an article is returned in, so the two stores cannot drift apart.
package row

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"newswidget/app/news"
)

// Values returns an article's column values, in the order id, title,
// summary, body (JSON), url, source, category, category key, image, flash,
// published_at, updated_at (unix nanoseconds), urgent, pinned, expires_at
// (unix nanoseconds, NULL for none), correction; EInvalid for a time the
// nanosecond columns cannot hold exactly.
func Values(a news.Article) ([]any, error) {
	if err := a.ValidateDates(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(Normalize(a).Body)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.Title, a.Summary, string(body), a.URL, a.Source, a.Category, FoldCategory(a.Category),
		a.Image, a.Flash, TimeToDB(a.PublishedAt), TimeToDB(a.UpdatedAt),
		a.Urgent, a.Pinned, ExpiryToDB(a.ExpiresAt), a.Correction}, nil
}

// ExpiryToDB encodes an expiry as unix nanoseconds, none as NULL.
func ExpiryToDB(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

// KeepLifecycle returns a with the lifecycle of old, the stored article an
// upsert replaces: urgent, pinned, expires_at and correction are set by
// editors, which a feed carrying the article again knows nothing of.
func KeepLifecycle(a, old news.Article) news.Article {
	a.Urgent, a.Pinned, a.ExpiresAt, a.Correction = old.Urgent, old.Pinned, old.ExpiresAt, old.Correction
	return a
}

// Scanner is a database row.
type Scanner interface{ Scan(dest ...any) error }

// Scan reads an article from the columns id, title, summary, body, url,
// source, category, image, flash, published_at, updated_at, urgent, pinned,
// expires_at, correction.
func Scan(r Scanner) (news.Article, error) {
	var a news.Article
	var body string
	var pub, upd int64
	var exp *int64
	if err := r.Scan(&a.ID, &a.Title, &a.Summary, &body, &a.URL, &a.Source, &a.Category, &a.Image,
		&a.Flash, &pub, &upd, &a.Urgent, &a.Pinned, &exp, &a.Correction); err != nil {
		return news.Article{}, err
	}
	if exp != nil {
		a.ExpiresAt = time.Unix(0, *exp).UTC()
	}
	if err := json.Unmarshal([]byte(body), &a.Body); err != nil {
		return news.Article{}, fmt.Errorf("article %q: body: %w", a.ID, err)
	}
	a.PublishedAt, a.UpdatedAt = TimeFromDB(pub), TimeFromDB(upd)
	return Normalize(a), nil
}

// Normalize gives an article the form a store returns: UTC times and a
// non-nil body, so the JSON API always sends "body": [].
func Normalize(a news.Article) news.Article {
	a.PublishedAt, a.UpdatedAt = a.PublishedAt.UTC(), a.UpdatedAt.UTC()
	if !a.ExpiresAt.IsZero() {
		a.ExpiresAt = a.ExpiresAt.UTC()
	}
	return news.NonNilBody(a)
}

// FoldCategory is the key by which categories match regardless of case,
// done in Go so both databases match the same categories whatever their
// collation.
func FoldCategory(c string) string { return strings.ToLower(c) }

// TimeToDB encodes a time as unix nanoseconds; the zero time, which has
// none, as the smallest int64, so it still sorts oldest.
func TimeToDB(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

// TimeFromDB decodes TimeToDB.
func TimeFromDB(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Columns are the columns Scan reads, in its order.
const Columns = `id, title, summary, body, url, source, category, image, flash, published_at, updated_at,
	urgent, pinned, expires_at, correction`

// List builds a listing's query: the articles of the filter newest first
// (those expired now left out unless the filter asks for them),
// one row more than the page (which tells whether a next page exists),
// with the placeholders ph makes for the nth argument ("?" or "$n").
func List(f news.ArticleFilter, ph func(n int) string) (query string, args []any, limit int) {
	limit = f.Limit
	if limit <= 0 {
		limit = news.DefaultListLimit
	}
	limit = min(limit, news.MaxListLimit)
	arg := func(v any) string {
		args = append(args, v)
		return ph(len(args))
	}
	var where []string
	if f.Category != "" {
		where = append(where, `category_key = `+arg(FoldCategory(f.Category)))
	}
	if f.Flash != nil {
		where = append(where, `flash = `+arg(*f.Flash))
	}
	if f.Pinned != nil {
		where = append(where, `pinned = `+arg(*f.Pinned))
	}
	if !f.Expired {
		where = append(where, `(expires_at IS NULL OR expires_at > `+arg(time.Now().UnixNano())+`)`)
	}
	if !f.Before.IsZero() {
		where = append(where, `(published_at, id) < (`+arg(TimeToDB(f.Before.PublishedAt))+`, `+arg(f.Before.ID)+`)`)
	}
	query = `SELECT ` + Columns + ` FROM articles`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY published_at DESC, id DESC LIMIT ` + arg(limit+1)
	return query, args, limit
}

// Page cuts what a List query returned to the page, and gives the cursor
// of the next page, zero at the end.
func Page(list []news.Article, limit int) ([]news.Article, news.Cursor) {
	if list == nil {
		list = []news.Article{}
	}
	if len(list) <= limit {
		return list, news.Cursor{}
	}
	list = list[:limit]
	last := list[limit-1]
	return list, news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID}
}
