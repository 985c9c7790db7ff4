package server

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"newswidget/app/news"
)

// logEvery is the least time between two log lines of one kind of store
// trouble: a full disk under a stream of publishing requests costs a line
// every logEvery, with the count of the lines left out, not a line a request.
const logEvery = 10 * time.Second

// damageShown is how long /healthz keeps reporting a damaged event after a
// read last met it: the server cannot tell when a row is mended, but a
// damage that no read has met for that long troubles no reader.
const damageShown = time.Hour

// maxDamaged bounds the damaged events /healthz lists.
const maxDamaged = 10

// logLimiter lets one log line through per logEvery and counts the rest.
type logLimiter struct {
	last       time.Time
	suppressed int
}

// allow reports whether a line may be logged now and, if so, how many were
// left out since the last one.
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	if !l.last.IsZero() && now.Sub(l.last) < logEvery {
		l.suppressed++
		return false, 0
	}
	l.last, suppressed, l.suppressed = now, l.suppressed, 0
	return true, suppressed
}

// storeHealth is what /healthz says of the store besides whether it reads:
// the writes it refuses and the events it cannot read. Its zero value is
// ready for use.
type storeHealth struct {
	mu sync.Mutex

	// Writes refused as unavailable, since the last one that worked.
	writeErr     string // the last refusal, "" while writes work
	failingSince time.Time
	refused      int
	failedAt     int64 // the newest sequence known at the first refusal
	writeLog     logLimiter
	readLog      logLimiter

	damaged   []damagedEvent // the most recently met last
	damageLog logLimiter

	pumpErr string // why the pump cannot read the log, "" while it can
}

// damagedEvent is an event a read could not serve and skipped.
type damagedEvent struct {
	Seq   int64     `json:"seq"`
	Error string    `json:"error"`
	Seen  time.Time `json:"seen"` // last met
	Times int       `json:"times"`
}

// unavailable records a request the store refused as unavailable: a write
// (the store cannot take writes, which /healthz then reports, by the
// client's message, until an event newer than seq shows a write went
// through) or a read. The log line, with the whole error, is rate-limited.
func (h *storeHealth) unavailable(log *slog.Logger, write bool, seq int64, message string, err error, method, path string) {
	now := time.Now()
	h.mu.Lock()
	lim := &h.readLog
	if write {
		lim = &h.writeLog
		if h.writeErr == "" {
			h.failingSince, h.failedAt, h.refused = now, seq, 0
		}
		h.writeErr = message
		h.refused++
	}
	ok, suppressed := lim.allow(now)
	h.mu.Unlock()
	if !ok {
		return
	}
	msg := "the store cannot serve a read"
	if write {
		msg = "the store refuses writes; publishing answers 503 until it takes them again"
	}
	log.Error(msg, "method", method, "path", path, "err", err, "suppressed", suppressed, "per", logEvery)
}

// eventsSeen tells that the log holds events up to seq: one newer than the
// first refusal means a write went through, so writes work again.
func (h *storeHealth) eventsSeen(log *slog.Logger, seq int64) {
	h.mu.Lock()
	if h.writeErr == "" || seq <= h.failedAt {
		h.mu.Unlock()
		return
	}
	refused, since := h.refused, h.failingSince
	h.writeErr, h.refused = "", 0
	h.writeLog = logLimiter{}
	h.mu.Unlock()
	log.Info("the store takes writes again", "refused", refused, "after", time.Since(since).Round(time.Second))
}

// damagedEventMet records an event a read could not serve and skipped,
// and logs it, rate-limited.
func (h *storeHealth) damagedEventMet(log *slog.Logger, seq int64, err error) {
	now := time.Now()
	h.mu.Lock()
	i := slices.IndexFunc(h.damaged, func(d damagedEvent) bool { return d.Seq == seq })
	d := damagedEvent{Seq: seq}
	if i >= 0 {
		d = h.damaged[i]
		h.damaged = slices.Delete(h.damaged, i, i+1)
	}
	d.Error, d.Seen, d.Times = err.Error(), now, d.Times+1
	h.damaged = append(h.damaged, d)
	if len(h.damaged) > maxDamaged {
		h.damaged = slices.Delete(h.damaged, 0, len(h.damaged)-maxDamaged)
	}
	ok, suppressed := h.damageLog.allow(now)
	h.mu.Unlock()
	if ok {
		log.Error("skipped an event the store cannot read; replays and live updates go on after it",
			"seq", seq, "err", err, "suppressed", suppressed, "per", logEvery)
	}
}

// pumpRead records the outcome of the pump's latest read of the log: while
// it fails, live updates wait, and /healthz says why.
func (h *storeHealth) pumpRead(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pumpErr = ""
	if err != nil {
		h.pumpErr = clientMessage(err)
	}
}

// clientMessage is what may be shown of err on a public page: the message
// of the *news.Error in it, which names no host or user, else err's text.
func clientMessage(err error) string {
	if e := (*news.Error)(nil); errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// eventsReport is the events part of /healthz.
type eventsReport struct {
	Unreadable string         `json:"unreadable,omitempty"` // why live updates wait
	Damaged    []damagedEvent `json:"damaged,omitempty"`
}

// writesReport is the writes part of /healthz.
type writesReport struct {
	Error   string     `json:"error"`
	Since   *time.Time `json:"since,omitempty"`
	Refused int        `json:"refused,omitempty"`
}

// report returns what /healthz adds for the store: the writes it refuses
// (readOnly, if set, being why it refuses them all), the damaged events met
// lately and why the pump cannot read the log; degraded is set when any is
// there.
func (h *storeHealth) report(readOnly string) (degraded bool, writes *writesReport, events *eventsReport) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case readOnly != "":
		writes = &writesReport{Error: "the article store cannot accept writes: it is read-only: " + readOnly, Refused: h.refused}
	case h.writeErr != "":
		since := h.failingSince.UTC()
		writes = &writesReport{Error: h.writeErr, Since: &since, Refused: h.refused}
	}
	var damaged []damagedEvent
	for _, d := range h.damaged {
		if time.Since(d.Seen) < damageShown {
			d.Seen = d.Seen.UTC()
			damaged = append(damaged, d)
		}
	}
	if damaged != nil || h.pumpErr != "" {
		events = &eventsReport{Unreadable: h.pumpErr, Damaged: damaged}
	}
	return writes != nil || events != nil, writes, events
}
