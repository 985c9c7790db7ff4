package server

import (
	"context"
	"errors"
	"runtime"

	"newswidget/app/news"
)

// Reads of the event log are sized by bytes, not only by count: an article
// may be up to a megabyte, so a batch of a fixed number of them could hold
// hundreds of megabytes, and a replaying stream holds its batch for as long
// as its reader takes to read it.
const (
	// replayBudget is about how many bytes of stored events one replaying
	// stream holds at a time (more only when a single article is larger):
	// a reader that stops reading keeps no more than this, and its write
	// deadline drops it, to resume later.
	replayBudget = 256 << 10
	// replayBatch is the most events a replay's read takes: a read is sized
	// by the events read before, and a run of small ones may come before
	// large ones, which such a read holds until it lets go of those past
	// the budget; this bounds that moment (FreshReplay small events are
	// still one read).
	replayBatch = FreshReplay
	// pumpBudget is the same for the pump, which hands each event on at
	// once and so may read more at a time.
	pumpBudget = 4 << 20
	// historyFrames and historyBytes bound the frames a node keeps for
	// the streams that resume a little behind (hub.History): a spike's
	// newsroom publishes a few hundred at most between a reader's
	// disconnect and its return.
	historyFrames = 1024
	historyBytes  = 8 << 20
	// defaultEventBytes is the guess of an event's size before any was read:
	// a large article's.
	defaultEventBytes = 16 << 10
)

// eventBytes is about how many bytes an event holds in memory: its text,
// which is also about the size of its frame.
func eventBytes(ev news.Event) int {
	a := ev.Article
	n := 256 + len(a.ID) + len(a.Title) + len(a.Summary) + len(a.URL) + len(a.Source) + len(a.Category) + len(a.Image) + len(a.Correction)
	for _, p := range a.Body {
		n += 16 + len(p)
	}
	return n
}

// batchLimit is how many events a read may ask for to hold at most budget
// bytes when events take up to perEvent bytes each: 1 to most.
func batchLimit(budget, perEvent, most int) int {
	return min(most, max(1, budget/max(1, perEvent)))
}

// batchSizer sizes the reads of one reader of the log by the largest event
// its previous read held, starting from the largest of the server's latest
// read: a cautious guess, as a read of many events sized by a few small
// ones could hold megabytes, and the next read corrects it.
type batchSizer struct {
	s            *Server
	budget, most int
	limit        int
}

// newBatchSizer sizes reads to budget bytes and most events.
func (s *Server) newBatchSizer(budget, most int) *batchSizer {
	per := int(s.eventSize.Load())
	if per <= 0 {
		per = defaultEventBytes
	}
	return &batchSizer{s: s, budget: budget, most: most, limit: batchLimit(budget, per, most)}
}

// read tells the sizer what a read returned.
func (b *batchSizer) read(evs []news.Event) {
	if len(evs) == 0 {
		return
	}
	largest := 0
	for _, ev := range evs {
		largest = max(largest, eventBytes(ev))
	}
	b.limit = batchLimit(b.budget, largest, b.most)
	b.s.eventSize.Store(int64(largest))
}

// replayReadSlots is how many replays may read the store at once: half
// the connections of a store's default pool (pgx: 4 or one a CPU; SQLite:
// 4 readers), so readers coming back all at once, after a node died or
// when a node starts with readers behind it, never take the connections
// the editors' writes and the pump need.
func replayReadSlots() int { return max(2, runtime.NumCPU()/2) }

// replayRead runs read, one of a replay's reads of the store, in one of
// the replays' slots, waiting for one while ctx lasts. Only the read holds
// it: a reader slow to take what was read holds no slot.
func (s *Server) replayRead(ctx context.Context, read func() error) error {
	select {
	case s.replaySlots <- struct{}{}:
	default:
		s.metrics.replayWait.Inc()
		select {
		case s.replaySlots <- struct{}{}:
			s.metrics.replayWait.Dec()
		case <-ctx.Done():
			s.metrics.replayWait.Dec()
			return ctx.Err()
		}
	}
	defer func() { <-s.replaySlots }()
	return read()
}

// damaged is the error of a store's read that met an event it cannot read
// (see news.Store.EventsSince).
type damaged interface{ DamagedSeq() int64 }

// readEvents reads up to limit events after seq. At an event the store
// cannot read, it reports it (log, /healthz) and returns the events before
// it, with resume set past it and no error: one damaged row neither ends
// every replay that reaches it nor stalls the live updates. Otherwise resume
// is the sequence of the last event read, seq if none.
func (s *Server) readEvents(ctx context.Context, seq int64, limit int) (evs []news.Event, resume int64, err error) {
	evs, err = s.store.EventsSince(ctx, seq, limit)
	resume = seq
	if len(evs) > 0 {
		resume = evs[len(evs)-1].Seq
	}
	var d damaged
	if err != nil && errors.As(err, &d) && d.DamagedSeq() > resume {
		s.storeHealth.damagedEventMet(s.log, d.DamagedSeq(), err)
		return evs, d.DamagedSeq(), nil
	}
	if err != nil {
		return nil, seq, err
	}
	return evs, resume, nil
}
