package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
)

// Insight bounds. A flood of forged beacons can inflate counts, never the
// memory: the counts held between flushes are at most maxPendingCounts
// (about 100 bytes each), keyed by hour, a known partner and an article the
// store holds.
const (
	// DefaultStatsFlush is how often a node adds its counts to the store.
	DefaultStatsFlush = time.Minute
	maxBeaconBody     = 1 << 10
	maxBeaconClicks   = 10
	maxPendingCounts  = 50_000
	maxKnownArticles  = 2_000 // the newest articles, which readers can click on
)

// insight counts impressions and clicks from beacons, in memory, and adds
// them to the store every flush interval and when the server closes.
type insight struct {
	s         *Server
	stats     news.Stats // nil: the store keeps none, and nothing is counted
	countBots bool

	mu         sync.Mutex
	pending    map[countKey]*tally
	maxPending int // maxPendingCounts; smaller in tests

	articles atomic.Pointer[articleSet]
	loadMu   sync.Mutex  // one load of the article set at a time
	loading  atomic.Bool // a refresh runs in the background

	flushMu sync.Mutex // one flush at a time
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// countKey is what one count is of: an hour (unix seconds), a partner's
// name (or news.DirectPartner) and an article ("" for impressions).
type countKey struct {
	hour             int64
	partner, article string
}

type tally struct{ impressions, clicks int64 }

// articleSet is the ids of the newest articles as of an event sequence.
type articleSet struct {
	seq int64
	ids map[string]struct{}
}

func newInsight(s *Server, stats news.Stats, countBots bool, every time.Duration) *insight {
	in := &insight{s: s, stats: stats, countBots: countBots, pending: map[countKey]*tally{}, maxPending: maxPendingCounts,
		stop: make(chan struct{}), done: make(chan struct{})}
	go in.loop(cmp.Or(every, DefaultStatsFlush))
	return in
}

// loop flushes the counts and reads the partners again every interval.
func (in *insight) loop(every time.Duration) {
	defer close(in.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-in.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := in.flush(ctx); err != nil && !errors.Is(err, news.ErrOutcomeUnknown) {
				in.s.log.Warn("statistics not written; kept for the next flush", "err", err)
			}
			if err := in.s.partners.reload(ctx); err != nil {
				in.s.log.Warn("partners not read again", "err", err)
			}
			cancel()
		}
	}
}

// close stops the loop and writes what is counted.
func (in *insight) close() {
	in.once.Do(func() {
		close(in.stop)
		<-in.done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.flush(ctx); err != nil && !errors.Is(err, news.ErrOutcomeUnknown) {
			in.s.log.Error("statistics lost at shutdown", "err", err)
		}
	})
}

// flush adds the counts held in memory to the store. Counts the store
// certainly did not write are held again for the next flush, as room
// allows; counts it may have written (news.ErrOutcomeUnknown: the
// connection broke while it committed) are dropped and logged, as adding
// them again could count them twice -- a count missing is better than a
// count doubled.
func (in *insight) flush(ctx context.Context) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	in.mu.Lock()
	batch := in.pending
	in.pending = make(map[countKey]*tally, len(batch))
	in.mu.Unlock()
	if len(batch) == 0 || in.stats == nil {
		return nil
	}
	counts := make([]news.Count, 0, len(batch))
	for k, t := range batch {
		counts = append(counts, news.Count{Hour: time.Unix(k.hour, 0).UTC(), Partner: k.partner, Article: k.article,
			Impressions: t.impressions, Clicks: t.clicks})
	}
	err := in.stats.AddCounts(ctx, counts)
	if errors.Is(err, news.ErrOutcomeUnknown) {
		var impressions, clicks int64
		for _, c := range counts {
			impressions, clicks = impressions+c.Impressions, clicks+c.Clicks
		}
		in.s.log.Error("statistics dropped: the store may or may not have written them, and writing them again could count them twice",
			"counts", len(counts), "impressions", impressions, "clicks", clicks, "err", err)
		return err
	}
	if err != nil {
		in.mu.Lock()
		for k, t := range batch {
			in.addLocked(k, t.impressions, t.clicks)
		}
		in.mu.Unlock()
	}
	return err
}

// addLocked adds to the count of k, if it is held or there is room for
// it; in.mu is held.
func (in *insight) addLocked(k countKey, impressions, clicks int64) bool {
	t, ok := in.pending[k]
	if !ok {
		if len(in.pending) >= in.maxPending {
			return false
		}
		t = &tally{}
		in.pending[k] = t
	}
	t.impressions += impressions
	t.clicks += clicks
	return true
}

// knownArticle reports whether id is one of the newest articles. The set is
// read again, in the background, when the news change.
func (in *insight) knownArticle(id string) bool {
	if !news.ValidID(id) {
		return false
	}
	seq := in.s.catalog.currentSeq()
	set := in.articles.Load()
	if set == nil {
		set = in.loadArticles(seq)
	} else if set.seq != seq && in.loading.CompareAndSwap(false, true) {
		go func() {
			defer in.loading.Store(false)
			in.loadArticles(seq)
		}()
	}
	_, ok := set.ids[id]
	return ok
}

