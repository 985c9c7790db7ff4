// Package sqlite is the news.Store kept in one SQLite database file, through
// the pure-Go driver modernc.org/sqlite.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"newswidget/app/news"
	"newswidget/server/internal/row"
)

// FileName is the name of the database file inside the directory given to Open.
const FileName = "newswidget.db"

// Store is the SQLite news.Store; it is safe for concurrent use.
type Store struct {
	w *sql.DB // one connection, so this process's writes queue instead of failing busy; nil when read-only
	r *sql.DB // readers, which WAL runs beside the writer

	readOnly atomic.Pointer[string] // why writes are refused; nil: they are not
}

var _ news.Store = (*Store)(nil)

// ErrNoDatabase is what Open returns, wrapped, for a directory that can
// neither be written nor holds a database to read.
var ErrNoDatabase = errors.New("no database to read")

// Open opens, creating it if needed, the store in dir/newswidget.db and
// brings its schema up to date. Where dir or the database cannot be written
// (a read-only mount, an immutable file, no permission), it opens the
// database read-only instead, so that readers are still served: writes then
// fail with EUnavailable and ReadOnly says why. A directory that cannot be
// written and holds no database gives an error matching ErrNoDatabase.
func Open(dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	// The driver cuts the name at the first '?' to read its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: %q: the path may not contain '?'", path)
	}
	// SQLite opens a file it cannot write read-only without a word, and
	// only writes would fail: look first.
	err := probeWrite(path)
	if err == nil {
		var s *Store
		if s, err = openWritable(dir, path); err == nil || !cannotWrite(err) {
			return s, err
		}
	}
	s, roErr := openReadOnly(path)
	if roErr != nil {
		return nil, fmt.Errorf("sqlite: %s cannot be written (%v), nor read: %w", path, err, roErr)
	}
	s.SetReadOnly("the data directory cannot be written; publishing needs a writable -data directory and a restart")
	return s, nil
}

func openWritable(dir, path string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// synchronous=FULL syncs the WAL at every commit, so an acknowledged write
	// survives a crash of the process or of the machine. _txlock=immediate
	// takes the write lock at BEGIN, so a read-then-write transaction cannot
	// fail busy halfway when another process writes too. secure_delete
	// overwrites what a write frees, so a deleted article's text does not
	// linger in the file either.
	dsn := path + "?_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_pragma=secure_delete(1)"
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

// probeWrite opens the database file, if there is one, for writing, and
// returns the error that says it cannot be written, nil otherwise.
func probeWrite(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if cannotWrite(err) {
			return err
		}
		return nil // no file yet, or a failure openWritable will report
	}
	f.Close()
	return nil
}

// cannotWrite reports whether err, from opening the store for writing,
// says the file or its directory cannot be written, rather than that the
// database is broken.
func cannotWrite(err error) bool {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return true
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}

// sqliteCode returns the primary result code of an SQLite error, 0 for
// another error.
func sqliteCode(err error) int {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return 0
	}
	return se.Code() & 0xff
}

// openReadOnly opens an existing database for reading only, at this
// program's schema version, which it cannot migrate.
func openReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoDatabase
	} else if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	uri := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?mode=ro&_busy_timeout=10000&_query_only=on"
	r, err := openReader(uri)
	if sqliteCode(err) == sqlite3.SQLITE_CANTOPEN && !walHasFrames(path) {
		// A WAL database needs its -shm file, which a read-only directory
		// cannot get. With no WAL to read, the file alone is the whole
		// database, and immutable=1 reads it without the -shm.
		r, err = openReader(uri + "&immutable=1")
	}
	if err != nil {
		return nil, err
	}
	return &Store{r: r}, nil
}

// walHasFrames reports whether the database at path has a write-ahead log
// with content, which a reader that ignored it would not see.
func walHasFrames(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

func openReader(dsn string) (*sql.DB, error) {
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	r.SetMaxOpenConns(4)
	var v int
	if err := r.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		r.Close()
		return nil, err
	}
	if v != len(migrations) {
		r.Close()
		return nil, fmt.Errorf("the schema is at version %d, this program's at %d, and a read-only database cannot be migrated", v, len(migrations))
	}
	return r, nil
}

// OpenMemory opens an empty store held in memory and lost on Close: for
// fixed content (written, then frozen with SetReadOnly) where no directory
// can keep a database.
func OpenMemory() (*Store, error) {
	db, err := sql.Open("sqlite", "file::memory:?_foreign_keys=on")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// One connection, never closed: the database lives as long as it does.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: memory: %w", err)
	}
	return &Store{w: db, r: db}, nil
}

