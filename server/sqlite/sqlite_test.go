package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/internal/storetest"
	"newswidget/server/sqlite"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) news.Store {
		return open(t, t.TempDir())
	})
}

func TestDamaged(t *testing.T) {
	storetest.RunDamaged(t, func(t *testing.T) (news.Store, storetest.Exec) {
		dir := t.TempDir()
		return open(t, dir), execIn(dir)
	})
}

// execIn runs plain SQL on the database of the store in dir, on a
// connection of its own.
func execIn(dir string) storetest.Exec {
	return func(t *testing.T, stmt string) {
		t.Helper()
		db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func open(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

func article(id string) news.Article {
	now := time.Date(2024, 5, 1, 8, 30, 0, 987654321, time.UTC)
	return news.Article{ID: id, Title: "Title " + id, Body: []string{"Body."}, Category: "World", PublishedAt: now, UpdatedAt: now}
}

func TestOpenCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	open(t, dir).Close()
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	for _, id := range []string{"r1", "r2", "r3"} {
		if _, err := s.CreateArticle(ctx, article(id)); err != nil {
			t.Fatal(err)
		}
	}
	up := article("r2")
	up.Title = "Updated"
	if _, err := s.UpdateArticle(ctx, up); err != nil {
		t.Fatal(err)
	}
	// Deleting the newest article leaves the event table's maximum below the
	// sequence's, the case where a reused number would show.
	last, err := s.DeleteArticle(ctx, "r3")
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, dir)
	defer s.Close()
	if got, err := s.LastSeq(ctx); err != nil || got != last.Seq {
		t.Errorf("LastSeq after reopen got %d (err %v), want %d", got, err, last.Seq)
	}
	after, err := s.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(after), fmt.Sprint(before); got != want {
		t.Errorf("events after reopen:\n got  %s\n want %s", got, want)
	}
	if a, err := s.Article(ctx, "r2"); err != nil || a.Title != "Updated" {
		t.Errorf("Article(r2) after reopen got %+v (err %v), want the updated one", a, err)
	}
	if _, err := s.Article(ctx, "r3"); news.ErrorCode(err) != news.ENotFound {
		t.Errorf("Article(r3) after reopen got err %v, want %s", err, news.ENotFound)
	}
	ev, err := s.CreateArticle(ctx, article("r4"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq <= last.Seq {
		t.Errorf("seq after reopen got %d, want above %d", ev.Seq, last.Seq)
	}
}

// crashDirEnv names the directory of the crash child's store; set only in the child.
const crashDirEnv = "NEWSWIDGET_SQLITE_CRASH_DIR"

// TestCrashChild is the process TestCrash kills: it writes until killed and
// reports each acknowledged write on stdout.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrash only")
	}
	s, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Bounded, so a child whose parent died does not write forever.
	for i := 0; i < 1_000_000; i++ {
		id := fmt.Sprintf("crash-%d", i)
		if _, err := s.CreateArticle(context.Background(), article(id)); err != nil {
			t.Fatal(err)
		}
		fmt.Println("ack", id) // os.Stdout is unbuffered: the parent sees it now
	}
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const acks = 200
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	acked := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(acked) < acks {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("the child exited after %d acks", len(acked))
			}
			if id, ok := strings.CutPrefix(line, "ack "); ok {
				acked[id] = true
			}
		case <-deadline:
			cmd.Process.Kill()
			for range lines {
			}
			cmd.Wait()
			t.Fatalf("timed out with %d of %d acks", len(acked), acks)
		}
	}
	// Kill sends SIGKILL: no deferred code, no Close, mid-transaction.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Lines already in the pipe were acknowledged before the kill too.
	for line := range lines {
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			acked[id] = true
		}
	}
	cmd.Wait()

	checkIntegrity(t, dir)
	ctx := context.Background()
	s := open(t, dir)
	defer s.Close()
	for id := range acked {
		if _, err := s.Article(ctx, id); err != nil {
			t.Errorf("acknowledged article %s lost: %v", id, err)
		}
	}
	evs, err := s.EventsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d, want %d: a gap or a duplicate", i, ev.Seq, i+1)
		}
		if _, err := s.Article(ctx, ev.Article.ID); err != nil {
			t.Errorf("event %d names article %s: %v", ev.Seq, ev.Article.ID, err)
		}
	}
	list, _, err := s.Articles(ctx, news.ArticleFilter{Limit: news.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < len(acked) || len(list) == 0 {
		t.Errorf("got %d events and %d listed articles, want at least the %d acknowledged", len(evs), len(list), len(acked))
	}
	if last, err := s.LastSeq(ctx); err != nil || last != int64(len(evs)) {
		t.Errorf("LastSeq got %d (err %v), want %d", last, err, len(evs))
	}
	t.Logf("%d acknowledged, %d committed", len(acked), len(evs))
}

// checkIntegrity runs SQLite's own consistency check on the database file.
func checkIntegrity(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check got %q (err %v), want ok", res, err)
	}
}
