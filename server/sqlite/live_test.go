package sqlite_test

import (
	"context"
	"testing"
	"time"

	"newswidget/app/news"
)

// TestLiveSetting: the switch's setting is normal until set, and a set
// one is what a reopened store returns.
func TestLiveSetting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	got, err := s.LiveSetting(ctx)
	if err != nil || got != (news.LiveSetting{Mode: news.LiveNormal}) {
		t.Fatalf("a new store's setting: got %+v, %v; want normal, set by no one", got, err)
	}
	at := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	for _, want := range []news.LiveSetting{
		{Mode: news.LiveSlow, By: "ann", At: at},
		{Mode: news.LivePaused, By: "admin-token", At: at.Add(time.Minute)},
	} {
		if err := s.SetLiveSetting(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LiveSetting(ctx); err != nil || got != want {
			t.Errorf("after setting %+v: got %+v, %v", want, got, err)
		}
	}
	s.Close()
	r := open(t, dir)
	defer r.Close()
	if got, _ := r.LiveSetting(ctx); got.Mode != news.LivePaused || got.By != "admin-token" {
		t.Errorf("reopened: got %+v, want the paused setting", got)
	}
}
