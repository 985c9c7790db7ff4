package server

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswidget/app/news"
)

// RateLimit is a per-client token bucket: a client may make Burst requests
// at once, and one more every 1/PerSecond seconds after that.
//
// In Options a zero field takes the default's value and a negative one turns
// the limit off.
type RateLimit struct {
	Burst     int
	PerSecond float64
}

// The default limits. A reader's widget opens one event stream per page
// view and reconnects on its own after a drop, with jittered backoff.
// Thousands of mobile readers can share one carrier-grade NAT address, so
// the connect rate only bounds the work of connecting (a goroutine, a store
// read) from one address: 200 at once and 20 a second after that let a
// crowd of a hundred opening the page together, or coming back together
// after a restart, all in at once (TestCrowdBehindOneAddress). What one
// address may hold is bounded by the stream cap and its share of it
// (Options.MaxStreams), not by this rate. Publishing is an editor's or a
// script's: 30 at once, 10 a second.
var (
	DefaultEventsLimit  = RateLimit{Burst: 200, PerSecond: 20}
	DefaultPublishLimit = RateLimit{Burst: 30, PerSecond: 10}
)

// ParseRateLimit reads a limit written as String writes it: "BURST+RATE/s"
// (20+1/s: 20 at once, then one a second; the rate may be a fraction), or
// "off".
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return RateLimit{Burst: -1, PerSecond: -1}, nil
	}
	burst, rate, ok := strings.Cut(strings.TrimSuffix(s, "/s"), "+")
	b, errB := strconv.Atoi(burst)
	r, errR := strconv.ParseFloat(rate, 64)
	if !ok || !strings.HasSuffix(s, "/s") || errB != nil || errR != nil || b < 1 || b > 1e6 || !(r > 0 && r <= 1e6) {
		return RateLimit{}, fmt.Errorf("%q is not a rate limit such as 20+1/s (a burst of 20, then 1 a second) or off", s)
	}
	return RateLimit{Burst: b, PerSecond: r}, nil
}

// String writes the limit as ParseRateLimit reads it.
func (l RateLimit) String() string {
	if l.Burst < 0 || l.PerSecond < 0 {
		return "off"
	}
	return strconv.Itoa(l.Burst) + "+" + strconv.FormatFloat(l.PerSecond, 'g', -1, 64) + "/s"
}

// maxBuckets bounds the clients a limiter remembers; a bucket costs about
// 100 bytes, so a limiter holds at most a few MB however many addresses call.
const maxBuckets = 1 << 15

// sweepEvery is how often idle buckets are dropped.
const sweepEvery = time.Minute

// resolve fills a limit's zero fields from def; it returns ok=false for a
// limit that is off.
func (l RateLimit) resolve(def RateLimit) (RateLimit, bool) {
	if l.Burst < 0 || l.PerSecond < 0 || math.IsNaN(l.PerSecond) {
		return l, false
	}
	if l.Burst == 0 {
		l.Burst = def.Burst
	}
	if l.PerSecond == 0 {
		l.PerSecond = def.PerSecond
	}
	return l, true
}

// limiter keeps one token bucket per client. Buckets are created on a
// client's first request and dropped once they have refilled (an idle client
// is the same as a new one), so memory follows the clients active within
// the last Burst/PerSecond seconds, and never exceeds maxBuckets.
type limiter struct {
	burst, rate float64
	max         int
	now         func() time.Time

	mu        sync.Mutex
	buckets   map[netip.Addr]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// newLimiter returns a limiter, or nil for a limit that is off.
func newLimiter(l, def RateLimit) *limiter {
	l, on := l.resolve(def)
	if !on {
		return nil
	}
	return &limiter{
		burst: float64(l.Burst), rate: l.PerSecond, max: maxBuckets, now: time.Now,
		buckets: map[netip.Addr]*bucket{},
	}
}

// allow takes a token from the client's bucket. When there is none it
// returns false and how long until there is one.
func (l *limiter) allow(client netip.Addr) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.sweep(now)
			for k := range l.buckets { // every client is busy: forget some, at random
				if len(l.buckets) < l.max*3/4 {
					break
				}
				delete(l.buckets, k)
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	} else {
		b.refill(now, l.rate, l.burst)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.at = now
	}
}

// sweep drops the buckets that have refilled; the caller holds l.mu.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.refill(now, l.rate, l.burst); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// len returns the number of buckets held.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// limited wraps a handler with a rate limit; what names the requests in the
// error message. A nil limiter lets everything through.
func (s *Server) limited(l *limiter, what string, h http.HandlerFunc) http.HandlerFunc {
	if l == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.allow(s.clientKey(r))
		if ok {
			h(w, r)
			return
		}
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.writeError(w, r, news.Errorf(ERateLimited, "too many %s from this address; retry in %d s", what, secs))
	}
}

// clientKey identifies the client a request is counted against: its IP
// address (the proxy's last X-Forwarded-For entry only when TrustProxy is
// set), an IPv6 address cut to its /64, since one host or home is usually
// given a whole /64. A request whose address cannot be read shares the zero
// key with every other such request.
func (s *Server) clientKey(r *http.Request) netip.Addr {
	var a netip.Addr
	if s.trustProxy {
		a = lastForwarded(r.Header.Values("X-Forwarded-For"))
	}
	if !a.IsValid() {
		a = parseHostAddr(r.RemoteAddr)
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// lastForwarded returns the last address of X-Forwarded-For: the one the
// trusted proxy appended; those before it are the client's word.
func lastForwarded(values []string) netip.Addr {
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		if j := strings.LastIndexByte(v, ','); j >= 0 {
			v = v[j+1:]
		}
		if v = strings.TrimSpace(v); v != "" {
			return parseHostAddr(v)
		}
	}
	return netip.Addr{}
}

// parseHostAddr reads "ip", "ip:port" or "[ipv6]:port".
func parseHostAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if ap, perr := netip.ParseAddrPort(s); err != nil && perr == nil {
		a = ap.Addr()
	}
	return a.WithZone("")
}
