// Package sqlite is the news.Store kept in one SQLite database file, through
// the pure-Go driver modernc.org/sqlite.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"newswidget/app/news"
	"newswidget/server/internal/row"
)

// FileName is the name of the database file inside the directory given to Open.
const FileName = "newswidget.db"

// Store is the SQLite news.Store; it is safe for concurrent use.
type Store struct {
	w *sql.DB // one connection, so this process's writes queue instead of failing busy
	r *sql.DB // readers, which WAL runs beside the writer
}

var _ news.Store = (*Store)(nil)

// Open opens, creating it if needed, the store in dir/newswidget.db and brings its schema up to date.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// The driver cuts the name at the first '?' to read its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: %q: the path may not contain '?'", path)
	}
	// synchronous=FULL syncs the WAL at every commit, so an acknowledged write
	// survives a crash of the process or of the machine. _txlock=immediate
	// takes the write lock at BEGIN, so a read-then-write transaction cannot
	// fail busy halfway when another process writes too.
	dsn := path + "?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_query_only=on")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(4)
	return &Store{w: w, r: r}, nil
}

// Close releases the store.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// migrations are the schema versions in order: migrations[i] takes the
// database from user_version i to i+1. Append; never edit a released one.
var migrations = []string{
	`CREATE TABLE articles (
		id           TEXT PRIMARY KEY,
		title        TEXT NOT NULL,
		summary      TEXT NOT NULL,
		body         TEXT NOT NULL, -- JSON array of paragraphs
		url          TEXT NOT NULL,
		source       TEXT NOT NULL,
		category     TEXT NOT NULL,
		category_key TEXT NOT NULL, -- folded category, as NOCASE folds ASCII only
		image        TEXT NOT NULL,
		flash        INTEGER NOT NULL,
		published_at INTEGER NOT NULL, -- unix nanoseconds
		updated_at   INTEGER NOT NULL
	);
	CREATE INDEX articles_order ON articles (published_at DESC, id DESC);
	CREATE INDEX articles_category ON articles (category_key, published_at DESC, id DESC);
	CREATE TABLE events (
		seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: never reused
		type       TEXT NOT NULL,
		article_id TEXT NOT NULL,
		article    TEXT -- JSON of the article; NULL for a delete
	);`,
}

// migrate applies the migrations the database lacks, each in a transaction
// with its user_version, so a crash leaves it at one version or the next.
func migrate(db *sql.DB) error {
	for {
		done, err := migrateOne(db)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(db *sql.DB) (done bool, err error) {
	tx, err := db.Begin()
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return false, err
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("schema version %d is newer than this program's %d", v, len(migrations))
	case v == len(migrations):
		return true, nil
	}
	if _, err := tx.Exec(migrations[v]); err != nil {
		return false, fmt.Errorf("migration %d: %w", v+1, err)
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// Articles lists articles newest first; next is the cursor of the page after this one, zero at the end.
func (s *Store) Articles(ctx context.Context, f news.ArticleFilter) ([]news.Article, news.Cursor, error) {
	q, args, limit := row.List(f, func(int) string { return "?" })
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, news.Cursor{}, err
	}
	defer rows.Close()
	list := []news.Article{}
	for rows.Next() {
		a, err := row.Scan(rows)
		if err != nil {
			return nil, news.Cursor{}, err
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, news.Cursor{}, err
	}
	list, next := row.Page(list, limit)
	return list, next, nil
}

// Article returns one article or an error with code NotFound.
func (s *Store) Article(ctx context.Context, id string) (news.Article, error) {
	return getArticle(ctx, s.r, id)
}

// queryer is what reads need of a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getArticle(ctx context.Context, q queryer, id string) (news.Article, error) {
	a, err := row.Scan(q.QueryRowContext(ctx, `SELECT `+row.Columns+` FROM articles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return news.Article{}, news.Errorf(news.ENotFound, "there is no article %q", id)
	}
	return a, err
}

// CreateArticle stores a new article; Conflict if the id exists.
func (s *Store) CreateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	var ev news.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		vals, err := row.Values(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO articles (`+insertColumns+`) VALUES (`+insertValues+`)
			ON CONFLICT (id) DO NOTHING`, vals...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.EConflict, "an article with id %q already exists", a.ID)
		}
		ev, err = appendEvent(ctx, tx, news.EventArticle, a)
		return err
	})
	return ev, err
}

