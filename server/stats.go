package server

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"newswidget/app/news"
)

// Statistics defaults: the span a query covers without from and to.
const (
	defaultHourSpan = 48 * time.Hour
	defaultDaySpan  = 30 * 24 * time.Hour
	maxTopArticles  = 20
)

// GET /api/stats?partner=&article=&from=&to=&by=hour|day
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) error {
	if s.insight.stats == nil {
		return news.Errorf(news.EUnavailable, "this server's store keeps no statistics")
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	qs, err := strictQuery(r)
	if err != nil {
		return err
	}
	var q news.StatsQuery
	if q.Partner = strings.TrimSpace(qs.Get("partner")); q.Partner != "" && q.Partner != news.DirectPartner {
		if err := news.ValidatePartnerName(q.Partner); err != nil {
			return news.FieldError("partner", "must be a partner's name or %q", news.DirectPartner)
		}
	}
	if q.Article = strings.TrimSpace(qs.Get("article")); q.Article != "" && !news.ValidID(q.Article) {
		return news.FieldError("article", "must be an article id")
	}
	by := cmp.Or(qs.Get("by"), "hour")
	bucket := time.Hour
	switch by {
	case "hour":
	case "day":
		bucket = 24 * time.Hour
	default:
		return news.FieldError("by", `must be "hour" or "day"`)
	}
	parse := func(name string) (time.Time, error) {
		v := qs.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return t, news.FieldError(name, "must be an RFC 3339 time, such as 2026-12-06T00:00:00Z")
		}
		return t.UTC(), nil
	}
	if q.From, err = parse("from"); err != nil {
		return err
	}
	if q.To, err = parse("to"); err != nil {
		return err
	}
	// Whole buckets: from down, to up to the bucket's edge.
	if q.To.IsZero() {
		q.To = time.Now().UTC()
	}
	q.To = q.To.Add(bucket - time.Nanosecond).Truncate(bucket)
	if q.From.IsZero() {
		q.From = q.To.Add(-cmp.Or(map[string]time.Duration{"day": defaultDaySpan}[by], defaultHourSpan))
	}
	q.From = q.From.Truncate(bucket)
	if !q.From.Before(q.To) || q.To.Sub(q.From) > news.MaxStatsRange {
		return news.FieldError("from", "must be before to, and at most %d days before it", int(news.MaxStatsRange/(24*time.Hour)))
	}
	// An editor sees the clicks on the articles the audit log says they
	// published (the store joins its audit log); an admin sees everything.
	q.Bucket = bucket
	if p.role != news.RoleAdmin {
		if q.Article != "" {
			own, err := s.insight.stats.PublishedBy(r.Context(), p.name)
			if err != nil {
				return err
			}
			if !slices.Contains(own, q.Article) {
				return news.Errorf(news.EForbidden, "an editor sees the statistics of the articles they published only")
			}
		}
		q.Editor = p.name
	}
	rep, err := s.report(r.Context(), by, q)
	if err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, rep)
	return nil
}

// report asks the store for the sums of q per bucket and partner and for the
// most clicked articles, and makes the report of them: what it holds is
// bounded by the buckets, partners and maxTopArticles, not by the counts
// stored.
func (s *Server) report(ctx context.Context, by string, q news.StatsQuery) (news.StatsReport, error) {
	rep := news.StatsReport{By: by, From: q.From, To: q.To, Series: []news.StatsSeries{}, Articles: []news.StatsArticle{}}
	sums, err := s.insight.stats.Series(ctx, q)
	if err != nil {
		return rep, err
	}
	series := map[string]*news.StatsSeries{}
	for _, c := range sums {
		sr := series[c.Partner]
		if sr == nil {
			sr = &news.StatsSeries{Partner: c.Partner, Points: []news.StatsPoint{}}
			series[c.Partner] = sr
		}
		sr.Points = append(sr.Points, news.StatsPoint{At: c.Hour, Impressions: c.Impressions, Clicks: c.Clicks})
		sr.Impressions += c.Impressions
		sr.Clicks += c.Clicks
		rep.Impressions += c.Impressions
		rep.Clicks += c.Clicks
	}
	for _, sr := range series {
		slices.SortStableFunc(sr.Points, func(a, b news.StatsPoint) int { return a.At.Compare(b.At) })
		rep.Series = append(rep.Series, *sr)
	}
	slices.SortFunc(rep.Series, func(a, b news.StatsSeries) int { return strings.Compare(a.Partner, b.Partner) })
	top, err := s.insight.stats.TopArticles(ctx, q, maxTopArticles)
	if err != nil {
		return rep, err
	}
	rep.Articles = append(rep.Articles, top[:min(len(top), maxTopArticles)]...)
	for i := range rep.Articles {
		if a, err := s.store.Article(ctx, rep.Articles[i].ID); err == nil {
			rep.Articles[i].Title = a.Title
		}
	}
	return rep, nil
}
