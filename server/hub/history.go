package hub

import (
	"slices"
	"sync"
)

// History keeps the latest frames published, so a stream that resumes
// from a recent position replays from memory instead of the store. When a
// node dies mid-spike its readers come to the others at once, thousands in
// a second; were each to read the store, they would queue for its few
// connections ahead of the editors' writes and the pump itself (measured:
// five nodes on one PostgreSQL, a publish after a node was killed waited
// more than 10 s). Bounded by a count of frames and by their bytes.
type History struct {
	mu        sync.Mutex
	from, to  int64 // every event after from, up to to, is in frames
	frames    []historyFrame
	size      int // bytes of the frames' data
	maxFrames int
	maxBytes  int
}

type historyFrame struct {
	id string // the article's
	f  *Frame
}

// NewHistory returns a history covering nothing after seq, which keeps at
// most maxFrames frames and maxBytes of their data (at least the newest).
func NewHistory(seq int64, maxFrames, maxBytes int) *History {
	return &History{from: seq, to: seq, maxFrames: maxFrames, maxBytes: maxBytes}
}

// Add records frame f, the event of article id, the next in sequence. The
// oldest frames go when it is full: it covers from the last of them on.
func (h *History) Add(id string, f *Frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.frames = append(h.frames, historyFrame{id, f})
	h.size += len(f.Data)
	h.to = max(h.to, f.Seq)
	drop := 0
	for drop < len(h.frames)-1 && (len(h.frames)-drop > h.maxFrames || h.size > h.maxBytes) {
		h.size -= len(h.frames[drop].f.Data)
		h.from = h.frames[drop].f.Seq
		drop++
	}
	if drop > 0 {
		clear(h.frames[:drop]) // let go of the frames for the collector
		h.frames = h.frames[drop:]
	}
}

// Advance says the events up to seq were all seen, with no frame to keep
// (one the store could not read, skipped).
func (h *History) Advance(seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.to = max(h.to, seq)
}

// Since returns what a reader at since has not seen, as the store's
// EventsSince would: each article changed after since once, its latest
// frame, in sequence order; and the position it leaves the reader at. ok
// is false when since is outside what the history covers: older than its
// oldest frame, or ahead of it (the store has news this node has not
// seen yet).
func (h *History) Since(since int64) (frames []*Frame, last int64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if since < h.from || since > h.to {
		return nil, since, false
	}
	i := len(h.frames)
	for i > 0 && h.frames[i-1].f.Seq > since {
		i--
	}
	seen := map[string]bool{}
	for j := len(h.frames) - 1; j >= i; j-- { // newest first: an article's latest frame
		if fr := h.frames[j]; !seen[fr.id] {
			seen[fr.id] = true
			frames = append(frames, fr.f)
		}
	}
	slices.Reverse(frames)
	return frames, h.to, true
}