// UpdateArticle replaces an existing article; NotFound if there is none.
func (s *Store) UpdateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	var ev news.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		vals, err := row.Values(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE articles SET `+updateSet+` WHERE id = ?`, slices.Concat(vals[1:], []any{a.ID})...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.ENotFound, "there is no article %q", a.ID)
		}
		ev, err = appendEvent(ctx, tx, news.EventArticle, a)
		return err
	})
	return ev, err
}

// UpsertArticle creates or replaces an article, reporting changed=false (and no event) when the stored one is already equal.
func (s *Store) UpsertArticle(ctx context.Context, a news.Article) (news.Event, bool, error) {
	var ev news.Event
	changed := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		vals, err := row.Values(a)
		if err != nil {
			return err
		}
		old, err := getArticle(ctx, tx, a.ID)
		switch {
		case err == nil && old.Equal(a):
			return nil
		case err != nil && news.ErrorCode(err) != news.ENotFound:
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO articles (`+insertColumns+`) VALUES (`+insertValues+`)
			ON CONFLICT (id) DO UPDATE SET `+updateSet, slices.Concat(vals, vals[1:])...); err != nil {
			return err
		}
		changed = true
		ev, err = appendEvent(ctx, tx, news.EventArticle, a)
		return err
	})
	return ev, changed, err
}

// DeleteArticle removes an article; NotFound if there is none.
func (s *Store) DeleteArticle(ctx context.Context, id string) (news.Event, error) {
	var ev news.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM articles WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.ENotFound, "there is no article %q", id)
		}
		ev, err = appendEvent(ctx, tx, news.EventDelete, news.Article{ID: id})
		return err
	})
	return ev, err
}

// EventsSince returns up to limit events with a sequence above seq, in order; limit <= 0 means all of them.
func (s *Store) EventsSince(ctx context.Context, seq int64, limit int) ([]news.Event, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, type, article_id, article FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []news.Event{}
	for rows.Next() {
		var ev news.Event
		var id string
		var data sql.NullString
		if err := rows.Scan(&ev.Seq, &ev.Type, &id, &data); err != nil {
			return nil, err
		}
		ev.Article.ID = id
		if data.Valid {
			if err := json.Unmarshal([]byte(data.String), &ev.Article); err != nil {
				return nil, fmt.Errorf("sqlite: event %d: %w", ev.Seq, err)
			}
			ev.Article = row.Normalize(ev.Article)
		}
		events = append(events, ev)
	}
	return events, rows.Err()
}

// LastSeq returns the sequence of the newest event, 0 if none.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq)
	return seq, err
}

// write runs fn in one transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return writeError(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return writeError(err)
	}
	return writeError(tx.Commit())
}

// writeError turns the failures that will not go away by retrying -- a full
// disk, a read-only or vanished file -- into EUnavailable, so the client is
// told the service cannot take writes rather than that it broke.
func writeError(err error) error {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
		return &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: " + se.Error()}
	}
	return err
}

func appendEvent(ctx context.Context, tx *sql.Tx, typ news.EventType, a news.Article) (news.Event, error) {
	var data any // NULL for a delete, whose event carries the id only
	if typ == news.EventArticle {
		a = row.Normalize(a)
		b, err := json.Marshal(a)
		if err != nil {
			return news.Event{}, err
		}
		data = string(b)
	}
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO events (type, article_id, article) VALUES (?, ?, ?) RETURNING seq`,
		string(typ), a.ID, data).Scan(&seq)
	return news.Event{Seq: seq, Type: typ, Article: a}, err
}

const (
	insertColumns = `id, title, summary, body, url, source, category, category_key, image, flash, published_at, updated_at`
	insertValues  = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	updateSet     = `title = ?, summary = ?, body = ?, url = ?, source = ?, category = ?, category_key = ?,
		image = ?, flash = ?, published_at = ?, updated_at = ?`
)
