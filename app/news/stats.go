package news

import (
	"context"
	"time"
)

// Count is an aggregate of what readers did with widgets in one hour: the
// impressions of the widgets of one partner (Article "": an impression is
// the widget's, not an article's) or the clicks on one article in them.
// It holds no reader's trace: no address, no identifier, no time finer
// than the hour.
type Count struct {
	Hour        time.Time `json:"hour"`    // the start of the hour, UTC
	Partner     string    `json:"partner"` // a partner's name, or DirectPartner
	Article     string    `json:"article"` // "" for impressions
	Impressions int64     `json:"impressions"`
	Clicks      int64     `json:"clicks"`
}

// StatsQuery selects counts: from (inclusive) to (exclusive) hours, of one
// partner ("" any) and one article ("" any); Editor, when not "", narrows
// the counts to clicks on the articles the audit log says Editor published
// (the store joins its audit log: no list of ids goes with the query).
// Bucket is the span of one point of a series: an hour (0) or a UTC day
// (24 h); a bucket starts at a multiple of its span since the Unix epoch.
type StatsQuery struct {
	From, To time.Time
	Partner  string
	Article  string
	Editor   string
	Bucket   time.Duration
}

// StatsBucket returns the span of q's buckets: time.Hour unless q asks for
// days.
func (q StatsQuery) StatsBucket() time.Duration {
	if q.Bucket >= 24*time.Hour {
		return 24 * time.Hour
	}
	return time.Hour
}

// MaxStatsRange is the longest span one statistics query may cover.
const MaxStatsRange = 366 * 24 * time.Hour

// Stats keeps the aggregated impressions and clicks. Its queries aggregate
// where the counts are kept: what they return is bounded by the buckets and
// partners of a report, never by the rows stored.
type Stats interface {
	// AddCounts adds counts to those stored for the same hour, partner and
	// article (several nodes add theirs; none overwrites another's).
	AddCounts(ctx context.Context, counts []Count) error
	// Series returns the sums of the counts q selects per bucket
	// (q.StatsBucket) and partner, by partner then oldest bucket first:
	// Hour is the bucket's start and Article is "". Buckets without a
	// count are left out.
	Series(ctx context.Context, q StatsQuery) ([]Count, error)
	// TopArticles returns the at most limit articles (Title "") with the
	// most clicks among the counts q selects, most first, then by id.
	TopArticles(ctx context.Context, q StatsQuery, limit int) ([]StatsArticle, error)
	// PublishedBy lists the ids of the articles the audit log says user
	// published.
	PublishedBy(ctx context.Context, user string) ([]string, error)
}

// StatsPoint is one bucket of a StatsSeries: an hour or a UTC day.
type StatsPoint struct {
	At          time.Time `json:"at"`
	Impressions int64     `json:"impressions"`
	Clicks      int64     `json:"clicks"`
}

// StatsSeries is one partner's counts, oldest bucket first; buckets
// without a count are left out.
type StatsSeries struct {
	Partner     string       `json:"partner"`
	Impressions int64        `json:"impressions"`
	Clicks      int64        `json:"clicks"`
	Points      []StatsPoint `json:"points"`
}

// StatsArticle is an article's clicks over a report's span.
type StatsArticle struct {
	ID     string `json:"id"`
	Title  string `json:"title"` // "" for an article deleted since
	Clicks int64  `json:"clicks"`
}

// StatsReport is the body of GET /api/stats: totals, a series per partner
// and the most clicked articles (most first), over whole buckets from From
// to To.
type StatsReport struct {
	By          string         `json:"by"` // "hour" or "day"
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	Impressions int64          `json:"impressions"`
	Clicks      int64          `json:"clicks"`
	Series      []StatsSeries  `json:"series"`
	Articles    []StatsArticle `json:"articles"`
}
