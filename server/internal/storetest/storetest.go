// Package storetest is a test kit: the conformance suite every news.Store
// implementation must pass. The SQLite and PostgreSQL stores' tests run it
// (server/sqlite, server/postgres); nothing that ships imports it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswidget/app/news"
)

// Run runs the suite, calling open for a fresh, empty store in every sub-test.
func Run(t *testing.T, open func(t *testing.T) news.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s news.Store)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"GetMissing", testGetMissing},
		{"CreateConflict", testCreateConflict},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"ListEmpty", testListEmpty},
		{"ListOrder", testListOrder},
		{"ListLimit", testListLimit},
		{"ListFilters", testListFilters},
		{"Pagination", testPagination},
		{"SeqIncreasing", testSeqIncreasing},
		{"EventsSince", testEventsSince},
		{"ReplayCurrentOnly", testReplayCurrentOnly},
		{"Retraction", testRetraction},
		{"ReplayConverges", testReplayConverges},
		{"LastSeq", testLastSeq},
		{"Upsert", testUpsert},
		{"RoundTrip", testRoundTrip},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Lifecycle", testLifecycle},
		{"ExpireOnce", testExpireOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// all is an EventsSince limit above any test's number of events.
const all = 1 << 20

// base is the publication time of the articles the tests make.
var base = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

// article returns an article with every field set.
func article(id string, published time.Time) news.Article {
	return news.Article{
		ID:          id,
		Title:       "Title of " + id,
		Summary:     "Summary of " + id,
		Body:        []string{"First paragraph of " + id + ".", "Second."},
		URL:         "https://example.com/news/" + id,
		Source:      "Example Wire",
		Category:    "World",
		Image:       "https://example.com/img/" + id + ".jpg",
		Flash:       false,
		PublishedAt: published,
		UpdatedAt:   published.Add(time.Minute),
	}
}

func create(t *testing.T, s news.Store, a news.Article) news.Event {
	t.Helper()
	ev, err := s.CreateArticle(context.Background(), a)
	if err != nil {
		t.Fatalf("CreateArticle(%q): %v", a.ID, err)
	}
	return ev
}

// same reports whether two articles are equal as a store keeps them: times
// as instants, a nil body as an empty one.
func same(a, b news.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary &&
		slices.Equal(a.Body, b.Body) && a.URL == b.URL && a.Source == b.Source &&
		a.Category == b.Category && a.Image == b.Image && a.Flash == b.Flash &&
		a.PublishedAt.Equal(b.PublishedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Urgent == b.Urgent && a.Pinned == b.Pinned && a.ExpiresAt.Equal(b.ExpiresAt) && a.Correction == b.Correction
}

func checkArticle(t *testing.T, what string, got, want news.Article) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func checkCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := news.ErrorCode(err); got != want {
		t.Errorf("%s: error code got %q, want %q (err %v)", what, got, want, err)
	}
}

func get(t *testing.T, s news.Store, id string) news.Article {
	t.Helper()
	a, err := s.Article(context.Background(), id)
	if err != nil {
		t.Fatalf("Article(%q): %v", id, err)
	}
	return a
}

func lastSeq(t *testing.T, s news.Store) int64 {
	t.Helper()
	seq, err := s.LastSeq(context.Background())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return seq
}

func list(t *testing.T, s news.Store, f news.ArticleFilter) ([]news.Article, news.Cursor) {
	t.Helper()
	l, next, err := s.Articles(context.Background(), f)
	if err != nil {
		t.Fatalf("Articles(%+v): %v", f, err)
	}
	return l, next
}

func events(t *testing.T, s news.Store, seq int64, limit int) []news.Event {
	t.Helper()
	evs, err := s.EventsSince(context.Background(), seq, limit)
	if err != nil {
		t.Fatalf("EventsSince(%d, %d): %v", seq, limit, err)
	}
	return evs
}

func ids(l []news.Article) []string {
	out := make([]string, len(l))
	for i, a := range l {
		out[i] = a.ID
	}
	return out
}

func seqs(evs []news.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func checkIDs(t *testing.T, what string, got []news.Article, want []string) {
	t.Helper()
	if g := ids(got); !slices.Equal(g, want) {
		t.Errorf("%s: ids\n got  %q\n want %q", what, g, want)
	}
}

func checkEvents(t *testing.T, what string, got, want []news.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d events %v, want %d %v", what, len(got), seqs(got), len(want), seqs(want))
		return
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Type != want[i].Type || !same(got[i].Article, want[i].Article) {
			t.Errorf("%s: event %d:\n got  %+v\n want %+v", what, i, got[i], want[i])
		}
	}
}

func testCreateAndGet(t *testing.T, s news.Store) {
	a := article("a1", base)
	ev := create(t, s, a)
	if ev.Seq <= 0 || ev.Type != news.EventArticle {
		t.Errorf("event got seq %d type %q, want seq > 0 type %q", ev.Seq, ev.Type, news.EventArticle)
	}
	checkArticle(t, "event article", ev.Article, a)
	checkArticle(t, "Article", get(t, s, "a1"), a)
}

func testGetMissing(t *testing.T, s news.Store) {
	_, err := s.Article(context.Background(), "nope")
	checkCode(t, "Article(missing)", err, news.ENotFound)
}

func testCreateConflict(t *testing.T, s news.Store) {
	a := article("dup", base)
	create(t, s, a)
	seq := lastSeq(t, s)
	b := a
	b.Title = "Another title"
	_, err := s.CreateArticle(context.Background(), b)
	checkCode(t, "CreateArticle(duplicate)", err, news.EConflict)
	checkArticle(t, "article after the refused create", get(t, s, "dup"), a)
	if got := lastSeq(t, s); got != seq {
		t.Errorf("LastSeq after the refused create got %d, want %d", got, seq)
	}
}

func testUpdate(t *testing.T, s news.Store) {
	a := article("u1", base)
	first := create(t, s, a)
	b := a
	b.Title, b.Body, b.Flash, b.Category = "Updated", []string{"New body."}, true, "Sport"
	b.UpdatedAt = a.UpdatedAt.Add(time.Hour)
	ev, err := s.UpdateArticle(context.Background(), b)
	if err != nil {
		t.Fatalf("UpdateArticle: %v", err)
	}
	if ev.Seq <= first.Seq || ev.Type != news.EventArticle {
		t.Errorf("event got seq %d type %q, want seq > %d type %q", ev.Seq, ev.Type, first.Seq, news.EventArticle)
	}
	checkArticle(t, "event article", ev.Article, b)
	checkArticle(t, "Article after update", get(t, s, "u1"), b)

	seq := lastSeq(t, s)
	_, err = s.UpdateArticle(context.Background(), article("ghost", base))
	checkCode(t, "UpdateArticle(missing)", err, news.ENotFound)
	if _, err := s.Article(context.Background(), "ghost"); news.ErrorCode(err) != news.ENotFound {
		t.Errorf("UpdateArticle(missing) created it: Article err %v", err)
	}
	if got := lastSeq(t, s); got != seq {
		t.Errorf("LastSeq after the refused update got %d, want %d", got, seq)
	}
}

func testDelete(t *testing.T, s news.Store) {
	first := create(t, s, article("d1", base))
	ev, err := s.DeleteArticle(context.Background(), "d1")
	if err != nil {
		t.Fatalf("DeleteArticle: %v", err)
	}
	if ev.Seq <= first.Seq || ev.Type != news.EventDelete {
		t.Errorf("event got seq %d type %q, want seq > %d type %q", ev.Seq, ev.Type, first.Seq, news.EventDelete)
	}
	if want := (news.Article{ID: "d1"}); !reflect.DeepEqual(ev.Article, want) {
		t.Errorf("delete event article got %+v, want only the id %+v", ev.Article, want)
	}
	_, err = s.Article(context.Background(), "d1")
	checkCode(t, "Article after delete", err, news.ENotFound)
	_, err = s.DeleteArticle(context.Background(), "d1")
	checkCode(t, "DeleteArticle(missing)", err, news.ENotFound)
	if got := lastSeq(t, s); got != ev.Seq {
		t.Errorf("LastSeq after the refused delete got %d, want %d", got, ev.Seq)
	}
	if got := events(t, s, first.Seq, all); len(got) != 1 || !reflect.DeepEqual(got[0], ev) {
		t.Errorf("EventsSince the create got %+v, want [%+v]", got, ev)
	}
	// The id is free again.
	again := article("d1", base.Add(time.Hour))
	create(t, s, again)
	checkArticle(t, "Article re-created", get(t, s, "d1"), again)
}

func testListEmpty(t *testing.T, s news.Store) {
	l, next := list(t, s, news.ArticleFilter{})
	if len(l) != 0 || !next.IsZero() {
		t.Errorf("Articles of an empty store got %d articles, next %+v; want none, zero", len(l), next)
	}
	if got := lastSeq(t, s); got != 0 {
		t.Errorf("LastSeq of an empty store got %d, want 0", got)
	}
	if got := events(t, s, 0, 10); len(got) != 0 {
		t.Errorf("EventsSince(0) of an empty store got %d events, want 0", len(got))
	}
}

func testListOrder(t *testing.T, s news.Store) {
	// Created out of order; "b" and "c" tie on the time and sort by id descending.
	for _, a := range []news.Article{
		article("c", base), article("old", base.Add(-time.Hour)), article("new", base.Add(time.Hour)),
		article("b", base), article("ns", base.Add(time.Nanosecond)),
	} {
		create(t, s, a)
	}
	l, next := list(t, s, news.ArticleFilter{})
	checkIDs(t, "Articles", l, []string{"new", "ns", "c", "b", "old"})
	if !next.IsZero() {
		t.Errorf("next got %+v, want zero: all articles fit", next)
	}
	checkArticle(t, "listed article", l[0], article("new", base.Add(time.Hour)))
}

func testListLimit(t *testing.T, s news.Store) {
	const n = news.MaxListLimit + 10
	for i := range n {
		create(t, s, article(fmt.Sprintf("a%03d", i), base.Add(time.Duration(i)*time.Minute)))
	}
	for _, tt := range []struct{ limit, want int }{
		{0, news.DefaultListLimit},
		{-1, news.DefaultListLimit},
		{1, 1},
		{3, 3},
		{news.MaxListLimit, news.MaxListLimit},
		{news.MaxListLimit + 1, news.MaxListLimit},
		{1000, news.MaxListLimit},
	} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			l, next := list(t, s, news.ArticleFilter{Limit: tt.limit})
			if len(l) != tt.want {
				t.Fatalf("got %d articles, want %d", len(l), tt.want)
			}
			if want := fmt.Sprintf("a%03d", n-1); l[0].ID != want {
				t.Errorf("first got %q, want the newest %q", l[0].ID, want)
			}
			last := l[len(l)-1]
			if want := (news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID}); !next.PublishedAt.Equal(want.PublishedAt) || next.ID != want.ID {
				t.Errorf("next got %+v, want the last item's cursor %+v", next, want)
			}
		})
	}
}

