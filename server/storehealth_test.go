package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/sqlite"
)

// logLines is a log sink safe for the server's goroutines.
type logLines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count returns how many lines hold s.
func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// logTo makes a test server log to l.
func logTo(l *logLines) func(*server.Options) {
	return func(o *server.Options) { o.Logger = slog.New(slog.NewTextHandler(l, nil)) }
}

// refusingStore is the real store whose writes fail, while refuse is set,
// as a full disk fails them.
type refusingStore struct {
	news.Store
	refuse atomic.Bool
}

var errDiskFull = &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: database or disk is full (13)"}

func (s *refusingStore) CreateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	if s.refuse.Load() {
		return news.Event{}, errDiskFull
	}
	return s.Store.CreateArticle(ctx, a)
}

func (s *refusingStore) UpdateArticle(ctx context.Context, a news.Article) (news.Event, error) {
	if s.refuse.Load() {
		return news.Event{}, errDiskFull
	}
	return s.Store.UpdateArticle(ctx, a)
}

func (s *refusingStore) UpsertArticle(ctx context.Context, a news.Article) (news.Event, bool, error) {
	if s.refuse.Load() {
		return news.Event{}, false, errDiskFull
	}
	return s.Store.UpsertArticle(ctx, a)
}

func (s *refusingStore) DeleteArticle(ctx context.Context, id string) (news.Event, error) {
	if s.refuse.Load() {
		return news.Event{}, errDiskFull
	}
	return s.Store.DeleteArticle(ctx, id)
}

// health is the body of /healthz, as far as these tests read it.
type health struct {
	Status string `json:"status"`
	Seq    int64  `json:"seq"`
	Writes *struct {
		Error   string    `json:"error"`
		Since   time.Time `json:"since"`
		Refused int       `json:"refused"`
	} `json:"writes"`
	Events *struct {
		Unreadable string `json:"unreadable"`
		Damaged    []struct {
			Seq   int64  `json:"seq"`
			Error string `json:"error"`
			Times int    `json:"times"`
		} `json:"damaged"`
	} `json:"events"`
}

// healthz fetches /healthz, which must answer the status.
func (ts *testServer) healthz(t *testing.T, status int) health {
	t.Helper()
	r := ts.get(t, "/healthz", nil)
	wantStatus(t, r, status)
	return decode[health](t, r.Body)
}

// TestHealthRefusedWrites has the store refuse every write, as a full disk
// does, under a burst of publishing: /healthz says degraded (200: readers
// are still served) with the reason and the count, the log says it once
// instead of once a request, and once a write goes through, /healthz is ok
// again and the log says so.
func TestHealthRefusedWrites(t *testing.T) {
	var st *refusingStore
	logs := &logLines{}
	ts := serverOn(t, t.TempDir(), logTo(logs), func(o *server.Options) {
		st = &refusingStore{Store: o.Store}
		o.Store = st
	})
	if h := ts.healthz(t, http.StatusOK); h.Status != "ok" || h.Writes != nil {
		t.Fatalf("/healthz before the fault: %+v, want ok", h)
	}

	st.refuse.Store(true)
	const refused = 200
	for i := range refused {
		r := ts.do(t, http.MethodPost, "/api/articles", mustJSON(t, obj{"title": "Refused " + strconv.Itoa(i)}), auth)
		wantError(t, r, http.StatusServiceUnavailable, news.EUnavailable, "")
	}
	h := ts.healthz(t, http.StatusOK)
	if h.Status != "degraded" || h.Writes == nil {
		t.Fatalf("/healthz during the fault: %+v, want degraded with a writes reason", h)
	}
	if got, want := h.Writes.Error, errDiskFull.Message; !strings.Contains(got, want) {
		t.Errorf("writes.error got %q, want it to hold %q", got, want)
	}
	if got, want := h.Writes.Refused, refused; got != want {
		t.Errorf("writes.refused got %d, want %d", got, want)
	}
	if h.Writes.Since.IsZero() || time.Since(h.Writes.Since) > time.Minute {
		t.Errorf("writes.since got %v, want about now", h.Writes.Since)
	}
	if got, want := logs.count("the store refuses writes"), 1; got != want {
		t.Errorf("%d log lines about refused writes for %d refusals, want %d", got, refused, want)
	}

	st.refuse.Store(false)
	ts.publish(t, obj{"title": "The disk has room again"})
	eventually(t, 5*time.Second, "/healthz to be ok again", func() bool { return ts.healthz(t, http.StatusOK).Status == "ok" })
	if got := logs.count("the store takes writes again"); got != 1 {
		t.Errorf("%d log lines saying writes work again, want 1", got)
	}
}

