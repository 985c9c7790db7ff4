package server

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
	"newswidget/server/hub"
)

// The back-off switch (issue #18). A person (an admin) sets a mode for
// every widget; the store keeps it, so every node serves it, and with
// PostgreSQL the write wakes every node's pump, which reads it. A node also
// moves itself to slow when its open streams near the cap, and back when
// they are well below it. The mode a node serves is the stricter of the
// two: a person's slow or paused always holds (the automatic slow never
// weakens a pause), and a person's normal lets each node protect its own
// descriptors, which no person watching one console could do for every node.
//
// Every open stream hears of a change through the stream itself: the SSE
// retry: field for the mode and an event "live" {"mode","retry_ms"}. In
// slow and paused modes a stream is closed after it: a slow stream after it
// caught up from its Last-Event-ID, a paused one at once; widgets come back
// after a jittered wait under retry_ms (news.LiveDelay) and the retry:
// field is jittered per stream, so even a plain EventSource comes back
// spread out.

// Overload thresholds, as fractions of -max-streams: at autoHigh open
// streams a node moves to slow; it moves back when the streams it would
// hold (those open and the readers polling it) are below autoLow, and
// autoHold has passed since it moved.
const (
	autoHigh = 0.95
	autoLow  = 0.7
)

// liveSwitch is a node's state of the back-off switch.
type liveSwitch struct {
	slow, paused time.Duration // the ceilings of the widgets' waits
	hold         time.Duration // the least time the automatic slow lasts

	// syncing is held across a read of the store's setting and its use,
	// and across a person's write and its use, so a read that began before
	// a write cannot put the older setting back after it.
	syncing sync.Mutex

	mu        sync.Mutex
	setting   news.LiveSetting // a person's, as the store keeps it
	auto      bool             // this node slowed itself down
	autoSince time.Time
	polls     int64              // streams served in slow mode since pollsFrom
	pollsFrom time.Time          // start of the window polls counts
	demand    int64              // readers polling, estimated over the last window
	pollers   map[netip.Addr]int // this window's polls per client (polled)

	mode atomic.Value // news.LiveMode: what this node serves now
}

// newLiveSwitch returns a switch in normal mode.
func newLiveSwitch(slow, paused, hold time.Duration) *liveSwitch {
	l := &liveSwitch{slow: slow, paused: paused, hold: hold, setting: news.LiveSetting{Mode: news.LiveNormal}}
	l.mode.Store(news.LiveNormal)
	return l
}

// current returns the mode this node serves.
func (l *liveSwitch) current() news.LiveMode { return l.mode.Load().(news.LiveMode) }

// ceiling returns the ceiling of a widget's wait in mode m.
func (l *liveSwitch) ceiling(m news.LiveMode) time.Duration {
	switch m {
	case news.LiveSlow:
		return l.slow
	case news.LivePaused:
		return l.paused
	}
	return news.RetryFirst
}

// retryFrame is the SSE retry: field for mode m, jittered per stream in
// slow and paused modes (full jitter under the ceiling, at least a second).
func (l *liveSwitch) retryFrame(m news.LiveMode) []byte {
	ms := news.RetryFirst.Milliseconds()
	if m != news.LiveNormal {
		ms = max(1000, news.LiveDelay(m, l.ceiling(m), rand.Float64()).Milliseconds())
	}
	return []byte("retry: " + strconv.FormatInt(ms, 10) + "\n\n")
}

// liveFrame is the SSE "live" event for mode m, with no id (it is no
// event of the log, and must not move the reader's Last-Event-ID).
func (l *liveSwitch) liveFrame(m news.LiveMode) []byte {
	return []byte(`event: live` + "\n" + `data: {"mode":"` + string(m) + `","retry_ms":` +
		strconv.FormatInt(l.ceiling(m).Milliseconds(), 10) + "}\n\n")
}

// GET /api/live
func (s *Server) handleGetLive(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.authenticate(r); err != nil {
		return err
	}
	s.writePrivate(w, http.StatusOK, s.liveReport())
	return nil
}

