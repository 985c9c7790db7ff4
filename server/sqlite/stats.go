package sqlite

import (
	"context"
	"database/sql"
	"fmt"
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

// statsWhere returns the conditions and arguments that select the rows q
// selects. An editor's counts are the clicks on the articles the audit log
// says they published: a semi-join on the audit table, not a list of ids.
func statsWhere(q news.StatsQuery) (string, []any) {
	where := []string{`hour >= ?`, `hour < ?`}
	args := []any{q.From.Unix(), q.To.Unix()}
	if q.Partner != "" {
		where, args = append(where, `partner = ?`), append(args, q.Partner)
	}
	if q.Article != "" {
		where, args = append(where, `article = ?`), append(args, q.Article)
	}
	if q.Editor != "" {
		where = append(where, `article != ''`, `article IN (SELECT article_id FROM audit
			WHERE user_name = ? AND action = ? AND article_id != '')`)
		args = append(args, q.Editor, news.ActionPublish)
	}
	return strings.Join(where, " AND "), args
}

// Series returns the sums of the counts q selects per bucket and partner,
// by partner then oldest bucket first.
func (s *Store) Series(ctx context.Context, q news.StatsQuery) ([]news.Count, error) {
	where, args := statsWhere(q)
	span := int64(q.StatsBucket() / time.Second)
	// the bucket's start, rounding down also before the epoch
	bucket := fmt.Sprintf(`(hour - ((hour %% %[1]d) + %[1]d) %% %[1]d)`, span)
	rows, err := s.r.QueryContext(ctx, `SELECT `+bucket+` AS bucket, partner, SUM(impressions), SUM(clicks) FROM stats
		WHERE `+where+` GROUP BY bucket, partner ORDER BY partner, bucket`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []news.Count{}
	for rows.Next() {
		var c news.Count
		var at int64
		if err := rows.Scan(&at, &c.Partner, &c.Impressions, &c.Clicks); err != nil {
			return nil, err
		}
		c.Hour = time.Unix(at, 0).UTC()
		list = append(list, c)
	}
	return list, rows.Err()
}

// TopArticles returns the at most limit articles with the most clicks among
// the counts q selects, most first, then by id.
func (s *Store) TopArticles(ctx context.Context, q news.StatsQuery, limit int) ([]news.StatsArticle, error) {
	list := []news.StatsArticle{}
	if limit <= 0 {
		return list, nil
	}
	where, args := statsWhere(q)
	rows, err := s.r.QueryContext(ctx, `SELECT article, SUM(clicks) AS n FROM stats
		WHERE `+where+` AND article != '' GROUP BY article ORDER BY n DESC, article LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a news.StatsArticle
		if err := rows.Scan(&a.ID, &a.Clicks); err != nil {
			return nil, err
		}
		list = append(list, a)
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
