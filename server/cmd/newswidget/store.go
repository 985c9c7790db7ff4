package main

import (
	"context"
	"errors"
	"log/slog"

	"newswidget/app/news"
	"newswidget/server/seed"
	"newswidget/server/sqlite"
)

// openSQLite opens the SQLite store under dir. A dir that cannot be written
// (a read-only mount, say) is served read-only: readers get the news it
// holds and publishing answers 503 saying why. One that holds no database
// either gets the embedded seed content, in memory and read-only, so that
// readers still get news; both say so in the log, as the operator may have
// named the wrong directory.
func openSQLite(ctx context.Context, dir string, log *slog.Logger) (news.Store, error) {
	st, err := sqlite.Open(dir)
	switch {
	case errors.Is(err, sqlite.ErrNoDatabase):
		mem, merr := sqlite.OpenMemory()
		if merr != nil {
			return nil, errors.Join(err, merr)
		}
		if serr := seed.IfEmpty(ctx, mem); serr != nil {
			mem.Close()
			return nil, errors.Join(err, serr)
		}
		mem.SetReadOnly("the data directory cannot be written and holds no database; the built-in content is served until the server is restarted with a writable -data directory")
		log.Warn("the data directory cannot be written and holds no database: serving the built-in content from memory, read-only; publishing answers 503",
			"data", dir, "err", err)
		return mem, nil
	case err != nil:
		return nil, err
	}
	if why := st.ReadOnly(); why != "" {
		log.Warn("the data directory cannot be written: serving its articles read-only; publishing answers 503", "data", dir, "reason", why)
	}
	return st, nil
}
