package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime/debug"
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
		case <-s.ctx.Done():
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
	// Subscribe before replaying, so nothing published meanwhile is missed;
	// what the replay already sent is skipped by sequence.
	sub := s.hub.Subscribe()
	if strings.TrimSpace(raw) == "" {
		// A client that names no position gets the recent history only, so
		// that a plain connect never replays the whole event log.
		newest, err := s.store.LastSeq(r.Context())
		if err != nil {
			s.hub.Unsubscribe(sub)
			s.writeError(w, r, err)
			return
		}
		since = max(0, newest-FreshReplay)
	}

	h := w.Header()
	apiHeaders(h)
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if conn, taken := s.hijackStream(w, r); taken {
		if conn == nil { // taken over and gone at once
			s.hub.Unsubscribe(sub)
			return
		}
		go s.streamConn(conn, sub, since)
		return
	}
	// HTTP/2, or a writer that cannot be taken over: the stream stays in
	// net/http, which holds its buffers and a second goroutine per stream.
	defer s.hub.Unsubscribe(sub)
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	s.stream(r.Context(), sub, since, func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	})
}

// streamWriteTimeout bounds one write to an event stream: a reader that
// takes no bytes for that long is gone.
const streamWriteTimeout = 10 * time.Second

// hijackStream takes an HTTP/1.x event stream's connection out of net/http
// and writes the response head on it; a nil conn with taken set means the
// client went away meanwhile. An idle stream then costs one goroutine
// waiting for events instead of net/http's connection buffers, request and
// second goroutine: with 10,000 streams, 12.6 KiB of memory each instead
// of 36. The body is delimited by the connection's end, as HTTP/1.1 allows.
func (s *Server) hijackStream(w http.ResponseWriter, r *http.Request) (conn net.Conn, taken bool) {
	if r.ProtoMajor != 1 {
		return nil, false
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	h := w.Header().Clone()
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&head)
	head.WriteString("\r\n")
	conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, true // taken over and gone: nothing more to answer
	}
	return conn, true
}

// streamConn serves a taken-over stream until the client leaves, the hub
// drops it or the server closes.
func (s *Server) streamConn(conn net.Conn, sub chan *frame, since int64) {
	defer conn.Close()
	defer s.hub.Unsubscribe(sub)
	defer func() { // out of net/http, nothing else would keep a panic from the process
		if v := recover(); v != nil {
			s.log.Error("event stream panic", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	// No goroutine waits on a read for the client to leave: a closed or
	// dead connection fails the next write (a heartbeat at the latest; TCP
	// keep-alive finds a vanished peer), which ends the stream. Closing the
	// server ends it, a replay in progress too, as net/http closing the
	// connection would.
	s.stream(s.ctx, sub, since, func(b []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		_, err := conn.Write(b)
		return err == nil
	})
}

// stream writes an event stream: the retry hint, the stored events after
// since, then the hub's live ones and heartbeats, until ctx ends, the
// subscription ends or a write fails.
func (s *Server) stream(ctx context.Context, sub chan *frame, since int64, write func([]byte) bool) {
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	last, err := s.replay(ctx, since, write)
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
		case <-ctx.Done():
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
