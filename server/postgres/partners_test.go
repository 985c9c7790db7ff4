package postgres_test

import (
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/internal/storetest"
)

func TestPartners(t *testing.T) {
	storetest.RunPartners(t, func(t *testing.T) news.Partners {
		dsn, _ := pgtest.Start(t) // a fresh database per sub-test
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestStats(t *testing.T) {
	storetest.RunStats(t, func(t *testing.T) news.Stats {
		dsn, _ := pgtest.Start(t)
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