func testListFilters(t *testing.T, s news.Store) {
	mk := func(id string, min int, category string, flash bool) news.Article {
		a := article(id, base.Add(time.Duration(min)*time.Minute))
		a.Category, a.Flash = category, flash
		return a
	}
	for _, a := range []news.Article{
		mk("s1", 1, "Sport", false),
		mk("s2", 2, "sport", true),
		mk("s3", 3, "SPORT", false),
		mk("ss", 4, "Sports", true),
		mk("e1", 5, "Économie", true),
		mk("e2", 6, "économie", false),
		mk("w1", 7, "World", true),
		mk("n1", 8, "", false),
	} {
		create(t, s, a)
	}
	yes, no := true, false
	for _, tt := range []struct {
		name string
		f    news.ArticleFilter
		want []string
	}{
		{"all", news.ArticleFilter{}, []string{"n1", "w1", "e2", "e1", "ss", "s3", "s2", "s1"}},
		{"category", news.ArticleFilter{Category: "sport"}, []string{"s3", "s2", "s1"}},
		{"category upper", news.ArticleFilter{Category: "SPORT"}, []string{"s3", "s2", "s1"}},
		{"category mixed", news.ArticleFilter{Category: "sPoRt"}, []string{"s3", "s2", "s1"}},
		{"category not prefix", news.ArticleFilter{Category: "Spor"}, nil},
		{"category non-ASCII", news.ArticleFilter{Category: "ÉCONOMIE"}, []string{"e2", "e1"}},
		{"category none", news.ArticleFilter{Category: "Weather"}, nil},
		{"flash", news.ArticleFilter{Flash: &yes}, []string{"w1", "e1", "ss", "s2"}},
		{"not flash", news.ArticleFilter{Flash: &no}, []string{"n1", "e2", "s3", "s1"}},
		{"category and flash", news.ArticleFilter{Category: "Sport", Flash: &yes}, []string{"s2"}},
		{"category and not flash", news.ArticleFilter{Category: "Sport", Flash: &no}, []string{"s3", "s1"}},
		{"category limit", news.ArticleFilter{Category: "sport", Limit: 2}, []string{"s3", "s2"}},
		{"category before", news.ArticleFilter{Category: "sport", Before: news.Cursor{PublishedAt: base.Add(3 * time.Minute), ID: "s3"}}, []string{"s2", "s1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := list(t, s, tt.f)
			checkIDs(t, "Articles", l, tt.want)
		})
	}
}

