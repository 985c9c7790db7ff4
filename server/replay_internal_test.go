package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server/hub"
)

// TestBatchLimit checks how many events a read of the log asks for: as
// many as fit the budget at the size of the largest event read last, at
// least one and at most the reader's most.
func TestBatchLimit(t *testing.T) {
	for _, tt := range []struct {
		budget, perEvent, most, want int
	}{
		{256 << 10, 4 << 10, 500, 64},
		{256 << 10, 1 << 20, 500, 1},   // an article above the budget: one at a time
		{256 << 10, 200 << 10, 500, 1}, // one fits, two do not
		{256 << 10, 100 << 10, 500, 2},
		{256 << 10, 300, 500, 500}, // small events: the count is the bound
		{256 << 10, 300, 100, 100},
		{256 << 10, 0, 500, 500}, // nothing known: no division by zero
		{0, 4 << 10, 500, 1},
	} {
		if got := batchLimit(tt.budget, tt.perEvent, tt.most); got != tt.want {
			t.Errorf("batchLimit(%d, %d, %d) got %d, want %d", tt.budget, tt.perEvent, tt.most, got, tt.want)
		}
	}
}

// heapAfterGC is the live heap, garbage collected.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestReplayMemoryBounded replays a log of 1 MiB articles from the start to
// streams whose readers stop taking anything at the first large one: each
// replay stops in that write, as a stream does on a full socket, until its
// write deadline. What the
// replays hold meanwhile must stay a few megabytes each, whatever the
// articles' size; a replay used to hold its whole batch, up to 500 events
// (20 such streams took a server from 53 MB to 1.5 GB).
func TestReplayMemoryBounded(t *testing.T) {
	const (
		articles   = 16
		size       = 1 << 20
		streams    = 8
		perStream  = 4 << 20 // the budget, one article and its frame, with room
		totalBound = streams * perStream
	)
	s, _ := loggingServer(t, func(st news.Store) news.Store { return st })
	ctx := context.Background()
	func() { // the test's own copies of the text are garbage once written
		para := strings.Repeat("Lorem ipsum dolor sit amet. ", 300)
		body := make([]string, size/len(para))
		for i := range body {
			body[i] = para
		}
		now := time.Now().UTC()
		for i := range articles {
			a := news.Article{ID: fmt.Sprintf("big-%02d", i), Title: "Big", Body: body, PublishedAt: now, UpdatedAt: now}
			if _, err := s.store.CreateArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}()
	// The pump reads the new events too: let it be done, and idle, first.
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Poke()
	for deadline := time.Now().Add(10 * time.Second); s.catalog.currentSeq() < last; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the pump did not read the new events within 10 s")
		}
	}
	before := heapAfterGC()

	var blocked, done sync.WaitGroup
	release := make(chan struct{})
	for range streams {
		blocked.Add(1)
		done.Go(func() {
			s.replay(ctx, 0, func(frame []byte) bool {
				if len(frame) < size/2 {
					return true // the small articles go through
				}
				blocked.Done()
				<-release // the reader takes nothing more
				return false
			})
		})
	}
	blocked.Wait()
	held := int64(heapAfterGC()) - int64(before)
	close(release)
	done.Wait()

	t.Logf("%d replays of %d articles of %d KiB, blocked: %.1f MiB held in all", streams, articles, size>>10, float64(held)/(1<<20))
	if held > totalBound {
		t.Errorf("%d blocked replays hold %.1f MiB, want at most %d MiB (%d MiB each)",
			streams, float64(held)/(1<<20), totalBound>>20, perStream>>20)
	}
}

// TestReplayOfAnEventAlreadyOnTheHub: an event another node wrote reaches
// this node through the pump, which hands it to the hub and only then moves
// the catalog's sequence. A stream that subscribed just after the hand-over
// did not get it from the hub, so its replay must send it even though the
// catalog still says the reader is caught up. (The replay used to be
// skipped whenever since equalled the catalog's sequence: the event was
// lost for that reader, a retraction included.)
func TestReplayOfAnEventAlreadyOnTheHub(t *testing.T) {
	s, _ := loggingServer(t, func(st news.Store) news.Store { return st })
	ctx := context.Background()
	since := s.catalog.currentSeq()
	// another node's write: in the store, not yet this node's catalog
	ev := storeArticle(t, s, "from-another-node", "From another node")
	// the pump's state between its hub.Publish and its catalog.setSeq
	s.pumped.Store(ev.Seq)
	s.history.Add(ev.Article.ID, hub.Encode(ev))
	s.catalog.setSeq(since)

	var frames []string
	last, err := s.replay(ctx, since, func(f []byte) bool { frames = append(frames, string(f)); return true })
	if err != nil {
		t.Fatal(err)
	}
	if last != ev.Seq || len(frames) != 1 || !strings.Contains(frames[0], "from-another-node") {
		t.Errorf("replay after %d got last %d and frames %q, want the event %d", since, last, frames, ev.Seq)
	}

	// caught up on both counts: nothing to replay, no store read needed
	frames = nil
	s.catalog.setSeq(ev.Seq)
	if last, err := s.replay(ctx, ev.Seq, func(f []byte) bool { frames = append(frames, string(f)); return true }); err != nil || last != ev.Seq || len(frames) != 0 {
		t.Errorf("replay of a caught-up reader got last %d, %d frames, err %v; want %d, none", last, len(frames), err, ev.Seq)
	}
}

