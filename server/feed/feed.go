// Package feed polls RSS 2.0, Atom and JSON Feed documents and upserts their
// entries into a news.Store as plain-text flash articles.
package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
)

// Defaults of a Poller, and its redirect limit.
const (
	// DefaultInterval is the time between rounds when Interval is zero.
	DefaultInterval = 5 * time.Minute
	// DefaultTimeout bounds one fetch, body included, when Timeout is zero.
	DefaultTimeout = 15 * time.Second
	// DefaultMaxBytes caps a response body when MaxBytes is zero.
	DefaultMaxBytes = 5 << 20
	// DefaultMaxItems is how many newest entries of a feed a poll takes when MaxItems is zero.
	DefaultMaxItems = 100
	// MaxRedirects is how many redirects a fetch follows; a loop fails at once.
	MaxRedirects = 5
)

// parallel bounds how many feeds are fetched at once.
const parallel = 4

// Bounds of a feed's schedule.
const (
	// hintCap bounds how far a server's freshness hint (Cache-Control
	// max-age, Expires, RSS ttl) may lengthen the interval.
	hintCap = time.Hour
	// backoffCap bounds the back-off of a failing feed.
	backoffCap = time.Hour
	// retryAfterCap bounds how long a Retry-After is honoured.
	retryAfterCap = 6 * time.Hour
)

// Options configure a Poller; every zero field but Store has a default.
type Options struct {
	Store    news.Store                  // where the entries go
	URLs     []string                    // the feeds (trimmed, duplicates dropped)
	Client   *http.Client                // nil: a client with Timeout; its CheckRedirect, if nil, allows MaxRedirects
	Interval time.Duration               // between polls of a feed (lengthened by its freshness hints, backed off while it fails); default DefaultInterval
	Timeout  time.Duration               // per fetch, body included; default DefaultTimeout
	MaxBytes int64                       // response size cap; default DefaultMaxBytes
	MaxItems int                         // newest entries taken per feed per poll; default DefaultMaxItems
	Notify   func()                      // called after a poll (or PollOnce) that changed the store (may be nil)
	OnPoll   func(url string, err error) // called after each feed's poll, err nil on success (may be nil)
	Logger   *slog.Logger                // nil: slog.Default()
}

// Poller polls feeds, each on its own schedule, and upserts their entries
// into a store. Make one with NewPoller.
type Poller struct {
	o Options // defaults applied

	write sync.Mutex // store writes one at a time, whatever the store's locking
	mu    sync.Mutex // guards urls, feeds, owner and every feedState's maps and status
	urls  []string
	feeds map[string]*feedState
	owner map[string]string // article id → the feed that writes it, so two feeds carrying one entry do not fight over it
}

// feedState is what the poller remembers of one feed.
type feedState struct {
	poll               sync.Mutex           // one poll of the feed at a time
	etag, lastModified string               // validators of the last ingested 200
	firstSeen          map[string]time.Time // dates of undated and future-dated entries, by id
	stored             map[string]string    // an entry's id → the id it is stored under (an older version's id, kept)
	failures           int                  // consecutive failed polls
	status             Status
}

