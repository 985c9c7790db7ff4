package news_test

import (
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// The flash lifecycle (issue #16): urgent, pinned, expires_at, correction.

func TestLifecycleValidation(t *testing.T) {
	pub := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		edit  func(a *news.Article)
		field string // "" when valid
	}{
		{"no lifecycle fields", func(a *news.Article) {}, ""},
		{"urgent pinned", func(a *news.Article) { a.Urgent, a.Pinned = true, true }, ""},
		{"expiry after publication", func(a *news.Article) { a.ExpiresAt = pub.Add(time.Hour) }, ""},
		{"expiry in the past but after publication", func(a *news.Article) {
			a.PublishedAt = pub.Add(-2 * time.Hour)
			a.ExpiresAt = pub.Add(-time.Hour)
		}, ""},
		{"expiry at publication", func(a *news.Article) { a.ExpiresAt = pub }, "expires_at"},
		{"expiry before publication", func(a *news.Article) { a.ExpiresAt = pub.Add(-time.Second) }, "expires_at"},
		{"expiry out of range", func(a *news.Article) { a.ExpiresAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "expires_at"},
		{"correction at the bound", func(a *news.Article) { a.Correction = strings.Repeat("é", news.MaxCorrectionLen) }, ""},
		{"correction too long", func(a *news.Article) { a.Correction = strings.Repeat("é", news.MaxCorrectionLen+1) }, "correction"},
		{"correction with NUL", func(a *news.Article) { a.Correction = "a\x00b" }, "correction"},
		{"correction invalid UTF-8", func(a *news.Article) { a.Correction = "a\xffb" }, "correction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := news.Article{Title: "T", PublishedAt: pub}
			tc.edit(&a)
			a.Normalize(pub)
			err := a.Validate()
			if got := fieldOf(err); got != tc.field {
				t.Errorf("field %q (err %v), want %q", got, err, tc.field)
			}
		})
	}
}

func fieldOf(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*news.Error); ok {
		if e.Field == "" {
			return "<no field>"
		}
		return e.Field
	}
	return "<" + err.Error() + ">"
}

func TestLifecycleNormalize(t *testing.T) {
	a := news.Article{
		Title:      "T",
		Correction: "  An earlier version\r\nnamed the wrong \u202eminister.\x1b ",
		ExpiresAt:  time.Date(2026, 12, 6, 14, 0, 0, 0, time.FixedZone("CET", 3600)),
	}
	a.Normalize(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	if want := "An earlier version\nnamed the wrong minister."; a.Correction != want {
		t.Errorf("correction %q, want %q", a.Correction, want)
	}
	if a.ExpiresAt.Location() != time.UTC || a.ExpiresAt.Hour() != 13 {
		t.Errorf("expires_at %v, want 13:00 UTC", a.ExpiresAt)
	}
	b := a
	if !a.Equal(b) {
		t.Error("equal articles differ")
	}
	for _, edit := range []func(*news.Article){
		func(x *news.Article) { x.Urgent = true },
		func(x *news.Article) { x.Pinned = true },
		func(x *news.Article) { x.ExpiresAt = x.ExpiresAt.Add(time.Second) },
		func(x *news.Article) { x.Correction += "!" },
	} {
		c := a
		edit(&c)
		if a.Equal(c) {
			t.Errorf("Equal misses a lifecycle field: %+v", c)
		}
	}
}

func TestSelectLifecycle(t *testing.T) {
	now := time.Date(2023, 11, 27, 12, 30, 0, 0, time.UTC)
	mk := func(id string, minutes int, flash, pinned bool, expiresIn time.Duration) news.Article {
		a := article(id, minutes, flash)
		a.Pinned = pinned
		if expiresIn != 0 {
			a.ExpiresAt = now.Add(expiresIn)
		}
		return a
	}
	for _, tc := range []struct {
		name         string
		all          []news.Article // newest first
		limit        int
		ticker, list string
	}{
		{
			name:   "pinned old article first in both",
			all:    []news.Article{mk("a", 5, true, false, 0), mk("b", 4, false, false, 0), mk("c", 3, true, false, 0), mk("p", 1, true, true, 0)},
			limit:  2,
			ticker: "p,a,c", list: "p,a",
		},
		{
			name:   "several pinned: newest first among them",
			all:    []news.Article{mk("a", 5, false, false, 0), mk("p1", 3, true, true, 0), mk("p2", 1, true, true, 0)},
			limit:  10,
			ticker: "p1,p2", list: "p1,p2,a",
		},
		{
			name:   "expired left out, pinned or not",
			all:    []news.Article{mk("a", 5, true, false, -time.Minute), mk("b", 4, true, false, time.Minute), mk("p", 1, true, true, 0)},
			limit:  10,
			ticker: "p,b", list: "p,b",
		},
		{
			name:   "at the instant of expiry",
			all:    []news.Article{{ID: "x", Flash: true, ExpiresAt: now}, mk("b", 4, true, false, 0)},
			limit:  10,
			ticker: "b", list: "b",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := news.DefaultConfig()
			cfg.Limit = tc.limit
			ticker, list := news.Select(tc.all, cfg, now)
			if ids(ticker) != tc.ticker || ids(list) != tc.list {
				t.Errorf("ticker %s, list %s; want %s and %s", ids(ticker), ids(list), tc.ticker, tc.list)
			}
			kept := news.Keep(tc.all, cfg, now)
			for _, a := range kept {
				if a.Expired(now) {
					t.Errorf("Keep kept expired %s", a.ID)
				}
			}
		})
	}
}

func TestNextExpiry(t *testing.T) {
	now := time.Date(2023, 11, 27, 12, 30, 0, 0, time.UTC)
	all := []news.Article{{ID: "a"}, {ID: "b", ExpiresAt: now.Add(time.Hour)}, {ID: "c", ExpiresAt: now.Add(-time.Hour)}, {ID: "d", ExpiresAt: now.Add(time.Minute)}}
	if got := news.NextExpiry(all, now); !got.Equal(now.Add(time.Minute)) {
		t.Errorf("next expiry %v, want in a minute", got)
	}
	if got := news.NextExpiry(all[:1], now); !got.IsZero() {
		t.Errorf("next expiry %v, want none", got)
	}
}

func TestApplyKeepsPinned(t *testing.T) {
	pinned := article("old", -1000, true)
	pinned.Pinned = true
	list := []news.Article{pinned}
	for i := 0; i < news.MaxKept+20; i++ {
		list = news.Apply(list, news.Event{Type: news.EventArticle, Article: article("n"+string(rune('a'+i%26))+string(rune('a'+i/26)), 10+i, false)})
	}
	if len(list) != news.MaxKept || list[len(list)-1].ID != "old" {
		t.Errorf("kept %d, last %s; want %d with the pinned one kept", len(list), list[len(list)-1].ID, news.MaxKept)
	}
}