// loadArticles reads the ids of the newest maxKnownArticles articles.
func (in *insight) loadArticles(seq int64) *articleSet {
	in.loadMu.Lock()
	defer in.loadMu.Unlock()
	if set := in.articles.Load(); set != nil && set.seq == seq {
		return set
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set := &articleSet{seq: seq, ids: map[string]struct{}{}}
	f := news.ArticleFilter{Limit: news.MaxListLimit, Expired: true}
	for len(set.ids) < maxKnownArticles {
		list, next, err := in.s.store.Articles(ctx, f)
		if err != nil {
			in.s.log.Warn("articles not read for the statistics", "err", err)
			if old := in.articles.Load(); old != nil {
				return old
			}
			break
		}
		for _, a := range list {
			set.ids[a.ID] = struct{}{}
		}
		if next.ID == "" || len(list) == 0 {
			break
		}
		f.Before = next
	}
	in.articles.Store(set)
	return set
}

// botMarks are what the user agents of automated clients carry (lower
// case): headless browsers, crawlers, audit tools and HTTP libraries.
var botMarks = []string{"headless", "bot", "crawl", "spider", "slurp", "lighthouse", "phantomjs",
	"puppeteer", "playwright", "selenium", "webdriver", "python-", "curl/", "wget/", "go-http-client", "java/", "okhttp"}

// isBot reports whether a user agent is a clear bot's: empty, or carrying
// one of botMarks.
func isBot(ua string) bool {
	if strings.TrimSpace(ua) == "" {
		return true
	}
	ua = strings.ToLower(ua)
	for _, m := range botMarks {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}

// beacon is what a widget's frame sends (web/beacon.js): its partner key
// ("" for none), 1 for an impression, and the ids of articles clicked.
type beacon struct {
	Partner    string   `json:"p"`
	Impression int      `json:"i"`
	Clicks     []string `json:"c"`
}

// POST /api/beacon
func (s *Server) handleBeacon(w http.ResponseWriter, r *http.Request) error {
	m := s.metrics
	// Beacons are sent by the widget's own frame; one from another site's
	// page (Sec-Fetch-Site says so) or from a bot is answered, not counted.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		m.beaconResult("foreign")
		noContent(w)
		return nil
	}
	if !s.insight.countBots && isBot(r.UserAgent()) {
		m.beaconResult("bot")
		noContent(w)
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBeaconBody))
	if err != nil {
		m.beaconResult("invalid")
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return news.Errorf(ETooLarge, "a beacon is at most %d bytes", maxBeaconBody)
		}
		return news.Errorf(news.EInvalid, "the beacon could not be read")
	}
	var b beacon
	if err := json.Unmarshal(body, &b); err != nil || b.Impression < 0 || b.Impression > 1 ||
		len(b.Clicks) > maxBeaconClicks || b.Impression == 0 && len(b.Clicks) == 0 {
		m.beaconResult("invalid")
		return news.Errorf(news.EInvalid, `a beacon is {"p":"<partner key or empty>","i":0|1,"c":["<article id>",…]} with an impression or a click`)
	}
	partner := news.DirectPartner
	if b.Partner != "" {
		p, ok := s.partners.known(b.Partner)
		if !ok {
			m.beaconResult("partner")
			noContent(w)
			return nil
		}
		partner = p.Name
	}
	if s.insight.stats == nil {
		m.beaconResult("unavailable")
		noContent(w)
		return nil
	}
	// Unknown articles are dropped before the lock, as a full map is.
	clicks := b.Clicks[:0]
	for _, id := range b.Clicks {
		if s.insight.knownArticle(id) {
			clicks = append(clicks, id)
		}
	}
	if b.Impression == 0 && len(clicks) == 0 {
		m.beaconResult("article")
		noContent(w)
		return nil
	}
	hour := time.Now().Truncate(time.Hour).Unix()
	in := s.insight
	ok := true
	in.mu.Lock()
	if b.Impression == 1 {
		ok = in.addLocked(countKey{hour, partner, ""}, 1, 0)
	}
	for _, id := range clicks {
		ok = in.addLocked(countKey{hour, partner, id}, 0, 1) && ok
	}
	in.mu.Unlock()
	if ok {
		m.beaconResult("accepted")
	} else {
		m.beaconResult("full")
	}
	noContent(w)
	return nil
}

// FlushStats adds the impressions and clicks this node counted to the
// store now, as it does every flush interval and when it closes.
func (s *Server) FlushStats(ctx context.Context) error { return s.insight.flush(ctx) }

// beaconResult counts a beacon in newswidget_beacons_total: "accepted", or
// why it was dropped (bot, foreign, invalid, partner, article, full,
// unavailable).
func (m *metrics) beaconResult(result string) { m.beacons.WithLabelValues(result).Inc() }
