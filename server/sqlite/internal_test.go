package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"newswidget/app/news"
)

// TestUnavailable checks that writes refused by the disk or the file map to
// EUnavailable and leave neither an article nor an event behind.
func TestUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name   string
		pragma string // makes the writer connection refuse writes
		big    bool   // the write must need new pages to fail
		want   string // the reason, in words fit for a client
	}{
		{"full", `PRAGMA max_page_count = 1`, true, "the disk is full"}, // below the current size: no page can be added
		{"read-only", `PRAGMA query_only = 1`, false, "read-only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.w.Exec(tt.pragma); err != nil {
				t.Fatal(err)
			}
			a := news.Article{ID: "x", Title: "T", Body: []string{strings.Repeat("a", 1<<16)}}
			if !tt.big {
				a.Body = nil
			}
			_, err = s.CreateArticle(ctx, a)
			if got := news.ErrorCode(err); got != news.EUnavailable {
				t.Fatalf("CreateArticle error code got %q (err %v), want %q", got, err, news.EUnavailable)
			}
			if msg := err.(*news.Error).Message; !strings.HasPrefix(msg, "the article store cannot accept writes: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("message got %q, want the reason %q", msg, tt.want)
			} else if strings.Contains(msg, dir) || strings.Contains(msg, "sqlite") {
				t.Errorf("message %q names the server's files or driver; it goes to clients", msg)
			}
			if _, err := s.Article(ctx, "x"); news.ErrorCode(err) != news.ENotFound {
				t.Errorf("Article after the failed write: err %v, want %s", err, news.ENotFound)
			}
			if seq, err := s.LastSeq(ctx); err != nil || seq != 0 {
				t.Errorf("LastSeq after the failed write got %d (err %v), want 0", seq, err)
			}
		})
	}
}

// TestPragmas checks the settings durability depends on, on both pools.
func TestPragmas(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, db := range []struct {
		name string
		db   interface {
			QueryRow(string, ...any) *sql.Row
		}
	}{{"writer", s.w}, {"reader", s.r}} {
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"secure_delete", "1"}, // a deleted article's text is overwritten in the file
			{"user_version", strconv.Itoa(len(migrations))},
		} {
			var got string
			if err := db.db.QueryRow("PRAGMA " + p.pragma).Scan(&got); err != nil || got != p.want {
				t.Errorf("%s: PRAGMA %s got %q (err %v), want %q", db.name, p.pragma, got, err, p.want)
			}
		}
	}
}
