package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// currentSeq is the event sequence a node reports on /healthz.
func currentSeq(t *testing.T, base string) int64 {
	t.Helper()
	var h struct {
		Seq int64 `json:"seq"`
	}
	body := get(t, base+"/healthz", http.StatusOK)
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("GET %s/healthz: %v in %s", base, err, body)
	}
	return h.Seq
}

// getArticle returns GET /api/articles/{id} and its status.
func getArticle(t *testing.T, base, id string) (news.Article, int) {
	t.Helper()
	status, body, _ := do(t, http.MethodGet, base+"/api/articles/"+id, "", nil)
	var a news.Article
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("GET %s/api/articles/%s: %v in %s", base, id, err, body)
		}
	}
	return a, status
}

// runPublish runs the publish subcommand in this process.
func runPublish(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = publish(args, &out, &errb)
	return code, out.String(), errb.String()
}

var publishedLine = regexp.MustCompile(`^published ([A-Za-z0-9_-]+): (.*)\n$`)

// TestPublish drives `newswidget publish` against a real server (the
// binary's wiring, in process) with the SQLite store: create from flags and
// from a file, the server's refusals (reported on stderr with exit code 1),
// update and delete, and the events a reader sees for them.
func TestPublish(t *testing.T) {
	t.Parallel()
	n := startLocal(t, "sqlite", "-data", t.TempDir(), "-admin-token", testToken)
	events := openSSE(t, n.url, strconv.FormatInt(currentSeq(t, n.url), 10))
	srv := []string{"-server", n.url, "-token", testToken}

	file := filepath.Join(t.TempDir(), "article.json")
	doc := `{"id": "from-file", "title": "From a file", "summary": "Filed summary.",
		"body": ["One.", "Two."], "category": "World", "url": "https://example.com/a"}`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var flashID string    // set by the first case
	var filedAt time.Time // published_at of from-file

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string   // a regexp; "" wants nothing
		wantStderr []string // substrings; nil wants nothing
		check      func(t *testing.T, stdout string)
	}{
		{
			name:       "flags",
			args:       append(slices.Clone(srv), "-title", "X", "-flash"),
			wantStdout: `^published \S+: X\n$`,
			check: func(t *testing.T, stdout string) {
				flashID = publishedLine.FindStringSubmatch(stdout)[1]
				a, ok := findArticle(listArticles(t, n.url), flashID)
				if !ok {
					t.Fatalf("article %s is not in GET /api/articles", flashID)
				}
				if a.Title != "X" || !a.Flash {
					t.Errorf("listed article got title %q flash %v, want X true", a.Title, a.Flash)
				}
				flash := listFlash(t, n.url)
				if !slices.Contains(flash, flashID) {
					t.Errorf("GET /api/articles?flash=true got %v, want it to hold %s", flash, flashID)
				}
			},
		},
		{
			name:       "wrong token",
			args:       []string{"-server", n.url, "-token", "not-the-token", "-title", "Refused"},
			wantCode:   1,
			wantStderr: []string{"401 Unauthorized", "a valid Authorization: Bearer <admin token> header is required"},
			check: func(t *testing.T, _ string) {
				for _, a := range listArticles(t, n.url) {
					if a.Title == "Refused" {
						t.Errorf("a refused article was stored: %+v", a)
					}
				}
			},
		},
		{
			name:       "no token",
			args:       []string{"-server", n.url, "-token", "", "-title", "Refused"},
			wantCode:   1,
			wantStderr: []string{"401 Unauthorized"},
		},
		{
			name:       "invalid article",
			args:       append(slices.Clone(srv), "-summary", "no title"),
			wantCode:   1,
			wantStderr: []string{"400 Bad Request", "title", "is required"},
		},
		{
			name:       "file, a flag overriding it",
			args:       append(slices.Clone(srv), "-file", file, "-category", "Sport"),
			wantStdout: `^published from-file: From a file\n$`,
			check: func(t *testing.T, _ string) {
				a, status := getArticle(t, n.url, "from-file")
				if status != http.StatusOK {
					t.Fatalf("GET /api/articles/from-file: status got %d, want 200", status)
				}
				filedAt = a.PublishedAt
				want := news.Article{ID: "from-file", Title: "From a file", Summary: "Filed summary.",
					Body: []string{"One.", "Two."}, Category: "Sport", URL: "https://example.com/a"}
				a.PublishedAt, a.UpdatedAt = time.Time{}, time.Time{}
				if !equalArticles(a, want) {
					t.Errorf("GET /api/articles/from-file got %+v, want %+v", a, want)
				}
			},
		},
		{
			name:       "id taken",
			args:       append(slices.Clone(srv), "-id", "from-file", "-title", "Again"),
			wantCode:   1,
			wantStderr: []string{"409 Conflict", `"from-file" already exists`},
		},
		{
			name:       "update",
			args:       append(slices.Clone(srv), "-update", "-id", "from-file", "-title", "Updated title", "-body", "P1.\n\n  \n\nP2."),
			wantStdout: `^updated from-file: Updated title\n$`,
			check: func(t *testing.T, _ string) {
				a, status := getArticle(t, n.url, "from-file")
				if status != http.StatusOK {
					t.Fatalf("GET /api/articles/from-file: status got %d, want 200", status)
				}
				if a.Title != "Updated title" || !slices.Equal(a.Body, []string{"P1.", "P2."}) {
					t.Errorf("updated article got title %q body %q, want %q %q", a.Title, a.Body, "Updated title", []string{"P1.", "P2."})
				}
				if !a.PublishedAt.Equal(filedAt) {
					t.Errorf("update moved published_at from %v to %v, want it kept", filedAt, a.PublishedAt)
				}
			},
		},
		{
			name:       "update of a missing article",
			args:       append(slices.Clone(srv), "-update", "-id", "no-such-article", "-title", "T"),
			wantCode:   1,
			wantStderr: []string{"404 Not Found"},
		},
		{
			name:       "update without id",
			args:       append(slices.Clone(srv), "-update", "-title", "T"),
			wantCode:   2,
			wantStderr: []string{"-update and -delete need -id"},
		},
		{
			name:       "delete",
			args:       append(slices.Clone(srv), "-delete", "-id", "from-file"),
			wantStdout: `^deleted from-file\n$`,
			check: func(t *testing.T, _ string) {
				if _, status := getArticle(t, n.url, "from-file"); status != http.StatusNotFound {
					t.Errorf("GET /api/articles/from-file after delete: status got %d, want 404", status)
				}
				if _, ok := findArticle(listArticles(t, n.url), "from-file"); ok {
					t.Error("deleted article still in GET /api/articles")
				}
			},
		},
		{
			name:       "delete again",
			args:       append(slices.Clone(srv), "-delete", "-id", "from-file"),
			wantCode:   1,
			wantStderr: []string{"404 Not Found"},
		},
		{
			name:       "delete without id",
			args:       append(slices.Clone(srv), "-delete"),
			wantCode:   2,
			wantStderr: []string{"need -id"},
		},
		{
			name: "lifecycle flags",
			args: append(slices.Clone(srv), "-id", "breaking", "-title", "Breaking", "-flash", "-urgent", "-pinned",
				"-expires", "2h", "-correction", "An earlier version misnamed the minister."),
			wantStdout: `^published breaking: Breaking\n$`,
			check: func(t *testing.T, _ string) {
				a, status := getArticle(t, n.url, "breaking")
				if status != http.StatusOK {
					t.Fatalf("GET /api/articles/breaking: status got %d, want 200", status)
				}
				if !a.Urgent || !a.Pinned || a.Correction != "An earlier version misnamed the minister." {
					t.Errorf("got urgent %v pinned %v correction %q, want true true and the note", a.Urgent, a.Pinned, a.Correction)
				}
				if left := time.Until(a.ExpiresAt); left < 119*time.Minute || left > 2*time.Hour {
					t.Errorf("expires_at got %v (in %v), want two hours from now", a.ExpiresAt, left)
				}
			},
		},
		{
			name:       "bad expiry",
			args:       append(slices.Clone(srv), "-title", "T", "-expires", "tomorrow"),
			wantCode:   2,
			wantStderr: []string{"-expires", `"tomorrow" is neither an RFC 3339 time`},
		},
		{
			name:       "missing file",
			args:       append(slices.Clone(srv), "-file", filepath.Join(t.TempDir(), "absent.json")),
			wantCode:   2,
			wantStderr: []string{"absent.json"},
		},
		{
			name:       "unknown flag",
			args:       append(slices.Clone(srv), "-headline", "T"),
			wantCode:   2,
			wantStderr: []string{"-headline"},
		},
		{
			name:       "server unreachable",
			args:       []string{"-server", "http://" + freeAddr(t), "-token", testToken, "-title", "T"},
			wantCode:   1,
			wantStderr: []string{"publish:", "connect"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runPublish(tt.args...)
			if code != tt.wantCode {
				t.Fatalf("publish %q: exit code got %d, want %d; stdout %q, stderr %q", tt.args, code, tt.wantCode, stdout, stderr)
			}
			if tt.wantStdout == "" && stdout != "" || tt.wantStdout != "" && !regexp.MustCompile(tt.wantStdout).MatchString(stdout) {
				t.Errorf("publish %q: stdout got %q, want %q", tt.args, stdout, tt.wantStdout)
			}
			if tt.wantStderr == nil && stderr != "" {
				t.Errorf("publish %q: stderr got %q, want nothing", tt.args, stderr)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("publish %q: stderr got %q, want it to contain %q", tt.args, stderr, w)
				}
			}
			if tt.check != nil {
				tt.check(t, stdout)
			}
		})
	}
	if t.Failed() {
		return
	}
	// A reader that was connected all along saw each change, in order.
	wantEvents(t, events.nextN(t, 5, eventTimeout),
		"article:"+flashID, "article:from-file", "article:from-file", "delete:from-file", "article:breaking")
}

