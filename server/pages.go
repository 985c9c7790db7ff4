package server

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
	"newswidget/app/ui"
	"newswidget/server/assets"
)

// pages renders the go-app pages (/embed and /articles/{id}) through
// go-app's Handler, prerendered with the real articles, and caches each
// rendering until the news change or its relative times age.
type pages struct {
	s *Server
	h *app.Handler

	mu       sync.Mutex
	cache    map[string]*rendered
	inflight map[string]*flight // renders under way, which later askers wait for
	max      int                // pages cached at most (maxPageCache)
	// renders bounds the prerenders running at once: a client that asks
	// for many distinct pages waits for a slot instead of taking every
	// core from the readers served from the cache.
	renders chan struct{}
}

// flight is one render under way; done closes when page is set.
type flight struct {
	done chan struct{}
	page *rendered
}

// rendered is one prerendered page, compressed once when it is rendered.
type rendered struct {
	assets.Entity
	status int
	at     time.Time
	used   atomic.Int64 // unix nanoseconds of the last request served it
}

const (
	pageTTL      = 30 * time.Second // relative times ("2 minutes ago") stay right
	maxPageCache = 512
)

// resources tells go-app where the assets are; the server serves them
// itself, so go-app never reads the disk.
type resources struct{ wasm string }

func (resources) Package() string   { return "" }
func (resources) Static() string    { return "" }
func (r resources) AppWASM() string { return r.wasm }

var registerOnce sync.Once

func newPages(s *Server) *pages {
	// go-app's routes are global: the first server's catalog serves them.
	// Tests that start several servers share one process but not one
	// store, so the source looks the server up per render.
	registerOnce.Do(func() { ui.Register(&serverSource{}) })
	current.Store(s)
	st := s.static
	return &pages{
		s:        s,
		cache:    map[string]*rendered{},
		inflight: map[string]*flight{},
		max:      maxPageCache,
		renders:  make(chan struct{}, runtime.GOMAXPROCS(0)),
		h: &app.Handler{
			Name:         "newswidget",
			ShortName:    "newswidget",
			Title:        "Flash News",
			Description:  "Flash News ticker and the latest news.",
			Lang:         "en",
			Icon:         app.Icon{Default: st.IconPNG, Large: st.IconPNG, SVG: st.IconSVG, AppleTouch: st.IconPNG},
			Styles:       []string{st.CSS},
			Version:      st.Version,
			Resources:    resources{wasm: st.WASM},
			LoadingLabel: " ",
			ThemeColor:   "#b00020",
			// go-app's own viewport meta forbids zooming; the last one wins
			RawHeaders: rawHeaders,
		},
	}
}

// rawHeaders are the page's extra head elements: go-app's own viewport meta
// forbids zooming (the last one wins). The wasm is not preloaded: the Go
// program wakes when news or the reader needs it (web/boot.js), and many
// visits end before; WebKit would download a preloaded wasm twice anyway.
var rawHeaders = []string{
	`<meta name="color-scheme" content="light dark">`,
	`<meta name="viewport" content="width=device-width, initial-scale=1">`,
}

// invalidate drops every cached rendering: the news changed.
func (p *pages) invalidate() {
	p.mu.Lock()
	clear(p.cache)
	p.mu.Unlock()
}

// handleGoApp lets go-app serve its own small resources (the manifest).
func (p *pages) handleGoApp(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.Header.Del("If-None-Match")
	p.h.ServeHTTP(w, r2)
}

// renderKey is what a page's rendering depends on: the path and the
// validated configuration, less the per-instance fields (the frame's id and
// its parent's origin), which only the browser reads from its own address.
// Anything else in a request -- unknown parameters, the host, the headers --
// can neither vary the cache nor reach the page.
func renderKey(path string, cfg news.Config) (key string, query url.Values) {
	cfg.ID, cfg.Parent = "", ""
	query = cfg.Query()
	return path + "?" + query.Encode(), query
}

// renderWait bounds how long a request waits for a render slot: past it
// the server is busy rendering pages nobody else asked for, and the request
// gets 503 with Retry-After instead of joining an ever longer queue.
const renderWait = 2 * time.Second

// errRenderBusy answers a request that found no render slot in time.
var errRenderBusy = &retryError{news.Errorf(EBusy, "the server is busy rendering pages; retry in a few seconds"), 3}