func testPagination(t *testing.T, s news.Store) {
	// Groups of up to four articles share a time, and ids mix case, digits,
	// '-' and '_', so ties must break by byte order as news.Before does.
	names := []string{"A", "a", "B", "b", "z", "Z", "0", "9", "a-1", "a_1", "ab", "aB", "x", "y", "_", "-",
		"m1", "m2", "m3", "m10", "q", "Q", "r", "R", "s"}
	var all []news.Article
	for i, id := range names {
		a := article(id, base.Add(time.Duration(i/4)*time.Second))
		a.Category = []string{"Odd", "Even"}[i%2]
		all = append(all, a)
		create(t, s, a)
	}
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b news.Article) int {
		if news.Before(a, b) {
			return -1
		}
		return 1
	})
	want := ids(sorted)
	var wantEven []string
	for _, a := range sorted {
		if a.Category == "Even" {
			wantEven = append(wantEven, a.ID)
		}
	}

	for _, tt := range []struct {
		category string
		want     []string
	}{{"", want}, {"even", wantEven}} {
		for _, limit := range []int{1, 2, 3, 4, 5, 7, len(tt.want), len(tt.want) + 1} {
			t.Run(fmt.Sprintf("category=%q/limit=%d", tt.category, limit), func(t *testing.T) {
				var got []string
				f := news.ArticleFilter{Limit: limit, Category: tt.category}
				for page := 0; ; page++ {
					if page > len(tt.want) {
						t.Fatalf("more than %d pages: the cursor does not advance", page)
					}
					l, next := list(t, s, f)
					if len(l) == 0 {
						t.Fatalf("page %d is empty: the page before should have had a zero next", page)
					}
					if len(l) > limit {
						t.Fatalf("page %d has %d articles, want at most %d", page, len(l), limit)
					}
					got = append(got, ids(l)...)
					if next.IsZero() {
						break
					}
					if last := l[len(l)-1]; next.ID != last.ID || !next.PublishedAt.Equal(last.PublishedAt) {
						t.Fatalf("page %d: next got %+v, want the last item %q at %v", page, next, last.ID, last.PublishedAt)
					}
					f.Before = next
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("pages joined:\n got  %q\n want %q", got, tt.want)
				}
			})
		}
	}

	t.Run("before is exclusive", func(t *testing.T) {
		for i, a := range sorted {
			l, _ := list(t, s, news.ArticleFilter{Limit: news.MaxListLimit, Before: news.Cursor{PublishedAt: a.PublishedAt, ID: a.ID}})
			checkIDs(t, "after "+a.ID, l, want[i+1:])
		}
	})
	t.Run("cursor of a deleted article", func(t *testing.T) {
		gone := sorted[5]
		if _, err := s.DeleteArticle(context.Background(), gone.ID); err != nil {
			t.Fatalf("DeleteArticle: %v", err)
		}
		l, _ := list(t, s, news.ArticleFilter{Limit: news.MaxListLimit, Before: news.Cursor{PublishedAt: gone.PublishedAt, ID: gone.ID}})
		checkIDs(t, "after deleted "+gone.ID, l, want[6:])
	})
}

