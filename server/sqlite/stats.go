package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"newswidget/app/news"
)

var _ news.Stats = (*Store)(nil)

// statsMigration adds the aggregated impressions and clicks (news.Count),
// one row per hour (unix seconds), partner and article: nothing about a
// reader.
const statsMigration = `CREATE TABLE stats (
		hour        INTEGER NOT NULL,
		partner     TEXT NOT NULL,
		article     TEXT NOT NULL,
		impressions INTEGER NOT NULL DEFAULT 0,
		clicks      INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (hour, partner, article)
	);`

// AddCounts adds counts to those stored for the same hour, partner and
// article, in one transaction.
func (s *Store) AddCounts(ctx context.Context, counts []news.Count) error {
	if len(counts) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO stats (hour, partner, article, impressions, clicks) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (hour, partner, article) DO UPDATE SET impressions = impressions + excluded.impressions, clicks = clicks + excluded.clicks`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range counts {
			if _, err := st.ExecContext(ctx, c.Hour.Truncate(time.Hour).Unix(), c.Partner, c.Article, c.Impressions, c.Clicks); err != nil {
				return err
			}
		}
		return nil
	})
}

// Counts returns the stored counts q selects, oldest hour first.
func (s *Store) Counts(ctx context.Context, q news.StatsQuery) ([]news.Count, error) {
	where := []string{`hour >= ?`, `hour < ?`}
	args := []any{q.From.Unix(), q.To.Unix()}
	if q.Partner != "" {
		where, args = append(where, `partner = ?`), append(args, q.Partner)
	}
	if q.Article != "" {
		where, args = append(where, `article = ?`), append(args, q.Article)
	}
	if q.Articles != nil {
		in := `article IN (''` + strings.Repeat(`, ?`, len(q.Articles)) + `)`
		where = append(where, `article != ''`, in)
		for _, a := range q.Articles {
			args = append(args, a)
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT hour, partner, article, impressions, clicks FROM stats WHERE `+
		strings.Join(where, " AND ")+` ORDER BY hour, partner, article`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.Count{}
	for rows.Next() {
		var c news.Count
		var hour int64
		if err := rows.Scan(&hour, &c.Partner, &c.Article, &c.Impressions, &c.Clicks); err != nil {
			return nil, err
		}
		c.Hour = time.Unix(hour, 0).UTC()
		list = append(list, c)
	}
	return list, rows.Err()
}

// PublishedBy lists the ids of the articles the audit log says user published.
func (s *Store) PublishedBy(ctx context.Context, user string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT article_id FROM audit
		WHERE user_name = ? AND action = ? AND article_id != '' ORDER BY article_id`, user, news.ActionPublish)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		list = append(list, id)
	}
	return list, rows.Err()
}
