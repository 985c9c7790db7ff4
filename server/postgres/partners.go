package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"newswidget/app/news"
)

var _ news.Partners = (*Store)(nil)

// partnersMigration adds the partner sites (news.Partner), as the SQLite
// store keeps them; times are unix nanoseconds.
const partnersMigration = `CREATE TABLE partners (
		name       TEXT COLLATE "C" PRIMARY KEY,
		key        TEXT COLLATE "C" NOT NULL UNIQUE,
		origins    TEXT[] NOT NULL,
		revoked    BOOLEAN NOT NULL DEFAULT FALSE,
		created_at BIGINT NOT NULL
	);`

func noPartner(name string) error { return news.Errorf(news.ENotFound, "there is no partner %q", name) }

// CreatePartner stores a new partner; EConflict if its name or key is taken.
func (s *Store) CreatePartner(ctx context.Context, p news.Partner) error {
	if !storable(p.Name) || !storable(p.Key) {
		return news.FieldError("name", "must be UTF-8 text without NUL characters")
	}
	for _, o := range p.Origins {
		if !storable(o) {
			return news.FieldError("origins", "must be UTF-8 text without NUL characters")
		}
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO partners (name, key, origins, revoked, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, p.Name, p.Key, p.Origins, p.Revoked, nanos(p.CreatedAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return news.Errorf(news.EConflict, "a partner named %q, or with its key, already exists", p.Name)
		}
		return nil
	})
}

const partnerColumns = `name, key, origins, revoked, created_at`

func scanPartner(r pgx.Row) (news.Partner, error) {
	var p news.Partner
	var created int64
	err := r.Scan(&p.Name, &p.Key, &p.Origins, &p.Revoked, &created)
	p.CreatedAt = fromNanos(created)
	if p.Origins == nil {
		p.Origins = []string{}
	}
	return p, err
}

// Partners lists every partner, revoked ones too, by name.
func (s *Store) Partners(ctx context.Context) ([]news.Partner, error) {
	var list []news.Partner
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT `+partnerColumns+` FROM partners ORDER BY name`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Partner, error) { return scanPartner(r) })
		return err
	})
	if list == nil && err == nil {
		list = []news.Partner{}
	}
	return list, err
}

// PartnerByKey returns the partner with the key, revoked or not.
func (s *Store) PartnerByKey(ctx context.Context, key string) (news.Partner, error) {
	notFound := news.Errorf(news.ENotFound, "no partner has this key")
	if !storable(key) {
		return news.Partner{}, notFound
	}
	var p news.Partner
	err := s.read(ctx, func() (err error) {
		p, err = scanPartner(s.pool.QueryRow(ctx, `SELECT `+partnerColumns+` FROM partners WHERE key = $1`, key))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return news.Partner{}, notFound
	}
	return p, err
}

// RevokePartner revokes a partner's key for good.
func (s *Store) RevokePartner(ctx context.Context, name string) error {
	if !storable(name) {
		return noPartner(name)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE partners SET revoked = TRUE WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return noPartner(name)
		}
		return nil
	})
}
