package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"newswidget/app/news"
)

// frame is one event encoded once as SSE bytes, shared by every subscriber.
type frame struct {
	seq  int64
	data []byte
}

// encodeFrame writes an event in the SSE wire format: its sequence as the
// id, its type as the event name, the article (or {"id"} for a delete) as
// one line of JSON.
func encodeFrame(ev news.Event) *frame {
	var data []byte
	if ev.Type == news.EventDelete {
		data, _ = json.Marshal(struct {
			ID string `json:"id"`
		}{ev.Article.ID})
	} else {
		data, _ = json.Marshal(nonNilBody(ev.Article))
	}
	b := make([]byte, 0, len(data)+48)
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, ev.Type...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	b = append(b, "\n\n"...)
	return &frame{seq: ev.Seq, data: b}
}

// Hub fans events out to SSE subscribers. Each has a buffered channel;
// sends never block, and a subscriber whose buffer is full is dropped (its
// channel closed) to resume later through Last-Event-ID.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan *frame]struct{}
	buf    int
	gauge  prometheus.Gauge
	closed bool
}

// NewHub returns a hub whose subscribers buffer buf events.
func NewHub(buf int, gauge prometheus.Gauge) *Hub {
	return &Hub{subs: map[chan *frame]struct{}{}, buf: buf, gauge: gauge}
}

// Subscribe returns a channel of events; it is closed when the subscriber is
// dropped or the hub closes.
func (h *Hub) Subscribe() chan *frame {
	c := make(chan *frame, h.buf)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		return c
	}
	h.subs[c] = struct{}{}
	h.gauge.Inc()
	return c
}

// Unsubscribe removes a subscriber, if it is still there.
func (h *Hub) Unsubscribe(c chan *frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
		h.gauge.Dec()
	}
}

// Publish sends a frame to every subscriber without waiting for any.
func (h *Hub) Publish(f *frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- f:
		default: // too slow: drop it; it resumes from its Last-Event-ID
			delete(h.subs, c)
			close(c)
			h.gauge.Dec()
		}
	}
}

// Close ends every subscription and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.subs {
		delete(h.subs, c)
		close(c)
		h.gauge.Dec()
	}
}

// Len returns the number of subscribers.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Poke tells the pump that the store may have new events.
func (s *Server) Poke() {
	select {
	case s.pokeCh <- struct{}{}:
	default:
	}
}

// FreshReplay is how many of the latest events a stream that names no
// position (no Last-Event-ID, no since) starts with.
const FreshReplay = 100

// pumpBatch is how many events one store read takes.
const pumpBatch = 500

// pump moves new events from the store to the hub, in sequence order. It
// wakes on a Poke (a write here, a feed poll, another node's notification)
// and every two seconds as a safety net, so no event depends on a wake-up.
func (s *Server) pump(seq int64) {
	defer close(s.pumpDone)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-s.done:
			return
		case <-s.pokeCh:
		case <-tick.C:
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			evs, err := s.store.EventsSince(ctx, seq, pumpBatch)
			cancel()
			if err != nil {
				if !failing {
					s.log.Error("reading events failed; live updates wait for the store", "err", err)
				}
				failing = true
				break
			}
			failing = false
			for _, ev := range evs {
				s.hub.Publish(encodeFrame(ev))
				seq = ev.Seq
				s.metrics.events.WithLabelValues(string(ev.Type)).Inc()
			}
			if len(evs) > 0 {
				s.catalog.setSeq(seq)
				s.pages.invalidate()
			}
			if len(evs) < pumpBatch {
				break
			}
		}
	}
}

// GET /api/events
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		q, err := strictQuery(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		raw = q.Get("since")
	}
	since, err := news.ParseSeq(raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fresh := strings.TrimSpace(raw) == "" // no position given
	// Subscribe before replaying, so nothing published meanwhile is missed;
	// what the replay already sent is skipped by sequence.
	sub := s.hub.Subscribe()
	defer s.hub.Unsubscribe(sub)
	if fresh {
		// A client that names no position gets the recent history only, so
		// that a plain connect never replays the whole event log.
		newest, err := s.store.LastSeq(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		since = max(0, newest-FreshReplay)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	rc := http.NewResponseController(w)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	if !write([]byte("retry: 2000\n\n")) {
		return
	}

	last, err := s.replay(r.Context(), since, write)
	if err != nil {
		return
	}
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	for {
		select {
		case f, ok := <-sub:
			if !ok { // dropped as too slow, or shutting down: the client retries
				return
			}
			if f.seq <= last {
				continue
			}
			if !write(f.data) {
				return
			}
			last = f.seq
		case <-beat.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// replay writes the stored events after since and returns the last
// sequence sent. An id beyond the store's newest (a store that was reset)
// starts from the newest.
func (s *Server) replay(ctx context.Context, since int64, write func([]byte) bool) (int64, error) {
	newest, err := s.store.LastSeq(ctx)
	if err != nil {
		return since, err
	}
	if since > newest {
		return newest, nil
	}
	last := since
	for last < newest {
		evs, err := s.store.EventsSince(ctx, last, pumpBatch)
		if err != nil {
			return last, err
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if !write(encodeFrame(ev).data) {
				return last, context.Canceled
			}
			last = ev.Seq
		}
	}
	return last, nil
}