// corrupt runs SQL on the test server's database behind the store's back.
func corrupt(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName)+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedEvent damages event rows in the log: a replay that reaches one
// skips it and goes on (it used to end there, silently), the live updates
// go on past one (they used to stop for good), and the damage is logged,
// rate-limited, and shown in /healthz.
func TestDamagedEvent(t *testing.T) {
	dir := t.TempDir()
	logs := &logLines{}
	ts := serverOn(t, dir, logTo(logs))
	before := ts.lastSeq(t)
	a := ts.publish(t, obj{"id": "dmg-a", "title": "A"})
	ts.publish(t, obj{"id": "dmg-b", "title": "B"})
	c := ts.publish(t, obj{"id": "dmg-c", "title": "C"})
	bSeq := before + 2
	corrupt(t, dir, fmt.Sprintf(`UPDATE events SET type = 'garbled' WHERE seq = %d`, bSeq))
	// A fresh node on the same store: its history of frames starts after
	// these events, so its replays read them from the store.
	ts.Srv.Close()
	ts = serverOn(t, dir, logTo(logs))

	ids := func(evs []sseRecord) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Event+" "+articleID(t, ev))
		}
		return out
	}
	want := []string{"article " + a.ID, "article " + c.ID}
	for i := range 3 { // a replay each time: logged once
		s := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(before, 10), nil, false)
		got := ids(s.Events(t, len(want), wait))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("replay %d past the damaged event got %q, want %q", i, got, want)
		}
		s.NoEventFor(t, 50*time.Millisecond)
		if i == 0 {
			// The stream is still live after the damage.
			d := ts.publish(t, obj{"id": "dmg-d", "title": "D"})
			if ev := s.NextEvent(t, wait); articleID(t, ev) != d.ID {
				t.Errorf("the replaying stream then got %s %s, want the live %s", ev.Event, ev.Data, d.ID)
			}
			want = append(want, "article "+d.ID)
		}
		s.Close()
	}

	// Live: a damaged event the pump has yet to read, with a good one
	// after it, committed at once behind the store's back.
	live := ts.openSSE(t, "/api/events?since="+strconv.FormatInt(ts.lastSeq(t), 10), nil, false)
	ghost := ts.lastSeq(t) + 1
	corrupt(t, dir,
		`INSERT INTO events (type, article_id) VALUES ('garbled', 'dmg-ghost')`,
		`INSERT INTO articles (id, title, summary, body, url, source, category, category_key, image, flash, published_at, updated_at)
			SELECT 'dmg-e', 'E', '', '[]', '', '', '', '', '', 0, published_at, updated_at FROM articles WHERE id = 'dmg-a'`,
		`INSERT INTO events (type, article_id) VALUES ('article', 'dmg-e')`)
	ts.Srv.Poke()
	if ev := live.NextEvent(t, wait); ev.Event != "article" || articleID(t, ev) != "dmg-e" || seqOf(t, ev) != ghost+1 {
		t.Errorf("live past the damaged event got %s %s %s, want article dmg-e at %d", ev.ID, ev.Event, ev.Data, ghost+1)
	}
	// And later events still flow.
	f := ts.publish(t, obj{"id": "dmg-f", "title": "F"})
	if ev := live.NextEvent(t, wait); articleID(t, ev) != f.ID {
		t.Errorf("live after that got %s %s, want %s", ev.Event, ev.Data, f.ID)
	}

	h := ts.healthz(t, http.StatusOK)
	if h.Status != "degraded" || h.Events == nil {
		t.Fatalf("/healthz: %+v, want degraded with the damaged events", h)
	}
	var seen []int64
	for _, d := range h.Events.Damaged {
		seen = append(seen, d.Seq)
		if !strings.Contains(d.Error, "garbled") {
			t.Errorf("damaged event %d: error %q, want it to say why", d.Seq, d.Error)
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{bSeq, ghost}) {
		t.Errorf("/healthz damaged events %v, want %v", seen, []int64{bSeq, ghost})
	}
	if got := logs.count("skipped an event the store cannot read"); got != 1 {
		t.Errorf("%d log lines about damaged events met 4 times within the interval, want 1", got)
	}
}

// unreadableLog is the real store whose event log, while broken is set,
// fails every read as a corrupt database page does: no event to skip.
type unreadableLog struct {
	news.Store
	broken atomic.Bool
}

func (s *unreadableLog) EventsSince(ctx context.Context, seq int64, limit int) ([]news.Event, error) {
	if s.broken.Load() {
		return nil, errors.New("database disk image is malformed (11)")
	}
	return s.Store.EventsSince(ctx, seq, limit)
}

// TestUnreadableLog breaks the whole event log, where no damaged event can
// be named and skipped: /healthz says live updates wait and why, a replay
// that meets it ends with a log line instead of silently, and both clear
// once the log reads again.
func TestUnreadableLog(t *testing.T) {
	var st *unreadableLog
	logs := &logLines{}
	ts := serverOn(t, t.TempDir(), logTo(logs), func(o *server.Options) {
		st = &unreadableLog{Store: o.Store}
		o.Store = st
	})
	st.broken.Store(true)
	ts.publish(t, obj{"title": "Written, not yet pumped"}) // the pump reads, and fails
	eventually(t, 5*time.Second, "/healthz to report the unreadable log", func() bool {
		h := ts.healthz(t, http.StatusOK)
		return h.Status == "degraded" && h.Events != nil && strings.Contains(h.Events.Unreadable, "malformed")
	})
	s := ts.openSSE(t, "/api/events?since=0", nil, false)
	if evs := s.WaitEnd(t, wait); len(evs) != 0 {
		t.Errorf("a replay of the unreadable log got %d events, want none", len(evs))
	}
	if got := logs.count("the store cannot serve a read"); got != 1 {
		t.Errorf("%d log lines about the failed replay, want 1", got)
	}
	st.broken.Store(false)
	ts.Srv.Poke()
	eventually(t, 5*time.Second, "/healthz to be ok again", func() bool { return ts.healthz(t, http.StatusOK).Status == "ok" })
}