func testSeqIncreasing(t *testing.T, s news.Store) {
	ctx := context.Background()
	var evs []news.Event
	add := func(ev news.Event, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("write %d: %v", len(evs), err)
		}
		evs = append(evs, ev)
	}
	a := article("s1", base)
	add(s.CreateArticle(ctx, a))
	add(s.CreateArticle(ctx, article("s2", base)))
	a.Title = "Changed"
	add(s.UpdateArticle(ctx, a))
	add(s.DeleteArticle(ctx, "s2"))
	a.Title = "Upserted"
	ev, _, err := s.UpsertArticle(ctx, a)
	add(ev, err)
	ev, _, err = s.UpsertArticle(ctx, article("s3", base))
	add(ev, err)
	add(s.DeleteArticle(ctx, "s1"))
	add(s.CreateArticle(ctx, article("s1", base)))

	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Errorf("sequence not increasing: %v", seqs(evs))
			break
		}
	}
	if got, want := lastSeq(t, s), evs[len(evs)-1].Seq; got != want {
		t.Errorf("LastSeq got %d, want %d", got, want)
	}
	checkEvents(t, "EventsSince(0)", events(t, s, 0, all), latest(evs, 0))
}

// latest is what EventsSince(seq, all) must return after the writes whose
// events are evs, in order: the latest event of every article whose latest
// event comes after seq, in sequence order. As it is the latest, an article
// event's article is the article as it is now.
func latest(evs []news.Event, seq int64) []news.Event {
	last := map[string]int{}
	for i, ev := range evs {
		last[ev.Article.ID] = i
	}
	var out []news.Event
	for i, ev := range evs {
		if last[ev.Article.ID] == i && ev.Seq > seq {
			out = append(out, ev)
		}
	}
	return out
}

func testEventsSince(t *testing.T, s news.Store) {
	ctx := context.Background()
	var evs []news.Event
	for i := range 6 {
		evs = append(evs, create(t, s, article(fmt.Sprintf("e%d", i), base.Add(time.Duration(i)*time.Minute))))
	}
	for _, id := range []string{"e1", "e4"} {
		ev, err := s.DeleteArticle(ctx, id)
		if err != nil {
			t.Fatalf("DeleteArticle: %v", err)
		}
		evs = append(evs, ev)
	}
	up := article("e0", base)
	up.Summary = "Revised"
	ev, err := s.UpdateArticle(ctx, up)
	if err != nil {
		t.Fatalf("UpdateArticle: %v", err)
	}
	evs = append(evs, ev)

	// Each article once, at its latest event, as it is now: e2, e3, e5
	// created, e1 and e4 deleted, e0 revised.
	checkEvents(t, "EventsSince(0, all)", events(t, s, 0, all), latest(evs, 0))
	if got, want := seqs(events(t, s, 0, all)), []int64{evs[2].Seq, evs[3].Seq, evs[5].Seq, evs[6].Seq, evs[7].Seq, evs[8].Seq}; !slices.Equal(got, want) {
		t.Errorf("EventsSince(0, all) sequences got %v, want %v", got, want)
	}

	last := evs[len(evs)-1].Seq
	for _, limit := range []int{1, 2, 3, len(evs), len(evs) + 5} {
		for seq := evs[0].Seq - 1; seq <= last+1; seq++ {
			want := latest(evs, seq)
			want = want[:min(limit, len(want))]
			checkEvents(t, fmt.Sprintf("EventsSince(%d, %d)", seq, limit), events(t, s, seq, limit), want)
		}
		// Resuming from each page's last event walks every article once.
		var got []news.Event
		for seq := int64(0); ; {
			page := events(t, s, seq, limit)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			seq = page[len(page)-1].Seq
		}
		checkEvents(t, fmt.Sprintf("resumed with limit %d", limit), got, latest(evs, 0))
	}
	if got, want := len(events(t, s, -1, all)), len(latest(evs, 0)); got != want {
		t.Errorf("EventsSince(-1) got %d events, want %d", got, want)
	}
}

// testReplayCurrentOnly checks that replay serves current state, never
// history: after an update, no older version of the article is served.
func testReplayCurrentOnly(t *testing.T, s news.Store) {
	ctx := context.Background()
	a := article("v", base)
	a.Title, a.Summary, a.Body = "First version", "First summary", []string{"First body."}
	first := create(t, s, a)
	b := a
	b.Title, b.Summary, b.Body = "Second version", "Second summary", []string{"Second body."}
	b.UpdatedAt = a.UpdatedAt.Add(time.Hour)
	second, err := s.UpdateArticle(ctx, b)
	if err != nil {
		t.Fatalf("UpdateArticle: %v", err)
	}
	for _, since := range []int64{0, first.Seq - 1, first.Seq} {
		got := events(t, s, since, all)
		checkEvents(t, fmt.Sprintf("EventsSince(%d)", since), got, []news.Event{second})
		if text := eventText(t, got); strings.Contains(text, "First") {
			t.Errorf("EventsSince(%d) serves the replaced version: %s", since, text)
		}
	}
}

