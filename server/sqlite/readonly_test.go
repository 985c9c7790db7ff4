package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/rofs"
	"newswidget/server/sqlite"
)

// TestOpenReadOnly opens stores that cannot be written: the database file
// read-only in a writable directory (SQLite's mode=ro), the directory too
// (immutable=1, as no -shm can be made), and a read-only directory with no
// database. The first two serve reads and refuse writes with EUnavailable,
// saying why; the last is ErrNoDatabase.
func TestOpenReadOnly(t *testing.T) {
	for _, tt := range []struct {
		name     string
		seed     bool
		readOnly func(dir string) []string
		noDB     bool
	}{
		{"read-only file", true, func(dir string) []string { return []string{filepath.Join(dir, sqlite.FileName)} }, false},
		{"read-only directory", true, func(dir string) []string { return []string{filepath.Join(dir, sqlite.FileName), dir} }, false},
		{"read-only directory without a database", false, func(dir string) []string { return []string{dir} }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			var seq int64
			if tt.seed {
				s := open(t, dir)
				for _, id := range []string{"r1", "r2"} {
					ev, err := s.CreateArticle(ctx, article(id))
					if err != nil {
						t.Fatal(err)
					}
					seq = ev.Seq
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			rofs.Make(t, tt.readOnly(dir)...)

			s, err := sqlite.Open(dir)
			if tt.noDB {
				if !errors.Is(err, sqlite.ErrNoDatabase) {
					t.Fatalf("Open got %v, want ErrNoDatabase", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if s.ReadOnly() == "" {
				t.Errorf("ReadOnly() is empty, want the reason")
			}
			if a, err := s.Article(ctx, "r2"); err != nil || a.Title != article("r2").Title {
				t.Errorf("Article(r2) got %+v, %v", a, err)
			}
			if got, err := s.LastSeq(ctx); err != nil || got != seq {
				t.Errorf("LastSeq got %d (%v), want %d", got, err, seq)
			}
			if evs, err := s.EventsSince(ctx, 0, 0); err != nil || len(evs) != 2 {
				t.Errorf("EventsSince(0) got %d events (%v), want 2", len(evs), err)
			}
			_, err = s.CreateArticle(ctx, article("r3"))
			if news.ErrorCode(err) != news.EUnavailable || !strings.Contains(err.Error(), "read-only") {
				t.Errorf("CreateArticle got %v, want %s saying the store is read-only", err, news.EUnavailable)
			}
		})
	}
}

// TestOpenMemory checks the store that serves fixed content when there is
// nowhere to keep a database: written, then frozen.
func TestOpenMemory(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateArticle(ctx, article("m1")); err != nil {
		t.Fatal(err)
	}
	s.SetReadOnly("fixed content")
	if got := s.ReadOnly(); got != "fixed content" {
		t.Errorf("ReadOnly() got %q", got)
	}
	if _, err := s.Article(ctx, "m1"); err != nil {
		t.Errorf("Article(m1): %v", err)
	}
	if _, err := s.DeleteArticle(ctx, "m1"); news.ErrorCode(err) != news.EUnavailable {
		t.Errorf("DeleteArticle after SetReadOnly got %v, want %s", err, news.EUnavailable)
	}
}
