package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"newswidget/app/news"
)

// RunStats runs the conformance suite of news.Stats, calling open for a
// fresh, empty store in every sub-test (open closes it when t ends). The
// PublishedBy test needs the store to keep news.Accounts too (its audit
// log); it is skipped otherwise.
func RunStats(t *testing.T, open func(t *testing.T) news.Stats) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s news.Stats)
	}{
		{"AddCounts", testAddCounts},
		{"Query", testCountsQuery},
		{"PublishedBy", testPublishedBy},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var statsBase = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func hourAt(n int) time.Time { return statsBase.Add(time.Duration(n) * time.Hour) }

func counts(t *testing.T, s news.Stats, q news.StatsQuery) []news.Count {
	t.Helper()
	if q.From.IsZero() {
		q.From, q.To = hourAt(-100), hourAt(100)
	}
	l, err := s.Counts(context.Background(), q)
	if err != nil {
		t.Fatalf("Counts(%+v): %v", q, err)
	}
	if l == nil {
		t.Fatalf("Counts(%+v): got nil, want a non-nil list", q)
	}
	return l
}

func testAddCounts(t *testing.T, s news.Stats) {
	ctx := context.Background()
	if l := counts(t, s, news.StatsQuery{}); len(l) != 0 {
		t.Fatalf("Counts of an empty store: got %v", l)
	}
	if err := s.AddCounts(ctx, nil); err != nil {
		t.Fatalf("AddCounts(nil): %v", err)
	}
	// Two nodes flush the same hour: the counts add up, also within one
	// batch, and a time inside the hour counts for the hour.
	node1 := []news.Count{
		{Hour: hourAt(0), Partner: "zed", Impressions: 3},
		{Hour: hourAt(0).Add(59 * time.Minute), Partner: "zed", Article: "a1", Clicks: 1},
		{Hour: hourAt(0), Partner: "zed", Article: "a1", Clicks: 2},
	}
	node2 := []news.Count{
		{Hour: hourAt(0), Partner: "zed", Impressions: 4},
		{Hour: hourAt(1), Partner: news.DirectPartner, Impressions: 1},
	}
	for _, batch := range [][]news.Count{node1, node2} {
		if err := s.AddCounts(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	want := []news.Count{
		{Hour: hourAt(0), Partner: "zed", Impressions: 7},
		{Hour: hourAt(0), Partner: "zed", Article: "a1", Clicks: 3},
		{Hour: hourAt(1), Partner: news.DirectPartner, Impressions: 1},
	}
	if got := counts(t, s, news.StatsQuery{}); !equalCounts(got, want) {
		t.Errorf("Counts: got %+v, want %+v", got, want)
	}
}

func equalCounts(a, b []news.Count) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Hour.Equal(y.Hour) || x.Partner != y.Partner || x.Article != y.Article || x.Impressions != y.Impressions || x.Clicks != y.Clicks {
			return false
		}
	}
	return true
}

func testCountsQuery(t *testing.T, s news.Stats) {
	all := []news.Count{
		{Hour: hourAt(0), Partner: "amy", Impressions: 1},
		{Hour: hourAt(0), Partner: "amy", Article: "a1", Clicks: 1},
		{Hour: hourAt(1), Partner: "zed", Impressions: 2},
		{Hour: hourAt(1), Partner: "zed", Article: "a2", Clicks: 2},
		{Hour: hourAt(2), Partner: news.DirectPartner, Article: "a1", Clicks: 5},
	}
	if err := s.AddCounts(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    news.StatsQuery
		want []news.Count
	}{
		{"all", news.StatsQuery{}, all},
		{"from inclusive, to exclusive", news.StatsQuery{From: hourAt(1), To: hourAt(2)}, all[2:4]},
		{"a partner", news.StatsQuery{Partner: "amy"}, all[:2]},
		{"an article", news.StatsQuery{Article: "a1"}, []news.Count{all[1], all[4]}},
		{"a partner's article", news.StatsQuery{Partner: "amy", Article: "a1"}, all[1:2]},
		{"some articles", news.StatsQuery{Articles: []string{"a2", "a1"}}, []news.Count{all[1], all[3], all[4]}},
		{"no articles", news.StatsQuery{Articles: []string{}}, []news.Count{}},
		{"nobody", news.StatsQuery{Partner: "nobody"}, []news.Count{}},
		{"a NUL", news.StatsQuery{Partner: "x\x00"}, []news.Count{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := counts(t, s, tc.q); !equalCounts(got, tc.want) {
				t.Errorf("Counts(%+v): got %+v, want %+v", tc.q, got, tc.want)
			}
		})
	}
}

func testPublishedBy(t *testing.T, s news.Stats) {
	acc, ok := s.(news.Accounts)
	if !ok {
		t.Skip("the store keeps no audit log")
	}
	ctx := context.Background()
	for _, e := range []news.AuditEntry{
		{User: "bob", Action: news.ActionPublish, ArticleID: "b2"},
		{User: "bob", Action: news.ActionPublish, ArticleID: "b1"},
		{User: "bob", Action: news.ActionEdit, ArticleID: "c1"},
		{User: "cy", Action: news.ActionPublish, ArticleID: "c2"},
		{User: "bob", Action: news.ActionPublish, ArticleID: "b1"},
	} {
		e.At = statsBase
		if err := acc.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		user string
		want []string
	}{
		{"bob", []string{"b1", "b2"}},
		{"cy", []string{"c2"}},
		{"nobody", []string{}},
	} {
		got, err := s.PublishedBy(ctx, tc.user)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PublishedBy(%q): got %v, %v; want %v", tc.user, got, err, tc.want)
		}
	}
}
