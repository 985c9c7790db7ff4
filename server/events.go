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

// pumpBatch is the most events one store read takes; within it, reads are
// sized by the bytes their events hold (see batchSizer).
const pumpBatch = 500

// pump moves new events from the store to the hub, in sequence order: each
// article changed since its last read once, as it is now (see
// news.Store.EventsSince), so every change reaches the streams once, merged
// with the changes to the same article that came before it was read. An
// event the store cannot read is reported and skipped, not waited on. It
// wakes on a Poke (a write here, a feed poll, another node's notification)
// and every two seconds as a safety net, so no event depends on a wake-up.
func (s *Server) pump(seq int64) {
	defer close(s.pumpDone)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	batch := s.newBatchSizer(pumpBudget, pumpBatch)
	failing := false
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.pokeCh:
		case <-tick.C:
		}
		for {
			limit := batch.limit
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			evs, next, err := s.readEvents(ctx, seq, limit)
			cancel()
			s.storeHealth.pumpRead(err)
			if err != nil {
				if !failing {
					s.log.Error("reading events failed; live updates wait for the store", "err", err)
				}
				failing = true
				break
			}
			failing = false
			batch.read(evs)
			read := seq
			for _, ev := range evs {
				s.hub.Publish(encodeFrame(ev))
				read = ev.Seq
				s.metrics.events.WithLabelValues(string(ev.Type)).Inc()
			}
			if next > seq {
				seq = next
				s.catalog.setSeq(seq)
				s.pages.invalidate()
				s.storeHealth.eventsSeen(s.log, seq)
			}
			// A full batch, or one cut short by a damaged event, may have
			// more behind it.
			if len(evs) < limit && next == read {
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
	client := s.clientKey(r)
	if r.Method == http.MethodHead {
		// What a GET would be answered, without the body: a stream's head
		// (or its refusal), no slot, no subscription, nothing left running.
		if why := s.streams.peek(client); why != roomLeft {
			s.refuseStream(w, why)
			return
		}
		streamHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	if why := s.streams.take(client); why != roomLeft {
		s.refuseStream(w, why)
		return
	}
	// The slot is given back when the stream ends: here, or by streamConn
	// once the stream has left net/http.
	release := func() { s.streams.release(client) }
	handedOver := false
	defer func() {
		if !handedOver {
			release()
		}
	}()
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

	streamHeaders(w.Header())
	if conn, taken := s.hijackStream(w, r); taken {
		if conn == nil { // taken over and gone at once
			s.hub.Unsubscribe(sub)
			return
		}
		handedOver = true
		go s.streamConn(conn, sub, since, release)
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

// streamHeaders are the headers of an event stream's response.
func streamHeaders(h http.Header) {
	apiHeaders(h)
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
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
// drops it or the server closes; then it closes the connection and calls
// release, which gives back the stream's slot.
func (s *Server) streamConn(conn net.Conn, sub chan *frame, since int64, release func()) {
	defer release() // last: the slot stands for the descriptor, closed below
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
// starts from the newest. Its memory is bounded whatever the articles'
// size: it reads batches sized to replayBudget bytes, keeps no more than
// that of what a read returns, encodes one frame at a time and lets go of
// each event once encoded, so a reader that stops reading holds at most
// replayBudget (or one article, if larger) until its write deadline drops
// it; it resumes later from its Last-Event-ID.
func (s *Server) replay(ctx context.Context, since int64, write func([]byte) bool) (int64, error) {
	newest, err := s.store.LastSeq(ctx)
	if err != nil {
		return since, err
	}
	if since > newest {
		return newest, nil
	}
	last := since
	batch := s.newBatchSizer(replayBudget, replayBatch)
	for last < newest {
		evs, next, err := s.readEvents(ctx, last, batch.limit)
		if err != nil {
			if ctx.Err() == nil { // not the stream or the server ending
				s.storeHealth.unavailable(s.log, false, 0, "", err, http.MethodGet, "/api/events (replay)")
			}
			return last, err
		}
		// Keep no more than the budget (or the first event, if larger) while
		// the writes wait on the reader: the events past it are let go, to
		// be read again, as a read may misjudge their size.
		batch.read(evs)
		keep, size := 0, 0
		for keep < len(evs) {
			n := eventBytes(evs[keep])
			if keep > 0 && size+n > replayBudget {
				break
			}
			size += n
			keep++
		}
		if keep < len(evs) {
			clear(evs[keep:])
			evs, next = evs[:keep], evs[keep-1].Seq
		}
		for i := range evs {
			f := encodeFrame(evs[i])
			evs[i] = news.Event{} // the frame is all that is held of it now
			if !write(f.data) {
				return last, context.Canceled
			}
			last = f.seq
		}
		if next == last && len(evs) == 0 {
			break // nothing after last
		}
		last = next // past a damaged event, if one was skipped
	}
	return last, nil
}
