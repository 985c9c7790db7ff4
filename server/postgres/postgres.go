// Package postgres is the news.Store kept in PostgreSQL, shared by several
// server nodes, with the cross-node fan-out of events through LISTEN/NOTIFY.
//
// It mirrors the SQLite store (server/sqlite) exactly: the same schema shape,
// the same error codes, and times kept as unix nanoseconds so they round-trip
// to the nanosecond. The differences come from PostgreSQL itself: text
// cannot hold NUL bytes or invalid UTF-8 (news.Validate refuses both anyway;
// here such a write is EInvalid and such an id is simply not found), and
// losing the server makes reads and writes EUnavailable.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"newswidget/app/news"
	"newswidget/server/internal/row"
)

// Channel is the NOTIFY channel on which every committed write announces its
// event's sequence number.
const Channel = "newswidget_events"

// Advisory lock keys, fixed for the life of the schema: every node must agree
// on them. They live in the database's own key space, so two databases on one
// server do not contend.
const (
	migrateLockKey int64 = 0x6e65_7773_0001 // held while the schema is brought up to date
	writeLockKey   int64 = 0x6e65_7773_0002 // held by every write transaction until it ends
)

// Store is the PostgreSQL news.Store; it is safe for concurrent use, and any
// number of Stores, in any number of processes, may share one database.
type Store struct {
	pool       *pgxpool.Pool
	listenConf *pgx.ConnConfig // for Listen's own connection, outside the pool
	log        *slog.Logger

	mu        sync.Mutex
	closed    bool
	done      chan struct{} // closed by Close, to end Listen
	listeners sync.WaitGroup
}

var _ news.Store = (*Store)(nil)

// Options configure a Store that Open makes; the zero value is the default.
type Options struct {
	// Logger is where Listen reports lost and regained connections; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Defaults Open applies when the DSN does not say otherwise.
const (
	// connectTimeout bounds a connection attempt, so an unreachable server
	// answers EUnavailable instead of holding a request until it times out.
	connectTimeout = 10 * time.Second
	// The keep-alive probes find a peer that vanished without closing the
	// connection (a crashed host, a dropped NAT entry) in about 25 s, where
	// the operating system's defaults would take hours; Listen depends on it.
	keepAliveIdle     = 10 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// string, as libpq takes) and brings its schema up to date, waiting for
// another node that is migrating it at the same time; ctx bounds the wait.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx redacts the password
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "newswidget"
	}
	dialer := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
	}}
	cc.DialFunc = dialer.DialContext
	s := &Store{listenConf: cc.Copy(), log: o.Logger, done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, s.pool); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Close ends every Listen, waits for them, and closes the connections.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.listeners.Wait()
	s.pool.Close()
	return nil
}

// migrations are the schema versions in order: migrations[i] takes the
// database from version i to i+1. Append; never edit a released one.
var migrations = []string{
	// id and category_key are COLLATE "C" so that they compare by bytes, as Go
	// strings and news.Before do, whatever the database's default collation.
	// category_key is folded in Go, as the SQLite store folds it, so matching
	// does not hang on the database's locale either.
	`CREATE TABLE articles (
		id           TEXT COLLATE "C" PRIMARY KEY,
		title        TEXT NOT NULL,
		summary      TEXT NOT NULL,
		body         JSON NOT NULL, -- array of paragraphs; JSON, not JSONB, keeps the text as written
		url          TEXT NOT NULL,
		source       TEXT NOT NULL,
		category     TEXT NOT NULL,
		category_key TEXT COLLATE "C" NOT NULL,
		image        TEXT NOT NULL,
		flash        BOOLEAN NOT NULL,
		published_at BIGINT NOT NULL, -- unix nanoseconds; the zero time is the smallest BIGINT
		updated_at   BIGINT NOT NULL
	);
	CREATE INDEX articles_order ON articles (published_at DESC, id DESC);
	CREATE INDEX articles_category ON articles (category_key, published_at DESC, id DESC);
	CREATE TABLE events (
		seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused
		type       TEXT NOT NULL,
		article_id TEXT COLLATE "C" NOT NULL,
		article    JSON -- the article as it was; NULL for a delete
	);`,
	// The event log keeps no article text (see EventsSince): the text that
	// events kept, of deleted articles too, is purged; the column stays, NULL
	// from now on, so that a node of the previous version can still write
	// while the nodes are upgraded (DeleteArticle purges what such a node
	// wrote). PostgreSQL frees the old row versions at the next (auto)vacuum.
	`UPDATE events SET article = NULL WHERE article IS NOT NULL;
	CREATE INDEX events_article ON events (article_id, seq);`,
	// The newsroom's accounts, sessions, tokens and audit log (accounts.go).
	accountsMigration,
	// The flash lifecycle (issue #16): urgent, pinned, expiry, correction;
	// expiry_logged marks an expiry whose delete event is in the log.
	`ALTER TABLE articles ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT false,
		ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT false,
		ADD COLUMN expires_at BIGINT, -- unix nanoseconds; NULL: never
		ADD COLUMN correction TEXT NOT NULL DEFAULT '',
		ADD COLUMN expiry_logged BOOLEAN NOT NULL DEFAULT false;
	CREATE INDEX articles_expiry ON articles (expires_at) WHERE expires_at IS NOT NULL;`,
	// The back-off switch (issue #18, live.go).
	liveMigration,
	// Partner sites and their aggregated impressions and clicks (issue #17;
	// partners.go, stats.go).
	partnersMigration,
	statsMigration,
}

// migrate applies the migrations the database lacks, all in one transaction
// that holds the migration lock: nodes starting together take turns, the
// later ones finding the work done, and a crash leaves the old schema whole.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
		return err
	}
	// Look before creating, so that a role without CREATE can open a
	// database an administrator has already migrated.
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// rollback ends a transaction that was not committed, bounded because the
// caller's context may be done and the connection may be gone.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tx.Rollback(ctx) // after Commit, a no-op
}

// Articles lists articles newest first; next is the cursor of the page after this one, zero at the end.
func (s *Store) Articles(ctx context.Context, f news.ArticleFilter) ([]news.Article, news.Cursor, error) {
	// PostgreSQL's text holds no NUL or invalid UTF-8: no stored category
	// can match such a key, and no cursor names such an id.
	if f.Category != "" && !storable(row.FoldCategory(f.Category)) {
		return []news.Article{}, news.Cursor{}, nil
	}
	if !f.Before.IsZero() && !storable(f.Before.ID) {
		return nil, news.Cursor{}, news.FieldError("before", "is not a cursor from a previous page's \"next\"")
	}
	q, args, limit := row.List(f, func(n int) string { return "$" + strconv.Itoa(n) })
	var list []news.Article
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Article, error) { return row.Scan(r) })
		return err
	})
	if err != nil {
		return nil, news.Cursor{}, err
	}
	list, next := row.Page(list, limit)
	return list, next, nil
}

// Article returns one article or an error with code NotFound.
func (s *Store) Article(ctx context.Context, id string) (news.Article, error) {
	var a news.Article
	err := s.read(ctx, func() (err error) {
		a, err = getArticle(ctx, s.pool, id)
		return err
	})
	return a, err
}

// queryer is what reads need of a pool or a transaction.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getArticle(ctx context.Context, q queryer, id string) (news.Article, error) {
	if !storable(id) {
		return news.Article{}, notFound(id) // PostgreSQL could not even compare it
	}
	a, err := row.Scan(q.QueryRow(ctx, `SELECT `+row.Columns+` FROM articles WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return news.Article{}, notFound(id)
	}
	return a, err
}

func notFound(id string) error { return news.Errorf(news.ENotFound, "there is no article %q", id) }

// CreateArticle stores a new article; Conflict if the id exists.
func (s *Store) CreateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	vals, err := articleToDB(a)
	if err != nil {
		return news.Event{}, err
	}
	var ev news.Event
	err = s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO articles (`+insertColumns+`) VALUES (`+insertValues+`)
			ON CONFLICT (id) DO NOTHING`, vals...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return news.Errorf(news.EConflict, "an article with id %q already exists", a.ID)
		}
		if ev, err = appendEvent(ctx, tx, news.EventArticle, a); err != nil {
			return err
		}
		return auditArticle(ctx, tx, news.ActionPublish, a)
	})
	return ev, err
}

// UpdateArticle replaces an existing article; NotFound if there is none.
func (s *Store) UpdateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	if !storable(a.ID) {
		return news.Event{}, notFound(a.ID)
	}
	vals, err := articleToDB(a)
	if err != nil {
		return news.Event{}, err
	}
	var ev news.Event
	err = s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE articles SET `+updateSet+` WHERE id = $1`, vals...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound(a.ID)
		}
		if ev, err = appendEvent(ctx, tx, news.EventArticle, a); err != nil {
			return err
		}
		return auditArticle(ctx, tx, news.ActionEdit, a)
	})
	return ev, err
}

// UpsertArticle creates or replaces an article, reporting changed=false (and no event) when the stored one is already equal.
func (s *Store) UpsertArticle(ctx context.Context, in news.Article) (news.Event, bool, error) {
	if _, err := articleToDB(in); err != nil {
		return news.Event{}, false, err
	}
	var ev news.Event
	changed := false
	err := s.write(ctx, func(tx pgx.Tx) error {
		ev, changed = news.Event{}, false
		a := in
		old, err := getArticle(ctx, tx, a.ID)
		if err == nil {
			a = row.KeepLifecycle(a, old)
		}
		vals, verr := articleToDB(a)
		if verr != nil {
			return verr
		}
		switch {
		case err == nil && old.Equal(a):
			return nil
		case err != nil && news.ErrorCode(err) != news.ENotFound:
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO articles (`+insertColumns+`) VALUES (`+insertValues+`)
			ON CONFLICT (id) DO UPDATE SET `+upsertSet, vals...); err != nil {
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
	if !storable(id) {
		return news.Event{}, notFound(id)
	}
	var ev news.Event
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM articles WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound(id)
		}
		// Text a node of the previous version wrote into the log, during an
		// upgrade, goes with the article.
		if _, err := tx.Exec(ctx, `UPDATE events SET article = NULL WHERE article_id = $1 AND article IS NOT NULL`, id); err != nil {
			return err
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
	args := []any{seq}
	if limit > 0 {
		args = append(args, limit)
	}
	q := row.HeadsQuery(func(n int) string { return "$" + strconv.Itoa(n) }, limit > 0)
	var heads []row.Head
	var found map[string]news.Article
	var bad map[string]error
	err := s.read(ctx, func() error {
		// One snapshot for the events and the articles they name.
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer rollback(tx)
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		if heads, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (row.Head, error) { return row.ScanHead(r) }); err != nil {
			return err
		}
		found, bad, err = articlesByID(ctx, tx, row.ArticleIDs(heads))
		return err
	})
	if err != nil {
		return nil, err
	}
	return row.Events(heads, found, bad)
}

