package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"newswidget/app/news"
)

// RunStats runs the conformance suite of news.Stats, calling open for a
// fresh, empty store in every sub-test (open closes it when t ends). The
// tests of PublishedBy and of an editor's counts need the store to keep
// news.Accounts too (its audit log); they are skipped otherwise.
func RunStats(t *testing.T, open func(t *testing.T) news.Stats) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s news.Stats)
	}{
		{"AddCounts", testAddCounts},
		{"Query", testCountsQuery},
		{"Days", testSeriesDays},
		{"TopArticles", testTopArticles},
		{"Editor", testStatsEditor},
		{"PublishedBy", testPublishedBy},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var statsBase = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func hourAt(n int) time.Time { return statsBase.Add(time.Duration(n) * time.Hour) }

// series returns the sums of the counts q selects; without From, over the
// 200 hours around statsBase.
func series(t *testing.T, s news.Stats, q news.StatsQuery) []news.Count {
	t.Helper()
	if q.From.IsZero() {
		q.From, q.To = hourAt(-100), hourAt(100)
	}
	l, err := s.Series(context.Background(), q)
	if err != nil {
		t.Fatalf("Series(%+v): %v", q, err)
	}
	if l == nil {
		t.Fatalf("Series(%+v): got nil, want a non-nil list", q)
	}
	return l
}

// top returns the at most limit most clicked articles q selects; without
// From, over the 200 hours around statsBase.
func top(t *testing.T, s news.Stats, q news.StatsQuery, limit int) []news.StatsArticle {
	t.Helper()
	if q.From.IsZero() {
		q.From, q.To = hourAt(-100), hourAt(100)
	}
	l, err := s.TopArticles(context.Background(), q, limit)
	if err != nil {
		t.Fatalf("TopArticles(%+v, %d): %v", q, limit, err)
	}
	if l == nil {
		t.Fatalf("TopArticles(%+v, %d): got nil, want a non-nil list", q, limit)
	}
	return l
}

func testAddCounts(t *testing.T, s news.Stats) {
	ctx := context.Background()
	if l := series(t, s, news.StatsQuery{}); len(l) != 0 {
		t.Fatalf("Series of an empty store: got %v", l)
	}
	if l := top(t, s, news.StatsQuery{}, 20); len(l) != 0 {
		t.Fatalf("TopArticles of an empty store: got %v", l)
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
		{Hour: hourAt(1), Partner: news.DirectPartner, Impressions: 1},
		{Hour: hourAt(0), Partner: "zed", Impressions: 7, Clicks: 3},
	}
	if got := series(t, s, news.StatsQuery{}); !equalCounts(got, want) {
		t.Errorf("Series: got %+v, want %+v", got, want)
	}
	if got, want := top(t, s, news.StatsQuery{}, 20), []news.StatsArticle{{ID: "a1", Clicks: 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("TopArticles: got %+v, want %+v", got, want)
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

// testCountsQuery: the series sum the rows of a bucket and partner, across
// articles, as the query selects them, one row per bucket and partner.
func testCountsQuery(t *testing.T, s news.Stats) {
	all := []news.Count{
		{Hour: hourAt(0), Partner: "amy", Impressions: 1},
		{Hour: hourAt(0), Partner: "amy", Article: "a1", Clicks: 1},
		{Hour: hourAt(0), Partner: "amy", Article: "a2", Clicks: 4},
		{Hour: hourAt(1), Partner: "zed", Impressions: 2},
		{Hour: hourAt(1), Partner: "zed", Article: "a2", Clicks: 2},
		{Hour: hourAt(2), Partner: news.DirectPartner, Article: "a1", Clicks: 5},
	}
	if err := s.AddCounts(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	amy := news.Count{Hour: hourAt(0), Partner: "amy", Impressions: 1, Clicks: 5}
	zed := news.Count{Hour: hourAt(1), Partner: "zed", Impressions: 2, Clicks: 2}
	direct := news.Count{Hour: hourAt(2), Partner: news.DirectPartner, Clicks: 5}
	for _, tc := range []struct {
		name string
		q    news.StatsQuery
		want []news.Count
	}{
		{"all", news.StatsQuery{}, []news.Count{amy, direct, zed}},
		{"from inclusive, to exclusive", news.StatsQuery{From: hourAt(1), To: hourAt(2)}, []news.Count{zed}},
		{"a partner", news.StatsQuery{Partner: "amy"}, []news.Count{amy}},
		{"an article", news.StatsQuery{Article: "a1"}, []news.Count{
			{Hour: hourAt(0), Partner: "amy", Clicks: 1}, direct}},
		{"a partner's article", news.StatsQuery{Partner: "amy", Article: "a2"}, []news.Count{
			{Hour: hourAt(0), Partner: "amy", Clicks: 4}}},
		{"nobody", news.StatsQuery{Partner: "nobody"}, []news.Count{}},
		{"a NUL", news.StatsQuery{Partner: "x\x00"}, []news.Count{}},
		{"an editor with no audit log", news.StatsQuery{Editor: "nobody"}, []news.Count{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := series(t, s, tc.q); !equalCounts(got, tc.want) {
				t.Errorf("Series(%+v): got %+v, want %+v", tc.q, got, tc.want)
			}
		})
	}
}

// testSeriesDays: day buckets start at 00:00 UTC and sum the hours of the
// day, whatever the day of the range's start.
func testSeriesDays(t *testing.T, s news.Stats) {
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if err := s.AddCounts(context.Background(), []news.Count{
		{Hour: day.Add(-time.Hour), Partner: "amy", Impressions: 1},
		{Hour: day, Partner: "amy", Impressions: 2},
		{Hour: day.Add(23 * time.Hour), Partner: "amy", Impressions: 3},
		{Hour: day.Add(23 * time.Hour), Partner: "amy", Article: "a1", Clicks: 1},
		{Hour: day.Add(24 * time.Hour), Partner: "amy", Impressions: 4},
		{Hour: day.Add(5 * time.Hour), Partner: "zed", Impressions: 5},
		{Hour: time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), Partner: "zed", Impressions: 6},
	}); err != nil {
		t.Fatal(err)
	}
	q := news.StatsQuery{From: day.Add(-48 * time.Hour), To: day.Add(48 * time.Hour), Bucket: 24 * time.Hour}
	want := []news.Count{
		{Hour: day.Add(-24 * time.Hour), Partner: "amy", Impressions: 1},
		{Hour: day, Partner: "amy", Impressions: 5, Clicks: 1},
		{Hour: day.Add(24 * time.Hour), Partner: "amy", Impressions: 4},
		{Hour: day, Partner: "zed", Impressions: 5},
	}
	if got := series(t, s, q); !equalCounts(got, want) {
		t.Errorf("Series by day: got %+v, want %+v", got, want)
	}
	// a day before the epoch starts at its midnight too
	q = news.StatsQuery{From: time.Unix(-48*3600, 0), To: time.Unix(0, 0), Bucket: 24 * time.Hour}
	want = []news.Count{{Hour: time.Unix(-24*3600, 0), Partner: "zed", Impressions: 6}}
	if got := series(t, s, q); !equalCounts(got, want) {
		t.Errorf("Series by day before 1970: got %+v, want %+v", got, want)
	}
}

// testTopArticles: the articles' clicks summed over hours and partners,
// most first, ties by id, at most limit of them.
func testTopArticles(t *testing.T, s news.Stats) {
	var counts []news.Count
	for i := range 30 {
		id := fmt.Sprintf("a%02d", i)
		// a<i> has i clicks, in two hours and of two partners; a29 also
		// has impressions' rows beside it, which are no article's
		counts = append(counts,
			news.Count{Hour: hourAt(0), Partner: "amy", Article: id, Clicks: int64(i / 2)},
			news.Count{Hour: hourAt(1), Partner: "zed", Article: id, Clicks: int64(i - i/2)})
	}
	counts = append(counts,
		news.Count{Hour: hourAt(0), Partner: "amy", Impressions: 1000},
		news.Count{Hour: hourAt(0), Partner: "amy", Article: "b", Clicks: 29}) // ties with a29
	if err := s.AddCounts(context.Background(), counts); err != nil {
		t.Fatal(err)
	}
	got := top(t, s, news.StatsQuery{}, 20)
	if len(got) != 20 {
		t.Fatalf("TopArticles(20): got %d articles, want 20: %+v", len(got), got)
	}
	want := []news.StatsArticle{{ID: "a29", Clicks: 29}, {ID: "b", Clicks: 29}, {ID: "a28", Clicks: 28}}
	if !reflect.DeepEqual(got[:3], want) || got[19] != (news.StatsArticle{ID: "a11", Clicks: 11}) {
		t.Errorf("TopArticles(20): got %+v, want %+v first and a11 last", got, want)
	}
	// zed's hour: a29 has 15 clicks, a28 and a27 14 each
	want = []news.StatsArticle{{ID: "a29", Clicks: 15}, {ID: "a27", Clicks: 14}}
	if got := top(t, s, news.StatsQuery{Partner: "zed", From: hourAt(1), To: hourAt(2)}, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("TopArticles(2) of zed's hour: got %+v, want %+v", got, want)
	}
	if got := top(t, s, news.StatsQuery{Article: "a03"}, 20); !reflect.DeepEqual(got, []news.StatsArticle{{ID: "a03", Clicks: 3}}) {
		t.Errorf("TopArticles of a03: got %+v", got)
	}
	if got := top(t, s, news.StatsQuery{}, 0); len(got) != 0 {
		t.Errorf("TopArticles(0): got %+v, want none", got)
	}
}

// testStatsEditor: an editor's counts are the clicks on the articles the
// audit log says they published, and no impressions; the store finds them
// by its audit log, however many there are.
func testStatsEditor(t *testing.T, s news.Stats) {
	acc, ok := s.(news.Accounts)
	if !ok {
		t.Skip("the store keeps no audit log")
	}
	ctx := context.Background()
	audit := []news.AuditEntry{
		{User: "bob", Action: news.ActionPublish, ArticleID: "b1"},
		{User: "bob", Action: news.ActionPublish, ArticleID: "b1"}, // published twice: counted once
		{User: "bob", Action: news.ActionEdit, ArticleID: "c1"},    // an edit is no publication
		{User: "cy", Action: news.ActionPublish, ArticleID: "c1"},
	}
	// bob published many articles: more than a query could list
	var counts []news.Count
	for i := range 1500 {
		id := fmt.Sprintf("m%04d", i)
		audit = append(audit, news.AuditEntry{User: "bob", Action: news.ActionPublish, ArticleID: id})
		if i%500 == 0 {
			counts = append(counts, news.Count{Hour: hourAt(2), Partner: "zed", Article: id, Clicks: 1})
		}
	}
	for _, e := range audit {
		e.At = statsBase
		if err := acc.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	counts = append(counts,
		news.Count{Hour: hourAt(0), Partner: "amy", Impressions: 100},
		news.Count{Hour: hourAt(0), Partner: "amy", Article: "b1", Clicks: 2},
		news.Count{Hour: hourAt(1), Partner: "amy", Article: "b1", Clicks: 3},
		news.Count{Hour: hourAt(1), Partner: "amy", Article: "c1", Clicks: 7},
	)
	if err := s.AddCounts(ctx, counts); err != nil {
		t.Fatal(err)
	}
	bob := news.StatsQuery{Editor: "bob"}
	want := []news.Count{
		{Hour: hourAt(0), Partner: "amy", Clicks: 2},
		{Hour: hourAt(1), Partner: "amy", Clicks: 3},
		{Hour: hourAt(2), Partner: "zed", Clicks: 3},
	}
	if got := series(t, s, bob); !equalCounts(got, want) {
		t.Errorf("Series of bob: got %+v, want %+v", got, want)
	}
	wantTop := []news.StatsArticle{{ID: "b1", Clicks: 5}, {ID: "m0000", Clicks: 1}, {ID: "m0500", Clicks: 1}, {ID: "m1000", Clicks: 1}}
	if got := top(t, s, bob, 20); !reflect.DeepEqual(got, wantTop) {
		t.Errorf("TopArticles of bob: got %+v, want %+v", got, wantTop)
	}
	bob.Article = "c1" // cy's: none of bob's counts
	if got := series(t, s, bob); len(got) != 0 {
		t.Errorf("Series of bob on cy's article: got %+v, want none", got)
	}
	if got := top(t, s, bob, 20); len(got) != 0 {
		t.Errorf("TopArticles of bob on cy's article: got %+v, want none", got)
	}
	cy := news.StatsQuery{Editor: "cy", Bucket: 24 * time.Hour}
	want = []news.Count{{Hour: statsBase.Truncate(24 * time.Hour), Partner: "amy", Clicks: 7}}
	if got := series(t, s, cy); !equalCounts(got, want) {
		t.Errorf("Series of cy by day: got %+v, want %+v", got, want)
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