// PUT /api/live
func (s *Server) handlePutLive(w http.ResponseWriter, r *http.Request) error {
	p, err := s.requireAdmin(r)
	if err != nil {
		return err
	}
	var in struct {
		Mode string `json:"mode"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	mode, err := news.ParseLiveMode(in.Mode)
	if err != nil {
		return err
	}
	set := news.LiveSetting{Mode: mode, By: p.name, At: time.Now().UTC()}
	s.live.syncing.Lock()
	defer s.live.syncing.Unlock()
	if ls, ok := s.store.(news.LiveStore); ok {
		if err := ls.SetLiveSetting(r.Context(), set); err != nil {
			return err
		}
	}
	s.live.mu.Lock()
	s.live.setting = set
	s.live.mu.Unlock()
	s.applyLive()
	s.record(news.AuditEntry{User: p.name, Action: news.ActionLive, Title: "live " + string(mode)})
	s.writePrivate(w, http.StatusOK, s.liveReport())
	return nil
}

// liveReport is what GET /api/live and /healthz say of the switch: the mode
// served, who set it ("person", "auto" for this node's overload, "default"
// when no one ever did), a person's setting, and the node's streams.
func (s *Server) liveReport() map[string]any {
	l := s.live
	l.mu.Lock()
	set, auto, demand := l.setting, l.auto, l.demand
	l.mu.Unlock()
	mode := l.current()
	by := "default"
	switch {
	case auto && set.Mode.Level() < news.LiveSlow.Level():
		by = "auto"
	case set.By != "":
		by = "person"
	}
	out := map[string]any{
		"mode": mode, "set_by": by, "setting": set, "overload": auto,
		"retry_ms": l.ceiling(mode).Milliseconds(), "streams": s.hub.Len(), "polling": demand,
	}
	if s.streams != nil {
		out["max_streams"] = s.streams.max
	}
	return out
}

// loadLive reads a person's setting from the store (another node may have
// changed it) and applies it; a store that keeps none keeps it in memory.
func (s *Server) loadLive(ctx context.Context) {
	ls, ok := s.store.(news.LiveStore)
	if !ok {
		return
	}
	s.live.syncing.Lock()
	defer s.live.syncing.Unlock()
	set, err := ls.LiveSetting(ctx)
	if err != nil {
		return // the store's health is reported by the pump's own read
	}
	s.live.mu.Lock()
	changed := set != s.live.setting
	s.live.setting = set
	s.live.mu.Unlock()
	if changed {
		s.applyLive()
	}
}

// applyLive works out the mode this node serves and, if it changed, tells
// every open stream through the hub and the metrics.
func (s *Server) applyLive() {
	l := s.live
	l.mu.Lock()
	auto := news.LiveNormal
	if l.auto {
		auto = news.LiveSlow
	}
	mode := news.Stricter(l.setting.Mode, auto)
	old := l.current()
	l.mode.Store(mode)
	if mode != old {
		// under the lock: two changes at once reach the streams and the
		// metrics in the order they were made (Publish never blocks)
		s.metrics.setLiveMode(mode)
		s.hub.Publish(&hub.Frame{Live: string(mode)})
	}
	l.mu.Unlock()
	if mode != old {
		s.log.Info("live mode changed", "from", old, "to", mode, "overload", auto == news.LiveSlow)
	}
}

// The bounds of what one client adds to the estimate of the readers
// polling a node: a client (an address, or a network behind one) counts
// for at most pollsPerClient polls a window, and at most maxPollers clients
// are told apart; beyond that the window's polls count as they come.
const (
	pollsPerClient = 64 // an office behind one address: a few dozen readers
	maxPollers     = 1 << 16
)

// polled counts a stream served in slow mode to client, for the estimate
// of how many readers poll this node. A few clients reconnecting as fast
// as the rate limit lets them must not keep every reader of the node slow:
// each counts for at most pollsPerClient polls a window.
func (l *liveSwitch) polled(client netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, seen := l.pollers[client]
	switch {
	case n >= pollsPerClient:
		return
	case seen || len(l.pollers) < maxPollers:
		if l.pollers == nil {
			l.pollers = map[netip.Addr]int{}
		}
		l.pollers[client] = n + 1
	}
	l.polls++
}

// watchOverload moves the node to slow when its open streams near the cap
// and back when they, with the readers polling, are well below it; it
// checks every interval until the server closes.
func (s *Server) watchOverload(every time.Duration) {
	if s.streams == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var trim streamTrim
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			open := s.streams.open.Load()
			if s.overloadStep(now, open) {
				s.applyLive()
			}
			if trim.due(now, open) {
				debug.FreeOSMemory()
			}
		}
	}
}

// trimStep is how many streams must come or go before the memory is
// trimmed, and trimSettle how long their count must then hold still.
const (
	trimStep   = 1024
	trimSettle = 2 * time.Second
)

// streamTrim decides when to give the operating system back the memory a
// wave of streams left free. Each connect leaves about 14 KiB of garbage
// (net/http's connection buffers, which a taken-over connection never
// returns to its pools), so after a spike the heap holds about twice what
// the streams keep, and the process keeps that high-water mark. Once the
// count of streams has moved by trimStep and held for trimSettle, a
// collection that returns free memory (debug.FreeOSMemory, some
// milliseconds with tens of thousands of streams) leaves the idle streams'
// own memory alone.
type streamTrim struct {
	trimmedAt int64     // the streams open at the last trim
	last      int64     // at the last check
	still     time.Time // since when the count has held
}

// due reports whether to trim now, with open streams.
func (t *streamTrim) due(now time.Time, open int64) bool {
	if open != t.last {
		t.last, t.still = open, now
		return false
	}
	if d := open - t.trimmedAt; (d >= trimStep || d <= -trimStep) && now.Sub(t.still) >= trimSettle {
		t.trimmedAt = open
		return true
	}
	return false
}

// overloadStep updates the automatic slow for open streams at now and says
// whether it changed. In slow mode a widget comes back after half the
// ceiling on average (full jitter), so the readers polling a node are about
// half the polls of the last ceiling; the automatic slow lasts at least a
// ceiling (and hold), so that estimate exists before it ends.
func (s *Server) overloadStep(now time.Time, open int64) bool {
	l := s.live
	capacity := float64(s.streams.max)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pollsFrom.IsZero() {
		l.pollsFrom = now
	}
	if now.Sub(l.pollsFrom) >= l.slow {
		l.demand, l.polls, l.pollsFrom = l.polls/2, 0, now
		clear(l.pollers)
	}
	switch {
	case !l.auto && float64(open) >= autoHigh*capacity:
		l.auto, l.autoSince = true, now
		l.polls, l.pollsFrom, l.demand = 0, now, 0
		clear(l.pollers)
		return true
	case l.auto && now.Sub(l.autoSince) >= max(l.hold, l.slow) && float64(open+l.demand) < autoLow*capacity:
		l.auto = false
		return true
	}
	return false
}
