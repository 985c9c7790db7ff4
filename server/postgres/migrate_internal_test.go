package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"newswidget/server/internal/pgtest"
)

// TestMigrationPurgesText opens a database of the first schema version,
// whose event log kept every version of every article, a deleted one's
// too: once migrated, no event keeps text, and replay serves the current
// articles only.
func TestMigrationPurgesText(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
		migrations[0],
		`INSERT INTO schema_migrations (version) VALUES (1)`,
		`INSERT INTO articles VALUES ('kept', 'Kept title', '', '[]', '', '', '', '', '', false, 0, 0)`,
		`INSERT INTO events (type, article_id, article) VALUES
			('article', 'gone', '{"id":"gone","title":"RETRACTED-TITLE","body":["RETRACTED-BODY"]}'),
			('article', 'kept', '{"id":"kept","title":"Old kept title","body":[]}'),
			('article', 'kept', '{"id":"kept","title":"Kept title","body":[]}'),
			('delete', 'gone', NULL)`,
	} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}

	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM events WHERE article IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("events with text after the migration: %d (%v), want 0", n, err)
	}
	evs, err := s.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Type)+" "+ev.Article.ID+" "+ev.Article.Title)
	}
	if want := "article kept Kept title|delete gone "; strings.Join(got, "|") != want {
		t.Errorf("EventsSince(0) got %q, want the current kept article and the delete", got)
	}

	// A node of the previous version, during an upgrade, still writes text
	// into the log: a delete purges it.
	if _, err := c.Exec(ctx, `INSERT INTO events (type, article_id, article) VALUES ('article', 'kept', '{"title":"Written by an old node"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteArticle(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM events WHERE article IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("events with text after the delete: %d (%v), want 0", n, err)
	}
}
