// Package server is the HTTP side of newswidget: the JSON API, the event
// stream, the prerendered widget pages and the static bundle. It depends on
// the domain (app/news) and the UI components, never on a storage or feed
// adapter: those are handed in by main.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"newswidget/app/news"
	"newswidget/server/assets"
	"newswidget/server/hub"
)

// Options configure a Server.
type Options struct {
	Store news.Store
	// Accounts keeps the newsroom's accounts, sessions, personal tokens and
	// audit log; nil takes Store when it keeps them too. Article writes are
	// audited by Store itself, in their own transactions (news.WithAuthor).
	Accounts news.Accounts
	// AdminToken is the bootstrap admin's bearer token; empty: none, and
	// publishing is refused until the store has an account.
	AdminToken string
	// PublicURL is the site's public base URL (https://news.example.com):
	// every absolute URL in a page is built from it, never from a request.
	// Empty: http://localhost.
	PublicURL string
	Origins   []string // sites allowed to embed; empty: any
	Logger    *slog.Logger
	// Health, if set, adds a component's status to /healthz (the feeds').
	Health func() any
	// Heartbeat is the interval of SSE keep-alive comments; default 15s.
	Heartbeat time.Duration
	// SubscriberBuffer is how many events may wait for a slow SSE client
	// before it is dropped; default 64.
	SubscriberBuffer int
	// EventsLimit and PublishLimit bound, per client address, event-stream
	// connects and publishing requests; past them a client gets 429 with
	// Retry-After. Zero fields take DefaultEventsLimit's and
	// DefaultPublishLimit's; a negative one turns the limit off.
	EventsLimit, PublishLimit RateLimit
	// AuthFailureLimit is the budget of wrong tokens per client (ten times
	// it per peer address); past it a client's attempts get 429 for a while,
	// right or wrong. Zero takes DefaultAuthFailureLimit; negative, off.
	AuthFailureLimit RateLimit
	// TrustProxy says the server is behind a reverse proxy that appends the
	// client's address to X-Forwarded-For; only then is that header read
	// (its last entry) to tell clients apart. Off, the peer address counts.
	TrustProxy bool
	// MaxStreams caps concurrent event streams, so that they cannot take
	// the descriptors ordinary requests need; one client address may hold a
	// quarter of them. Past it a stream gets 503 (429 past the address's
	// share) with a jittered Retry-After. Zero: no cap (main derives one
	// from the descriptor limit with MaxStreamsFor).
	MaxStreams int
	// HiddenClose is how long a widget in a hidden tab keeps its event
	// stream before closing it (it resumes from the last event when shown);
	// default news.HiddenGrace.
	HiddenClose time.Duration
	// LiveSlow and LivePaused are the ceilings of a widget's jittered wait
	// before it comes back in the back-off switch's slow and paused modes
	// (live.go); defaults news.SlowRetry and news.PausedRetry. LiveHold is
	// the least time a node's automatic slow (streams near MaxStreams)
	// lasts, default 2 minutes; LiveCheck how often the node looks, default 1 s.
	LiveSlow, LivePaused, LiveHold, LiveCheck time.Duration
	// Partners keeps the partner sites and Stats the impressions and
	// clicks (partners.go, beacon.go, stats.go); nil takes Store when it
	// keeps them too. StatsFlush is how often the counts are added to the
	// store, default DefaultStatsFlush. CountBots counts beacons from
	// user agents that look automated (headless browsers, crawlers), which
	// are dropped otherwise: browser tests drive headless ones.
	Partners   news.Partners
	Stats      news.Stats
	StatsFlush time.Duration
	CountBots  bool
}