// readCounting is the real store, counting the reads of its event log.
type readCounting struct {
	news.Store
	reads atomic.Int64
}

func (s *readCounting) EventsSince(ctx context.Context, seq int64, limit int) ([]news.Event, error) {
	s.reads.Add(1)
	return s.Store.EventsSince(ctx, seq, limit)
}

func (s *readCounting) LastSeq(ctx context.Context) (int64, error) {
	s.reads.Add(1)
	return s.Store.LastSeq(ctx)
}

// TestReplayFromHistory resumes streams a little behind: they replay what
// they missed from the frames the node pumped, as the store would give it
// (each article once, as it is now), with no read of the store; when a
// node dies mid-spike, its readers' replays on the others used to queue
// for the store's connections ahead of the editors' publishes. A reader
// from before the node started still replays from the store.
func TestReplayFromHistory(t *testing.T) {
	var st *readCounting
	s, _ := loggingServer(t, func(inner news.Store) news.Store { st = &readCounting{Store: inner}; return st })
	ctx := context.Background()
	start := s.catalog.currentSeq()
	now := time.Now().UTC()
	var seqs []int64
	for _, step := range []struct {
		write func(context.Context, news.Article) (news.Event, error)
		id    string
		title string
	}{
		{s.store.CreateArticle, "h-a", "History A"},
		{s.store.CreateArticle, "h-b", "History B"},
		{s.store.UpdateArticle, "h-a", "History A, corrected"}, // h-a changes twice
	} {
		ev, err := step.write(ctx, news.Article{ID: step.id, Title: step.title, PublishedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ev.Seq)
	}
	s.Poke()
	waitPumped(t, s, seqs[2])
	for _, tc := range []struct {
		name      string
		since     int64
		want      []string // in the frames, in order
		fromStore bool
	}{
		{"from the node's start", start, []string{"History B", "History A, corrected"}, false},
		{"past the first change", seqs[0], []string{"History B", "History A, corrected"}, false},
		{"past the second", seqs[1], []string{"History A, corrected"}, false},
		{"from before the node started", start - 1, []string{"History B", "History A, corrected"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := st.reads.Load()
			var frames []string
			last, err := s.replay(ctx, tc.since, func(f []byte) bool { frames = append(frames, string(f)); return true })
			if err != nil {
				t.Fatal(err)
			}
			if last != seqs[2] {
				t.Errorf("last: got %d, want %d", last, seqs[2])
			}
			tail := frames[max(0, len(frames)-len(tc.want)):]
			for i, w := range tc.want {
				if i >= len(tail) || !strings.Contains(tail[i], w) {
					t.Errorf("frames: got %q, want them to end with %q", frames, tc.want)
					break
				}
			}
			if !tc.fromStore && len(frames) != len(tc.want) {
				t.Errorf("frames: got %d, want %d: %q", len(frames), len(tc.want), frames)
			}
			if reads := st.reads.Load() - before; (reads > 0) != tc.fromStore {
				t.Errorf("store reads: got %d, want them only for a reader from before the node started (%v)", reads, tc.fromStore)
			}
		})
	}
	// what an operator sees of it
	for from, want := range map[string]float64{"history": 3, "store": 1} {
		if got := scrapeMetric(t, s, `newswidget_sse_replays_total{from="`+from+`"}`); got != want {
			t.Errorf("newswidget_sse_replays_total from %s: got %g, want %g", from, got, want)
		}
	}
}

// TestReplayAfterARetraction replays, from a position the history covers,
// right after a retraction on this node returned and before the pump read
// it: the replay must carry the retraction, never the retracted text, as
// a replay from the store does.
func TestReplayAfterARetraction(t *testing.T) {
	s, _ := loggingServer(t, nil)
	ctx := context.Background()
	since := s.catalog.currentSeq()
	ev := storeArticle(t, s, "to-retract", "Text to retract")
	s.changed(ev.Seq)
	waitPumped(t, s, ev.Seq)
	// the handler's steps less its Poke: the pump waits for its next tick
	del, err := s.store.DeleteArticle(ctx, "to-retract")
	if err != nil {
		t.Fatal(err)
	}
	s.catalog.setSeq(del.Seq)
	var frames []string
	if _, err := s.replay(ctx, since, func(f []byte) bool { frames = append(frames, string(f)); return true }); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(frames, "")
	if strings.Contains(all, "Text to retract") || !strings.Contains(all, "event: delete") {
		t.Errorf("replay after the retraction returned: got %q, want its delete and none of its text", frames)
	}
}

// waitPumped waits until s's pump has handed the hub event seq.
func waitPumped(t *testing.T, s *Server, seq int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.pumped.Load() < seq; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the pump is at event %d after 5 s, want %d", s.pumped.Load(), seq)
		}
	}
}

