package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

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
