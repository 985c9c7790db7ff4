package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"newswidget/app/news"
	"newswidget/server/hub"
)

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
		// The back-off switch another node may have set: its write woke
		// this pump as an event would (or the tick did).
		lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.loadLive(lctx)
		lcancel()
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
				f := hub.Encode(ev)
				s.pumped.Store(ev.Seq) // before the hub has it: see replay
				s.history.Add(ev.Article.ID, f)
				s.hub.Publish(f)
				read = ev.Seq
				s.metrics.events.WithLabelValues(string(ev.Type)).Inc()
			}
			if next > seq {
				s.history.Advance(next) // past an event the store could not read
				seq = next
				s.catalog.setSeq(seq)
				s.pages.invalidate()
				s.storeHealth.eventsSeen(s.log, seq)
				s.rearmExpiry() // a write, here or on another node, may set an expiry
			}
			// A full batch, or one cut short by a damaged event, may have
			// more behind it.
			if len(evs) < limit && next == read {
				break
			}
		}
	}
}

// audience is who an event stream serves, which decides what the
// back-off switch does to it.
type audience uint8

const (
	readerStream   audience = iota // a widget: held back by the switch
	toldStream                     // a widget that was held back: hears the mode at once, normal too
	newsroomStream                 // a signed-in editor or a token: hears every mode, never held back
)

// GET /api/events
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		q, err := strictQuery(r)
		if err != nil {
			return err
		}
		raw = q.Get("since")
	}
	since, err := news.ParseSeq(raw) // Last-Event-ID or since=: either is "since" to the client
	if err != nil {
		return news.FieldError("since", "must be a non-negative event id")
	}
	// A widget that was told to slow down or pause names its mode (live=):
	// it hears the mode at once, normal included, so it knows it may stay.
	aud := readerStream
	if r.URL.Query().Has("live") {
		aud = toldStream
	}
	// The back-off switch holds the readers back, not the newsroom: the
	// console of a signed-in editor (or a script with a token) keeps its
	// stream whatever the mode, and hears the mode change. Only a request
	// that carries credentials costs a lookup.
	if carriesCredentials(r) {
		if p, err := s.resolve(r); err == nil && p != nil {
			aud = newsroomStream
		}
	}
	client := s.clientKey(r)
	if r.Method == http.MethodHead {
		// What a GET would be answered, without the body: a stream's head
		// (or its refusal), no slot, no subscription, nothing left running.
		if why := s.streams.peek(client); why != roomLeft {
			s.refuseStream(w, why)
			return nil
		}
		streamHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if why := s.streams.take(client); why != roomLeft {
		s.refuseStream(w, why)
		return nil
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
			return err
		}
		since = max(0, newest-FreshReplay)
	}

	streamHeaders(w.Header())
	if conn, taken := s.hijackStream(w, r); taken {
		if conn == nil { // taken over and gone at once
			s.hub.Unsubscribe(sub)
			return nil
		}
		handedOver = true
		s.streamConn(conn, sub, since, aud, client, release)
		return nil
	}
	// HTTP/2, or a writer that cannot be taken over: the stream stays in
	// net/http, which holds its buffers and a second goroutine per stream.
	defer s.hub.Unsubscribe(sub)
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	s.stream(r.Context(), sub, since, aud, client, func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	})
	return nil
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
// release, which gives back the stream's slot. Its start (the retry hint,
// the replay) runs on the calling goroutine, net/http's, which ends with
// the handler; the wait for events runs on a goroutine of its own, started
// afterwards. The replay's store reads grow the stack they run on, which
// an idle stream would keep to the end (7.7 KiB a stream); a goroutine
// started after them waits on the smallest stack.
func (s *Server) streamConn(conn net.Conn, sub chan *hub.Frame, since int64, aud audience, client netip.Addr, release func()) {
	end := func() {
		s.hub.Unsubscribe(sub)
		conn.Close()
		release() // last: the slot stands for the descriptor, closed above
	}
	// No goroutine waits on a read for the client to leave: a closed or
	// dead connection fails the next write (a heartbeat at the latest; TCP
	// keep-alive finds a vanished peer), which ends the stream. Closing the
	// server ends it, a replay in progress too, as net/http closing the
	// connection would.
	write := func(b []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		_, err := conn.Write(b)
		return err == nil
	}
	recovered := func() { // out of net/http, nothing else would keep a panic from the process
		if v := recover(); v != nil {
			s.log.Error("event stream panic", "panic", v, "stack", string(debug.Stack()))
		}
	}
	last, more := since, false
	func() {
		defer recovered()
		last, more = s.streamStart(s.ctx, since, aud, client, write)
	}()
	if !more {
		end()
		return
	}
	go func() {
		defer end()
		defer recovered()
		s.streamLoop(s.ctx, sub, last, aud, write)
	}()
}

// stream writes an event stream: the retry hint, the stored events after
// since, then the hub's live ones and heartbeats, until ctx ends, the
// subscription ends or a write fails.
func (s *Server) stream(ctx context.Context, sub chan *hub.Frame, since int64, aud audience, client netip.Addr, write func([]byte) bool) {
	if last, more := s.streamStart(ctx, since, aud, client, write); more {
		s.streamLoop(ctx, sub, last, aud, write)
	}
}

