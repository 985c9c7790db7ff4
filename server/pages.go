package server

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
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
			RawHeaders: rawHeaders(st.WASM),
		},
	}
}

// rawHeaders are the page's extra head elements: go-app's own viewport meta
// forbids zooming (the last one wins), and the wasm is preloaded so its
// download starts with the page instead of after the deferred scripts.
func rawHeaders(wasm string) []string {
	h := []string{
		`<meta name="color-scheme" content="light dark">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
	}
	if wasm != "" {
		h = append(h, `<link rel="preload" href="`+wasm+`" as="fetch" type="application/wasm" crossorigin>`)
	}
	return h
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

// render prerenders path with cfg through go-app, or returns the cached
// page. Concurrent askers of one page share its render.
func (p *pages) render(path string, cfg news.Config, status int) *rendered {
	key, query := renderKey(path, cfg)
	p.mu.Lock()
	if c, ok := p.cache[key]; ok && time.Since(c.at) < pageTTL && c.status == status {
		p.mu.Unlock()
		return c
	}
	if f, ok := p.inflight[key]; ok {
		p.mu.Unlock()
		if <-f.done; f.page != nil {
			return f.page
		}
		return p.render(path, cfg, status) // its render failed: try ours
	}
	f := &flight{done: make(chan struct{})}
	p.inflight[key] = f
	p.mu.Unlock()
	// Deferred, so a render that panics frees its slot and its waiters
	// (who then render for themselves) instead of hanging them.
	defer func() {
		p.mu.Lock()
		delete(p.inflight, key)
		p.mu.Unlock()
		close(f.done)
	}()

	seq := p.s.catalog.currentSeq() // a write during the render must not leave it cached
	c := func() *rendered {
		p.renders <- struct{}{}
		defer func() { <-p.renders }()
		return p.renderNow(path, query, status)
	}()
	p.s.metrics.renders.Inc()

	p.mu.Lock()
	if len(p.cache) >= maxPageCache {
		clear(p.cache)
	}
	if p.s.catalog.currentSeq() == seq {
		p.cache[key] = c
	}
	p.mu.Unlock()
	f.page = c
	return c
}

// renderNow runs go-app's Handler on a request made here, never the
// reader's: go-app writes the request's host into the page (og:url), so the
// page is rendered for the configured public URL whatever Host or request
// target a client sent.
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
	if base := strings.TrimSuffix(pub.String(), "/"); base != "http://"+pub.Host {
		body = bytes.ReplaceAll(body, []byte(`"http://`+pub.Host+`/`), []byte(`"`+base+`/`))
	}
	body = p.s.static.FinishPage(body)
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

// writePage sends a rendered page with the frame's security headers.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, c *rendered) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
	h.Set("Content-Security-Policy", s.pageCSP())
	assets.Write(w, r, &c.Entity, c.status)
}

// pageCSP allows only the widget's own scripts, styles, wasm and API, and
// lets only the configured origins frame it -- and the site itself, whose
// configurator shows the widget. It names no manifest: pages link none.
func (s *Server) pageCSP() string {
	ancestors := "*"
	if len(s.origins) > 0 {
		ancestors = "'self' " + strings.Join(s.origins, " ")
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' https: http:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
		"frame-ancestors " + ancestors
}

// allowedParent reports whether a page on origin may embed the widget.
func (s *Server) allowedParent(origin string) bool {
	return len(s.origins) == 0 || origin == s.publicOrigin() || slices.Contains(s.origins, origin)
}

// GET /embed?layout=&limit=&…
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) error {
	cfg, _ := news.ParseConfig(r.URL.Query())
	if len(s.origins) > 0 {
		embedder := cfg.Parent
		if ref, err := url.Parse(r.Referer()); embedder == "" && err == nil && ref.Host != "" {
			embedder = ref.Scheme + "://" + ref.Host
		}
		if embedder != "" && !s.allowedParent(embedder) {
			s.writeRefusal(w, embedder)
			return nil
		}
	}
	s.writePage(w, r, s.pages.render(ui.EmbedPath, cfg, http.StatusOK))
	return nil
}

// writeRefusal answers an embedding site that -origins does not list.
func (s *Server) writeRefusal(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", s.pageCSP())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte("<!DOCTYPE html><title>newswidget</title><p>This site is not allowed to embed this news widget.</p>\n"))
}

// GET /articles/{id}
func (s *Server) handleArticlePage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	status := http.StatusOK
	if _, err := s.store.Article(r.Context(), id); !news.ValidID(id) || err != nil {
		if news.ErrorCode(err) != news.ENotFound && err != nil {
			return err
		}
		// Every missing article shares one page: an id that names nothing
		// must not cost a render of its own.
		status, id = http.StatusNotFound, "missing"
	}
	cfg, _ := news.ParseConfig(r.URL.Query())
	s.writePage(w, r, s.pages.render(ui.ArticlePathRoot+id, cfg, status))
	return nil
}
