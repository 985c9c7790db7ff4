package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/internal/storetest"
	"newswidget/server/postgres"
)

// TestMain shares one PostgreSQL cluster among the tests; each gets its own
// database from pgtest.Start.
func TestMain(m *testing.M) { pgtest.Main(m) }

// deliveryBound is how soon a write on one node must reach another node's Listen.
const deliveryBound = time.Second

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dsn, postgres.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) news.Store {
		dsn, _ := pgtest.Start(t) // a fresh database per sub-test
		return open(t, dsn)
	})
}

func TestDamaged(t *testing.T) {
	storetest.RunDamaged(t, func(t *testing.T) (news.Store, storetest.Exec) {
		dsn, _ := pgtest.Start(t)
		return open(t, dsn), execIn(dsn)
	})
}

// execIn runs plain SQL on the database dsn names, on a connection of its own.
func execIn(dsn string) storetest.Exec {
	return func(t *testing.T, stmt string) {
		t.Helper()
		withConn(t, dsn, func(ctx context.Context, c *pgx.Conn) error {
			if _, err := c.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
			return nil
		})
	}
}

func article(id string) news.Article {
	at := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	return news.Article{ID: id, Title: "Title of " + id, Body: []string{"Body."}, Category: "World", PublishedAt: at, UpdatedAt: at}
}

func queryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	var n int
	withConn(t, dsn, func(ctx context.Context, c *pgx.Conn) error {
		if err := c.QueryRow(ctx, sql).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	})
	return n
}

