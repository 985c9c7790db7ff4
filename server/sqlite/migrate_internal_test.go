package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrationPurgesText opens a database of the first schema version,
// whose event log kept every version of every article, a deleted one's
// too: once migrated, no event keeps text, replay serves the current
// articles only, and the text of the deleted one is gone from the file.
func TestMigrationPurgesText(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	old, err := sql.Open("sqlite", path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		migrations[0],
		`PRAGMA user_version = 1`,
		`INSERT INTO articles VALUES ('kept', 'Kept title', '', '[]', '', '', '', '', '', 0, 0, 0)`,
		`INSERT INTO events (type, article_id, article) VALUES
			('article', 'gone', '{"id":"gone","title":"RETRACTED-TITLE","body":["RETRACTED-BODY"]}'),
			('article', 'kept', '{"id":"kept","title":"Old kept title","body":[]}'),
			('article', 'kept', '{"id":"kept","title":"Kept title","body":[]}'),
			('delete', 'gone', NULL)`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM events WHERE article IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("events with text after the migration: %d (%v), want 0", n, err)
	}
	evs, err := s.EventsSince(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, string(ev.Type)+" "+ev.Article.ID+" "+ev.Article.Title)
	}
	if want := "kept Kept title|delete gone "; strings.Join(got, "|") != "article "+want {
		t.Errorf("EventsSince(0) got %q, want the current kept article and the delete", got)
	}
	if err := s.Close(); err != nil { // the last connection checkpoints the WAL into the file
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, text := range []string{"RETRACTED-TITLE", "RETRACTED-BODY", "Old kept title"} {
			if bytes.Contains(b, []byte(text)) {
				t.Errorf("%s still holds %q", filepath.Base(f), text)
			}
		}
	}
}