// render prerenders path with cfg through go-app, or returns the cached
// page. Concurrent askers of one page share its render; a render waits for
// one of the slots only while its requester is there, and at most
// renderWait.
func (p *pages) render(ctx context.Context, path string, cfg news.Config, status int) (*rendered, error) {
	key, query := renderKey(path, cfg)
	key = strconv.Itoa(status) + " " + key
	p.mu.Lock()
	if c, ok := p.cache[key]; ok && time.Since(c.at) < pageTTL {
		p.mu.Unlock()
		c.used.Store(time.Now().UnixNano())
		return c, nil
	}
	if f, ok := p.inflight[key]; ok {
		p.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, errRenderBusy // the requester left: nobody reads this
		}
		if f.page != nil {
			return f.page, nil
		}
		return nil, errRenderBusy // its render found no slot: neither would ours
	}
	f := &flight{done: make(chan struct{})}
	p.inflight[key] = f
	p.mu.Unlock()
	// Deferred, so a render that panics or finds no slot frees its waiters.
	defer func() {
		p.mu.Lock()
		delete(p.inflight, key)
		p.mu.Unlock()
		close(f.done)
	}()

	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	seq := p.s.catalog.currentSeq() // a write during the render must not leave it cached
	c := func() *rendered {
		defer release()
		return p.renderNow(path, query, status)
	}()
	p.s.metrics.renders.Inc()
	c.used.Store(time.Now().UnixNano())

	p.mu.Lock()
	if len(p.cache) >= p.max {
		p.evictOne()
	}
	if p.s.catalog.currentSeq() == seq {
		p.cache[key] = c
	}
	p.mu.Unlock()
	f.page = c
	return c, nil
}

// acquire takes one of the slots that bound the server's costly builds (page
// renders, feeds, the sitemap), waiting while the requester is there and at
// most renderWait.
func (p *pages) acquire(ctx context.Context) (release func(), err error) {
	wait := time.NewTimer(renderWait)
	defer wait.Stop()
	select {
	case p.renders <- struct{}{}:
		return func() { <-p.renders }, nil
	case <-wait.C:
		return nil, errRenderBusy
	case <-ctx.Done():
		return nil, errRenderBusy // the requester left: nobody reads this
	}
}

// evictOne drops the least recently used of a few cached pages taken at
// random (the map's order), as an approximation of LRU: pages a flood asked
// for once go before those readers keep asking for. The caller holds p.mu.
func (p *pages) evictOne() {
	var oldest string
	var oldestUse int64
	n := 0
	for k, c := range p.cache {
		if u := c.used.Load(); n == 0 || u < oldestUse {
			oldest, oldestUse = k, u
		}
		if n++; n == 8 {
			break
		}
	}
	delete(p.cache, oldest)
}

// renderNow runs go-app's Handler on a request made here, never the
// reader's: go-app writes the request's host into the page (og:url), so the
// page is rendered for the configured public URL whatever Host or request
// target a client sent. The widget's page carries its boot script and its
// beacon (impressions and clicks, web/beacon.js) inline (FinishEmbed).
func (p *pages) renderNow(path string, query url.Values, status int) *rendered {
	pub := p.s.publicURL
	r := (&http.Request{
		Method: http.MethodGet, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		URL:    &url.URL{Path: path, RawQuery: query.Encode()},
		Host:   pub.Host,
		Header: http.Header{}, // go-app's 304 on its Version ETag would serve stale news
	}).WithContext(context.Background())
	rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
	p.h.ServeHTTP(rec, r)
	body := rec.buf.Bytes()
	// go-app writes the URL as http://host/path; the public one may be
	// https or live under a path prefix.
	if base := p.s.absURL(""); base != "http://"+pub.Host {
		body = bytes.ReplaceAll(body, []byte(`"http://`+pub.Host+`/`), []byte(`"`+base+`/`))
	}
	if path == ui.EmbedPath {
		body = p.s.static.FinishEmbed(body)
	} else {
		body = p.s.static.FinishPage(body)
	}
	body = p.s.articleHead(path, status, body) // canonical, feeds, JSON-LD: article pages only
	c := &rendered{Entity: assets.Entity{Body: body, ETag: assets.ETagOf(body)}, status: status, at: time.Now()}
	if rec.status != http.StatusOK {
		c.status = rec.status
	}
	c.Br, c.Gz = assets.CompressFast(body)
	return c
}

// bufferWriter captures a response in memory.
type bufferWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }

// writePage sends a rendered page with the frame's security headers; csp
// is its Content-Security-Policy (pageCSP).
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, c *rendered, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
	h.Set("Content-Security-Policy", csp)
	assets.Write(w, r, &c.Entity, c.status)
}