// heldReads is the real store whose LastSeq, once held is set, waits for
// release, counting the calls waiting at once.
type heldReads struct {
	news.Store
	held     atomic.Bool
	release  chan struct{}
	mu       sync.Mutex
	in, most int
}

func (s *heldReads) LastSeq(ctx context.Context) (int64, error) {
	if s.held.Load() {
		s.mu.Lock()
		s.in++
		s.most = max(s.most, s.in)
		s.mu.Unlock()
		defer func() { s.mu.Lock(); s.in--; s.mu.Unlock() }()
		select {
		case <-s.release:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return s.Store.LastSeq(ctx)
}

// waiting is how many calls wait now, and the most that waited at once.
func (s *heldReads) waiting() (in, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.in, s.most
}

// storeArticle writes a new article straight to s's store, as another
// node's write would reach it: not through s's handlers, its catalog or
// its pump.
func storeArticle(t *testing.T, s *Server, id, title string) news.Event {
	t.Helper()
	now := time.Now().UTC()
	ev, err := s.store.CreateArticle(context.Background(), news.Article{ID: id, Title: title, PublishedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestReplaysShareTheStore brings back many readers at once from before
// the frames the node keeps (all nodes restarted mid-spike): their
// replays read the store a few at a time, so they never take every
// connection of its pool from the editors' writes and the pump, and an
// article published while they wait still goes out. Each still gets its
// replay.
func TestReplaysShareTheStore(t *testing.T) {
	st := &heldReads{release: make(chan struct{})}
	s, _ := loggingServer(t, func(inner news.Store) news.Store { st.Store = inner; return st })
	ctx := context.Background()
	start, slots := s.catalog.currentSeq(), cap(s.replaySlots)
	readers := 4 * slots
	st.held.Store(true)
	type result struct {
		frames int
		err    error
	}
	results := make(chan result, readers)
	for range readers {
		go func() {
			n := 0
			_, err := s.replay(ctx, start-1, func([]byte) bool { n++; return true })
			results <- result{n, err}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if in, _ := st.waiting(); in >= slots {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d replays reached the store in 5 s", slots)
		}
	}
	ev := storeArticle(t, s, "while-held", "Published while replays wait")
	s.Poke()
	waitPumped(t, s, ev.Seq)
	time.Sleep(100 * time.Millisecond) // time for any other replay to reach the store
	if _, most := st.waiting(); most != slots {
		t.Errorf("replays reading the store at once: got %d, want %d of %d", most, slots, readers)
	}
	if got, want := scrapeMetric(t, s, "newswidget_sse_replays_waiting"), float64(readers-slots); got != want {
		t.Errorf("newswidget_sse_replays_waiting: got %g, want %g", got, want)
	}
	close(st.release)
	for range readers {
		if r := <-results; r.err != nil || r.frames < 2 {
			t.Errorf("a replay from before the node started: got %d frames, err %v; want the seeded news and the new article", r.frames, r.err)
		}
	}
	for _, m := range []struct {
		name string
		want float64
	}{
		{"newswidget_sse_replays_waiting", 0},
		{`newswidget_sse_replays_total{from="store"}`, float64(readers)},
	} {
		if got := scrapeMetric(t, s, m.name); got != m.want {
			t.Errorf("%s: got %g, want %g", m.name, got, m.want)
		}
	}
}

// scrapeMetric reads one series from the server's /metrics.
func scrapeMetric(t *testing.T, s *Server, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	s.metrics.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no %s in /metrics", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
