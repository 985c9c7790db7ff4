// Package feed polls RSS 2.0, Atom and JSON Feed documents and upserts their
// entries into a news.Store as plain-text flash articles.
package feed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"

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

// parallel bounds how many feeds a round fetches at once.
const parallel = 4

// Options configure a Poller; every zero field but Store has a default.
type Options struct {
	Store    news.Store                  // where the entries go
	URLs     []string                    // the feeds (trimmed, duplicates dropped)
	Client   *http.Client                // nil: a client with Timeout; its CheckRedirect, if nil, allows MaxRedirects
	Interval time.Duration               // between rounds; default DefaultInterval
	Timeout  time.Duration               // per fetch, body included; default DefaultTimeout
	MaxBytes int64                       // response size cap; default DefaultMaxBytes
	MaxItems int                         // newest entries taken per feed per poll; default DefaultMaxItems
	Notify   func()                      // called after a round that changed the store (may be nil)
	OnPoll   func(url string, err error) // called after each feed's poll, err nil on success (may be nil)
	Logger   *slog.Logger                // nil: slog.Default()
}

// Poller polls feeds on an interval and upserts their entries into a store.
// Make one with NewPoller.
type Poller struct {
	o Options // defaults applied

	round sync.Mutex // one round at a time, so a feed's state has one writer
	write sync.Mutex // store writes one at a time, whatever the store's locking
	mu    sync.Mutex // guards urls and feeds
	urls  []string
	feeds map[string]*feedState
}

// feedState is what the poller remembers of one feed.
type feedState struct {
	etag, lastModified string               // validators of the last ingested 200
	firstSeen          map[string]time.Time // dates of undated and future-dated entries, by id
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
	p := &Poller{o: o, feeds: map[string]*feedState{}}
	for _, u := range o.URLs {
		u = strings.TrimSpace(u)
		if u == "" || p.feeds[u] != nil {
			continue
		}
		p.urls = append(p.urls, u)
		p.feeds[u] = &feedState{status: Status{URL: u}}
	}
	p.o.URLs = nil // p.urls is the list
	return p
}

// Run polls every feed at once, then every Interval, until ctx is done.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		p.PollOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollOnce polls every feed once, calling Notify if the store changed.
func (p *Poller) PollOnce(ctx context.Context) {
	p.round.Lock()
	defer p.round.Unlock()
	p.mu.Lock()
	urls := slices.Clone(p.urls)
	p.mu.Unlock()

	var wg sync.WaitGroup
	var anyChanged bool
	var mu sync.Mutex
	sem := make(chan struct{}, parallel)
	for _, u := range urls {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if p.pollFeed(ctx, u) {
				mu.Lock()
				anyChanged = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if anyChanged && p.o.Notify != nil {
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
// store changed.
func (p *Poller) pollFeed(ctx context.Context, feedURL string) bool {
	p.mu.Lock()
	st := p.feeds[feedURL]
	etag, lastModified := st.etag, st.lastModified
	p.mu.Unlock()

	res, err := p.fetch(ctx, feedURL, etag, lastModified)
	var n, count int
	if err == nil && !res.notModified {
		n, count, err = p.ingest(ctx, feedURL, st, res)
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down is not the feed's failure.
		return n > 0
	}
	now := time.Now().UTC()

	p.mu.Lock()
	st.status.Polls++
	if err != nil {
		st.status.Failures++
		st.status.LastError = err.Error()
		st.status.LastErrorAt = now
	} else {
		st.status.LastSuccess = now
		if !res.notModified {
			// Validators are kept only once the document is in the store,
			// so a failed ingest is fetched in full again next time.
			st.etag, st.lastModified = res.etag, res.lastModified
			st.status.Articles = count
		}
	}
	p.mu.Unlock()

	log := p.o.Logger.With("feed", feedURL)
	switch {
	case err != nil:
		log.Warn("feed poll failed", "err", err, "changed", n)
	case res.notModified:
		log.Debug("feed not modified")
	default:
		log.Debug("feed polled", "articles", count, "changed", n)
	}
	if p.o.OnPoll != nil {
		p.o.OnPoll(feedURL, err)
	}
	return n > 0
}

// ingest parses a fetched document and upserts its newest entries,
// returning how many changed the store and how many were valid.
func (p *Poller) ingest(ctx context.Context, feedURL string, st *feedState, res *fetched) (changed, valid int, err error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(res.body))
	if err != nil {
		return 0, 0, fmt.Errorf("parse feed: %w", err)
	}
	items, ids := newest(feedURL, f.Items, p.o.MaxItems)
	source := feedSource(f, res.base)
	now := time.Now()
	log := p.o.Logger.With("feed", feedURL)

	p.mu.Lock()
	prevSeen := st.firstSeen
	p.mu.Unlock()
	seen := make(map[string]time.Time)
	defer func() {
		p.mu.Lock()
		st.firstSeen = seen
		p.mu.Unlock()
	}()

	skipped := 0
	defer func() {
		if skipped > 0 {
			log.Info("feed entries skipped", "skipped", skipped)
		}
	}()
	for i, it := range items {
		id := ids[i]
		var first time.Time
		// An entry dated in the future would sit on top of every list as
		// "just now" until its date: it is dated by when it was first seen,
		// once, and keeps that date (as an undated entry does) while the
		// feed holds it, however it changes.
		if t := itemTime(it); t.IsZero() || t.After(now) || !prevSeen[id].IsZero() {
			if first, err = p.firstSeen(ctx, id, prevSeen, now); err != nil {
				return changed, valid, err
			}
			seen[id] = first
		}
		a := toArticle(id, source, res.base, it, first, now)
		a.Normalize(now)
		if verr := a.Validate(); verr != nil {
			log.Debug("feed entry skipped", "id", id, "err", verr)
			skipped++
			continue
		}
		valid++
		p.write.Lock()
		_, ch, uerr := p.o.Store.UpsertArticle(ctx, a)
		p.write.Unlock()
		if uerr != nil {
			return changed, valid, fmt.Errorf("store article %s: %w", id, uerr)
		}
		if ch {
			changed++
		}
	}
	return changed, valid, nil
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