// withConn runs fn on a connection of its own to the database dsn names,
// failing t with fn's error.
func withConn(t *testing.T, dsn string, fn func(ctx context.Context, c *pgx.Conn) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := fn(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// TestMigrations checks that opening an up-to-date database changes nothing,
// that nodes opening a new one together all succeed with the schema made
// once, and that a schema newer than the program is refused.
func TestMigrations(t *testing.T) {
	t.Run("reopen", func(t *testing.T) {
		dsn, _ := pgtest.Start(t)
		s := open(t, dsn)
		if _, err := s.CreateArticle(context.Background(), article("kept")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		versions := queryInt(t, dsn, `SELECT count(*) FROM schema_migrations`)
		s = open(t, dsn)
		defer s.Close()
		if _, err := s.Article(context.Background(), "kept"); err != nil {
			t.Errorf("Article after reopening: %v", err)
		}
		if got := queryInt(t, dsn, `SELECT count(*) FROM schema_migrations`); got != versions || got < 1 {
			t.Errorf("schema_migrations has %d rows after reopening, want %d (and at least 1)", got, versions)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		dsn, _ := pgtest.Start(t)
		const nodes = 8
		var wg sync.WaitGroup
		errs := make(chan error, nodes)
		stores := make(chan *postgres.Store, nodes)
		start := make(chan struct{})
		for range nodes {
			wg.Go(func() {
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				s, err := postgres.Open(ctx, dsn, postgres.Options{})
				if err != nil {
					errs <- err
					return
				}
				stores <- s
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		close(stores)
		for err := range errs {
			t.Errorf("concurrent Open: %v", err)
		}
		n := 0
		for s := range stores {
			if _, err := s.CreateArticle(context.Background(), article(fmt.Sprint("node", n))); err != nil {
				t.Errorf("CreateArticle on node %d: %v", n, err)
			}
			s.Close()
			n++
		}
		if got, max := queryInt(t, dsn, `SELECT count(*) FROM schema_migrations`), queryInt(t, dsn, `SELECT max(version) FROM schema_migrations`); got != max {
			t.Errorf("schema_migrations has %d rows up to version %d: a migration ran twice or was skipped", got, max)
		}
	})
	t.Run("newer schema", func(t *testing.T) {
		dsn, _ := pgtest.Start(t)
		open(t, dsn).Close()
		queryInt(t, dsn, `WITH v AS (INSERT INTO schema_migrations (version) VALUES (9999) RETURNING version) SELECT version FROM v`)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err == nil {
			s.Close()
			t.Fatal("Open of a database with a newer schema succeeded")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("Open error got %v, want it to say the schema is newer", err)
		}
	})
}

// listener runs s.Listen, turning notifications into a channel buffered
// like the server's Poke: a notification while one waits is merged.
type listener struct {
	c    chan struct{}
	done chan error
	stop context.CancelFunc
}

func listen(t *testing.T, s *postgres.Store) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{c: make(chan struct{}, 1), done: make(chan error, 1), stop: cancel}
	go func() {
		l.done <- s.Listen(ctx, func() {
			select {
			case l.c <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-l.done:
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return within 5 s of its context's end")
		}
	})
	// Listen calls notify once it is listening.
	l.wait(t, 10*time.Second, "the first notify, once listening")
	return l
}

func (l *listener) wait(t *testing.T, d time.Duration, what string) {
	t.Helper()
	select {
	case <-l.c:
	case <-time.After(d):
		t.Fatalf("no notify within %v: %s", d, what)
	}
}

func (l *listener) drain() {
	select {
	case <-l.c:
	default:
	}
}

func (l *listener) quiet(t *testing.T, d time.Duration, what string) {
	t.Helper()
	select {
	case <-l.c:
		t.Errorf("notify %s", what)
	case <-time.After(d):
	}
}

// TestListen checks that a write on one node reaches another node's Listen
// promptly, that a write that changed nothing is not announced, and that
// Listen ends with its context or its store.
func TestListen(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	a, b := open(t, dsn), open(t, dsn)
	defer b.Close()
	l := listen(t, a)
	ctx := context.Background()

	for i, write := range []func() error{
		func() error { _, err := b.CreateArticle(ctx, article("x")); return err },
		func() error { x := article("x"); x.Title = "New"; _, err := b.UpdateArticle(ctx, x); return err },
		func() error { _, _, err := b.UpsertArticle(ctx, article("y")); return err },
		func() error { _, err := b.DeleteArticle(ctx, "x"); return err },
	} {
		start := time.Now()
		if err := write(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		l.wait(t, deliveryBound, fmt.Sprintf("write %d on another node", i))
		t.Logf("write %d: notified after %v", i, time.Since(start))
	}
	// Four writes; the log serves each article's latest: y's upsert, x's delete.
	evs, err := a.EventsSince(ctx, 0, 0)
	if err != nil || len(evs) != 2 || evs[0].Article.ID != "y" || evs[1].Type != news.EventDelete || evs[1].Seq != 4 {
		t.Fatalf("EventsSince on the listening node got %+v (err %v), want y's upsert and x's delete, at 4", evs, err)
	}

	if _, _, err := b.UpsertArticle(ctx, article("y")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateArticle(ctx, article("y")); news.ErrorCode(err) != news.EConflict {
		t.Fatalf("CreateArticle(duplicate) err %v, want conflict", err)
	}
	l.quiet(t, 300*time.Millisecond, "for writes that changed nothing")

	// Closing the store ends its Listen, with nil.
	a.Close()
	select {
	case err := <-l.done:
		if err != nil {
			t.Errorf("Listen after Close returned %v, want nil", err)
		}
		l.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return within 5 s of Close")
	}

	// Ending the context ends Listen with the context's error.
	l2 := listen(t, b)
	l2.stop()
	select {
	case err := <-l2.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Listen after cancel returned %v, want context.Canceled", err)
		}
		l2.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return within 5 s of its context's end")
	}
}

// TestEventsVisibleInOrder checks the guarantee EventsSince pollers rely on:
// with writers on two nodes, an event never becomes visible before one with
// a lower sequence, so a poller that resumes after the last event it saw
// misses none.
func TestEventsVisibleInOrder(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	nodes := []*postgres.Store{open(t, dsn), open(t, dsn)}
	defer nodes[0].Close()
	defer nodes[1].Close()
	reader := open(t, dsn)
	defer reader.Close()
	ctx := context.Background()

	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			s := nodes[w%2]
			for i := range each {
				if _, err := s.CreateArticle(ctx, article(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Errorf("CreateArticle: %v", err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var seen []int64
	poll := func() {
		evs, err := reader.EventsSince(ctx, lastOf(seen), 0)
		if err != nil {
			t.Fatalf("EventsSince: %v", err)
		}
		for _, ev := range evs {
			seen = append(seen, ev.Seq)
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		poll()
	}
	poll()
	all, err := reader.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(all) || len(all) != writers*each {
		t.Fatalf("a poller resuming after its last event saw %d events; there are %d, want %d: some became visible out of order",
			len(seen), len(all), writers*each)
	}
	for i := range all {
		if seen[i] != all[i].Seq {
			t.Fatalf("event %d: the poller saw seq %d, the store has %d", i, seen[i], all[i].Seq)
		}
	}
}

func lastOf(s []int64) int64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// TestUnstorable checks text PostgreSQL cannot hold: refused as invalid in
// a write, simply not found as an id, matching nothing as a category.
func TestUnstorable(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	s := open(t, dsn)
	defer s.Close()
	ctx := context.Background()
	for _, bad := range []string{"nul\x00byte", "bad\xffutf8"} {
		a := article("ok")
		a.Title = bad
		if _, err := s.CreateArticle(ctx, a); news.ErrorCode(err) != news.EInvalid {
			t.Errorf("CreateArticle(title %q) err %v, want invalid", bad, err)
		}
		if _, _, err := s.UpsertArticle(ctx, a); news.ErrorCode(err) != news.EInvalid {
			t.Errorf("UpsertArticle(title %q) err %v, want invalid", bad, err)
		}
		if _, err := s.Article(ctx, bad); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("Article(%q) err %v, want not found", bad, err)
		}
		if _, err := s.DeleteArticle(ctx, bad); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("DeleteArticle(%q) err %v, want not found", bad, err)
		}
		if _, err := s.UpdateArticle(ctx, article(bad)); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("UpdateArticle(id %q) err %v, want not found", bad, err)
		}
		if l, _, err := s.Articles(ctx, news.ArticleFilter{Category: bad}); err != nil || len(l) != 0 {
			t.Errorf("Articles(category %q) got %d articles, err %v; want none", bad, len(l), err)
		}
	}
	// A body is kept as JSON, which escapes a NUL: it round-trips.
	a := article("nulbody")
	a.Body = []string{"a\x00b"}
	if _, err := s.CreateArticle(ctx, a); err != nil {
		t.Fatalf("CreateArticle(NUL in body): %v", err)
	}
	if got, err := s.Article(ctx, "nulbody"); err != nil || got.Body[0] != "a\x00b" {
		t.Errorf("Article(nulbody) got body %q, err %v", got.Body, err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != 1 {
		t.Errorf("LastSeq got %d (err %v), want 1: a refused write left an event", seq, err)
	}
}

// TestServerRestart checks that while the server is down reads and writes
// fail with EUnavailable, promptly, and that afterwards writes work at the
// first try and Listen delivers again.
func TestServerRestart(t *testing.T) {
	srv := pgtest.New(t) // private: stopping the shared cluster would hit other tests
	writer, other := open(t, srv.DSN), open(t, srv.DSN)
	defer writer.Close()
	defer other.Close()
	l := listen(t, other)
	ctx := context.Background()
	n := 0
	write := func(what string) error {
		t.Helper()
		n++
		_, err := writer.CreateArticle(ctx, article(fmt.Sprint("r", n)))
		return err
	}
	mustWrite := func(what string) {
		t.Helper()
		if err := write(what); err != nil {
			t.Fatalf("CreateArticle %s: %v", what, err)
		}
		l.wait(t, deliveryBound, "a write "+what)
	}
	mustWrite("before the restart")

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"first write while down", "second write while down"} {
		start := time.Now()
		err := write(what)
		if news.ErrorCode(err) != news.EUnavailable {
			t.Fatalf("%s: err %v, want code %s", what, err, news.EUnavailable)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s took %v to fail", what, took)
		}
		var e *news.Error
		if errors.As(err, &e) && (strings.Contains(e.Message, "127.0.0.1") || strings.Contains(e.Message, "user=")) {
			t.Errorf("%s: the client's message %q names the database's address or user", what, e.Message)
		}
		t.Logf("%s: %v", what, err)
	}
	if _, err := writer.Article(ctx, "r1"); news.ErrorCode(err) != news.EUnavailable {
		t.Errorf("Article while down: err %v, want code %s", err, news.EUnavailable)
	}
	if _, err := writer.EventsSince(ctx, 0, 0); news.ErrorCode(err) != news.EUnavailable {
		t.Errorf("EventsSince while down: err %v, want code %s", err, news.EUnavailable)
	}
	time.Sleep(300 * time.Millisecond) // let Listen fail to reconnect a few times
	l.drain()

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := write("just after the restart"); err != nil {
		t.Fatalf("CreateArticle just after the restart: %v", err)
	}
	// Listen calls notify once it listens again: the write above may have
	// happened before, its notification lost.
	l.wait(t, 10*time.Second, "Listen reconnecting after the restart")
	t.Logf("Listen back %v after the restart", time.Since(start))
	mustWrite("after Listen reconnected")

	// A restart with no failed write between: the pool still holds the old
	// connections, which write must retry past.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := write("on connections of the previous server"); err != nil {
		t.Errorf("CreateArticle on connections of the previous server: %v", err)
	}
	l.wait(t, 10*time.Second, "Listen reconnecting after the second restart")
	l.drain()
	mustWrite("after the second restart")

	evs, err := other.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 {
		t.Errorf("after the restarts there are %d events, want the 5 acknowledged writes", len(evs))
	}
}