// listFlash returns the ids of GET /api/articles?flash=true.
func listFlash(t *testing.T, base string) []string {
	t.Helper()
	var out struct {
		Articles []news.Article `json:"articles"`
	}
	body := get(t, base+"/api/articles?flash=true&limit=50", http.StatusOK)
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s/api/articles?flash=true: %v in %s", base, err, body)
	}
	var ids []string
	for _, a := range out.Articles {
		ids = append(ids, a.ID)
	}
	return ids
}

func equalArticles(a, b news.Article) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Summary == b.Summary && slices.Equal(a.Body, b.Body) &&
		a.URL == b.URL && a.Source == b.Source && a.Category == b.Category && a.Image == b.Image &&
		a.Flash == b.Flash && a.PublishedAt.Equal(b.PublishedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// TestPublishFromEnv checks publish's defaults: the server and the token
// from NEWSWIDGET_SERVER and NEWSWIDGET_ADMIN_TOKEN, as a server's own
// environment would have them.
func TestPublishFromEnv(t *testing.T) {
	n := startLocal(t, "sqlite", "-data", t.TempDir(), "-admin-token", testToken)
	t.Setenv("NEWSWIDGET_SERVER", n.url+"/")
	t.Setenv("NEWSWIDGET_ADMIN_TOKEN", testToken)
	code, stdout, stderr := runPublish("-title", "From the environment")
	if code != 0 {
		t.Fatalf("publish with env: exit code got %d, want 0; stderr %q", code, stderr)
	}
	m := publishedLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("publish stdout got %q, want %q", stdout, "published <id>: From the environment")
	}
	if a, status := getArticle(t, n.url, m[1]); status != http.StatusOK || a.Title != "From the environment" {
		t.Errorf("GET /api/articles/%s got %d %q, want 200 %q", m[1], status, a.Title, "From the environment")
	}
}