// testRetraction checks that a delete leaves nothing of the article's text,
// of any of its versions, in what the event log serves from any position:
// only the delete, with the id.
func testRetraction(t *testing.T, s news.Store) {
	ctx := context.Background()
	a := article("takedown", base)
	a.Title, a.Summary, a.Body = "Wrong name in a flash", "Libellous summary", []string{"Libellous body."}
	a.URL, a.Image = "https://example.com/libel", "https://example.com/libel.jpg"
	create(t, s, a)
	b := a
	b.Title, b.Summary, b.Body = "Still a wrong name", "Still libellous", []string{"Still a libellous body."}
	if _, err := s.UpdateArticle(ctx, b); err != nil {
		t.Fatalf("UpdateArticle: %v", err)
	}
	other := create(t, s, article("other", base))
	del, err := s.DeleteArticle(ctx, a.ID)
	if err != nil {
		t.Fatalf("DeleteArticle: %v", err)
	}
	for since := int64(0); since < del.Seq; since++ {
		got := events(t, s, since, all)
		text := eventText(t, got)
		for _, gone := range []string{"wrong name", "Wrong name", "ibellous", "example.com/libel"} {
			if strings.Contains(text, gone) {
				t.Errorf("EventsSince(%d) still serves %q of the deleted article: %s", since, gone, text)
			}
		}
		want := []news.Event{other, del}
		if since >= other.Seq {
			want = want[1:]
		}
		checkEvents(t, fmt.Sprintf("EventsSince(%d)", since), got, want)
	}
}

// eventText is the events as JSON, for looking for text in them.
func eventText(t *testing.T, evs []news.Event) string {
	t.Helper()
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testReplayConverges checks the promise a reader relies on: whatever its
// position, a reader that held the articles as they were there and applies
// what EventsSince serves from there, a page at a time, ends with the
// articles as they are now, having been served no article twice and no
// version but the current one.
func testReplayConverges(t *testing.T, s news.Store) {
	ctx := context.Background()
	states := []map[string]news.Article{{}} // states[i]: the articles at positions[i]
	positions := []int64{0}
	cur := map[string]news.Article{}
	record := func(ev news.Event, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("write %d: %v", len(positions), err)
		}
		if ev.Type == news.EventDelete {
			delete(cur, ev.Article.ID)
		} else {
			cur[ev.Article.ID] = ev.Article
		}
		states = append(states, maps.Clone(cur))
		positions = append(positions, ev.Seq)
	}
	edit := func(id, title string) news.Article {
		a := article(id, base)
		a.Title = title
		return a
	}
	record(s.CreateArticle(ctx, edit("a", "a1")))
	record(s.CreateArticle(ctx, edit("b", "b1")))
	record(s.UpdateArticle(ctx, edit("a", "a2")))
	record(s.CreateArticle(ctx, edit("c", "c1")))
	record(s.DeleteArticle(ctx, "b"))
	record(s.UpdateArticle(ctx, edit("c", "c2")))
	record(s.CreateArticle(ctx, edit("b", "b2"))) // the id again, after its delete
	record(s.DeleteArticle(ctx, "a"))
	ev, _, err := s.UpsertArticle(ctx, edit("d", "d1"))
	record(ev, err)
	record(s.UpdateArticle(ctx, edit("b", "b3")))
	record(s.DeleteArticle(ctx, "c"))

	for i, pos := range positions {
		for _, limit := range []int{1, 2, 3, all} {
			held := maps.Clone(states[i])
			served := map[string]bool{}
			at := pos
			for {
				page := events(t, s, at, limit)
				if len(page) == 0 {
					break
				}
				for _, ev := range page {
					if ev.Seq <= at {
						t.Fatalf("from %d, limit %d: event %d after %d: out of order", pos, limit, ev.Seq, at)
					}
					at = ev.Seq
					id := ev.Article.ID
					if served[id] {
						t.Errorf("from %d, limit %d: article %q served twice", pos, limit, id)
					}
					served[id] = true
					switch ev.Type {
					case news.EventDelete:
						if _, ok := cur[id]; ok {
							t.Errorf("from %d, limit %d: a delete of %q, which exists", pos, limit, id)
						}
						delete(held, id)
					case news.EventArticle:
						if now, ok := cur[id]; !ok || !same(ev.Article, now) {
							t.Errorf("from %d, limit %d: article %+v, not the current version %+v", pos, limit, ev.Article, now)
						}
						held[id] = ev.Article
					}
				}
			}
			if got, want := titles(held), titles(cur); got != want {
				t.Errorf("from %d, limit %d: the reader ends with %s, want %s", pos, limit, got, want)
			}
		}
	}
}

// titles lists a set of articles by id and title, in id order.
func titles(m map[string]news.Article) string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, id+"="+m[id].Title)
	}
	return strings.Join(out, " ")
}

func testLastSeq(t *testing.T, s news.Store) {
	if got := lastSeq(t, s); got != 0 {
		t.Fatalf("LastSeq of an empty store got %d, want 0", got)
	}
	ev := create(t, s, article("l1", base))
	if got := lastSeq(t, s); got != ev.Seq {
		t.Errorf("LastSeq after a create got %d, want %d", got, ev.Seq)
	}
	ev, err := s.DeleteArticle(context.Background(), "l1")
	if err != nil {
		t.Fatalf("DeleteArticle: %v", err)
	}
	// With no article left, the sequence still says something happened.
	if got := lastSeq(t, s); got != ev.Seq {
		t.Errorf("LastSeq after deleting everything got %d, want %d", got, ev.Seq)
	}
}