// Server serves every route of newswidget.
type Server struct {
	store      news.Store
	adminToken string
	origins    []string
	publicURL  *url.URL
	auth       *authGuard
	names      *authGuard    // failed sign-ins by account name
	accounts   news.Accounts // nil: no accounts, only the admin token
	anyAccount atomic.Bool   // the store has had an account
	kdf        chan struct{} // bounds concurrent password hashing (each takes 19 MiB)
	log        *slog.Logger
	health     func() any
	heartbeat  time.Duration
	trustProxy bool

	eventsLimit, publishLimit *limiter
	streams                   *streamSlots // nil: no cap
	live                      *liveSwitch  // the back-off switch (live.go)

	static  *assets.Set
	catalog *catalog
	// pumped is the last event the pump handed the hub (set just before),
	// from which a caught-up stream needs no replay (events.go).
	pumped atomic.Int64
	out    outCache // the feeds and the sitemap, encoded once per store change
	hub    *hub.Hub
	// history is the frames the pump handed the hub last, from which a
	// stream a little behind replays without reading the store (events.go).
	history *hub.History
	// replaySlots holds one token per replay reading the store (replayRead).
	replaySlots chan struct{}
	pages       *pages
	metrics     *metrics
	mux         *http.ServeMux

	storeHealth storeHealth  // refused writes and damaged events, for /healthz
	eventSize   atomic.Int64 // bytes an event held in the latest read of the log, to size the next

	pokeCh   chan struct{}
	stopOnce sync.Once
	ctx      context.Context // canceled by Close: ends the pump and the streams it serves
	cancel   context.CancelFunc
	pumpDone chan struct{}
	expiry   expiry       // the timer of the next expiry (expiry.go)
	newsroom newsroomPage // the console's page, rendered once (newsroom.go)
	partners *partnerDir  // the partner sites (partners.go)
	insight  *insight     // impressions and clicks (beacon.go)
}

// New builds a server and starts its event pump; Close stops it.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.SubscriberBuffer <= 0 {
		opts.SubscriberBuffer = 64
	}
	public, err := ParsePublicURL(cmp.Or(opts.PublicURL, "http://localhost"))
	if err != nil {
		return nil, err
	}
	if err := CheckAdminToken(opts.AdminToken); err != nil {
		return nil, err
	}
	static, err := assets.Load(opts.Logger, cmp.Or(opts.HiddenClose, news.HiddenGrace))
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:      opts.Store,
		adminToken: opts.AdminToken,
		origins:    opts.Origins,
		publicURL:  public,
		auth:       newAuthGuard(opts.AuthFailureLimit, opts.Logger),
		names:      newAuthGuard(opts.AuthFailureLimit, nil),
		accounts:   opts.Accounts,
		kdf:        make(chan struct{}, 2),
		log:        opts.Logger,
		health:     opts.Health,
		heartbeat:  opts.Heartbeat,
		trustProxy: opts.TrustProxy,
		static:     static,
		metrics:    newMetrics(),
		pokeCh:     make(chan struct{}, 1),
		pumpDone:   make(chan struct{}),
	}
	if s.accounts == nil {
		s.accounts, _ = opts.Store.(news.Accounts)
	}
	if opts.Partners == nil {
		opts.Partners, _ = opts.Store.(news.Partners)
	}
	if opts.Stats == nil {
		opts.Stats, _ = opts.Store.(news.Stats)
	}
	s.partners = newPartnerDir(opts.Partners)
	if err := s.partners.reload(context.Background()); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.eventsLimit = newLimiter(opts.EventsLimit, DefaultEventsLimit)
	s.publishLimit = newLimiter(opts.PublishLimit, DefaultPublishLimit)
	s.hub = hub.New(opts.SubscriberBuffer, s.metrics.subscribers)
	s.streams = newStreamSlots(opts.MaxStreams)
	s.live = newLiveSwitch(cmp.Or(opts.LiveSlow, news.SlowRetry), cmp.Or(opts.LivePaused, news.PausedRetry), cmp.Or(opts.LiveHold, 2*time.Minute))
	s.metrics.setLiveMode(news.LiveNormal)
	s.metrics.streamsMax.Set(float64(max(0, opts.MaxStreams)))
	s.catalog = newCatalog(opts.Store)
	seq, err := opts.Store.LastSeq(context.Background())
	if err != nil {
		return nil, err
	}
	s.catalog.setSeq(seq)
	s.pages = newPages(s)
	s.routes()
	s.insight = newInsight(s, opts.Stats, opts.CountBots, opts.StatsFlush)
	s.loadLive(context.Background())
	s.pumped.Store(seq)
	s.history = hub.NewHistory(seq, historyFrames, historyBytes)
	s.replaySlots = make(chan struct{}, replayReadSlots())
	go s.pump(seq)
	go s.watchOverload(cmp.Or(opts.LiveCheck, time.Second))
	s.startExpiry()
	return s, nil
}