// streamStart writes a stream's start: the retry hint and the stored
// events after since; it returns the last sequence sent and whether the
// stream goes on. The back-off switch (live.go) shapes it: paused, a
// stream is the retry hint and the "live" event alone; slow, it ends after
// the replay with the "live" event (a poll). A told stream starts with the
// event when normal too (for a widget that was held back); the newsroom's
// starts with it in every mode and is served as in normal.
func (s *Server) streamStart(ctx context.Context, since int64, aud audience, client netip.Addr, write func([]byte) bool) (last int64, more bool) {
	mode := s.live.current()
	if aud == newsroomStream {
		if !write(append(s.live.retryFrame(news.LiveNormal), s.live.liveFrame(mode)...)) {
			return since, false
		}
		mode = news.LiveNormal
	} else if !write(s.live.retryFrame(mode)) {
		return since, false
	}
	if aud == toldStream && mode == news.LiveNormal && !write(s.live.liveFrame(mode)) {
		return since, false
	}
	if mode == news.LivePaused {
		write(s.live.liveFrame(mode))
		return since, false
	}
	last, err := s.replay(ctx, since, write)
	if err != nil {
		return last, false
	}
	if cur := s.live.current(); mode == news.LiveSlow && cur != news.LiveNormal {
		s.live.polled(client)
		write(s.live.liveFrame(cur))
		return last, false
	}
	return last, true
}

// streamLoop writes the hub's frames after last and heartbeats until ctx
// ends, the subscription ends or a write fails. A change of the switch's
// mode is written as the retry hint and the "live" event, and ends the
// stream unless the mode is normal; the newsroom hears the event alone and
// stays.
func (s *Server) streamLoop(ctx context.Context, sub chan *hub.Frame, last int64, aud audience, write func([]byte) bool) {
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	for {
		select {
		case f, ok := <-sub:
			if !ok { // dropped as too slow, or shutting down: the client retries
				return
			}
			if f.Live != "" {
				m := news.LiveMode(f.Live)
				if aud == newsroomStream {
					if !write(s.live.liveFrame(m)) {
						return
					}
					continue
				}
				if !write(append(s.live.retryFrame(m), s.live.liveFrame(m)...)) || m != news.LiveNormal {
					return
				}
				continue
			}
			if f.Seq <= last {
				continue
			}
			if !write(f.Data) {
				return
			}
			last = f.Seq
		case <-beat.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// replay writes the events after since and returns the last sequence
// sent: from the node's history of frames when it reaches back that far
// (no store read), else from the store. An id beyond the store's newest (a
// store that was reset) starts from the newest. Its memory is bounded whatever the articles'
// size: it reads batches sized to replayBudget bytes, keeps no more than
// that of what a read returns, encodes one frame at a time and lets go of
// each event once encoded, so a reader that stops reading holds at most
// replayBudget (or one article, if larger) until its write deadline drops
// it; it resumes later from its Last-Event-ID.
func (s *Server) replay(ctx context.Context, since int64, write func([]byte) bool) (int64, error) {
	// A reader at the newest event this node has pumped has nothing to
	// replay, and costs the store no read: in slow mode every poll of a
	// caught-up widget is such a connect. Anything newer in the store is
	// on its way through the pump to the hub, to which the stream
	// subscribed before this. The pump marks an event pumped before the
	// hub has it, so an event published before the subscription is never
	// taken for one still on its way; and a write of this node is in the
	// catalog before the pump reads it.
	if since > 0 && since == s.pumped.Load() && since == s.catalog.currentSeq() {
		s.metrics.replayFrom.none.Inc()
		return since, nil
	}
	// A reader a little behind (a reconnect, a node that died, a slow
	// mode's poll) replays from the frames this node pumped last, as the
	// store would: each article changed once, as it is now. The history
	// is filled before the hub, like pumped, so anything it lacks comes
	// from the hub after the subscription. Not while a write of this node
	// waits for the pump: a correction or a retraction that has returned
	// must be what a replay serves, never the text it replaced.
	if frames, last, ok := s.history.Since(since); ok && since > 0 && last >= s.catalog.currentSeq() {
		s.metrics.replayFrom.history.Inc()
		for _, f := range frames {
			if !write(f.Data) {
				return since, context.Canceled
			}
		}
		return last, nil
	}
	s.metrics.replayFrom.store.Inc()
	var newest int64
	err := s.replayRead(ctx, func() (err error) { newest, err = s.store.LastSeq(ctx); return err })
	if err != nil {
		return since, err
	}
	if since > newest {
		return newest, nil
	}
	last := since
	batch := s.newBatchSizer(replayBudget, replayBatch)
	for last < newest {
		var evs []news.Event
		var next int64
		err := s.replayRead(ctx, func() (err error) { evs, next, err = s.readEvents(ctx, last, batch.limit); return err })
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
			f := hub.Encode(evs[i])
			evs[i] = news.Event{} // the frame is all that is held of it now
			if !write(f.Data) {
				return last, context.Canceled
			}
			last = f.Seq
		}
		if next == last && len(evs) == 0 {
			break // nothing after last
		}
		last = next // past a damaged event, if one was skipped
	}
	return last, nil
}
