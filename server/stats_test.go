package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// report is the body of GET /api/stats.
type report struct {
	By          string
	From, To    time.Time
	Impressions int64
	Clicks      int64
	Series      []struct {
		Partner             string
		Impressions, Clicks int64
		Points              []struct {
			At                  time.Time
			Impressions, Clicks int64
		}
	}
	Articles []struct {
		ID, Title string
		Clicks    int64
	}
}

// TestStats reads counts stored over three days back as every kind of
// caller: admins see everything, editors the clicks on the articles they
// published.
func TestStats(t *testing.T) {
	n := newNewsroom(t)
	ctx := context.Background()
	edsArticle := n.publish(t, obj{"title": "Ed's own"}) // by the admin token…
	r := n.do(t, http.MethodPost, "/api/articles", mustJSON(t, obj{"title": "Really Ed's"}), n.as("ed", "token"))
	wantStatus(t, r, http.StatusCreated)
	mine := decode[news.Article](t, r.Body)
	now := time.Now().UTC().Truncate(time.Hour)
	counts := []news.Count{
		{Hour: now, Partner: news.DirectPartner, Impressions: 10},
		{Hour: now, Partner: news.DirectPartner, Article: mine.ID, Clicks: 2},
		{Hour: now.Add(-time.Hour), Partner: "gazette", Impressions: 5},
		{Hour: now.Add(-time.Hour), Partner: "gazette", Article: edsArticle.ID, Clicks: 3},
		{Hour: now.Add(-50 * time.Hour), Partner: "gazette", Impressions: 7},
	}
	if err := n.Store.AddCounts(ctx, counts); err != nil {
		t.Fatal(err)
	}

	t.Run("admin", func(t *testing.T) {
		r := n.get(t, "/api/stats", n.as("adm", "cookie"))
		wantStatus(t, r, http.StatusOK)
		rep := decode[report](t, r.Body)
		if rep.By != "hour" || !rep.To.Equal(now.Add(time.Hour)) || !rep.From.Equal(now.Add(time.Hour-48*time.Hour)) {
			t.Errorf("span: got %s by %s from %s to %s, want the last 48 hours", rep.By, rep.By, rep.From, rep.To)
		}
		if rep.Impressions != 15 || rep.Clicks != 5 || len(rep.Series) != 2 {
			t.Fatalf("got %+v, want 15 impressions and 5 clicks of two partners in the last 48 h", rep)
		}
		if s := rep.Series[0]; s.Partner != "direct" || s.Impressions != 10 || len(s.Points) != 1 || s.Points[0].Clicks != 2 {
			t.Errorf("direct: got %+v", s)
		}
		if got := []string{rep.Articles[0].ID, rep.Articles[1].ID}; !slices.Equal(got, []string{edsArticle.ID, mine.ID}) || rep.Articles[1].Title != "Really Ed's" {
			t.Errorf("top articles: got %+v, want the most clicked first, with titles", rep.Articles)
		}
	})
	t.Run("by day", func(t *testing.T) {
		rep := decode[report](t, n.get(t, "/api/stats?by=day&partner=gazette&from="+now.Add(-72*time.Hour).Format(time.RFC3339), auth).Body)
		if rep.Impressions != 12 || len(rep.Series) != 1 || rep.Series[0].Partner != "gazette" {
			t.Fatalf("got %+v, want the gazette's 12 impressions", rep)
		}
		for _, p := range rep.Series[0].Points {
			if !p.At.Equal(p.At.Truncate(24 * time.Hour)) {
				t.Errorf("point at %s is not a day's start", p.At)
			}
		}
	})
	t.Run("an article", func(t *testing.T) {
		rep := decode[report](t, n.get(t, "/api/stats?article="+mine.ID, auth).Body)
		if rep.Impressions != 0 || rep.Clicks != 2 {
			t.Errorf("got %+v, want its 2 clicks", rep)
		}
	})
	t.Run("editor", func(t *testing.T) {
		for _, how := range []string{"cookie", "token"} {
			r := n.get(t, "/api/stats", n.as("ed", how))
			wantStatus(t, r, http.StatusOK)
			rep := decode[report](t, r.Body)
			if rep.Impressions != 0 || rep.Clicks != 2 || len(rep.Articles) != 1 || rep.Articles[0].ID != mine.ID {
				t.Errorf("%s: got %+v, want the 2 clicks on ed's own article only", how, rep)
			}
			wantStatus(t, n.get(t, "/api/stats?article="+mine.ID, n.as("ed", how)), http.StatusOK)
			wantError(t, n.get(t, "/api/stats?article="+edsArticle.ID, n.as("ed", how)), http.StatusForbidden, news.EForbidden, "")
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, who := range []string{"anonymous", "expired"} {
			wantError(t, n.get(t, "/api/stats", n.as(who, "")), http.StatusUnauthorized, news.EUnauthorized, "")
		}
		wantError(t, n.get(t, "/api/stats", n.as("off", "token")), http.StatusUnauthorized, news.EUnauthorized, "")
		for _, tc := range []struct{ query, field string }{
			{"by=week", "by"},
			{"from=yesterday", "from"},
			{"to=2026-13-01T00:00:00Z", "to"},
			{"from=2026-12-06T10:00:00Z&to=2026-12-06T09:00:00Z", "from"},
			{"from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
			{"partner=Not+A+Name", "partner"},
			{"article=" + strings.Repeat("x", 300), "article"},
		} {
			wantError(t, n.get(t, "/api/stats?"+tc.query, auth), http.StatusBadRequest, news.EInvalid, tc.field)
		}
		wantError(t, n.do(t, http.MethodPost, "/api/stats", nil, auth), http.StatusMethodNotAllowed, "method_not_allowed", "")
	})
}
