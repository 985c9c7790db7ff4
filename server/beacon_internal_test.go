package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"newswidget/app/news"
)

// TestBeaconMemoryBound: the counts held between flushes are bounded, so a
// flood of beacons, forged or not, cannot grow the server's memory; a flush
// makes room again.
func TestBeaconMemoryBound(t *testing.T) {
	s, _ := loggingServer(t, nil)
	s.insight.maxPending = 2
	list, _, err := s.store.Articles(context.Background(), news.ArticleFilter{Limit: 3})
	if err != nil || len(list) < 3 {
		t.Fatalf("seed articles: %v %v", list, err)
	}
	send := func(body string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/api/beacon", strings.NewReader(body))
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0 Safari/537.36")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
	}
	click := func(id string) string { return `{"i":0,"c":["` + id + `"]}` }
	for _, tc := range []struct {
		body   string
		result string
	}{
		{click(list[0].ID), "accepted"},
		{click(list[1].ID), "accepted"},
		{click(list[2].ID), "full"},     // a third count: no room
		{click(list[0].ID), "accepted"}, // a count already held grows
	} {
		before := beaconCount(s, tc.result)
		send(tc.body)
		if got := beaconCount(s, tc.result) - before; got != 1 {
			t.Errorf("%s: %s went up by %v, want 1", tc.body, tc.result, got)
		}
	}
	// a flood of forged article ids costs nothing held
	for i := range 10_000 {
		send(click("forged-" + strconv.Itoa(i)))
	}
	s.insight.mu.Lock()
	held, n := len(s.insight.pending), s.insight.pending[countKey{}]
	s.insight.mu.Unlock()
	if held != 2 || n != nil {
		t.Errorf("after the flood: %d counts held, want 2", held)
	}
	if err := s.FlushStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := beaconCount(s, "accepted")
	send(click(list[2].ID))
	if beaconCount(s, "accepted")-before != 1 {
		t.Error("after a flush there is still no room")
	}
}

// beaconCount is the value of newswidget_beacons_total{result}.
func beaconCount(s *Server, result string) float64 {
	mfs, _ := s.metrics.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "newswidget_beacons_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// flakyStats is a statistics store whose AddCounts fails with fail (nil:
// it adds them), counting what it was asked to add.
type flakyStats struct {
	news.Stats
	mu          sync.Mutex
	fail        error
	impressions int64 // asked to add, whether it failed or not
}

func (f *flakyStats) AddCounts(ctx context.Context, counts []news.Count) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range counts {
		f.impressions += c.Impressions
	}
	if f.fail != nil {
		return f.fail
	}
	return f.Stats.AddCounts(ctx, counts)
}

// TestBeaconFlushOutcome: counts a store certainly did not write are held
// for the next flush; counts it may have written (a commit whose outcome is
// unknown) are dropped and logged, never written again, which could count
// them twice.
func TestBeaconFlushOutcome(t *testing.T) {
	stats := &flakyStats{}
	s, logs := loggingServer(t, nil, func(o *Options) {
		stats.Stats = o.Store.(news.Stats)
		o.Stats, o.StatsFlush = stats, time.Hour
	})
	ctx := context.Background()
	impression := func() {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/api/beacon", strings.NewReader(`{"i":1}`))
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0.0.0 Safari/537.36")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Fatalf("beacon: %d %s", w.Code, w.Body)
		}
	}
	flush := func(fail error) (asked int64, err error) {
		stats.mu.Lock()
		stats.fail, stats.impressions = fail, 0
		stats.mu.Unlock()
		err = s.FlushStats(ctx)
		stats.mu.Lock()
		defer stats.mu.Unlock()
		return stats.impressions, err
	}
	stored := func() int64 {
		t.Helper()
		now := time.Now()
		l, err := stats.Series(ctx, news.StatsQuery{From: now.Add(-2 * time.Hour), To: now.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, c := range l {
			n += c.Impressions
		}
		return n
	}

	// known not written: kept, and written by the next flush
	impression()
	notWritten := &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: the disk is full"}
	if asked, err := flush(notWritten); asked != 1 || err == nil {
		t.Fatalf("a failed write: asked to add %d, %v", asked, err)
	}
	if asked, err := flush(nil); asked != 1 || err != nil || stored() != 1 {
		t.Fatalf("the next flush: asked to add %d (%v), %d stored; want the impression kept and written", asked, err, stored())
	}

	// outcome unknown: dropped, logged, and not asked again
	impression()
	impression()
	unknown := fmt.Errorf("%w: %w", news.ErrOutcomeUnknown, notWritten)
	if asked, err := flush(unknown); asked != 2 || !errors.Is(err, news.ErrOutcomeUnknown) {
		t.Fatalf("a commit of unknown outcome: asked to add %d, %v", asked, err)
	}
	if asked, err := flush(nil); asked != 0 || err != nil {
		t.Errorf("the flush after a commit of unknown outcome: asked to add %d impressions (%v), want none: they may be stored already", asked, err)
	}
	s.insight.mu.Lock()
	held := len(s.insight.pending)
	s.insight.mu.Unlock()
	if held != 0 {
		t.Errorf("%d counts held after a commit of unknown outcome, want none", held)
	}
	if l := logs.String(); !strings.Contains(l, "statistics dropped") || !strings.Contains(l, "impressions=2") {
		t.Errorf("the log does not say what was dropped:\n%.2000s", l)
	}
}
