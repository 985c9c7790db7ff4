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
