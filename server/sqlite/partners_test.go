package sqlite_test

import (
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/storetest"
)

func TestPartners(t *testing.T) {
	storetest.RunPartners(t, func(t *testing.T) news.Partners {
		s := open(t, t.TempDir())
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestStats(t *testing.T) {
	storetest.RunStats(t, func(t *testing.T) news.Stats {
		s := open(t, t.TempDir())
		t.Cleanup(func() { s.Close() })
		return s
	})
}