func testUpsert(t *testing.T, s news.Store) {
	ctx := context.Background()
	a := article("up", base.Add(123*time.Nanosecond))
	ev, changed, err := s.UpsertArticle(ctx, a)
	if err != nil || !changed || ev.Seq <= 0 || ev.Type != news.EventArticle {
		t.Fatalf("UpsertArticle(new) got seq %d type %q changed %v err %v; want an article event, changed", ev.Seq, ev.Type, changed, err)
	}
	checkArticle(t, "event article", ev.Article, a)
	checkArticle(t, "Article after upsert", get(t, s, "up"), a)
	seq := ev.Seq

	unchanged := func(name string, b news.Article) {
		t.Helper()
		ev, changed, err := s.UpsertArticle(ctx, b)
		if err != nil {
			t.Fatalf("UpsertArticle(%s): %v", name, err)
		}
		if changed || ev.Seq != 0 {
			t.Errorf("UpsertArticle(%s) got changed %v seq %d, want unchanged and no event", name, changed, ev.Seq)
		}
		if got := lastSeq(t, s); got != seq {
			t.Errorf("UpsertArticle(%s): LastSeq got %d, want %d", name, got, seq)
		}
	}
	unchanged("same", a)
	other := a
	other.PublishedAt = a.PublishedAt.In(time.FixedZone("UTC+5", 5*3600))
	other.UpdatedAt = a.UpdatedAt.In(time.FixedZone("UTC-3", -3*3600))
	unchanged("same instants elsewhere", other)

	empty := article("empty", base)
	empty.Body = nil
	create(t, s, empty)
	seq = lastSeq(t, s)
	empty.Body = []string{}
	unchanged("nil body as empty", empty)

	for _, tt := range []struct {
		field  string
		change func(*news.Article)
	}{
		{"title", func(a *news.Article) { a.Title += "!" }},
		{"summary", func(a *news.Article) { a.Summary += "!" }},
		{"body", func(a *news.Article) { a.Body = append(slices.Clone(a.Body), "More.") }},
		{"body order", func(a *news.Article) { a.Body = []string{a.Body[1], a.Body[0]} }},
		{"url", func(a *news.Article) { a.URL += "?v=2" }},
		{"source", func(a *news.Article) { a.Source += "!" }},
		{"category", func(a *news.Article) { a.Category = "world" }},
		{"image", func(a *news.Article) { a.Image += "?v=2" }},
		{"flash", func(a *news.Article) { a.Flash = !a.Flash }},
		{"published_at", func(a *news.Article) { a.PublishedAt = a.PublishedAt.Add(time.Nanosecond) }},
		{"updated_at", func(a *news.Article) { a.UpdatedAt = a.UpdatedAt.Add(time.Nanosecond) }},
	} {
		t.Run(tt.field, func(t *testing.T) {
			b := get(t, s, "up")
			tt.change(&b)
			ev, changed, err := s.UpsertArticle(ctx, b)
			if err != nil {
				t.Fatalf("UpsertArticle: %v", err)
			}
			if !changed || ev.Seq <= seq || ev.Type != news.EventArticle {
				t.Errorf("got changed %v seq %d type %q, want changed, seq > %d, type %q", changed, ev.Seq, ev.Type, seq, news.EventArticle)
			}
			seq = max(seq, ev.Seq)
			checkArticle(t, "event article", ev.Article, b)
			checkArticle(t, "Article after upsert", get(t, s, "up"), b)
			unchanged("again", b)
		})
	}
}