// Status is the health of one feed.
//
// LastError and LastErrorAt describe the most recent failure and are kept
// after a later success: the feed is failing now when LastErrorAt is after
// LastSuccess.
type Status struct {
	URL         string    `json:"url"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Articles    int       `json:"articles"` // valid entries in the last document ingested
	Polls       int64     `json:"polls"`
	Failures    int64     `json:"failures"`
	NextPoll    time.Time `json:"next_poll,omitzero"` // when Run polls the feed next
}

// NewPoller returns a poller of o.URLs into o.Store.
func NewPoller(o Options) *Poller {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := &Poller{o: o, feeds: map[string]*feedState{}, owner: map[string]string{}}
	for _, u := range o.URLs {
		u = strings.TrimSpace(u)
		if u == "" || p.feeds[u] != nil {
			continue
		}
		p.urls = append(p.urls, u)
		p.feeds[u] = &feedState{status: Status{URL: u}, stored: map[string]string{}}
	}
	p.o.URLs = nil // p.urls is the list
	return p
}

// Run polls every feed at once, then each on its own schedule, until ctx is
// done: Interval after a success, or longer when the server says the
// document stays fresh longer (Cache-Control max-age, Expires, RSS ttl; up
// to an hour); after a failure, backed off exponentially from Interval with
// jitter up to an hour, or as long as a 429 or 503 asks (Retry-After, up to
// six hours). At most four feeds are fetched at once, and a slow or hanging
// feed delays no other. Notify is called after each poll that changed the store.
func (p *Poller) Run(ctx context.Context) {
	p.mu.Lock()
	urls := slices.Clone(p.urls)
	p.mu.Unlock()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Go(func() { p.loop(ctx, u, sem) })
	}
	wg.Wait()
}

// loop polls one feed on its schedule until ctx is done.
func (p *Poller) loop(ctx context.Context, feedURL string, sem chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		changed, next := p.pollFeed(ctx, feedURL)
		<-sem
		if changed && p.o.Notify != nil {
			p.o.Notify()
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// PollOnce polls every feed once, at most four at a time, and calls Notify
// once if the store changed.
func (p *Poller) PollOnce(ctx context.Context) {
	p.mu.Lock()
	urls := slices.Clone(p.urls)
	p.mu.Unlock()

	var wg sync.WaitGroup
	var anyChanged atomic.Bool
	sem := make(chan struct{}, parallel)
	for _, u := range urls {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if changed, _ := p.pollFeed(ctx, u); changed {
				anyChanged.Store(true)
			}
		})
	}
	wg.Wait()
	if anyChanged.Load() && p.o.Notify != nil {
		p.o.Notify()
	}
}

// Status returns the status of every feed, sorted by URL.
func (p *Poller) Status() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.feeds))
	for _, f := range p.feeds {
		out = append(out, f.status)
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// pollFeed polls one feed, records the outcome and reports whether the
// store changed and when the feed is due next.
func (p *Poller) pollFeed(ctx context.Context, feedURL string) (bool, time.Duration) {
	p.mu.Lock()
	st := p.feeds[feedURL]
	p.mu.Unlock()
	st.poll.Lock()
	defer st.poll.Unlock()
	p.mu.Lock()
	etag, lastModified := st.etag, st.lastModified
	p.mu.Unlock()

	res, err := p.fetch(ctx, feedURL, etag, lastModified)
	var n, count int
	var ttl time.Duration
	if err == nil && !res.notModified {
		n, count, ttl, err = p.ingest(ctx, feedURL, st, res)
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down is not the feed's failure.
		return n > 0, p.o.Interval
	}
	now := time.Now().UTC()

	p.mu.Lock()
	st.status.Polls++
	var next time.Duration
	if err != nil {
		st.status.Failures++
		st.status.LastError = err.Error()
		st.status.LastErrorAt = now
		st.failures++
		next = backoff(p.o.Interval, st.failures)
		var se *statusError
		if errors.As(err, &se) && se.retryAfter > next {
			next = min(se.retryAfter, retryAfterCap)
		}
	} else {
		st.status.LastSuccess = now
		st.failures = 0
		if !res.notModified {
			// Validators are kept only once the document is in the store,
			// so a failed ingest is fetched in full again next time.
			st.etag, st.lastModified = res.etag, res.lastModified
			st.status.Articles = count
		}
		next = p.o.Interval
		if hint := min(max(res.fresh, ttl), max(hintCap, p.o.Interval)); hint > next {
			next = hint
		}
	}
	st.status.NextPoll = now.Add(next)
	p.mu.Unlock()

	log := p.o.Logger.With("feed", feedURL)
	switch {
	case err != nil:
		log.Warn("feed poll failed", "err", err, "changed", n, "retry_in", next)
	case res.notModified:
		log.Debug("feed not modified")
	default:
		log.Debug("feed polled", "articles", count, "changed", n)
	}
	if p.o.OnPoll != nil {
		p.o.OnPoll(feedURL, err)
	}
	return n > 0, next
}

// backoff is the wait after the nth consecutive failure: interval doubled
// per failure up to an hour (or interval, if longer), with equal jitter
// (between half and all of it) so failing feeds do not retry in step.
func backoff(interval time.Duration, n int) time.Duration {
	limit := max(backoffCap, interval)
	d := interval
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// ttlTag reads an RSS channel's <ttl> (minutes).
var ttlTag = regexp.MustCompile(`<ttl>\s*(\d{1,7})\s*</ttl>`)

// feedTTL is the RSS ttl of a document, 0 if it has none.
func feedTTL(body []byte) time.Duration {
	if m := ttlTag.FindSubmatch(body); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		return time.Duration(n) * time.Minute
	}
	return 0
}

// ingest parses a fetched document and upserts its newest entries,
// returning how many changed the store, how many were valid, and the
// document's RSS ttl.
func (p *Poller) ingest(ctx context.Context, feedURL string, st *feedState, res *fetched) (changed, valid int, ttl time.Duration, err error) {
	f, err := parseFeed(res.body, res.contentType)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("parse feed: %w", err)
	}
	ttl = feedTTL(res.body)
	now := time.Now()
	list := entries(feedURL, res.base, f.Items, p.o.MaxItems, now)
	source := feedSource(f, res.base)
	log := p.o.Logger.With("feed", feedURL)

	p.mu.Lock()
	prevSeen := st.firstSeen
	p.mu.Unlock()
	seen := make(map[string]time.Time)
	ids := make(map[string]bool, len(list))   // stored ids of the document's entries
	inDoc := make(map[string]bool, len(list)) // their own ids
	for _, e := range list {
		inDoc[e.id] = true
	}
	defer func() {
		p.mu.Lock()
		st.firstSeen = seen
		// Entries gone from the document are no longer this feed's to write.
		for id, owner := range p.owner {
			if owner == feedURL && !ids[id] {
				delete(p.owner, id)
			}
		}
		for id := range st.stored {
			if !inDoc[id] {
				delete(st.stored, id)
			}
		}
		p.mu.Unlock()
	}()

	skipped := 0
	defer func() {
		if skipped > 0 {
			log.Info("feed entries skipped", "skipped", skipped)
		}
	}()
	for _, e := range list {
		if e.id, err = p.storedID(ctx, st, e); err != nil {
			return changed, valid, ttl, err
		}
		id := e.id
		var first time.Time
		// An entry dated in the future would sit on top of every list as
		// "just now" until its date: it is dated by when it was first seen,
		// once, and keeps that date (as an undated entry does) while the
		// feed holds it, however it changes.
		if t := e.published; t.IsZero() || t.After(now) || !prevSeen[id].IsZero() {
			if first, err = p.firstSeen(ctx, id, prevSeen, now); err != nil {
				return changed, valid, ttl, err
			}
			seen[id] = first
		}
		a := toArticle(e, source, res.base, first, now)
		a.Normalize(now)
		if verr := a.Validate(); verr != nil {
			log.Debug("feed entry skipped", "id", id, "err", verr)
			skipped++
			continue
		}
		valid++
		// The same entry from another feed is one article, written by the
		// feed that carried it first while that feed still does.
		p.mu.Lock()
		owner, owned := p.owner[id]
		if !owned {
			p.owner[id] = feedURL
		}
		p.mu.Unlock()
		ids[id] = true
		if owned && owner != feedURL {
			continue
		}
		p.write.Lock()
		_, ch, uerr := p.o.Store.UpsertArticle(ctx, a)
		p.write.Unlock()
		if uerr != nil {
			return changed, valid, ttl, fmt.Errorf("store article %s: %w", id, uerr)
		}
		if ch {
			changed++
		}
	}
	return changed, valid, ttl, nil
}

// storedID is the id an entry is stored under: its own, unless the store
// holds it under the id an earlier version of the poller gave it (the feed
// URL and the GUID), which it keeps so an upgrade stores nothing twice.
// The answer is remembered for the feed, so the store is asked once.
func (p *Poller) storedID(ctx context.Context, st *feedState, e *entry) (string, error) {
	p.mu.Lock()
	id, ok := st.stored[e.id]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	id = e.id
	if e.legacy != e.id {
		if _, err := p.o.Store.Article(ctx, e.id); news.ErrorCode(err) == news.ENotFound {
			if _, err := p.o.Store.Article(ctx, e.legacy); err == nil {
				id = e.legacy
			} else if news.ErrorCode(err) != news.ENotFound {
				return "", fmt.Errorf("look up article %s: %w", e.legacy, err)
			}
		} else if err != nil {
			return "", fmt.Errorf("look up article %s: %w", e.id, err)
		}
	}
	p.mu.Lock()
	st.stored[e.id] = id
	p.mu.Unlock()
	return id, nil
}

// firstSeen dates an undated or future-dated entry by when it was first
// seen: remembered, else as stored by an earlier run (no later than now, for
// an entry stored in the future before dates were clamped), else now.
// Without this such an entry would look changed on every poll.
func (p *Poller) firstSeen(ctx context.Context, id string, prev map[string]time.Time, now time.Time) (time.Time, error) {
	if t, ok := prev[id]; ok {
		return t, nil
	}
	now = now.UTC().Truncate(time.Second)
	a, err := p.o.Store.Article(ctx, id)
	switch {
	case err == nil && a.PublishedAt.After(now):
		return now, nil
	case err == nil:
		return a.PublishedAt, nil
	case news.ErrorCode(err) == news.ENotFound:
		return now, nil
	}
	return time.Time{}, fmt.Errorf("look up article %s: %w", id, err)
}
