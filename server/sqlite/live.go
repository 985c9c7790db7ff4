package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"newswidget/app/news"
)

// liveMigration keeps the back-off switch's setting (news.LiveStore): one
// row, absent until a person first sets it.
const liveMigration = `CREATE TABLE live_mode (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	mode    TEXT NOT NULL,
	set_by  TEXT NOT NULL,
	set_at  INTEGER NOT NULL -- unix nanoseconds
);`

// LiveSetting returns the back-off switch's setting; normal if never set.
func (s *Store) LiveSetting(ctx context.Context) (news.LiveSetting, error) {
	var l news.LiveSetting
	var mode string
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT mode, set_by, set_at FROM live_mode WHERE id = 1`).Scan(&mode, &l.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return news.LiveSetting{Mode: news.LiveNormal}, nil
	}
	if err != nil {
		return news.LiveSetting{}, err
	}
	l.Mode, l.At = news.LiveMode(mode), fromNanos(at)
	return l, nil
}

// SetLiveSetting stores the back-off switch's setting. One SQLite file
// serves one node, so there is no other node to tell.
func (s *Store) SetLiveSetting(ctx context.Context, l news.LiveSetting) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO live_mode (id, mode, set_by, set_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, set_by = excluded.set_by, set_at = excluded.set_at`,
			string(l.Mode), l.By, nanos(l.At))
		return err
	})
}