// SetReadOnly makes the store refuse every write from now on with
// EUnavailable, giving reason.
func (s *Store) SetReadOnly(reason string) { s.readOnly.Store(&reason) }

// ReadOnly returns why the store refuses writes, empty if it takes them.
func (s *Store) ReadOnly() string {
	if p := s.readOnly.Load(); p != nil {
		return *p
	}
	return ""
}

// Close releases the store.
func (s *Store) Close() error {
	err := s.r.Close()
	if s.w != nil && s.w != s.r {
		err = errors.Join(err, s.w.Close())
	}
	return err
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
	// The event log keeps no article text (see EventsSince): the text that
	// events kept, of deleted articles too, is purged; the column stays
	// NULL. secure_delete (see Open) overwrites the freed bytes in the file.
	`UPDATE events SET article = NULL WHERE article IS NOT NULL;
	CREATE INDEX events_article ON events (article_id, seq);`,
	// The newsroom's accounts, sessions, tokens and audit log (accounts.go).
	accountsMigration,
	// The flash lifecycle (issue #16): urgent, pinned, expiry, correction;
	// expiry_logged marks an expiry whose delete event is in the log.
	`ALTER TABLE articles ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE articles ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE articles ADD COLUMN expires_at INTEGER; -- unix nanoseconds; NULL: never
	ALTER TABLE articles ADD COLUMN correction TEXT NOT NULL DEFAULT '';
	ALTER TABLE articles ADD COLUMN expiry_logged INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX articles_expiry ON articles (expires_at) WHERE expires_at IS NOT NULL;`,
	// The back-off switch (issue #18, live.go).
	liveMigration,
	// Partner sites and their aggregated impressions and clicks (issue #17;
	// partners.go, stats.go).
	partnersMigration,
	statsMigration,
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
		if ev, err = appendEvent(ctx, tx, news.EventArticle, a); err != nil {
			return err
		}
		return auditArticle(ctx, tx, news.ActionPublish, a)
	})
	return ev, err
}

