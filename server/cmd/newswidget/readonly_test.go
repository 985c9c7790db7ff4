package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/rofs"
	"newswidget/server/sqlite"
)

// TestReadOnlyData starts the binary on a -data directory it cannot write:
// it serves readers what the directory holds (the built-in content when it
// holds no database), /healthz says writes are refused and why, and
// publishing answers 503 with a message that says so. (Such a directory
// used to stop the server at start.)
func TestReadOnlyData(t *testing.T) {
	published := news.Article{ID: "kept-from-before", Title: "Published while the directory was writable"}
	for _, tt := range []struct {
		name     string
		prepare  func(t *testing.T, dir string) // before it is made read-only
		readOnly func(dir string) []string      // what is made read-only
		want     string                         // an article id readers must get
	}{
		{"read-only directory", writeStore(published), func(dir string) []string {
			return []string{filepath.Join(dir, sqlite.FileName), dir}
		}, published.ID},
		{"read-only database file", writeStore(published), func(dir string) []string {
			return []string{filepath.Join(dir, sqlite.FileName)}
		}, published.ID},
		{"read-only directory without a database", func(*testing.T, string) {}, func(dir string) []string {
			return []string{dir}
		}, seedArticles[0].ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.prepare(t, dir)
			rofs.Make(t, tt.readOnly(dir)...)
			n := startNode(t, "ro", "-data", dir, "-admin-token", testToken)

			if _, ok := findArticle(listArticles(t, n.url), tt.want); !ok {
				t.Errorf("GET /api/articles: no article %q", tt.want)
			}
			get(t, n.url+"/api/articles/"+tt.want, http.StatusOK)
			get(t, n.url+"/embed", http.StatusOK)

			var h struct {
				Status string
				Writes struct{ Error string }
			}
			if err := json.Unmarshal(get(t, n.url+"/healthz", http.StatusOK), &h); err != nil {
				t.Fatal(err)
			}
			if h.Status != "degraded" || !strings.Contains(h.Writes.Error, "read-only") {
				t.Errorf("/healthz: %+v, want degraded, writes refused as read-only", h)
			}

			status, body, _ := do(t, http.MethodPost, n.url+"/api/articles", testToken, map[string]any{"title": "Refused"})
			var e struct{ Error news.Error }
			json.Unmarshal(body, &e)
			if status != http.StatusServiceUnavailable || e.Error.Code != news.EUnavailable || !strings.Contains(e.Error.Message, "read-only") {
				t.Errorf("POST /api/articles: %d %s, want 503 %s saying the store is read-only", status, body, news.EUnavailable)
			}
			if out := n.out.String(); !strings.Contains(out, "cannot be written") {
				t.Errorf("the log does not warn that the data directory cannot be written:\n%s", out)
			}
			if code := n.stop(t); code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0", code)
			}
		})
	}
}

// writeStore returns a preparation that creates a store in dir holding a.
func writeStore(a news.Article) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		st, err := sqlite.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		a.Normalize(time.Now())
		if _, err := st.CreateArticle(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}
