// Package hub fans events out to the open event streams: each event is
// encoded once as Server-Sent Events bytes, and every subscriber has a
// bounded buffer; a send never waits, and a subscriber that falls behind is
// dropped, to resume from the store with its Last-Event-ID. It does no I/O:
// the server pumps the store's events in and writes the frames out.
package hub

import (
	"encoding/json"
	"strconv"
	"sync"

	"newswidget/app/news"
)

// Gauge counts the subscribers (a Prometheus gauge, say).
type Gauge interface {
	Inc()
	Dec()
}

// Frame is one event encoded once as SSE bytes, shared by every subscriber;
// or, with Live set, a change of the back-off switch's mode, which each
// stream writes in its own words (its retry: field is jittered).
type Frame struct {
	Seq  int64
	Data []byte
	Live string // the new mode (news.LiveMode); empty for an event
}

// Encode writes an event in the SSE wire format: its sequence as the
// id, its type as the event name, the article (or {"id"} for a delete) as
// one line of JSON.
func Encode(ev news.Event) *Frame {
	var data []byte
	if ev.Type == news.EventDelete {
		data, _ = json.Marshal(struct {
			ID string `json:"id"`
		}{ev.Article.ID})
	} else {
		data, _ = json.Marshal(news.NonNilBody(ev.Article))
	}
	b := make([]byte, 0, len(data)+48)
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, ev.Type...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	b = append(b, "\n\n"...)
	return &Frame{Seq: ev.Seq, Data: b}
}

// Hub fans events out to SSE subscribers. Each has a buffered channel;
// sends never block, and a subscriber whose buffer is full is dropped (its
// channel closed) to resume later through Last-Event-ID.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan *Frame]struct{}
	buf    int
	gauge  Gauge
	closed bool
}

// New returns a hub whose subscribers buffer buf events.
func New(buf int, gauge Gauge) *Hub {
	return &Hub{subs: map[chan *Frame]struct{}{}, buf: buf, gauge: gauge}
}

// Subscribe returns a channel of events; it is closed when the subscriber is
// dropped or the hub closes.
func (h *Hub) Subscribe() chan *Frame {
	c := make(chan *Frame, h.buf)
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
func (h *Hub) Unsubscribe(c chan *Frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
		h.gauge.Dec()
	}
}

// Publish sends a frame to every subscriber without waiting for any.
func (h *Hub) Publish(f *Frame) {
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
