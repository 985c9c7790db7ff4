package postgres_test

import (
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/internal/storetest"
)

func TestAccounts(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) news.Accounts {
		dsn, _ := pgtest.Start(t) // a fresh database per sub-test
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
