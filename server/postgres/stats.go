package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"newswidget/app/news"
)

var _ news.Stats = (*Store)(nil)

// statsMigration adds the aggregated impressions and clicks (news.Count),
// one row per hour (unix seconds), partner and article: nothing about a
// reader.
const statsMigration = `CREATE TABLE stats (
		hour        BIGINT NOT NULL,
		partner     TEXT COLLATE "C" NOT NULL,
		article     TEXT COLLATE "C" NOT NULL,
		impressions BIGINT NOT NULL DEFAULT 0,
		clicks      BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (hour, partner, article)
	);`

// countKey is what one stats row is of.
type countKey struct {
	hour             int64
	partner, article string
}

// AddCounts adds counts to those stored for the same hour, partner and
// article, in one statement: nodes add theirs side by side, none
// overwrites another's.
func (s *Store) AddCounts(ctx context.Context, counts []news.Count) error {
	// One row per key: an upsert may not touch a row twice.
	merged := map[countKey][2]int64{}
	for _, c := range counts {
		if !storable(c.Partner) || !storable(c.Article) {
			return news.FieldError("partner", "must be UTF-8 text without NUL characters")
		}
		k := countKey{c.Hour.Truncate(time.Hour).Unix(), c.Partner, c.Article}
		v := merged[k]
		merged[k] = [2]int64{v[0] + c.Impressions, v[1] + c.Clicks}
	}
	if len(merged) == 0 {
		return nil
	}
	var hours, imps, clicks []int64
	var partners, articles []string
	for k, v := range merged {
		hours, partners, articles = append(hours, k.hour), append(partners, k.partner), append(articles, k.article)
		imps, clicks = append(imps, v[0]), append(clicks, v[1])
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO stats (hour, partner, article, impressions, clicks)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
			ON CONFLICT (hour, partner, article) DO UPDATE
			SET impressions = stats.impressions + excluded.impressions, clicks = stats.clicks + excluded.clicks`,
			hours, partners, articles, imps, clicks)
		return err
	})
}

// Counts returns the stored counts q selects, oldest hour first.
func (s *Store) Counts(ctx context.Context, q news.StatsQuery) ([]news.Count, error) {
	if !storable(q.Partner) || !storable(q.Article) {
		return []news.Count{}, nil
	}
	var list []news.Count
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT hour, partner, article, impressions, clicks FROM stats
			WHERE hour >= $1 AND hour < $2 AND ($3 = '' OR partner = $3) AND ($4 = '' OR article = $4)
			AND ($5::text[] IS NULL OR (article != '' AND article = ANY ($5::text[])))
			ORDER BY hour, partner, article`, q.From.Unix(), q.To.Unix(), q.Partner, q.Article, q.Articles)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Count, error) {
			var c news.Count
			var hour int64
			err := r.Scan(&hour, &c.Partner, &c.Article, &c.Impressions, &c.Clicks)
			c.Hour = time.Unix(hour, 0).UTC()
			return c, err
		})
		return err
	})
	if list == nil && err == nil {
		list = []news.Count{}
	}
	return list, err
}

// PublishedBy lists the ids of the articles the audit log says user published.
func (s *Store) PublishedBy(ctx context.Context, user string) ([]string, error) {
	if !storable(user) {
		return []string{}, nil
	}
	var list []string
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT article_id FROM audit
			WHERE user_name = $1 AND action = $2 AND article_id != '' ORDER BY article_id`, user, news.ActionPublish)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if list == nil && err == nil {
		list = []string{}
	}
	return list, err
}