func testRoundTrip(t *testing.T, s news.Store) {
	paris := time.FixedZone("CET", 3600)
	for i, tt := range []struct {
		name string
		edit func(*news.Article)
	}{
		{"nanoseconds", func(a *news.Article) {
			a.PublishedAt = time.Date(2023, 11, 27, 10, 0, 0, 123456789, time.UTC)
			a.UpdatedAt = time.Date(2023, 11, 27, 10, 0, 1, 1, time.UTC)
		}},
		{"other zone", func(a *news.Article) {
			a.PublishedAt = time.Date(2023, 11, 27, 11, 0, 0, 5, paris)
			a.UpdatedAt = time.Date(2024, 6, 1, 0, 0, 0, 0, paris)
		}},
		{"before 1970", func(a *news.Article) { a.PublishedAt = time.Date(1969, 7, 20, 20, 17, 40, 999, time.UTC) }},
		{"monotonic clock", func(a *news.Article) { a.PublishedAt, a.UpdatedAt = time.Now(), time.Now() }},
		{"nil body", func(a *news.Article) { a.Body = nil }},
		{"empty body", func(a *news.Article) { a.Body = []string{} }},
		{"awkward body", func(a *news.Article) {
			a.Body = []string{"", `"quotes" and \backslash\`, "<script>alert(1)</script> & ' \u2028", "日本語 🚀 ", "line\nbreak\ttab", "null"}
		}},
		{"unicode text", func(a *news.Article) {
			a.Title, a.Summary, a.Source, a.Category = "Ünïcödé — “title”", "Résumé ✓", "Агентство", "Économie"
		}},
		{"empty optional fields", func(a *news.Article) {
			a.Summary, a.URL, a.Source, a.Category, a.Image = "", "", "", "", ""
		}},
		{"flash", func(a *news.Article) { a.Flash = true }},
		{"lifecycle", func(a *news.Article) {
			a.Urgent, a.Pinned, a.Correction = true, true, "An earlier version named the wrong minister.\nFixed."
			a.ExpiresAt = time.Date(2250, 1, 2, 3, 4, 5, 6, paris)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := article(fmt.Sprintf("rt%d", i), base)
			tt.edit(&a)
			ev := create(t, s, a)
			since := events(t, s, ev.Seq-1, 1)
			if len(since) != 1 {
				t.Fatalf("EventsSince(%d, 1) got %d events, want 1", ev.Seq-1, len(since))
			}
			for _, got := range []struct {
				what string
				a    news.Article
			}{
				{"Article", get(t, s, a.ID)},
				{"create event", ev.Article},
				{"EventsSince", since[0].Article},
			} {
				checkArticle(t, got.what, got.a, a)
				if got.a.Body == nil {
					t.Errorf("%s: body got nil, want a non-nil slice so the API sends []", got.what)
				}
				if got.a.PublishedAt.Location() != time.UTC || got.a.UpdatedAt.Location() != time.UTC {
					t.Errorf("%s: times got zones %v and %v, want UTC", got.what, got.a.PublishedAt.Location(), got.a.UpdatedAt.Location())
				}
			}
		})
	}
}

func testConcurrentWrites(t *testing.T, s news.Store) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.CreateArticle(context.Background(), article(fmt.Sprintf("w%d-%d", w, i), base)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("CreateArticle: %v", err)
	}
	evs := events(t, s, 0, all)
	if len(evs) != writers*each {
		t.Fatalf("got %d events, want %d", len(evs), writers*each)
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if i > 0 && ev.Seq <= evs[i-1].Seq {
			t.Errorf("events out of order: %d after %d", ev.Seq, evs[i-1].Seq)
		}
		seen[ev.Article.ID] = true
	}
	if len(seen) != writers*each {
		t.Errorf("events name %d distinct articles, want %d", len(seen), writers*each)
	}
}

// Exec runs a statement on a store's database behind the store's back.
type Exec func(t *testing.T, stmt string)

// RunDamaged checks what EventsSince does at a row it cannot read (a type
// it does not know, an article whose body is not a list of paragraphs):
// rather than fail for good at it, it returns the events before it with an
// error whose DamagedSeq method names it, so that a reader can report it
// and read on after it. open returns a fresh, empty store and an Exec on its
// database; the statements are plain SQL that both SQLite and PostgreSQL
// take.
func RunDamaged(t *testing.T, open func(t *testing.T) (news.Store, Exec)) {
	s, exec := open(t)
	defer s.Close()
	var evs []news.Event
	for i, id := range []string{"a", "b", "c", "d"} {
		evs = append(evs, create(t, s, article(id, base.Add(time.Duration(i)*time.Minute))))
	}
	exec(t, fmt.Sprintf(`UPDATE events SET type = 'bogus' WHERE seq = %d`, evs[1].Seq))
	exec(t, `UPDATE articles SET body = '{"not":"a list"}' WHERE id = 'c'`)
	for _, tt := range []struct {
		since   int64
		limit   int
		want    []news.Event
		damaged int64 // 0: no error
	}{
		{0, all, evs[:1], evs[1].Seq},
		{0, 1, evs[:1], 0},
		{evs[0].Seq, all, nil, evs[1].Seq},
		{evs[1].Seq, all, nil, evs[2].Seq},
		{evs[2].Seq, all, evs[3:], 0},
		{evs[2].Seq, 1, evs[3:], 0},
	} {
		got, err := s.EventsSince(context.Background(), tt.since, tt.limit)
		what := fmt.Sprintf("EventsSince(%d, %d)", tt.since, tt.limit)
		var d interface{ DamagedSeq() int64 }
		switch {
		case tt.damaged == 0 && err != nil:
			t.Errorf("%s: %v", what, err)
		case tt.damaged != 0 && !errors.As(err, &d):
			t.Errorf("%s: error %v, want one with DamagedSeq() %d", what, err, tt.damaged)
		case tt.damaged != 0 && d.DamagedSeq() != tt.damaged:
			t.Errorf("%s: DamagedSeq() got %d, want %d (%v)", what, d.DamagedSeq(), tt.damaged, err)
		}
		checkEvents(t, what, got, tt.want)
	}
	// The rest of the store is untouched.
	checkArticle(t, "Article(d)", get(t, s, "d"), evs[3].Article)
}

// testLifecycle holds the flash lifecycle's fields (issue #16): stored and
// returned, expired articles out of listings unless asked for, the pinned
// filter, and an expiry logged as a delete event that replay serves.
func testLifecycle(t *testing.T, s news.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	live := article("live", base.Add(3*time.Hour))
	live.ExpiresAt = now.Add(time.Hour)
	live.Urgent, live.Correction = true, "Corrected: the date."
	gone := article("gone", base.Add(2*time.Hour))
	gone.ExpiresAt = now.Add(-time.Minute)
	pinned := article("pinned", base)
	pinned.Pinned, pinned.Flash = true, true
	for _, a := range []news.Article{live, gone, pinned} {
		create(t, s, a)
	}
	checkArticle(t, "Article(live)", get(t, s, "live"), live)
	checkArticle(t, "Article(gone), kept for its editors", get(t, s, "gone"), gone)
	l, _ := list(t, s, news.ArticleFilter{Limit: 10})
	checkIDs(t, "listing leaves the expired out", l, []string{"live", "pinned"})
	checkArticle(t, "listed live", l[0], live)
	l, _ = list(t, s, news.ArticleFilter{Limit: 10, Expired: true})
	checkIDs(t, "listing with Expired", l, []string{"live", "gone", "pinned"})
	yes := true
	l, _ = list(t, s, news.ArticleFilter{Limit: 10, Pinned: &yes})
	checkIDs(t, "pinned only", l, []string{"pinned"})

	before := lastSeq(t, s)
	evs, next, err := s.Expire(ctx, now)
	if err != nil {
		t.Fatalf("Expire: %v", err)
	}
	if len(evs) != 1 || evs[0].Type != news.EventDelete || evs[0].Article.ID != "gone" || evs[0].Seq <= before {
		t.Fatalf("Expire: events %+v, want one delete of gone after %d", evs, before)
	}
	if !next.Equal(live.ExpiresAt) {
		t.Errorf("Expire: next %v, want %v", next, live.ExpiresAt)
	}
	if evs[0].Article.Title != "" {
		t.Errorf("the expiry event carries text: %+v", evs[0].Article)
	}
	// Replay serves the expiry as the article's latest event: a reader
	// resuming from before it drops the article.
	got := events(t, s, before, all)
	checkEvents(t, "replay after the expiry", got, evs)
	// Logged once.
	if again, _, err := s.Expire(ctx, now.Add(time.Second)); err != nil || len(again) != 0 {
		t.Errorf("Expire again: %v %v, want nothing", again, err)
	}
	if seq := lastSeq(t, s); seq != evs[0].Seq {
		t.Errorf("LastSeq %d after a second Expire, want %d", seq, evs[0].Seq)
	}
	checkArticle(t, "Article(gone) after its expiry", get(t, s, "gone"), gone)

	// A write arms the expiry anew: an editor extending it, then it passes.
	gone.ExpiresAt = now.Add(time.Minute)
	if _, err := s.UpdateArticle(ctx, gone); err != nil {
		t.Fatalf("UpdateArticle: %v", err)
	}
	l, _ = list(t, s, news.ArticleFilter{Limit: 10})
	checkIDs(t, "listing after the expiry was extended", l, []string{"live", "gone", "pinned"})
	if evs, next, err := s.Expire(ctx, now); err != nil || len(evs) != 0 || !next.Equal(gone.ExpiresAt) {
		t.Errorf("Expire before the new expiry: %v %v %v", evs, next, err)
	}
	evs, _, err = s.Expire(ctx, now.Add(2*time.Minute))
	if err != nil || len(evs) != 1 || evs[0].Article.ID != "gone" {
		t.Errorf("Expire past the new expiry: %+v %v, want gone's delete", evs, err)
	}
	// An upsert that changes nothing does not re-arm it.
	if _, changed, err := s.UpsertArticle(ctx, gone); err != nil || changed {
		t.Errorf("UpsertArticle unchanged: changed %v, %v", changed, err)
	}
	if evs, _, err := s.Expire(ctx, now.Add(2*time.Minute)); err != nil || len(evs) != 0 {
		t.Errorf("Expire after an unchanged upsert: %+v %v", evs, err)
	}
	// An upsert (a feed carrying the article again) keeps the lifecycle its
	// editors set, and the expiry as logged.
	fromFeed := gone
	fromFeed.Title, fromFeed.Urgent, fromFeed.Pinned, fromFeed.ExpiresAt, fromFeed.Correction = "From the feed", false, false, time.Time{}, ""
	gone.Correction = "Kept correction"
	if _, err := s.UpdateArticle(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if evs, _, err := s.Expire(ctx, now.Add(2*time.Minute)); err != nil || len(evs) != 1 {
		t.Fatalf("Expire after the update: %+v %v", evs, err)
	}
	ev, changed, err := s.UpsertArticle(ctx, fromFeed)
	if err != nil || !changed {
		t.Fatalf("UpsertArticle from a feed: changed %v, %v", changed, err)
	}
	want := gone
	want.Title = "From the feed"
	checkArticle(t, "upsert event", ev.Article, want)
	checkArticle(t, "upserted", get(t, s, "gone"), want)
	if evs, _, err := s.Expire(ctx, now.Add(2*time.Minute)); err != nil || len(evs) != 0 {
		t.Errorf("Expire after an upsert: %+v %v, want the expiry still logged", evs, err)
	}
	// No expiry at all: no next.
	for _, id := range []string{"live", "gone"} {
		if _, err := s.DeleteArticle(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if evs, next, err := s.Expire(ctx, now); err != nil || len(evs) != 0 || !next.IsZero() {
		t.Errorf("Expire with no expiry left: %v %v %v", evs, next, err)
	}
}

// testExpireOnce runs Expire from several goroutines at once, as several
// nodes' timers fire together: each expiry is logged once.
func testExpireOnce(t *testing.T, s news.Store) {
	now := time.Now().UTC()
	for i := range 5 {
		a := article(fmt.Sprintf("x%d", i), base)
		a.ExpiresAt = now.Add(-time.Second)
		create(t, s, a)
	}
	before := lastSeq(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Go(func() {
			evs, _, err := s.Expire(context.Background(), now)
			if err != nil {
				t.Errorf("Expire: %v", err)
			}
			mu.Lock()
			total += len(evs)
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != 5 {
		t.Errorf("%d expiry events in all, want 5", total)
	}
	if got := events(t, s, before, all); len(got) != 5 {
		t.Errorf("%d events logged, want 5", len(got))
	}
}
