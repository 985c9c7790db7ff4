package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// The flash lifecycle (issue #16): urgent, pinned, expires_at, correction.

// TestLifecycleFields publishes every lifecycle field and reads it back from
// the API, the event stream and the pages.
func TestLifecycleFields(t *testing.T) {
	ts := newTestServer(t)
	s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(ts.lastSeq(t), 10), nil, false)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	in := obj{
		"id": "flash-1", "title": "Quake hits the coast", "flash": true, "urgent": true, "pinned": true,
		"published_at": "2024-05-01T10:00:00Z", // old: pinned brings it first anyway
		"expires_at":   expires.In(time.FixedZone("CET", 3600)).Format(time.RFC3339),
		"correction":   "  An earlier version gave the wrong\u202e magnitude. ",
	}
	got := ts.publish(t, in)
	want := news.Article{
		ID: "flash-1", Title: "Quake hits the coast", Flash: true, Urgent: true, Pinned: true,
		PublishedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), ExpiresAt: expires,
		Correction: "An earlier version gave the wrong magnitude.",
	}
	check := func(what string, a news.Article) {
		t.Helper()
		if a.Urgent != want.Urgent || a.Pinned != want.Pinned || !a.ExpiresAt.Equal(want.ExpiresAt) || a.Correction != want.Correction || !a.PublishedAt.Equal(want.PublishedAt) {
			t.Errorf("%s: got %+v, want the lifecycle of %+v", what, a, want)
		}
	}
	check("created", got)
	check("GET", decode[news.Article](t, ts.get(t, "/api/articles/flash-1", nil).Body))
	ev := s.NextEvent(t, 5*time.Second)
	if ev.Event != "article" {
		t.Fatalf("event %s, want article", ev.Event)
	}
	check("event", decode[news.Article](t, []byte(ev.Data)))
	if l := ts.list(t, "?limit=50"); !slicesContain(ids(l.Articles), "flash-1") {
		t.Errorf("listing lacks the article: %v", ids(l.Articles))
	}

	// The JSON: the booleans always, expires_at and correction when set.
	raw := decode[map[string]json.RawMessage](t, ts.get(t, "/api/articles/flash-1", nil).Body)
	if string(raw["expires_at"]) != `"`+expires.Format(time.RFC3339)+`"` || string(raw["urgent"]) != "true" || string(raw["pinned"]) != "true" {
		t.Errorf("JSON fields: %s %s %s", raw["expires_at"], raw["urgent"], raw["pinned"])
	}
	plain := ts.publish(t, obj{"title": "Plain"})
	raw = decode[map[string]json.RawMessage](t, ts.get(t, "/api/articles/"+plain.ID, nil).Body)
	if _, has := raw["expires_at"]; has {
		t.Errorf("an article without expiry has expires_at: %s", raw["expires_at"])
	}
	if _, has := raw["correction"]; has {
		t.Errorf("an article without correction has correction: %s", raw["correction"])
	}
	if string(raw["urgent"]) != "false" || string(raw["pinned"]) != "false" {
		t.Errorf("urgent %s pinned %s, want false false", raw["urgent"], raw["pinned"])
	}

	// The widget: first in ticker and list although the oldest, marked as
	// breaking in words, with its correction.
	page := string(ts.get(t, "/embed?layout=both&limit=5", nil).Body)
	first := map[string]string{} // class: the first item's id (go-app writes attributes in any order)
	for _, li := range regexp.MustCompile(`<li [^>]*>`).FindAllString(page, -1) {
		class := regexp.MustCompile(`class="(nw-flash|nw-item)[ "]`).FindStringSubmatch(li)
		id := regexp.MustCompile(`data-id="([^"]+)"`).FindStringSubmatch(li)
		if class != nil && id != nil && first[class[1]] == "" {
			first[class[1]] = id[1]
		}
	}
	if first["nw-flash"] != "flash-1" || first["nw-item"] != "flash-1" {
		t.Errorf("first in the ticker and the list: %v, want flash-1", first)
	}
	for _, s := range []string{">Breaking<", "Correction: ", "An earlier version gave the wrong magnitude.", `aria-live="assertive"`} {
		if !strings.Contains(page, s) {
			t.Errorf("/embed lacks %q", s)
		}
	}
	if n := strings.Count(page, `class="nw-breaking"`); n != 3 { // the ticker's two copies, the list
		t.Errorf("%d breaking marks, want 3", n)
	}
	if page := string(ts.get(t, "/embed?locale=sq", nil).Body); !strings.Contains(page, ">Urgjente<") || !strings.Contains(page, "Korrigjim: ") {
		t.Errorf("/embed?locale=sq lacks the Albanian labels")
	}
	art := string(ts.get(t, "/articles/flash-1", nil).Body)
	if !regexp.MustCompile(`<p class="nw-correction">\s*<span class="nw-correction-label">Correction: </span>\s*<bdi>An earlier version gave the wrong magnitude.</bdi>`).MatchString(art) {
		t.Errorf("the article page lacks the correction")
	}
	if !strings.Contains(art, `"expires":"`+expires.Format(time.RFC3339)+`"`) || !strings.Contains(art, `"correction":"An earlier version`) {
		t.Errorf("the article page's JSON-LD lacks expires or correction")
	}

	// A replacement without the fields drops them: PUT replaces.
	r := ts.do(t, http.MethodPut, "/api/articles/flash-1", []byte(`{"title":"Quake hits the coast"}`), auth)
	wantStatus(t, r, http.StatusOK)
	if a := decode[news.Article](t, r.Body); a.Urgent || a.Pinned || !a.ExpiresAt.IsZero() || a.Correction != "" {
		t.Errorf("after a PUT without them: %+v", a)
	}
}

