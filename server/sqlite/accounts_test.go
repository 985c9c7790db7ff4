package sqlite_test

import (
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/storetest"
)

func TestAccounts(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) news.Accounts {
		s := open(t, t.TempDir())
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestArticleAudit(t *testing.T) {
	storetest.RunArticleAudit(t, func(t *testing.T) (news.Store, storetest.Exec) {
		dir := t.TempDir()
		s := open(t, dir)
		t.Cleanup(func() { s.Close() })
		return s, execIn(dir)
	})
}