// Close stops the event pump and ends every event stream, telling the
// clients to retry.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		s.cancel()
		<-s.pumpDone
		s.stopExpiry()
		s.insight.close()
		s.hub.Close()
	})
}

// routes registers every route, in one table. Handlers that return an
// error go through s.handle, the one error path.
func (s *Server) routes() {
	// Publishing and account requests share the publishing limit; their
	// principal (authenticate) is kept for the audit log.
	publish := func(h handlerFunc) http.HandlerFunc {
		return s.limited(s.publishLimit, "publishing requests", withPrincipalSlot(s.handle(h)))
	}
	events := s.limited(s.eventsLimit, "event-stream connections", s.handle(s.handleEvents))
	table := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		// pages and the bundle
		{"GET /{$}", s.handle(s.handleStatic)},
		{"GET /widget.js", s.handle(s.handleStatic)},
		{"GET /app.js", s.handle(s.handleStatic)},
		{"GET /app.css", s.handle(s.handleStatic)},
		{"GET /wasm_exec.js", s.handle(s.handleStatic)},
		{"GET /web/", s.handle(s.handleStatic)},
		{"GET /manifest.webmanifest", s.pages.handleGoApp},
		{"GET /app-worker.js", s.pages.handleGoApp},
		{"GET /embed", s.handle(s.handleEmbed)},
		{"GET /newsroom", s.handle(s.handleNewsroom)},
		{"GET /articles/{id}", s.handle(s.handleArticlePage)},
		{"GET /feed.xml", s.handle(s.handleFeedRSS)},
		{"GET /feed.json", s.handle(s.handleFeedJSON)},
		{"GET /sitemap.xml", s.handle(s.handleSitemap)},
		// the API
		{"GET /api/articles", s.handle(s.handleListArticles)},
		{"POST /api/articles", publish(s.handleCreateArticle)},
		{"GET /api/articles/{id}", s.handle(s.handleGetArticle)},
		{"PUT /api/articles/{id}", publish(s.handleUpdateArticle)},
		{"DELETE /api/articles/{id}", publish(s.handleDeleteArticle)},
		{"GET /api/events", events},
		{"POST /api/session", publish(s.handleSignIn)},
		{"DELETE /api/session", publish(s.handleSignOut)},
		{"POST /api/tokens", publish(s.handleCreateToken)},
		{"GET /api/tokens", publish(s.handleListTokens)},
		{"DELETE /api/tokens/{id}", publish(s.handleDeleteToken)},
		{"GET /api/audit", publish(s.handleAudit)},
		{"GET /api/newsroom", publish(s.handleNewsroomListing)},
		{"POST /api/users", publish(s.handleCreateUser)},
		{"GET /api/users", publish(s.handleListUsers)},
		{"DELETE /api/users/{name}", publish(s.handleDisableUser)},
		{"POST /api/partners", publish(s.handleCreatePartner)},
		{"GET /api/partners", publish(s.handleListPartners)},
		{"DELETE /api/partners/{name}", publish(s.handleRevokePartner)},
		{"POST /api/beacon", s.handle(s.handleBeacon)},
		{"GET /api/stats", publish(s.handleStats)},
		{"GET /api/live", publish(s.handleGetLive)},
		{"PUT /api/live", publish(s.handlePutLive)},
		{"OPTIONS /api/articles", s.handlePreflight},
		{"OPTIONS /api/articles/{id}", s.handlePreflight},
		{"OPTIONS /api/events", s.handlePreflight},
		{"/api/articles", s.handleMethodNotAllowed("GET, POST, OPTIONS")},
		{"/api/articles/{id}", s.handleMethodNotAllowed("GET, PUT, DELETE, OPTIONS")},
		{"/api/events", s.handleMethodNotAllowed("GET, HEAD, OPTIONS")},
		{"/api/session", s.handleMethodNotAllowed("POST, DELETE")},
		{"/api/tokens", s.handleMethodNotAllowed("GET, HEAD, POST")},
		{"/api/tokens/{id}", s.handleMethodNotAllowed("DELETE")},
		{"/api/audit", s.handleMethodNotAllowed("GET, HEAD")},
		{"/api/newsroom", s.handleMethodNotAllowed("GET, HEAD")},
		{"/api/users", s.handleMethodNotAllowed("GET, HEAD, POST")},
		{"/api/users/{name}", s.handleMethodNotAllowed("DELETE")},
		{"/api/partners", s.handleMethodNotAllowed("GET, HEAD, POST")},
		{"/api/partners/{name}", s.handleMethodNotAllowed("DELETE")},
		{"/api/beacon", s.handleMethodNotAllowed("POST")},
		{"/api/stats", s.handleMethodNotAllowed("GET, HEAD")},
		{"/api/live", s.handleMethodNotAllowed("GET, HEAD, PUT")},
		{"/api/", s.handle(s.handleNotFound)},
		// operations
		{"GET /healthz", s.handleHealth},
		{"GET /metrics", s.metrics.handler().ServeHTTP},
		{"/", s.handle(s.handleNotFound)},
	}
	m := http.NewServeMux()
	for _, r := range table {
		m.HandleFunc(r.pattern, r.handler)
	}
	s.mux = m
}

