package server

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswidget/app/news"
)

// MinAdminTokenLen is the shortest admin token a server accepts: with the
// failure budget below, a token of 16 random characters cannot be guessed.
const MinAdminTokenLen = 16

// CheckAdminToken refuses a token too short to be a secret.
func CheckAdminToken(t string) error {
	if t != "" && len([]rune(t)) < MinAdminTokenLen {
		return fmt.Errorf("the admin token is %d characters long; it must be at least %d (for instance the output of `openssl rand -hex 16`)", len([]rune(t)), MinAdminTokenLen)
	}
	return nil
}

// DefaultAuthFailureLimit is the budget of wrong tokens per client: ten,
// then one every five seconds. The budget per peer address -- the one a
// client cannot choose -- is ten times it: behind a proxy (-trust-proxy) a
// client that reaches the server directly could name a new client in
// X-Forwarded-For on every request, and the peer budget still holds it, at
// the cost of refusing for a while every token through that peer.
var DefaultAuthFailureLimit = RateLimit{Burst: 10, PerSecond: 0.2}

// authLogEvery is how often failed authorisations are summarised in the log.
var authLogEvery = 10 * time.Second

// authGuard bounds and logs failed authorisations.
type authGuard struct {
	client, peer *limiter // nil: no budget
	log          *slog.Logger

	mu      sync.Mutex
	blocked map[netip.Addr]time.Time // until when a key's attempts are refused
	failed  map[netip.Addr]int       // failures since the last summary, by client
	total   int
	timer   *time.Timer
}

// newAuthGuard returns a guard with the budget l; with a nil log it
// summarises nothing.
func newAuthGuard(l RateLimit, log *slog.Logger) *authGuard {
	g := &authGuard{log: log, blocked: map[netip.Addr]time.Time{}, failed: map[netip.Addr]int{}}
	if l, on := l.resolve(DefaultAuthFailureLimit); on {
		g.client = newLimiter(l, l)
		g.peer = newLimiter(RateLimit{Burst: 10 * l.Burst, PerSecond: 10 * l.PerSecond}, l)
	}
	return g
}

// refused says how long keys that spent their failure budget must wait.
func (g *authGuard) refused(keys ...netip.Addr) time.Duration {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		wait = max(wait, g.blocked[k].Sub(now))
	}
	return wait
}

// fail records a wrong token from client through peer; spend says it
// counts against their budgets (an attempt already refused does not).
func (g *authGuard) fail(client, peer netip.Addr, spend bool) {
	okC, okP, waitC, waitP := true, true, time.Duration(0), time.Duration(0)
	if g.client != nil && spend {
		okC, waitC = g.client.allow(client)
		okP, waitP = g.peer.allow(peer)
	}
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.blocked) > maxBuckets {
		for k, t := range g.blocked {
			if t.Before(now) {
				delete(g.blocked, k)
			}
		}
	}
	if !okC {
		g.blocked[client] = now.Add(waitC)
	}
	if !okP {
		g.blocked[peer] = now.Add(waitP)
	}
	g.total++
	if len(g.failed) < 1024 || g.failed[client] > 0 {
		g.failed[client]++
	}
	if g.timer == nil && g.log != nil { // the first failure of a window is logged when it ends
		g.timer = time.AfterFunc(authLogEvery, g.summarise)
	}
}

// summarise logs one line for the failures of the last window: how many,
// from how many clients, and the five busiest.
func (g *authGuard) summarise() {
	g.mu.Lock()
	total, failed := g.total, g.failed
	g.total, g.failed, g.timer = 0, map[netip.Addr]int{}, nil
	g.mu.Unlock()
	type count struct {
		addr netip.Addr
		n    int
	}
	var top []count
	for a, n := range failed {
		top = append(top, count{a, n})
	}
	slices.SortFunc(top, func(a, b count) int { return cmp.Or(b.n-a.n, a.addr.Compare(b.addr)) })
	var b strings.Builder
	for i, c := range top[:min(5, len(top))] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.addr.String() + "×" + strconv.Itoa(c.n))
	}
	g.log.Warn("failed publishing authorisations (wrong or refused tokens and passwords)", "count", total, "clients", len(failed), "top", b.String(), "window", authLogEvery)
}

// authorize checks that a publishing request acts as someone -- the admin
// token, a personal token or a signed-in account (authenticate) -- within
// the failure budgets. Editors and admins alike may publish.
func (s *Server) authorize(r *http.Request) error {
	_, err := s.authenticate(r)
	return err
}

// retryError is an error answered with a Retry-After header.
type retryError struct {
	err  *news.Error
	secs int
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }
