package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"newswidget/app/news"
)

var _ news.Accounts = (*Store)(nil)

// accountsMigration adds the newsroom's accounts, sessions, personal tokens
// and audit log, as the SQLite store keeps them. Sessions and tokens are
// kept by the SHA-256 of their secret only; times are unix nanoseconds, 0
// for never.
const accountsMigration = `CREATE TABLE users (
		name          TEXT COLLATE "C" PRIMARY KEY,
		role          TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		disabled      BOOLEAN NOT NULL DEFAULT FALSE,
		created_at    BIGINT NOT NULL
	);
	CREATE TABLE sessions (
		id_hash    TEXT COLLATE "C" PRIMARY KEY,
		user_name  TEXT COLLATE "C" NOT NULL REFERENCES users (name),
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_name);
	CREATE TABLE tokens (
		id         TEXT COLLATE "C" PRIMARY KEY,
		hash       TEXT COLLATE "C" NOT NULL UNIQUE,
		owner      TEXT COLLATE "C" NOT NULL REFERENCES users (name),
		name       TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		last_used  BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX tokens_owner ON tokens (owner);
	CREATE TABLE audit (
		seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		at         BIGINT NOT NULL,
		user_name  TEXT NOT NULL,
		action     TEXT NOT NULL,
		article_id TEXT NOT NULL,
		title      TEXT NOT NULL
	);`

// nanos is t as stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the time nanos stored.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func noUser(name string) error { return news.Errorf(news.ENotFound, "there is no account %q", name) }

// CreateUser stores a new account with its password hash; EConflict if the name is taken.
func (s *Store) CreateUser(ctx context.Context, u news.User, passwordHash string) error {
	if !storable(u.Name) {
		return news.FieldError("name", "must be UTF-8 text without NUL characters")
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO users (name, role, password_hash, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`, u.Name, string(u.Role), passwordHash, u.Disabled, nanos(u.CreatedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return news.Errorf(news.EConflict, "an account named %q already exists", u.Name)
		}
		return nil
	})
}

const userColumns = `name, role, disabled, created_at`

func scanUser(r pgx.Row, extra ...any) (news.User, error) {
	var u news.User
	var role string
	var created int64
	err := r.Scan(append([]any{&u.Name, &role, &u.Disabled, &created}, extra...)...)
	u.Role, u.CreatedAt = news.Role(role), fromNanos(created)
	return u, err
}

// Users lists every account by name.
func (s *Store) Users(ctx context.Context) ([]news.User, error) {
	var list []news.User
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.User, error) { return scanUser(r) })
		return err
	})
	if list == nil && err == nil {
		list = []news.User{}
	}
	return list, err
}

// PasswordHash returns an account and its password hash.
func (s *Store) PasswordHash(ctx context.Context, name string) (news.User, string, error) {
	if !storable(name) {
		return news.User{}, "", noUser(name)
	}
	var u news.User
	var hash string
	err := s.read(ctx, func() (err error) {
		u, err = scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = $1`, name), &hash)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return news.User{}, "", noUser(name)
	}
	return u, hash, err
}

// DisableUser disables an account and ends its sessions and tokens.
func (s *Store) DisableUser(ctx context.Context, name string) error {
	if !storable(name) {
		return noUser(name)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = TRUE WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return noUser(name)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_name = $1`, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM tokens WHERE owner = $1`, name)
		return err
	})
}

// CreateSession stores a session of user, by the hash of its id, until
// expires, and drops the sessions that have expired; ENotFound for an
// account that is missing or disabled.
func (s *Store) CreateSession(ctx context.Context, idHash, user string, expires time.Time) error {
	if !storable(user) {
		return noUser(user)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, time.Now().UnixNano()); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_name, expires_at)
			SELECT $1, name, $2 FROM users WHERE name = $3 AND NOT disabled`, idHash, expires.UnixNano(), user)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return noUser(user)
		}
		return nil
	})
}

// Session returns the user of an unexpired session of an enabled account.
func (s *Store) Session(ctx context.Context, idHash string, now time.Time) (news.User, error) {
	if !storable(idHash) {
		return news.User{}, news.Errorf(news.ENotFound, "no such session")
	}
	var u news.User
	err := s.read(ctx, func() (err error) {
		u, err = scanUser(s.pool.QueryRow(ctx, `SELECT u.name, u.role, u.disabled, u.created_at
			FROM sessions s JOIN users u ON u.name = s.user_name
			WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, idHash, now.UnixNano()))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return news.User{}, news.Errorf(news.ENotFound, "no such session")
	}
	return u, err
}

// DeleteSession ends a session; ending one that does not exist is no error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
		return err
	})
}