// articlesByID reads the articles with the given ids. Those whose row
// cannot be read are in bad, with the reason, so that one damaged row does
// not hide the others.
func articlesByID(ctx context.Context, tx pgx.Tx, ids []string) (found map[string]news.Article, bad map[string]error, err error) {
	found, bad = make(map[string]news.Article, len(ids)), map[string]error{}
	if len(ids) == 0 {
		return found, bad, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+row.Columns+` FROM articles WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Article, error) { return row.Scan(r) })
	if err == nil {
		for _, a := range list {
			found[a.ID] = a
		}
		return found, bad, nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || unavailable(err) || ctx.Err() != nil {
		return nil, nil, err // the server failed the read (and the transaction), not a row
	}
	// A row could not be decoded: read them one by one to tell which.
	for _, id := range ids {
		a, err := getArticle(ctx, tx, id)
		switch {
		case err == nil:
			found[id] = a
		case news.ErrorCode(err) == news.ENotFound:
		case unavailable(err) || ctx.Err() != nil:
			return nil, nil, err
		default:
			bad[id] = err
		}
	}
	return found, bad, nil
}

// LastSeq returns the sequence of the newest event, 0 if none.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq)
	})
	return seq, err
}

// Expire logs a delete event for every article expired at now whose expiry
// is not logged yet, and returns the next expiry after now (see
// news.Store.Expire). Nodes take turns at the write lock, and the later
// ones find the expiry logged: each expiry is logged once.
func (s *Store) Expire(ctx context.Context, now time.Time) ([]news.Event, time.Time, error) {
	n := now.UnixNano()
	var due bool
	err := s.read(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM articles
			WHERE expires_at <= $1 AND NOT expiry_logged)`, n).Scan(&due)
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	var evs []news.Event
	if due {
		err := s.write(ctx, func(tx pgx.Tx) error {
			evs = nil
			rows, err := tx.Query(ctx, `UPDATE articles SET expiry_logged = true
				WHERE expires_at <= $1 AND NOT expiry_logged RETURNING id`, n)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
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
	err = s.read(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT MIN(expires_at) FROM articles WHERE expires_at > $1`, n).Scan(&next)
	})
	if err != nil || next == nil {
		return evs, time.Time{}, err
	}
	return evs, time.Unix(0, *next).UTC(), nil
}

// attempts is how many times a read, or a write transaction that failed
// before its commit, is tried on a broken connection. Such a write is certain
// to have changed nothing, and a broken connection is what the first use of
// a pooled one looks like after the server restarted.
const attempts = 3

// read runs fn, again on a lost connection, and gives its error a code.
func (s *Store) read(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err != nil && attempt < attempts && connectionLost(err) && ctx.Err() == nil {
			continue
		}
		return readError(err)
	}
}

// write runs fn in one transaction that holds the write lock from its start
// to its end. Writers, on every node, thus commit one at a time and in the
// order of their sequence numbers: a reader that sees event n has already
// seen every event below it, which EventsSince pollers rely on.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		committing, err := s.writeOnce(ctx, fn)
		if err != nil && !committing && attempt < attempts && connectionLost(err) && ctx.Err() == nil {
			continue
		}
		if err != nil && committing && commitUnknown(err) {
			// never retried, here or by the caller: it may have committed
			return fmt.Errorf("%w: %w", news.ErrOutcomeUnknown, writeError(err))
		}
		return writeError(err)
	}
}

// commitUnknown reports whether a failed commit may have taken effect all
// the same: the connection broke or the server went away while it ran. A
// commit that was never sent, or that the server refused and said why (a
// serialization failure, a deferred constraint), changed nothing.
func commitUnknown(err error) bool {
	if errors.Is(err, pgx.ErrTxCommitRollback) || pgconn.SafeToRetry(err) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// a connection failure or an ended backend (class 57: a shutdown, a
		// termination, a cancel) may come after the commit record is written
		return sqlClass(pgErr.Code) == "08" || sqlClass(pgErr.Code) == "57"
	}
	return true
}

// writeOnce runs fn in a transaction, reporting whether a failure came at
// the commit, when the outcome is unknown and a retry could write twice.
func (s *Store) writeOnce(ctx context.Context, fn func(tx pgx.Tx) error) (committing bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
		return false, err
	}
	if err := fn(tx); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// appendEvent records the event of a write -- its type and the article's
// id, never its text, which stays in the articles table alone -- and queues
// its notification, which PostgreSQL delivers when, and only if, the
// transaction commits.
func appendEvent(ctx context.Context, tx pgx.Tx, typ news.EventType, a news.Article) (news.Event, error) {
	if typ == news.EventArticle {
		a = row.Normalize(a)
	}
	var seq int64
	err := tx.QueryRow(ctx, `WITH e AS (
			INSERT INTO events (type, article_id) VALUES ($1, $2) RETURNING seq
		)
		SELECT e.seq FROM e, LATERAL pg_notify('`+Channel+`', e.seq::text)`,
		string(typ), a.ID).Scan(&seq)
	return news.Event{Seq: seq, Type: typ, Article: a}, err
}

const (
	insertColumns = `id, title, summary, body, url, source, category, category_key, image, flash, published_at, updated_at,
		urgent, pinned, expires_at, correction`
	insertValues = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16`
	// an update arms the article's expiry anew (expiry_logged = false); an
	// upsert keeps the stored lifecycle, and so its expiry as logged
	updateSet = `title = $2, summary = $3, body = $4, url = $5, source = $6, category = $7, category_key = $8,
		image = $9, flash = $10, published_at = $11, updated_at = $12,
		urgent = $13, pinned = $14, expires_at = $15, correction = $16, expiry_logged = false`
	upsertSet = `title = EXCLUDED.title, summary = EXCLUDED.summary, body = EXCLUDED.body, url = EXCLUDED.url,
		source = EXCLUDED.source, category = EXCLUDED.category, category_key = EXCLUDED.category_key,
		image = EXCLUDED.image, flash = EXCLUDED.flash, published_at = EXCLUDED.published_at, updated_at = EXCLUDED.updated_at,
		urgent = EXCLUDED.urgent, pinned = EXCLUDED.pinned, expires_at = EXCLUDED.expires_at,
		correction = EXCLUDED.correction`
)

// articleToDB returns the values of insertColumns, or EInvalid for an
// article PostgreSQL cannot keep exactly: besides the shared rules of
// row.Values, its text type holds no NUL and no invalid UTF-8. (The JSON of
// the body escapes NUL and replaces invalid UTF-8, so the body needs no
// check.)
func articleToDB(a news.Article) ([]any, error) {
	for _, f := range []struct{ field, v string }{
		{"id", a.ID}, {"title", a.Title}, {"summary", a.Summary}, {"url", a.URL},
		{"source", a.Source}, {"category", a.Category}, {"image", a.Image}, {"correction", a.Correction},
	} {
		if !storable(f.v) {
			return nil, news.FieldError(f.field, "must be UTF-8 text without NUL characters")
		}
	}
	return row.Values(a)
}

// storable reports whether PostgreSQL's text type can hold s.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// storeError is a *news.Error for the client, whose message names no host or
// user, that still carries the driver's error for the server's log.
type storeError struct {
	e     *news.Error
	cause error
}

func (e *storeError) Error() string   { return e.e.Error() + ": " + e.cause.Error() }
func (e *storeError) Unwrap() []error { return []error{e.e, e.cause} }

// writeError gives a failed write its code: EUnavailable when the database
// cannot take it (unreachable, shutting down, full, read-only), so the
// client is told to come back rather than that the service broke; EInvalid
// for a value PostgreSQL refuses.
func writeError(err error) error {
	var e *news.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	if unavailable(err) {
		return &storeError{&news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: " + reason(err)}, err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && sqlClass(pgErr.Code) == "22" { // data exception
		return &storeError{news.Errorf(news.EInvalid, "the article cannot be stored: %s", pgErr.Message), err}
	}
	return err
}

// readError gives a failed read EUnavailable when the database cannot be
// reached, so readers get 503 and a retry rather than 500.
func readError(err error) error {
	var e *news.Error
	if err == nil || errors.As(err, &e) || !unavailable(err) {
		return err
	}
	return &storeError{&news.Error{Code: news.EUnavailable, Message: "the article store is unavailable: " + reason(err)}, err}
}

// reason says why the database is unavailable in words fit for a client.
func reason(err error) string {
	var pgErr *pgconn.PgError
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) && errors.As(err, &pgErr) {
		// By class, not the server's own text, which may name its files.
		switch {
		case pgErr.Code == "25006":
			return "the database is read-only"
		case sqlClass(pgErr.Code) == "53":
			return "the database is out of disk space or memory"
		case sqlClass(pgErr.Code) == "57":
			return "the database is shutting down or restarting"
		}
		return "the database cannot take the request now"
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return "the database did not answer in time"
	}
	return "the database cannot be reached"
}

// unavailable reports whether err says the database cannot serve now, as
// opposed to refusing this particular request.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch sqlClass(pgErr.Code) {
		case "08", // connection exception
			"53", // insufficient resources: disk full, out of memory, too many connections
			"58": // system error: I/O
			return true
		}
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now
			"57014", // query cancelled, as by statement_timeout
			"25006": // read-only transaction: a standby, or a primary demoted
			return true
		}
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return true
	}
	return connectionLost(err)
}

