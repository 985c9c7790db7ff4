package server

import (
	"bufio"
	"container/heap"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"newswidget/app/news"
)

// retryHint is the SSE retry: an open stream's EventSource waits this long
// before it reconnects by itself; the test checks each stream says so.
const retryHint = 2 * time.Second

// TestCrowdBehindOneAddress: 100 readers behind one carrier-grade NAT
// address open the widget together, with the server's default limits and
// the stream cap main derives from a 1,024-descriptor limit (the smallest
// common one, so the smallest share per address). Each reader does what
// the widget does (web/boot.js): a refused connect (429 or 503 ends
// the EventSource) is retried after news.RetryDelay, with jitter; an open
// stream cut by the server comes back by itself after the retry hint. All
// of them must be live within 60 s of the first.
//
// Time is simulated: the readers' waits and the rate limiter's clock move
// together on a fake clock, while every connect is a real request to a
// real server, whose streams stay open (they count against the cap).
func TestCrowdBehindOneAddress(t *testing.T) {
	const readers = 100
	const deadline = 60 * time.Second
	tests := []struct {
		name string
		at   func(i int) time.Duration // when reader i connects first
	}{
		{"opening over 10 s", func(i int) time.Duration { return time.Duration(i) * 10 * time.Second / readers }},
		{"opening in the same second", func(i int) time.Duration { return time.Duration(i) * time.Second / readers }},
		// a restart (or a deploy) cut every open stream at 0: all come back
		// after the retry hint, at once, to a server with fresh limits
		{"back together after a restart", func(int) time.Duration { return retryHint }},
	}
	for _, tt := range tests {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/seed %d", tt.name, seed), func(t *testing.T) {
				live, refusals, last := simulateCrowd(t, readers, tt.at, deadline, rand.New(rand.NewPCG(seed, 1)))
				if live != readers {
					t.Errorf("live within %v: got %d of %d readers (%d refusals), want all", deadline, live, readers, refusals)
				} else {
					t.Logf("all %d live after %v, %d refusals", readers, last.Round(time.Millisecond), refusals)
				}
			})
		}
	}
}

// crowdServer is a real server on a random port with the default limits, a
// stream cap of MaxStreamsFor(1024), and its event limiter on a fake clock.
// seq is the store's newest event, from which a widget asks.
func crowdServer(t *testing.T) (url string, clock *atomic.Int64, seq int64) {
	t.Helper()
	var st news.Store
	s, _ := loggingServer(t, func(seeded news.Store) news.Store { st = seeded; return st }, func(o *Options) {
		o.MaxStreams = MaxStreamsFor(1024)
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	var err error
	if seq, err = st.LastSeq(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock = &atomic.Int64{} // nanoseconds since start, set by the simulation
	start := time.Now()
	s.eventsLimit.now = func() time.Time { return start.Add(time.Duration(clock.Load())) }
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs.URL, clock, seq
}

// simulateCrowd runs the crowd to the deadline and returns how many readers
// were live by then, how many connects were refused, and when the last one
// went live.
func simulateCrowd(t *testing.T, readers int, at func(int) time.Duration, deadline time.Duration, rng *rand.Rand) (live, refusals int, last time.Duration) {
	t.Helper()
	url, clock, seq := crowdServer(t)
	path := url + "/api/events?since=" + strconv.FormatInt(seq, 10) // as the widget asks
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)

	q := &connects{}
	failures := make([]int, readers)
	for i := range readers {
		heap.Push(q, connect{at(i), i})
	}
	for q.Len() > 0 {
		c := heap.Pop(q).(connect)
		if c.at > deadline {
			break
		}
		clock.Store(int64(c.at))
		resp, err := tr.RoundTrip(mustRequest(t, path))
		if err != nil {
			t.Fatalf("reader %d at %v: %v", c.reader, c.at, err)
		}
		if resp.StatusCode == http.StatusOK {
			// live: the stream's first line is its retry hint, which is what
			// an open EventSource waits before it reconnects by itself
			line, _ := bufio.NewReader(resp.Body).ReadString('\n')
			if want := fmt.Sprintf("retry: %d\n", retryHint.Milliseconds()); line != want {
				t.Errorf("a stream's first line: got %q, want %q", line, want)
			}
			t.Cleanup(func() { resp.Body.Close() }) // held open to the end, as a reader's is
			live, last = live+1, c.at
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("reader %d at %v: status %d, want 200, 429 or 503", c.reader, c.at, resp.StatusCode)
		}
		// refused: the EventSource is CLOSED, and the widget retries later
		refusals++
		wait := news.RetryDelay(failures[c.reader], rng.Float64())
		failures[c.reader]++
		heap.Push(q, connect{c.at + wait, c.reader})
	}
	return live, refusals, last
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// connect is a reader's connect attempt at a simulated time.
type connect struct {
	at     time.Duration
	reader int
}

// connects is a queue of attempts, earliest first (then by reader).
type connects []connect

func (q connects) Len() int { return len(q) }
func (q connects) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].reader < q[j].reader
}
func (q connects) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *connects) Push(x any)   { *q = append(*q, x.(connect)) }
func (q *connects) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