// CreateToken stores a personal token by the hash of its secret; ENotFound
// for an owner that is missing or disabled.
func (s *Store) CreateToken(ctx context.Context, t news.Token, hash string) error {
	if !storable(t.Name) {
		return news.FieldError("name", "must be UTF-8 text without NUL characters")
	}
	if !storable(t.Owner) {
		return noUser(t.Owner)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (id, hash, owner, name, created_at, last_used)
			SELECT $1, $2, name, $3, $4, $5 FROM users WHERE name = $6 AND NOT disabled`,
			t.ID, hash, t.Name, nanos(t.CreatedAt), nanos(t.LastUsed), t.Owner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return noUser(t.Owner)
		}
		return nil
	})
}

const tokenColumns = `t.id, t.owner, t.name, t.created_at, t.last_used`

func scanToken(r pgx.Row, extra ...any) (news.Token, error) {
	var t news.Token
	var created, used int64
	err := r.Scan(append([]any{&t.ID, &t.Owner, &t.Name, &created, &used}, extra...)...)
	t.CreatedAt, t.LastUsed = fromNanos(created), fromNanos(used)
	return t, err
}

// Tokens lists the tokens of owner, of everyone when owner is "", oldest first.
func (s *Store) Tokens(ctx context.Context, owner string) ([]news.Token, error) {
	list := []news.Token{}
	if !storable(owner) {
		return list, nil
	}
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens t
			WHERE $1 = '' OR t.owner = $1 ORDER BY t.created_at, t.id`, owner)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Token, error) { return scanToken(r) })
		list = append(list[:0], got...)
		return err
	})
	return list, err
}

// DeleteToken removes a token by its id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if !storable(id) {
		return news.Errorf(news.ENotFound, "there is no token %q", id)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return news.Errorf(news.ENotFound, "there is no token %q", id)
		}
		return nil
	})
}

// TokenByHash returns the token with the hash and its owner, who must be enabled.
func (s *Store) TokenByHash(ctx context.Context, hash string) (news.Token, news.User, error) {
	if !storable(hash) {
		return news.Token{}, news.User{}, news.Errorf(news.ENotFound, "no such token")
	}
	var t news.Token
	var u news.User
	var role string
	var created int64
	err := s.read(ctx, func() (err error) {
		t, err = scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`, u.name, u.role, u.disabled, u.created_at
			FROM tokens t JOIN users u ON u.name = t.owner WHERE t.hash = $1 AND NOT u.disabled`, hash),
			&u.Name, &role, &u.Disabled, &created)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return news.Token{}, news.User{}, news.Errorf(news.ENotFound, "no such token")
	}
	u.Role, u.CreatedAt = news.Role(role), fromNanos(created)
	return t, u, err
}

// TouchToken records that a token was used at a time.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tokens SET last_used = $1 WHERE id = $2`, nanos(at), id)
		return err
	})
}

// AppendAudit adds an entry to the audit log.
func (s *Store) AppendAudit(ctx context.Context, e news.AuditEntry) error {
	for _, v := range []string{e.User, e.Action, e.ArticleID, e.Title} {
		if !storable(v) {
			return news.Errorf(news.EInvalid, "an audit entry must be UTF-8 text without NUL characters")
		}
	}
	return s.write(ctx, func(tx pgx.Tx) error { return insertAudit(ctx, tx, e) })
}

// insertAudit writes an audit entry in tx.
func insertAudit(ctx context.Context, tx pgx.Tx, e news.AuditEntry) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit (at, user_name, action, article_id, title) VALUES ($1, $2, $3, $4, $5)`,
		nanos(e.At), e.User, e.Action, e.ArticleID, e.Title)
	return err
}

// auditArticle records, in the write's transaction tx, an article write made
// for ctx's author (news.WithAuthor); a write with none records nothing.
func auditArticle(ctx context.Context, tx pgx.Tx, action string, a news.Article) error {
	e, ok := news.ArticleAudit(ctx, action, a, time.Now())
	if !ok {
		return nil
	}
	if !storable(e.User) {
		return news.Errorf(news.EInvalid, "an audit entry must be UTF-8 text without NUL characters")
	}
	return insertAudit(ctx, tx, e)
}

// Audit lists up to limit entries, newest first.
func (s *Store) Audit(ctx context.Context, limit int) ([]news.AuditEntry, error) {
	list := []news.AuditEntry{}
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT at, user_name, action, article_id, title FROM audit ORDER BY seq DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.AuditEntry, error) {
			var e news.AuditEntry
			var at int64
			err := r.Scan(&at, &e.User, &e.Action, &e.ArticleID, &e.Title)
			e.At = fromNanos(at)
			return e, err
		})
		list = append(list[:0], got...)
		return err
	})
	return list, err
}
