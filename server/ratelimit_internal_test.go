package server

import (
	"net/netip"
	"testing"
	"time"
)

// fakeClock is a limiter's clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeLimiter(l RateLimit) (*limiter, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	lim := newLimiter(l, DefaultPublishLimit)
	lim.now = c.now
	return lim, c
}

func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func TestLimiterBucket(t *testing.T) {
	l, clock := newFakeLimiter(RateLimit{Burst: 3, PerSecond: 2})
	a := addr(1)
	for i := range 3 {
		if ok, _ := l.allow(a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow(a)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: ok %v wait %v, want refused and 500ms", ok, wait)
	}
	clock.add(250 * time.Millisecond)
	if ok, wait := l.allow(a); ok || wait != 250*time.Millisecond {
		t.Fatalf("half a token later: ok %v wait %v, want refused and 250ms", ok, wait)
	}
	clock.add(250 * time.Millisecond)
	if ok, _ := l.allow(a); !ok {
		t.Fatal("a refilled token was refused")
	}
	// A long idle time refills to the burst, never beyond.
	clock.add(time.Hour)
	n := 0
	for ok, _ := l.allow(a); ok; ok, _ = l.allow(a) {
		n++
	}
	if n != 3 {
		t.Errorf("after an hour idle: %d requests, want the burst of 3", n)
	}
	// A clock that steps back gives nothing and takes nothing.
	clock.add(-time.Minute)
	if ok, _ := l.allow(a); ok {
		t.Error("a step back of the clock refilled the bucket")
	}
}

func TestLimiterResolve(t *testing.T) {
	for _, tc := range []struct {
		in   RateLimit
		want RateLimit
		on   bool
	}{
		{RateLimit{}, RateLimit{30, 10}, true},
		{RateLimit{Burst: 5}, RateLimit{5, 10}, true},
		{RateLimit{PerSecond: 0.5}, RateLimit{30, 0.5}, true},
		{RateLimit{Burst: -1}, RateLimit{}, false},
		{RateLimit{Burst: 5, PerSecond: -1}, RateLimit{}, false},
	} {
		got, on := tc.in.resolve(DefaultPublishLimit)
		if on != tc.on || on && got != tc.want {
			t.Errorf("%+v: got %+v on=%v, want %+v on=%v", tc.in, got, on, tc.want, tc.on)
		}
		if (newLimiter(tc.in, DefaultPublishLimit) != nil) != tc.on {
			t.Errorf("%+v: newLimiter on=%v, want %v", tc.in, !tc.on, tc.on)
		}
	}
}

// TestLimiterMemory checks that buckets go once idle and that no flood of
// addresses grows the limiter past its bound.
func TestLimiterMemory(t *testing.T) {
	l, clock := newFakeLimiter(RateLimit{Burst: 2, PerSecond: 1})
	for i := range 1000 {
		l.allow(addr(i))
	}
	if n := l.len(); n != 1000 {
		t.Fatalf("%d buckets, want 1000", n)
	}
	// Half of them stay busy; the sweep after a minute drops the idle ones.
	clock.add(sweepEvery)
	for i := range 500 {
		l.allow(addr(i))
		l.allow(addr(i))
	}
	if n := l.len(); n != 500 {
		t.Errorf("after the sweep: %d buckets, want the 500 busy ones", n)
	}
	clock.add(sweepEvery)
	l.allow(addr(0))
	if n := l.len(); n != 1 {
		t.Errorf("after everyone went idle: %d buckets, want 1", n)
	}

	// A flood of new addresses faster than any refill.
	l.max = 100
	for i := range 10_000 {
		l.allow(addr(i))
		clock.add(time.Millisecond)
		if n := l.len(); n > l.max {
			t.Fatalf("%d buckets after %d addresses, want at most %d", n, i+1, l.max)
		}
	}
	// Those still remembered stay limited.
	last := addr(9999)
	l.allow(last)
	if ok, _ := l.allow(last); ok {
		t.Error("a remembered client got past its burst")
	}
}
