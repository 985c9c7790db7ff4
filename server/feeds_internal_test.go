package server

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/server/assets"
)

// TestFeedCache: the feeds' and the sitemap's cache builds an entry once
// however many ask at the same time, forgets it when the sequence moves on
// or its time runs out, and keeps neither failures nor what a reader with
// an older sequence built.
func TestFeedCache(t *testing.T) {
	var c outCache
	var builds atomic.Int32
	build := func(body string, expires time.Time, err error) func() (*assets.Entity, time.Time, error) {
		return func() (*assets.Entity, time.Time, error) {
			builds.Add(1)
			time.Sleep(10 * time.Millisecond) // long enough for the others to arrive
			if err != nil {
				return nil, time.Time{}, err
			}
			return outEntity([]byte(body)), expires, nil
		}
	}
	get := func(seq int64, key, body string, expires time.Time, err error) (string, error) {
		e, gotErr := c.get(seq, key, build(body, expires, err))
		if e == nil {
			return "", gotErr
		}
		return string(e.Body), gotErr
	}
	step := func(name string, wantBuilds int32, f func()) {
		t.Helper()
		builds.Store(0)
		f()
		if got := builds.Load(); got != wantBuilds {
			t.Errorf("%s: %d builds, want %d", name, got, wantBuilds)
		}
	}

	step("concurrent askers", 1, func() {
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if got, err := get(1, "k", "one", time.Time{}, nil); got != "one" || err != nil {
					t.Errorf("got %q %v", got, err)
				}
			})
		}
		wg.Wait()
	})
	step("cached", 0, func() { get(1, "k", "other", time.Time{}, nil) })
	step("another key", 1, func() { get(1, "k2", "two", time.Time{}, nil) })
	step("an older sequence", 2, func() {
		if got, _ := get(0, "k", "old", time.Time{}, nil); got != "old" {
			t.Errorf("an older reader got %q", got)
		}
		get(0, "k", "old", time.Time{}, nil)
	})
	step("still cached", 0, func() {
		if got, _ := get(1, "k", "x", time.Time{}, nil); got != "one" {
			t.Errorf("got %q, want the entry of sequence 1", got)
		}
	})
	step("a newer sequence", 1, func() {
		if got, _ := get(2, "k", "new", time.Time{}, nil); got != "new" {
			t.Errorf("got %q", got)
		}
	})
	boom := errors.New("store down")
	step("a failure is not kept", 2, func() {
		if _, err := get(3, "k", "", time.Time{}, boom); err != boom {
			t.Errorf("err %v", err)
		}
		if got, err := get(3, "k", "back", time.Time{}, nil); got != "back" || err != nil {
			t.Errorf("got %q %v", got, err)
		}
	})
	step("expiry", 2, func() {
		get(3, "e", "soon", time.Now().Add(30*time.Millisecond), nil)
		get(3, "e", "soon", time.Time{}, nil) // cached
		time.Sleep(40 * time.Millisecond)
		if got, _ := get(3, "e", "later", time.Time{}, nil); got != "later" {
			t.Errorf("got %q after the expiry", got)
		}
	})
	step("a panicking build frees its waiters", 1, func() {
		func() {
			defer func() { recover() }()
			c.get(4, "p", func() (*assets.Entity, time.Time, error) { builds.Add(1); panic("bug") })
		}()
		if e, err := c.get(4, "p", func() (*assets.Entity, time.Time, error) { return outEntity([]byte("ok")), time.Time{}, nil }); err != nil || string(e.Body) != "ok" {
			t.Errorf("after a panic: %v", err)
		}
	})
}