// sqlClass returns the class of an SQLSTATE code, its first two characters.
func sqlClass(code string) string { return code[:min(2, len(code))] }

// connectionLost reports whether err is the loss of an established connection.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return sqlClass(pgErr.Code) == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	return pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &netErr)
}

// Backoff between Listen's reconnection attempts.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 5 * time.Second
)

// Listen calls notify whenever any Store on this database, in this process
// or another, commits a write, until ctx is done or s is closed. It holds a
// connection of its own on LISTEN and, when that connection is lost,
// reconnects with backoff. As notifications sent while it was not listening
// are lost, it also calls notify each time it starts listening, the first
// time included: notify should read what is new (EventsSince), treating the
// call as a hint, and must not block. Listen returns ctx.Err() when ctx is
// done, nil when s is closed.
func (s *Store) Listen(ctx context.Context, notify func()) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.listeners.Add(1)
	s.mu.Unlock()
	defer s.listeners.Done()

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-lctx.Done():
		}
	}()
	backoff := listenMinBackoff
	lost := false
	for {
		err := s.listenOnce(lctx, notify, func() {
			if lost {
				s.log.Info("postgres: listening for events again", "channel", Channel)
			}
			backoff, lost = listenMinBackoff, false
		})
		if lctx.Err() != nil {
			return ctx.Err()
		}
		if !lost {
			s.log.Warn("postgres: not listening for events; reconnecting", "channel", Channel, "err", err)
			lost = true
		}
		// Jitter keeps the nodes of a cluster from reconnecting in lockstep.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-lctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce connects, listens, calls listening and then notify, and calls
// notify for every notification until the connection fails or ctx is done.
func (s *Store) listenOnce(ctx context.Context, notify, listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.listenConf.Copy())
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+Channel); err != nil {
		return err
	}
	listening()
	notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		notify()
	}
}