// UpdateArticle replaces an existing article; NotFound if there is none. It
// arms the article's expiry anew.
func (s *Store) UpdateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	var ev news.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		vals, err := row.Values(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE articles SET `+updateSet+`, expiry_logged = 0 WHERE id = ?`, slices.Concat(vals[1:], []any{a.ID})...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.ENotFound, "there is no article %q", a.ID)
		}
		if ev, err = appendEvent(ctx, tx, news.EventArticle, a); err != nil {
			return err
		}
		return auditArticle(ctx, tx, news.ActionEdit, a)
	})
	return ev, err
}

// UpsertArticle creates or replaces an article, reporting changed=false (and no event) when the stored one is already equal.
func (s *Store) UpsertArticle(ctx context.Context, a news.Article) (news.Event, bool, error) {
	var ev news.Event
	changed := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := row.Values(a); err != nil {
			return err
		}
		old, err := getArticle(ctx, tx, a.ID)
		if err == nil {
			a = row.KeepLifecycle(a, old)
		}
		switch {
		case err == nil && old.Equal(a):
			return nil
		case err != nil && news.ErrorCode(err) != news.ENotFound:
			return err
		}
		vals, err := row.Values(a)
		if err != nil {
			return err
		}
		// the lifecycle is the stored one: its expiry stays as logged
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
		if ev, err = appendEvent(ctx, tx, news.EventDelete, news.Article{ID: id}); err != nil {
			return err
		}
		return auditArticle(ctx, tx, news.ActionDelete, news.Article{ID: id})
	})
	return ev, err
}

// EventsSince returns, in order, the latest event of every article changed
// after seq, up to limit of them (limit <= 0: all): an article event with the
// article as it is now, a delete with its id only. At an event it cannot
// read it returns the events before it and a *row.DamagedEvent.
func (s *Store) EventsSince(ctx context.Context, seq int64, limit int) ([]news.Event, error) {
	// One read transaction, so the events and the articles they name come
	// from one snapshot.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	args := []any{seq}
	if limit > 0 {
		args = append(args, limit)
	}
	rows, err := tx.QueryContext(ctx, row.HeadsQuery(func(int) string { return "?" }, limit > 0), args...)
	if err != nil {
		return nil, err
	}
	var heads []row.Head
	for rows.Next() {
		h, err := row.ScanHead(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		heads = append(heads, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	found, bad, err := articlesByID(ctx, tx, row.ArticleIDs(heads))
	if err != nil {
		return nil, err
	}
	return row.Events(heads, found, bad)
}

// idsPerQuery bounds the ids of one IN list, below SQLite's limit on
// parameters.
const idsPerQuery = 500

// articlesByID reads the articles with the given ids. Those whose row
// cannot be read are in bad, with the reason, so that one damaged row does
// not hide the others.
func articlesByID(ctx context.Context, tx *sql.Tx, ids []string) (found map[string]news.Article, bad map[string]error, err error) {
	found, bad = make(map[string]news.Article, len(ids)), map[string]error{}
	for chunk := range slices.Chunk(ids, idsPerQuery) {
		if err := readArticles(ctx, tx, chunk, found); err == nil {
			continue
		} else if ctx.Err() != nil {
			return nil, nil, err
		}
		// Some row failed: read them one by one to tell which.
		for _, id := range chunk {
			a, err := getArticle(ctx, tx, id)
			switch {
			case err == nil:
				found[id] = a
			case news.ErrorCode(err) == news.ENotFound:
			case ctx.Err() != nil:
				return nil, nil, err
			default:
				bad[id] = err
			}
		}
	}
	return found, bad, nil
}

func readArticles(ctx context.Context, tx *sql.Tx, ids []string, found map[string]news.Article) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	rows, err := tx.QueryContext(ctx, `SELECT `+row.Columns+` FROM articles WHERE id IN (`+marks+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := row.Scan(rows)
		if err != nil {
			return err
		}
		found[a.ID] = a
	}
	return rows.Err()
}

// LastSeq returns the sequence of the newest event, 0 if none.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq)
	return seq, err
}

// Expire logs a delete event for every article expired at now whose expiry
// is not logged yet, and returns the next expiry after now (see
// news.Store.Expire). Processes sharing the file take turns at the write
// lock, and the second finds the expiry logged.
func (s *Store) Expire(ctx context.Context, now time.Time) ([]news.Event, time.Time, error) {
	n := now.UnixNano()
	var due int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM articles
		WHERE expires_at <= ? AND expiry_logged = 0 LIMIT 1)`, n).Scan(&due); err != nil {
		return nil, time.Time{}, err
	}
	var evs []news.Event
	if due > 0 {
		err := s.write(ctx, func(tx *sql.Tx) error {
			evs = nil
			rows, err := tx.QueryContext(ctx, `UPDATE articles SET expiry_logged = 1
				WHERE expires_at <= ? AND expiry_logged = 0 RETURNING id`, n)
			if err != nil {
				return err
			}
			var ids []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			slices.Sort(ids)
			for _, id := range ids {
				ev, err := appendEvent(ctx, tx, news.EventDelete, news.Article{ID: id})
				if err != nil {
					return err
				}
				evs = append(evs, ev)
			}
			return nil
		})
		if err != nil {
			return nil, time.Time{}, err
		}
	}
	var next *int64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM articles WHERE expires_at > ?`, n).Scan(&next); err != nil {
		return evs, time.Time{}, err
	}
	if next == nil {
		return evs, time.Time{}, nil
	}
	return evs, time.Unix(0, *next).UTC(), nil
}

// write runs fn in one transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if why := s.ReadOnly(); why != "" {
		return &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: it is read-only: " + why}
	}
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
	// Fixed words, not the driver's text, which names files of the server.
	why, ok := map[int]string{
		sqlite3.SQLITE_FULL:     "the disk is full",
		sqlite3.SQLITE_READONLY: "the database is read-only",
		sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
		sqlite3.SQLITE_IOERR:    "the disk reported an I/O error",
	}[sqliteCode(err)]
	if ok {
		return &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: " + why}
	}
	return err
}

// appendEvent records the event of a write: its type and the article's id,
// never its text, which stays in the articles table alone.
func appendEvent(ctx context.Context, tx *sql.Tx, typ news.EventType, a news.Article) (news.Event, error) {
	if typ == news.EventArticle {
		a = row.Normalize(a)
	}
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO events (type, article_id) VALUES (?, ?) RETURNING seq`,
		string(typ), a.ID).Scan(&seq)
	return news.Event{Seq: seq, Type: typ, Article: a}, err
}

const (
	insertColumns = `id, title, summary, body, url, source, category, category_key, image, flash, published_at, updated_at,
		urgent, pinned, expires_at, correction`
	insertValues = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
	updateSet    = `title = ?, summary = ?, body = ?, url = ?, source = ?, category = ?, category_key = ?,
		image = ?, flash = ?, published_at = ?, updated_at = ?, urgent = ?, pinned = ?, expires_at = ?, correction = ?`
)