// ServeHTTP serves a request, recovering a panicking handler into a 500; a
// handler that panics after starting its response has the connection
// aborted instead, so the client sees a broken response, not a short one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		abort := false
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if !rec.wrote {
				s.writeError(rec, r, news.Errorf(news.EInternal, "internal error"))
			} else {
				rec.status, abort = http.StatusInternalServerError, true
			}
		}
		// the mux set the matched pattern on r: no second routing
		s.metrics.observe(r.Pattern, rec.status)
		if abort {
			panic(http.ErrAbortHandler)
		}
	}()
	if headerBytes(r) > MaxRequestHeaderBytes {
		s.writeError(rec, r, errHeaderTooLarge)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// statusRecorder remembers the status a handler wrote, for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// handleNotFound answers any unknown route.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	s.writeError(w, r, news404(r.URL.Path))
	return nil
}

// handleMethodNotAllowed answers a known route asked with a wrong method.
func (s *Server) handleMethodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.writeError(w, r, news.Errorf(EMethod, "%s is not allowed here; use %s", r.Method, allow))
	}
}

// OPTIONS /api/…
func (s *Server) handlePreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	apiHeaders(h)
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID, If-None-Match")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// GET /healthz
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]any{"status": "ok", "seq": s.catalog.currentSeq()}
	status := http.StatusOK
	// Refused writes and damaged events degrade the node but leave it 200:
	// it still serves readers, and a load balancer must keep sending them
	// (with a shared store, every node refuses writes at once). 503 is for a
	// node that cannot read.
	readOnly := ""
	if ro, ok := s.store.(interface{ ReadOnly() string }); ok {
		readOnly = ro.ReadOnly()
	}
	if degraded, writes, events := s.storeHealth.report(readOnly); degraded {
		body["status"] = "degraded"
		if writes != nil {
			body["writes"] = writes
		}
		if events != nil {
			body["events"] = events
		}
	}
	if _, err := s.store.LastSeq(ctx); err != nil {
		body["status"], body["store"] = "degraded", clientMessage(err)
		status = http.StatusServiceUnavailable
	}
	if s.health != nil {
		body["feeds"] = s.health()
	}
	live := s.liveReport()
	delete(live, "setting") // who set it is the newsroom's business
	body["live"] = live
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, status, body)
}
