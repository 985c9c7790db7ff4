package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
)

// liveAcrossWithin is how soon a switch set on one node must reach a
// stream on another: the write's notification wakes the other node's pump
// at once; its two-second tick is the safety net.
const liveAcrossWithin = 3 * time.Second

// putLive sets the back-off switch on base as the admin token.
func putLive(t *testing.T, base string, mode news.LiveMode) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/live", strings.NewReader(`{"mode":"`+string(mode)+`"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s/api/live %s: %d %s", base, mode, resp.StatusCode, b)
	}
}

// liveMode is the mode GET base/api/live reports, and who set it.
func liveMode(t *testing.T, base string) (news.LiveMode, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/live", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Mode  news.LiveMode `json:"mode"`
		SetBy string        `json:"set_by"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Mode, v.SetBy
}

// TestLiveSwitchAcrossNodes: the back-off switch set on one node holds on
// every node of the shared PostgreSQL: an open stream on another node is
// told through the stream within seconds, that node serves new streams by
// the mode, and switching back on either node brings both back.
func TestLiveSwitchAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn, _ := pgtest.Start(t)
	args := func() []string { return []string{"-postgres", dsn, "-admin-token", testToken, "-data", t.TempDir()} }
	nodes := startNodes(t, map[string][]string{"A": args(), "B": args()})
	a, b := nodes["A"], nodes["B"]
	last := strconv.FormatInt(currentSeq(t, b.url), 10)
	reader := openSSE(t, b.url, last)

	start := time.Now()
	putLive(t, a.url, news.LiveSlow)
	ev := reader.next(t, liveAcrossWithin)
	if took := time.Since(start); ev.typ != "live" || !strings.Contains(ev.data, `"mode":"slow"`) || took > liveAcrossWithin {
		t.Fatalf("a stream on B after slow was set on A: got %s %s after %v, want the live event within %v", ev.typ, ev.data, took, liveAcrossWithin)
	}
	if err := reader.waitEnd(t, 5*time.Second); err != nil {
		t.Errorf("the slowed stream on B ended with %v, want a clean end", err)
	}
	if m, by := liveMode(t, b.url); m != news.LiveSlow || by != "person" {
		t.Errorf("GET B/api/live: got %s by %s, want slow by a person", m, by)
	}
	// B serves a new stream as a poll: the catch-up, the notice, the end.
	art := publishAPI(t, a.url, map[string]any{"title": "Published while slow", "flash": true})
	// once B has heard of it: a poll that comes before costs B no store
	// read (it is caught up as far as B knows) and gets it on the next one
	want := currentSeq(t, a.url)
	for deadline := time.Now().Add(liveAcrossWithin); currentSeq(t, b.url) < want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("node B did not hear of event %d within %v", want, liveAcrossWithin)
		}
	}
	poll := openSSE(t, b.url, last)
	if ev := poll.next(t, 5*time.Second); ev.articleID() != art.ID {
		t.Errorf("a poll on B: got %v, want the article published on A", ev)
	}
	if ev := poll.next(t, 5*time.Second); ev.typ != "live" {
		t.Errorf("a poll on B: got %v, want the live event after the catch-up", ev)
	}
	if err := poll.waitEnd(t, 5*time.Second); err != nil {
		t.Errorf("the poll on B ended with %v, want a clean end", err)
	}

	putLive(t, b.url, news.LiveNormal)
	deadline := time.Now().Add(liveAcrossWithin)
	for {
		if m, _ := liveMode(t, a.url); m == news.LiveNormal {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A still not normal %v after it was set on B", liveAcrossWithin)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
