package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"newswidget/app/news"
)

var _ news.Partners = (*Store)(nil)

// partnersMigration adds the partner sites (news.Partner): origins are kept
// space-separated, times as unix nanoseconds.
const partnersMigration = `CREATE TABLE partners (
		name       TEXT PRIMARY KEY,
		key        TEXT NOT NULL UNIQUE,
		origins    TEXT NOT NULL,
		revoked    INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);`

func noPartner(name string) error { return news.Errorf(news.ENotFound, "there is no partner %q", name) }

// CreatePartner stores a new partner; EConflict if its name or key is taken.
func (s *Store) CreatePartner(ctx context.Context, p news.Partner) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO partners (name, key, origins, revoked, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, p.Name, p.Key, strings.Join(p.Origins, " "), p.Revoked, nanos(p.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return news.Errorf(news.EConflict, "a partner named %q, or with its key, already exists", p.Name)
		}
		return nil
	})
}

const partnerColumns = `name, key, origins, revoked, created_at`

func scanPartner(r interface{ Scan(...any) error }) (news.Partner, error) {
	var p news.Partner
	var origins string
	var created int64
	err := r.Scan(&p.Name, &p.Key, &origins, &p.Revoked, &created)
	p.Origins, p.CreatedAt = strings.Fields(origins), fromNanos(created)
	if p.Origins == nil {
		p.Origins = []string{}
	}
	return p, err
}

// Partners lists every partner, revoked ones too, by name.
func (s *Store) Partners(ctx context.Context) ([]news.Partner, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+partnerColumns+` FROM partners ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.Partner{}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// PartnerByKey returns the partner with the key, revoked or not.
func (s *Store) PartnerByKey(ctx context.Context, key string) (news.Partner, error) {
	p, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return news.Partner{}, news.Errorf(news.ENotFound, "no partner has this key")
	}
	return p, err
}

// RevokePartner revokes a partner's key for good.
func (s *Store) RevokePartner(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE partners SET revoked = 1 WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return noPartner(name)
		}
		return nil
	})
}