func slicesContain(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestExpiredIsOutOfPublicView: an article whose expiry has passed is in no
// public surface; its editors still read it with their credentials.
func TestExpiredIsOutOfPublicView(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now().UTC().Truncate(time.Second)
	ts.publish(t, obj{
		"id": "stale", "title": "Stale flash", "flash": true, "correction": "Stale correction text",
		"published_at": now.Add(-time.Hour).Format(time.RFC3339),
		"expires_at":   now.Add(-time.Minute).Format(time.RFC3339), // past: expiring at once is allowed
	})
	r := ts.get(t, "/api/articles/stale", nil)
	wantError(t, r, http.StatusNotFound, news.ENotFound, "")
	r = ts.get(t, "/api/articles/stale", hdr{"Authorization": "Bearer " + testToken})
	wantStatus(t, r, http.StatusOK)
	if a := decode[news.Article](t, r.Body); a.ID != "stale" || r.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("editor's read: %+v, Cache-Control %q", a, r.Header.Get("Cache-Control"))
	}
	wantStatus(t, ts.get(t, "/articles/stale", nil), http.StatusNotFound)
	for _, path := range []string{"/api/articles?limit=50", "/api/articles?flash=true", "/embed", "/embed?layout=ticker", "/feed.xml", "/feed.json", "/sitemap.xml", "/articles/" + seedNewest()} {
		body := string(ts.get(t, path, nil).Body)
		if strings.Contains(body, "stale") || strings.Contains(body, "Stale") {
			t.Errorf("%s shows the expired article", path)
		}
	}
	// The store logged its expiry: a reader resuming from before it is told
	// to drop it, by id only.
	s := ts.openSSE(t, "/api/events?since=0", nil, false)
	for {
		ev := s.NextEvent(t, 5*time.Second)
		if !strings.Contains(ev.Data, `"stale"`) {
			continue
		}
		if ev.Event != "delete" || ev.Data != `{"id":"stale"}` {
			t.Errorf("replay of the expired article: %s %s, want a delete by id", ev.Event, ev.Data)
		}
		break
	}
}

// TestExpiryEvent runs a real server past an article's expiry: an event
// arrives at the expiry, with nobody acting, and the article is gone from
// /embed and /api/articles.
func TestExpiryEvent(t *testing.T) {
	ts := newTestServer(t)
	s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(ts.lastSeq(t), 10), nil, false)
	expires := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	ts.publish(t, obj{"id": "short-lived", "title": "Short-lived flash", "flash": true, "expires_at": expires.Format(time.RFC3339)})
	if ev := s.NextEvent(t, 5*time.Second); ev.Event != "article" {
		t.Fatalf("first event %s, want the article", ev.Event)
	}
	if !strings.Contains(string(ts.get(t, "/embed", nil).Body), `data-id="short-lived"`) {
		t.Fatal("/embed lacks the article before its expiry")
	}
	ev := s.NextEvent(t, 6*time.Second)
	at := time.Now()
	if ev.Event != "delete" || ev.Data != `{"id":"short-lived"}` {
		t.Fatalf("event at the expiry: %s %s, want a delete of short-lived", ev.Event, ev.Data)
	}
	if at.Before(expires) || at.After(expires.Add(1500*time.Millisecond)) {
		t.Errorf("the expiry event came at %v, the expiry is %v", at, expires)
	}
	if strings.Contains(string(ts.get(t, "/embed", nil).Body), "short-lived") {
		t.Error("/embed still shows the expired article")
	}
	if l := ts.list(t, "?limit=50"); slicesContain(ids(l.Articles), "short-lived") {
		t.Error("/api/articles still lists the expired article")
	}
	s.NoEventFor(t, 300*time.Millisecond) // once

	// An editor extends it: it is back, and leaves again at the new expiry.
	expires = time.Now().Add(time.Second).UTC().Truncate(time.Second).Add(time.Second)
	r := ts.do(t, http.MethodPut, "/api/articles/short-lived", mustJSON(t, obj{"title": "Short-lived flash", "flash": true, "expires_at": expires.Format(time.RFC3339)}), auth)
	wantStatus(t, r, http.StatusOK)
	if ev := s.NextEvent(t, 5*time.Second); ev.Event != "article" {
		t.Fatalf("after the extension: %s, want the article", ev.Event)
	}
	if ev := s.NextEvent(t, 5*time.Second); ev.Event != "delete" || time.Now().Before(expires) {
		t.Fatalf("at the new expiry: %s at %v (expiry %v)", ev.Event, time.Now(), expires)
	}
}

// TestRetractionTakesTheCorrection: a delete leaves nothing of the article's
// text public, its correction included, replay included.
func TestRetractionTakesTheCorrection(t *testing.T) {
	ts := newTestServer(t)
	ts.publish(t, obj{"id": "wrong", "title": "Wrong story", "correction": "Zqx correction words"})
	wantStatus(t, ts.do(t, http.MethodDelete, "/api/articles/wrong", nil, auth), http.StatusNoContent)
	for _, path := range []string{"/api/articles?limit=50", "/embed", "/feed.xml", "/feed.json", "/articles/wrong"} {
		if strings.Contains(string(ts.get(t, path, nil).Body), "Zqx correction") {
			t.Errorf("%s holds the retracted correction", path)
		}
	}
	s := ts.openSSE(t, "/api/events?since=0", nil, false)
	last := ts.lastSeq(t)
	for {
		ev := s.NextEvent(t, 5*time.Second)
		if strings.Contains(ev.Data, "Zqx") {
			t.Fatalf("replay holds the retracted text: %s", ev.Data)
		}
		if n, _ := strconv.ParseInt(ev.ID, 10, 64); n >= last {
			break
		}
	}
}
