package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"newswidget/app/news"
)

// liveMigration keeps the back-off switch's setting (news.LiveStore): one
// row, absent until a person first sets it.
const liveMigration = `CREATE TABLE live_mode (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	mode    TEXT NOT NULL,
	set_by  TEXT NOT NULL,
	set_at  BIGINT NOT NULL -- unix nanoseconds
);`

// LiveSetting returns the back-off switch's setting; normal if never set.
func (s *Store) LiveSetting(ctx context.Context) (news.LiveSetting, error) {
	var l news.LiveSetting
	var mode string
	var at int64
	err := s.read(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT mode, set_by, set_at FROM live_mode WHERE id = 1`).Scan(&mode, &l.By, &at)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return news.LiveSetting{Mode: news.LiveNormal}, nil
	}
	if err != nil {
		return news.LiveSetting{}, err
	}
	l.Mode, l.At = news.LiveMode(mode), fromNanos(at)
	return l, nil
}

// SetLiveSetting stores the back-off switch's setting and notifies the
// events channel in the same transaction, so every node's Listen wakes its
// server, which reads the setting anew and tells its streams.
func (s *Store) SetLiveSetting(ctx context.Context, l news.LiveSetting) error {
	if !storable(l.By) {
		return news.Errorf(news.EInvalid, "a user name must be UTF-8 text without NUL characters")
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO live_mode (id, mode, set_by, set_at) VALUES (1, $1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, set_by = excluded.set_by, set_at = excluded.set_at`,
			string(l.Mode), l.By, nanos(l.At)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify('`+Channel+`', 'live')`)
		return err
	})
}
