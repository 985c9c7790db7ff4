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

// statsWhere selects the rows of q, whose values are the arguments $1 to
// $6 (statsArgs). An editor's counts ($5 not empty) are the clicks on the
// articles the audit log says they published: a semi-join on the audit
// table, not a list of ids.
const statsWhere = `hour >= $1 AND hour < $2 AND ($3 = '' OR partner = $3) AND ($4 = '' OR article = $4)
	AND ($5 = '' OR (article != '' AND article IN (SELECT article_id COLLATE "C" FROM audit
		WHERE user_name = $5 AND action = $6 AND article_id != '')))`

func statsArgs(q news.StatsQuery) []any {
	return []any{q.From.Unix(), q.To.Unix(), q.Partner, q.Article, q.Editor, news.ActionPublish}
}

// Series returns the sums of the counts q selects per bucket and partner,
// by partner then oldest bucket first.
func (s *Store) Series(ctx context.Context, q news.StatsQuery) ([]news.Count, error) {
	if !storable(q.Partner) || !storable(q.Article) || !storable(q.Editor) {
		return []news.Count{}, nil
	}
	var list []news.Count
	err := s.read(ctx, func() error {
		// the bucket's start, rounding down also before the epoch
		rows, err := s.pool.Query(ctx, `SELECT hour - ((hour % $7) + $7) % $7 AS bucket, partner,
				SUM(impressions)::bigint, SUM(clicks)::bigint
			FROM stats WHERE `+statsWhere+`
			GROUP BY bucket, partner ORDER BY partner, bucket`,
			append(statsArgs(q), int64(q.StatsBucket()/time.Second))...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.Count, error) {
			var c news.Count
			var at int64
			err := r.Scan(&at, &c.Partner, &c.Impressions, &c.Clicks)
			c.Hour = time.Unix(at, 0).UTC()
			return c, err
		})
		return err
	})
	if list == nil && err == nil {
		list = []news.Count{}
	}
	return list, err
}

// TopArticles returns the at most limit articles with the most clicks among
// the counts q selects, most first, then by id.
func (s *Store) TopArticles(ctx context.Context, q news.StatsQuery, limit int) ([]news.StatsArticle, error) {
	if limit <= 0 || !storable(q.Partner) || !storable(q.Article) || !storable(q.Editor) {
		return []news.StatsArticle{}, nil
	}
	var list []news.StatsArticle
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT article, SUM(clicks)::bigint AS n FROM stats
			WHERE `+statsWhere+` AND article != ''
			GROUP BY article ORDER BY n DESC, article LIMIT $7`, append(statsArgs(q), limit)...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (news.StatsArticle, error) {
			var a news.StatsArticle
			return a, r.Scan(&a.ID, &a.Clicks)
		})
		return err
	})
	if list == nil && err == nil {
		list = []news.StatsArticle{}
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
