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

func TestArticleAudit(t *testing.T) {
	storetest.RunArticleAudit(t, func(t *testing.T) (news.Store, storetest.Exec) {
		dsn, _ := pgtest.Start(t)
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s, execIn(dsn)
	})
}
