package server

import (
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
)

// Every open event stream holds a file descriptor for as long as its reader
// stays, so streams, not connects, are what exhaust a process's descriptors:
// once they are gone, accept fails and /healthz, /embed and publishing wait
// with the streams. The cap below keeps a reserve of descriptors for those.

// streamShare: one client address may hold 1/streamShare of the cap. One
// host (or an untrusted proxy) then cannot take every slot, while the
// readers behind one carrier-grade NAT address still fit: a 4,096-descriptor
// limit gives a cap of 3,072, of which one address may hold 768.
const streamShare = 4

// maxFDLimit bounds the limit MaxStreamsFor works from: an "unlimited"
// RLIMIT_NOFILE is not a count of descriptors.
const maxFDLimit = 1 << 30

// MaxStreamsFor is the default cap on concurrent event streams for a
// process that may open fdLimit descriptors (0: unknown, no cap). The rest
// is the reserve for everything else: ordinary requests and their idle
// keep-alive connections, the store's files and connections, feeds. It is a
// tenth of the limit, since ordinary connections grow with the readership as
// streams do, but at least 1,024 (or half of a smaller limit), since a small
// server still has its fixed share of files and a burst of page loads.
// 1,024 → 512 streams, 4,096 → 3,072, 65,536 → 58,983, 1,048,576 → 943,719.
func MaxStreamsFor(fdLimit uint64) int {
	lim := min(fdLimit, maxFDLimit)
	reserve := max(lim/10, min(1024, lim/2))
	return int(lim - reserve)
}

// streamSlots counts open event streams, in all and per client address,
// against a cap; a nil *streamSlots has no cap.
type streamSlots struct {
	max, perClient int
	open           atomic.Int64 // streams holding a slot; read without the lock for warnings
	lastWarn       atomic.Int64 // unix seconds of the last "cap reached" log line

	mu       sync.Mutex
	byClient map[netip.Addr]int // only clients holding a slot: at most max entries
}

// newStreamSlots returns the slots of a cap of n streams; n ≤ 0 is no cap.
func newStreamSlots(n int) *streamSlots {
	if n <= 0 {
		return nil
	}
	return &streamSlots{max: n, perClient: max(1, n/streamShare), byClient: map[netip.Addr]int{}}
}

// refusal says why a stream was refused: the cap (whole) or the client's
// share of it; none when there is room.
type refusal int

const (
	roomLeft refusal = iota
	capFull
	shareFull
)

// check says whether client could take a slot now; the caller holds s.mu.
func (s *streamSlots) check(client netip.Addr) refusal {
	switch {
	case int(s.open.Load()) >= s.max:
		return capFull
	case s.byClient[client] >= s.perClient:
		return shareFull
	}
	return roomLeft
}

// take reserves a slot for client unless the cap or its share is reached.
func (s *streamSlots) take(client netip.Addr) refusal {
	if s == nil {
		return roomLeft
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	why := s.check(client)
	if why == roomLeft {
		s.byClient[client]++
		s.open.Add(1)
	}
	return why
}

// peek is take without taking: what a GET would get, for a HEAD.
func (s *streamSlots) peek(client netip.Addr) refusal {
	if s == nil {
		return roomLeft
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.check(client)
}

// release gives back a slot client took.
func (s *streamSlots) release(client netip.Addr) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.byClient[client]; n > 1 {
		s.byClient[client] = n - 1
	} else {
		delete(s.byClient, client)
	}
	s.open.Add(-1)
}

// Refused streams are told to come back after a random 5–15 s, so readers
// refused together do not return together.
const (
	streamRetryMin    = 5
	streamRetrySpread = 11
)

// refuseStream answers a stream the cap has no room for: 503 when the server
// is full, 429 when the client holds its share, with a jittered Retry-After
// and the API's CORS headers. The connection is closed after the answer, so
// a refused reader does not hold a descriptor on keep-alive. Refusals are
// not logged one by one (under a flood that would be the flood again):
// a warning at most once a minute says the cap was reached.
func (s *Server) refuseStream(w http.ResponseWriter, why refusal) {
	secs := streamRetryMin + rand.IntN(streamRetrySpread)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Connection", "close")
	if why == shareFull {
		s.writeJSON(w, http.StatusTooManyRequests, map[string]*news.Error{"error": news.Errorf(ERateLimited,
			"this address holds its share of live event streams (%d); retry in %d s", s.streams.perClient, secs)})
		return
	}
	if now := time.Now().Unix(); now-s.streams.lastWarn.Load() >= 60 {
		s.streams.lastWarn.Store(now)
		s.log.Warn("event-stream cap reached: new streams are refused with 503 until some end; see -max-streams", "max", s.streams.max)
	}
	s.writeJSON(w, http.StatusServiceUnavailable, map[string]*news.Error{"error": news.Errorf(news.EUnavailable,
		"the server has no room for more live readers right now; retry in %d s", secs)})
}
