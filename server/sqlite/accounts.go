package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"newswidget/app/news"
)

var _ news.Accounts = (*Store)(nil)

// accountsMigration adds the newsroom's accounts, sessions, personal tokens
// and audit log. Sessions and tokens are kept by the SHA-256 of their
// secret only; times are unix nanoseconds, 0 for never.
const accountsMigration = `CREATE TABLE users (
		name          TEXT PRIMARY KEY,
		role          TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		disabled      INTEGER NOT NULL DEFAULT 0,
		created_at    INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		id_hash    TEXT PRIMARY KEY,
		user_name  TEXT NOT NULL REFERENCES users (name),
		expires_at INTEGER NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_name);
	CREATE TABLE tokens (
		id         TEXT PRIMARY KEY,
		hash       TEXT NOT NULL UNIQUE,
		owner      TEXT NOT NULL REFERENCES users (name),
		name       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		last_used  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX tokens_owner ON tokens (owner);
	CREATE TABLE audit (
		seq        INTEGER PRIMARY KEY AUTOINCREMENT,
		at         INTEGER NOT NULL,
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
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, disabled, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`, u.Name, string(u.Role), passwordHash, u.Disabled, nanos(u.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.EConflict, "an account named %q already exists", u.Name)
		}
		return nil
	})
}

const userColumns = `name, role, disabled, created_at`

func scanUser(r interface{ Scan(...any) error }, extra ...any) (news.User, error) {
	var u news.User
	var role string
	var created int64
	err := r.Scan(append([]any{&u.Name, &role, &u.Disabled, &created}, extra...)...)
	u.Role, u.CreatedAt = news.Role(role), fromNanos(created)
	return u, err
}

// Users lists every account by name.
func (s *Store) Users(ctx context.Context) ([]news.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

// PasswordHash returns an account and its password hash.
func (s *Store) PasswordHash(ctx context.Context, name string) (news.User, string, error) {
	var hash string
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = ?`, name), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return news.User{}, "", noUser(name)
	}
	return u, hash, err
}

// DisableUser disables an account and ends its sessions and tokens.
func (s *Store) DisableUser(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return noUser(name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = ?`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE owner = ?`, name)
		return err
	})
}

// CreateSession stores a session of user, by the hash of its id, until
// expires, and drops the sessions that have expired; ENotFound for an
// account that is missing or disabled.
func (s *Store) CreateSession(ctx context.Context, idHash, user string, expires time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, time.Now().UnixNano()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_name, expires_at)
			SELECT ?, name, ? FROM users WHERE name = ? AND disabled = 0`, idHash, expires.UnixNano(), user)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return noUser(user)
		}
		return nil
	})
}

// Session returns the user of an unexpired session of an enabled account.
func (s *Store) Session(ctx context.Context, idHash string, now time.Time) (news.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT u.name, u.role, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.name = s.user_name
		WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0`, idHash, now.UnixNano()))
	if errors.Is(err, sql.ErrNoRows) {
		return news.User{}, news.Errorf(news.ENotFound, "no such session")
	}
	return u, err
}

// DeleteSession ends a session; ending one that does not exist is no error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// CreateToken stores a personal token by the hash of its secret; ENotFound
// for an owner that is missing or disabled.
func (s *Store) CreateToken(ctx context.Context, t news.Token, hash string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, hash, owner, name, created_at, last_used)
			SELECT ?, ?, name, ?, ?, ? FROM users WHERE name = ? AND disabled = 0`,
			t.ID, hash, t.Name, nanos(t.CreatedAt), nanos(t.LastUsed), t.Owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return noUser(t.Owner)
		}
		return nil
	})
}

const tokenColumns = `t.id, t.owner, t.name, t.created_at, t.last_used`

func scanToken(r interface{ Scan(...any) error }, extra ...any) (news.Token, error) {
	var t news.Token
	var created, used int64
	err := r.Scan(append([]any{&t.ID, &t.Owner, &t.Name, &created, &used}, extra...)...)
	t.CreatedAt, t.LastUsed = fromNanos(created), fromNanos(used)
	return t, err
}

// Tokens lists the tokens of owner, of everyone when owner is "", oldest first.
func (s *Store) Tokens(ctx context.Context, owner string) ([]news.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens t
		WHERE ? = '' OR t.owner = ? ORDER BY t.created_at, t.id`, owner, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// DeleteToken removes a token by its id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.ENotFound, "there is no token %q", id)
		}
		return nil
	})
}

// TokenByHash returns the token with the hash and its owner, who must be enabled.
func (s *Store) TokenByHash(ctx context.Context, hash string) (news.Token, news.User, error) {
	var u news.User
	var role string
	var created int64
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+`, u.name, u.role, u.disabled, u.created_at
		FROM tokens t JOIN users u ON u.name = t.owner WHERE t.hash = ? AND u.disabled = 0`, hash),
		&u.Name, &role, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return news.Token{}, news.User{}, news.Errorf(news.ENotFound, "no such token")
	}
	u.Role, u.CreatedAt = news.Role(role), fromNanos(created)
	return t, u, err
}

// TouchToken records that a token was used at a time.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, nanos(at), id)
		return err
	})
}

// AppendAudit adds an entry to the audit log.
func (s *Store) AppendAudit(ctx context.Context, e news.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, e) })
}

// insertAudit writes an audit entry in tx.
func insertAudit(ctx context.Context, tx *sql.Tx, e news.AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, user_name, action, article_id, title) VALUES (?, ?, ?, ?, ?)`,
		nanos(e.At), e.User, e.Action, e.ArticleID, e.Title)
	return err
}

// auditArticle records, in the write's transaction tx, an article write made
// for ctx's author (news.WithAuthor); a write with none records nothing.
func auditArticle(ctx context.Context, tx *sql.Tx, action string, a news.Article) error {
	if e, ok := news.ArticleAudit(ctx, action, a, time.Now()); ok {
		return insertAudit(ctx, tx, e)
	}
	return nil
}

// Audit lists up to limit entries, newest first.
func (s *Store) Audit(ctx context.Context, limit int) ([]news.AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, user_name, action, article_id, title FROM audit ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.AuditEntry{}
	for rows.Next() {
		var e news.AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.User, &e.Action, &e.ArticleID, &e.Title); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		list = append(list, e)
	}
	return list, rows.Err()
}
