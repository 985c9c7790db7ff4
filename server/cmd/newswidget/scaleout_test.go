package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
)

// fanOutWithin is how fast a write on one node must reach a reader on another.
const fanOutWithin = time.Second

// TestScaleOutPostgres runs several nodes on one PostgreSQL database, as a
// deployment behind a load balancer does, and checks what such a deployment
// promises: nodes starting together seed the shared store once, a write on
// one node reaches readers on every node at once, a reader that loses its
// node resumes on another with nothing missing or repeated, and a node
// outlives its database: it keeps serving readers from memory, refuses
// writes with 503, and works again when the database is back.
//
// The steps build on each other; the first that fails (fatally) ends the test.
func TestScaleOutPostgres(t *testing.T) {
	t.Parallel()
	pg := pgtest.New(t) // a private cluster: this test stops and starts it
	nodeArgs := func() []string {
		return []string{"-postgres", pg.DSN, "-admin-token", testToken, "-data", t.TempDir()}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgres log:\n%s", pg.Log())
		}
	})
	// The steps share the nodes, readers and database, which must outlive
	// each step, so they run in t itself rather than as subtests; each logs
	// its name, so a failure shows the step it belongs to.
	step := func(name string, fn func(t *testing.T)) {
		t.Helper()
		t.Logf("step: %s", name)
		start := time.Now()
		fn(t)
		t.Logf("step done in %v", time.Since(start).Round(time.Millisecond))
	}

	var a, b *node
	var readerB *sseStream // on B, from the start of the log
	var readerA *sseStream // on A, from after the seed
	step("two nodes start at once on an empty database", func(t *testing.T) {
		nodes := startNodes(t, map[string][]string{"A": nodeArgs(), "B": nodeArgs()})
		a, b = nodes["A"], nodes["B"]
		for _, n := range []*node{a, b} {
			list := listArticles(t, n.url)
			for _, s := range seedArticles {
				if _, ok := findArticle(list, s.ID); !ok {
					t.Errorf("node %s: seed article %s missing from GET /api/articles", n.name, s.ID)
				}
			}
			if len(list) != len(seedArticles) {
				t.Errorf("node %s: GET /api/articles got %d articles, want the %d of the seed", n.name, len(list), len(seedArticles))
			}
		}
		// However the two seeders interleaved, each seed article was
		// created once: the log holds one event per article.
		readerB = openSSE(t, b.url, "")
		evs := readerB.nextN(t, len(seedArticles), eventTimeout)
		var got, want []string
		for _, e := range evs {
			got = append(got, e.articleID())
		}
		for _, s := range seedArticles {
			want = append(want, s.ID)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("the log's first %d events are for %v, want one for each seed article %v", len(evs), got, want)
		}
		last := strconv.FormatInt(evs[len(evs)-1].id, 10)
		for _, n := range []*node{a, b} {
			if seq := currentSeq(t, n.url); strconv.FormatInt(seq, 10) != last {
				t.Errorf("node %s: /healthz seq got %d, want %s, the seed's last event", n.name, seq, last)
			}
		}
		readerA = openSSE(t, a.url, last)
	})

	var lastOnB int64 // the id of the last event readerB read before B died
	step("a write on one node reaches readers on the others within 1s", func(t *testing.T) {
		for _, tt := range []struct {
			id      string
			on      *node
			far     *sseStream // a reader on the other node
			near    *sseStream // a reader on the writer's node
			farName string
		}{
			{"p1", a, readerB, readerA, "B"},
			{"p2", b, readerA, readerB, "A"},
		} {
			start := time.Now()
			publishAPI(t, tt.on.url, map[string]any{"id": tt.id, "title": "Published " + tt.id, "flash": true})
			far := tt.far.next(t, fanOutWithin)
			if took := time.Since(start); took > fanOutWithin {
				t.Errorf("%s published on %s reached a reader on %s after %v, want within %v", tt.id, tt.on.name, tt.farName, took, fanOutWithin)
			}
			near := tt.near.next(t, eventTimeout)
			wantEvents(t, []sseEvent{far}, "article:"+tt.id)
			wantEvents(t, []sseEvent{near}, "article:"+tt.id)
			if far.id != near.id {
				t.Errorf("%s has id %d on one node and %d on the other, want one sequence", tt.id, far.id, near.id)
			}
			lastOnB = far.id // readerB's, as far (p1) or as near (p2): the ids are equal
		}
	})

	var lastBeforeOutage int64
	step("a reader resumes on A after B is killed, nothing missing or repeated", func(t *testing.T) {
		b.kill9(t)
		readerB.waitEnd(t, 2*time.Second) // cut short, as a crash cuts it
		// Writes while the reader has no node: a create, another, an
		// update and a delete.
		publishAPI(t, a.url, map[string]any{"id": "p3", "title": "Published p3"})
		publishAPI(t, a.url, map[string]any{"id": "p4", "title": "Published p4"})
		if status, body, _ := do(t, http.MethodPut, a.url+"/api/articles/p3", testToken, map[string]any{"title": "Updated p3"}); status != http.StatusOK {
			t.Fatalf("PUT p3 on A: status got %d, want 200; body %s", status, body)
		}
		if status, body, _ := do(t, http.MethodDelete, a.url+"/api/articles/p1", testToken, nil); status != http.StatusNoContent {
			t.Fatalf("DELETE p1 on A: status got %d, want 204; body %s", status, body)
		}
		// The replay serves each article's latest event, as it is now: p3's
		// update stands for its creation.
		resumed := openSSE(t, a.url, strconv.FormatInt(lastOnB, 10))
		evs := resumed.nextN(t, 3, eventTimeout)
		wantEvents(t, evs, "article:p4", "article:p3", "delete:p1")
		if evs[0].id <= lastOnB {
			t.Errorf("first resumed event %v is not after Last-Event-ID %d", evs[0], lastOnB)
		}
		if ev := evs[1]; !strings.Contains(ev.data, `"Updated p3"`) {
			t.Errorf("p3's event data got %s, want the updated article", ev.data)
		}
		// Nothing else is queued before the next write: it comes next.
		publishAPI(t, a.url, map[string]any{"id": "p5", "title": "Marker five", "flash": true})
		p5 := resumed.next(t, eventTimeout)
		wantEvents(t, []sseEvent{p5}, "article:p5")
		lastBeforeOutage = p5.id
		// The reader that stayed on A saw the same, live: every write, but
		// for those the pump read together with a later one of the same
		// article, which it serves merged.
		var live []sseEvent
		latest := map[string]sseEvent{}
		for len(live) == 0 || live[len(live)-1].articleID() != "p5" {
			ev := readerA.next(t, eventTimeout)
			live, latest[ev.articleID()] = append(live, ev), ev
		}
		wantEvents(t, []sseEvent{latest["p4"], latest["p3"], latest["p1"], latest["p5"]}, "article:p4", "article:p3", "delete:p1", "article:p5")
		if !strings.Contains(latest["p3"].data, `"Updated p3"`) {
			t.Errorf("reader A's last p3 event got %s, want the updated article", latest["p3"].data)
		}
		wantEvents(t, live[len(live)-1:], "article:p5") // and increasing ids throughout:
		for i := 1; i < len(live); i++ {
			if live[i].id <= live[i-1].id {
				t.Errorf("reader A: event ids not increasing: %v then %v", live[i-1], live[i])
			}
		}
	})

	step("A keeps serving with B gone", func(t *testing.T) {
		get(t, a.url+"/healthz", http.StatusOK)
		list := listArticles(t, a.url)
		for id, want := range map[string]string{"p2": "Published p2", "p3": "Updated p3", "p4": "Published p4", "p5": "Marker five"} {
			if got, ok := findArticle(list, id); !ok || got.Title != want {
				t.Errorf("A lists %s as %q (present %v), want %q", id, got.Title, ok, want)
			}
		}
		if _, ok := findArticle(list, "p1"); ok {
			t.Error("A still lists the deleted p1")
		}
		if body := get(t, a.url+"/embed", http.StatusOK); !strings.Contains(string(body), "Marker five") {
			t.Error("A's /embed does not show the newest article, Marker five")
		}
	})

	var afterOutage *sseStream // on A, across the outage
	step("with PostgreSQL stopped A serves readers from memory and refuses writes with 503", func(t *testing.T) {
		// What readers asked for before the outage is what they get during it.
		before := get(t, a.url+"/api/articles", http.StatusOK)
		listArticles(t, a.url)
		get(t, a.url+"/embed", http.StatusOK)
		// A stream whose replay meets the outage is ended (its client
		// retries), so this reader replays p5 first: once it has p5, its
		// replay is done and the stream waits on live events alone.
		afterOutage = openSSE(t, a.url, strconv.FormatInt(lastBeforeOutage-1, 10))
		wantEvents(t, []sseEvent{afterOutage.next(t, eventTimeout)}, "article:p5")

		if err := pg.Stop(); err != nil {
			t.Fatalf("stop PostgreSQL: %v", err)
		}
		if got := get(t, a.url+"/api/articles", http.StatusOK); string(got) != string(before) {
			t.Errorf("GET /api/articles during the outage got %s, want the cached %s", got, before)
		}
		if _, ok := findArticle(listArticles(t, a.url), "p5"); !ok {
			t.Error("GET /api/articles?limit=50 during the outage lacks p5")
		}
		if body := get(t, a.url+"/embed", http.StatusOK); !strings.Contains(string(body), "Marker five") {
			t.Error("/embed during the outage does not show Marker five")
		}

		start := time.Now()
		status, body, h := do(t, http.MethodPost, a.url+"/api/articles", testToken, map[string]any{"title": "During the outage"})
		var e struct {
			Error news.Error `json:"error"`
		}
		if status != http.StatusServiceUnavailable {
			t.Errorf("POST during the outage: status got %d, want 503; body %s", status, body)
		}
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("POST during the outage: Content-Type got %q, want application/json", ct)
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != news.EUnavailable || e.Error.Message == "" {
			t.Errorf("POST during the outage: body got %s (%v), want {\"error\":{\"code\":%q,\"message\":…}}", body, err, news.EUnavailable)
		}
		t.Logf("503 after %v", time.Since(start).Round(time.Millisecond))

		code, _, stderr := runPublish("-server", a.url, "-token", testToken, "-title", "During the outage")
		if code != 1 || !strings.Contains(stderr, "503 Service Unavailable") {
			t.Errorf("publish during the outage: exit code %d, stderr %q; want 1 and 503 Service Unavailable", code, stderr)
		}
		if status, body, _ := do(t, http.MethodGet, a.url+"/healthz", "", nil); status != http.StatusServiceUnavailable || !strings.Contains(string(body), `"writes":{"error":"the article store cannot accept writes`) {
			t.Errorf("/healthz during the outage: status got %d, want 503 (degraded) with the refused writes; body %s", status, body)
		}
	})

	step("after PostgreSQL is back, publishing works again and readers get it", func(t *testing.T) {
		if err := pg.Start(); err != nil {
			t.Fatalf("start PostgreSQL: %v", err)
		}
		start := time.Now()
		deadline := start.Add(10 * time.Second)
		doc := map[string]any{"id": "p6", "title": "After the outage"}
		for attempt := 1; ; attempt++ {
			status, body, _ := do(t, http.MethodPost, a.url+"/api/articles", testToken, doc)
			if status == http.StatusCreated {
				break
			}
			if status == http.StatusConflict { // an attempt whose answer was lost did commit
				t.Logf("attempt %d: 409, an earlier attempt stored p6", attempt)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("POST on A still failing 10s after PostgreSQL restarted: %d %s", status, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("publishing worked again %v after PostgreSQL restarted", time.Since(start).Round(time.Millisecond))

		// A write went through: /healthz no longer reports refused writes.
		for !strings.Contains(string(get(t, a.url+"/healthz", http.StatusOK)), `"status":"ok"`) {
			if time.Now().After(deadline) {
				t.Fatalf("/healthz on A not ok 10s after PostgreSQL restarted: %s", get(t, a.url+"/healthz", http.StatusOK))
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The reader connected to A through the outage gets it live.
		wantEvents(t, []sseEvent{afterOutage.next(t, eventTimeout)}, "article:p6")
		// So does a reader on a node that starts now.
		c := startNode(t, "C", nodeArgs()...)
		wantEvents(t, []sseEvent{openSSE(t, c.url, strconv.FormatInt(lastBeforeOutage, 10)).next(t, eventTimeout)}, "article:p6")
		for _, n := range []*node{a, c} {
			if got, ok := findArticle(listArticles(t, n.url), "p6"); !ok || got.Title != "After the outage" {
				t.Errorf("node %s lists p6 as %q (present %v), want %q", n.name, got.Title, ok, "After the outage")
			}
		}
		if _, ok := findArticle(listArticles(t, c.url), "p5"); !ok {
			t.Error("node C lacks p5, written before the outage")
		}
	})
}

// TestSeedRacePostgres starts several nodes at the same moment on each of
// a few empty databases: however their seeding interleaves, every node
// starts, serves the whole seed, and the shared log holds one event per
// seed article, none doubled.
func TestSeedRacePostgres(t *testing.T) {
	t.Parallel()
	const rounds, nodesPerRound = 2, 4
	for round := 1; round <= rounds; round++ {
		t.Run("round "+strconv.Itoa(round), func(t *testing.T) {
			dsn, _ := pgtest.Start(t)
			specs := map[string][]string{}
			for i := range nodesPerRound {
				specs[string(rune('A'+i))] = []string{"-postgres", dsn, "-data", t.TempDir()}
			}
			var want []string
			for _, s := range seedArticles {
				want = append(want, s.ID)
			}
			slices.Sort(want)
			for name, n := range startNodes(t, specs) {
				var got []string
				for _, a := range listArticles(t, n.url) {
					got = append(got, a.ID)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("node %s lists %v, want the seed %v", name, got, want)
				}
				if seq := currentSeq(t, n.url); seq != int64(len(seedArticles)) {
					t.Errorf("node %s: seq got %d, want %d, one event per seed article", name, seq, len(seedArticles))
				}
			}
		})
	}
}