// TestShutdownSQLite checks that SIGTERM ends a node with the SQLite store
// cleanly and promptly: exit code 0, open event streams ended (the client
// sees EOF, and its EventSource would reconnect) rather than holding the
// shutdown, and the data kept for the next start.
func TestShutdownSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := startNode(t, "first", "-data", dir, "-admin-token", testToken)
	kept := publishAPI(t, n.url, map[string]any{"title": "Kept across restarts"})
	stream := openSSE(t, n.url, "")
	// The whole log replays to a reader without Last-Event-ID: the seed's
	// events, then the article above; reading them proves the stream live.
	evs := stream.nextN(t, len(seedArticles)+1, eventTimeout)
	if last := evs[len(evs)-1]; last.articleID() != kept.ID {
		t.Fatalf("last replayed event got %v, want the article %s", last, kept.ID)
	}
	seq := currentSeq(t, n.url)

	start := time.Now()
	if code := n.stop(t); code != 0 {
		t.Errorf("exit code after SIGTERM got %d, want 0; output:\n%s", code, n.out)
	}
	if err := stream.waitEnd(t, 2*time.Second); err != nil {
		t.Errorf("event stream ended with %v, want a clean EOF", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v with an open event stream, want well under the 10 s drain", took)
	}
	if out := n.out.String(); !strings.Contains(out, "shutting down") {
		t.Errorf("output lacks %q:\n%s", "shutting down", out)
	}

	again := startNode(t, "second", "-data", dir)
	if a, status := getArticle(t, again.url, kept.ID); status != http.StatusOK || a.Title != kept.Title {
		t.Errorf("after restart GET /api/articles/%s got %d %q, want 200 %q", kept.ID, status, a.Title, kept.Title)
	}
	if got := currentSeq(t, again.url); got != seq {
		t.Errorf("after restart seq got %d, want %d (nothing seeded again)", got, seq)
	}
}

// TestRateLimitFlags checks that -publish-limit and -events-limit reach the
// server: with a burst of 2 the third request answers 429, and with off a
// hundred pass.
func TestRateLimitFlags(t *testing.T) {
	t.Parallel()
	nodes := map[string]*local{
		"limited": startLocal(t, "limited", "-data", t.TempDir(), "-publish-limit", "2+0.01/s", "-events-limit", "2+0.01/s"),
		"off":     startLocal(t, "off", "-data", t.TempDir(), "-publish-limit", "off", "-events-limit", "off"),
	}
	// status sends a request and closes it once the headers are in, so an
	// event stream is counted without being read.
	status := func(method, url string) int {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct{ name, method, path string }{
		{"publishing", http.MethodPost, "/api/articles"}, // 403: no token is set, but counted
		{"event streams", http.MethodGet, "/api/events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for range 3 {
				got = append(got, status(tc.method, nodes["limited"].url+tc.path))
			}
			if got[0] == http.StatusTooManyRequests || got[1] == http.StatusTooManyRequests || got[2] != http.StatusTooManyRequests {
				t.Errorf("limited to a burst of 2: statuses got %v, want two answered and the third 429", got)
			}
			for i := range 100 {
				if code := status(tc.method, nodes["off"].url+tc.path); code == http.StatusTooManyRequests {
					t.Fatalf("limits off: request %d answered 429", i+1)
				}
			}
		})
	}
}