// pageCSP allows only the widget's own scripts (from its origin, and the
// widget page's two inline ones by their hashes), styles, wasm and API, and
// lets only the configured origins frame it -- those of the widget's
// partner when it has one, else -origins -- and the site itself, whose
// configurator shows the widget. It names no manifest: pages link none.
func (s *Server) pageCSP(partner *news.Partner) string {
	ancestors := "*"
	if partner != nil {
		ancestors = "'self' " + strings.Join(partner.Origins, " ")
	} else if len(s.origins) > 0 {
		ancestors = "'self' " + strings.Join(s.origins, " ")
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' " + s.static.ScriptHashes() + "; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' https: http:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
		"frame-ancestors " + ancestors
}

// allowedParent reports whether a page on origin may embed the widget.
func (s *Server) allowedParent(origin string) bool {
	return len(s.origins) == 0 || origin == s.publicOrigin() || slices.Contains(s.origins, origin)
}

// isSelf reports whether origin is this site's: the public URL's, or the
// host the request came to (frame-ancestors 'self' allows both).
func (s *Server) isSelf(origin string, r *http.Request) bool {
	if origin == s.publicOrigin() {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// GET /embed?layout=&limit=&…
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) error {
	cfg, _ := news.ParseConfig(r.URL.Query())
	key := news.PartnerKeyOf(r.URL.Query()) // the beacon script reads it from the frame's address
	embedder := cfg.Parent
	if ref, err := url.Parse(r.Referer()); embedder == "" && err == nil && ref.Host != "" {
		embedder = ref.Scheme + "://" + ref.Host
	}
	var partner *news.Partner
	if key != "" {
		// A widget bound to a partner: framed only by the partner's
		// origins (frame-ancestors, which the browser enforces whatever
		// the query claims); one that cannot be shown says why to the
		// loader, which warns on the publisher's console.
		p, err := s.partners.lookup(r.Context(), key)
		switch {
		case news.ErrorCode(err) == news.ENotFound:
			s.writePartnerRefusal(w, fmt.Sprintf("the partner key %q is unknown", key))
			return nil
		case err != nil:
			return err
		case p.Revoked:
			s.writePartnerRefusal(w, fmt.Sprintf("the partner key %q was revoked", key))
			return nil
		case embedder != "" && !s.isSelf(embedder, r) && !p.Allows(embedder):
			s.writePartnerRefusal(w, fmt.Sprintf("the partner key %q does not allow %s to embed the widget", key, embedder))
			return nil
		}
		partner = &p
	} else if len(s.origins) > 0 && embedder != "" && !s.allowedParent(embedder) {
		s.writeRefusal(w, embedder)
		return nil
	}
	page, err := s.pages.render(r.Context(), ui.EmbedPath, cfg, http.StatusOK)
	if err != nil {
		return err
	}
	s.writePage(w, r, page, s.pageCSP(partner))
	return nil
}

// writeRefusal answers an embedding site that -origins does not list.
func (s *Server) writeRefusal(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", s.pageCSP(nil))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte("<!DOCTYPE html><title>newswidget</title><p>This site is not allowed to embed this news widget.</p>\n"))
}

// writePartnerRefusal answers a widget whose partner key cannot show it.
// Any page may frame the answer, which holds nothing but the reason: its
// beacon script posts the reason to the loader (an "error" message marked
// fatal), which warns on the publisher's console and removes the frame.
func (s *Server) writePartnerRefusal(w http.ResponseWriter, reason string) {
	reason = html.EscapeString(reason + ": no widget is shown")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "<!DOCTYPE html><title>newswidget</title><p data-refused=\"%s\">%s.</p><script src=\"%s\"></script>\n", reason, reason, s.static.Beacon)
}

// missingArticle is the id the not-found page is rendered for: longer than
// any valid id, so no article has it, yet it matches the page's route.
var missingArticle = strings.Repeat("0", news.MaxIDLen+1)

// GET /articles/{id}
func (s *Server) handleArticlePage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	status := http.StatusOK
	a, err := s.store.Article(r.Context(), id)
	if err == nil && a.Expired(time.Now()) {
		err = expiredError(id) // out of every public surface (expiry.go)
	}
	if !news.ValidID(id) || err != nil {
		if news.ErrorCode(err) != news.ENotFound && err != nil {
			return err
		}
		// Every missing article shares one page: an id that names nothing
		// must not cost a render of its own. Its path is one no article can
		// have (longer than an id may be), so the page is never an article's.
		status, id = http.StatusNotFound, missingArticle
	}
	cfg, _ := news.ParseConfig(r.URL.Query())
	page, err := s.pages.render(r.Context(), ui.ArticlePathRoot+id, cfg, status)
	if err != nil {
		return err
	}
	s.writePage(w, r, page, s.pageCSP(nil))
	return nil
}
