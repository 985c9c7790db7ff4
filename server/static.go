package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"newswidget/web"
	"newswidget/widget/loader"
)

// staticSet is every static response and the names pages refer to them by.
type staticSet struct {
	byPath  map[string]*asset
	css     string // hashed path of the widget styles
	iconSVG string
	iconPNG string
	wasm    string // hashed path of app.wasm, empty when it was not built
	version string // identifies this build of the front end

	// styleLinks matches the stylesheet links (and their preloads) go-app
	// puts in a page's head; inlineStyle is their CSS, which replaces them.
	styleLinks  *regexp.Regexp
	inlineStyle []byte
	// scripts replaces, in pages, the script references go-app fixes
	// (src="/app.js") with content-hashed, immutable copies.
	scripts *strings.Replacer
}

// addHashedCopy serves a fixed-name asset under a content-hashed name in
// /web/ too, cached for a year, and returns that name.
func (s *staticSet) addHashedCopy(a *asset) string {
	c := *a
	c.cache = cacheImmutable
	c.path = hashedName("/web"+a.path, a.body)
	s.add(&c)
	return c.path
}

func (s *staticSet) add(a *asset) { s.byPath[a.path] = a }

// loadStatic builds every static asset once.
func loadStatic(log *slog.Logger) (*staticSet, error) {
	s := &staticSet{byPath: map[string]*asset{}}
	must := func(name string) []byte {
		b, _ := readFS(web.FS, name)
		return b
	}
	type file struct {
		src, path, ctype string
		hashed           bool
		dst              *string
	}
	for _, f := range []file{
		{"widget.css", "/web/widget.css", "text/css; charset=utf-8", true, &s.css},
		{"icon.svg", "/web/icon.svg", "image/svg+xml", true, &s.iconSVG},
		{"icon.png", "/web/icon.png", "image/png", true, &s.iconPNG},
	} {
		a, err := newAsset(f.path, f.ctype, cacheImmutable, must(f.src))
		if err != nil {
			return nil, err
		}
		a.path = hashedName(f.path, a.body)
		*f.dst = a.path
		s.add(a)
	}

	loaderAsset, err := newAsset("/widget.js", "application/javascript; charset=utf-8", cacheLoader, loader.Source)
	if err != nil {
		return nil, err
	}
	s.add(loaderAsset)

	appCSS, _ := newAsset("/app.css", "text/css; charset=utf-8", cacheRevalidate, []byte("#app-wasm-loader{display:none!important}"))
	s.add(appCSS)
	// Pages carry their styles inline: two render-blocking requests fewer
	// before the first paint, and /app.css (a name go-app fixes, so never
	// immutable) is not revalidated on every visit. 1.4 KB compressed.
	css := s.byPath[s.css].body
	if !bytes.Contains(css, appCSS.body) {
		return nil, fmt.Errorf("widget.css must hide go-app's loader as /app.css does (%s)", appCSS.body)
	}
	if bytes.Contains(bytes.ToLower(css), []byte("</style")) {
		return nil, fmt.Errorf("widget.css must not contain </style")
	}
	s.inlineStyle = slices.Concat([]byte("<style>"), css, []byte("</style>"))
	s.styleLinks = regexp.MustCompile(`<link\b[^>]*\bhref="(?:` + regexp.QuoteMeta(appCSS.path) + "|" + regexp.QuoteMeta(s.css) + `)"[^>]*>\n?`)

	if raw, ok := readFS(web.FS, "dist/app.wasm"); ok {
		a := &asset{contentType: "application/wasm", cache: cacheImmutable, body: raw}
		a.br, _ = readFS(web.FS, "dist/app.wasm.br")
		a.gz, _ = readFS(web.FS, "dist/app.wasm.gz")
		// Hash the brotli file, a fifth of the raw one and made from it, so
		// start-up hashes 1.5 MB once instead of 7.5 MB twice.
		id := raw
		if a.br != nil {
			id = a.br
		}
		a.etag = etagOf(id)
		a.path = hashedName("/web/app.wasm", id)
		s.wasm = a.path
		s.add(a)
	} else {
		log.Warn("web/dist/app.wasm is missing: widgets show the prerendered news without live updates; run `make wasm`")
	}
	execJS, ok := readFS(web.FS, "dist/wasm_exec.js")
	if !ok && s.wasm != "" {
		return nil, fmt.Errorf("web/dist/wasm_exec.js is missing beside app.wasm; run `make wasm`")
	}
	var scripts []string
	if ok {
		a, err := newAsset("/wasm_exec.js", "application/javascript; charset=utf-8", cacheRevalidate, execJS)
		if err != nil {
			return nil, err
		}
		s.add(a)
		scripts = append(scripts, `src="/wasm_exec.js"`, `src="`+s.addHashedCopy(a)+`"`)
	}

	s.version = strings.Trim(etagOf([]byte(s.wasm+s.css+loaderAsset.etag)), `"`)
	env, _ := json.Marshal(map[string]string{
		"GOAPP_VERSION":              s.version,
		"GOAPP_STATIC_RESOURCES_URL": "",
		"GOAPP_ROOT_PREFIX":          "",
		"GOAPP_INTERNAL_URLS":        "[]",
		"GOAPP_WASM":                 s.wasm,
	})
	boot := bytes.Replace(must("boot.js"), []byte("GOAPP_ENV"), env, 1)
	if s.wasm == "" { // nothing to boot: keep the page static
		boot = []byte(`var l=document.getElementById("app-wasm-loader");l&&l.remove();`)
	}
	bootAsset, err := newAsset("/app.js", "application/javascript; charset=utf-8", cacheRevalidate, boot)
	if err != nil {
		return nil, err
	}
	s.add(bootAsset)
	// Pages name the hashed copies, so a returning reader's browser starts
	// the wasm without revalidating either script first.
	scripts = append(scripts, `src="/app.js"`, `src="`+s.addHashedCopy(bootAsset)+`"`)
	s.scripts = strings.NewReplacer(scripts...)

	demoJS, err := newAsset("/web/demo.js", "application/javascript; charset=utf-8", cacheImmutable, must("demo.js"))
	if err != nil {
		return nil, err
	}
	demoJS.path = hashedName(demoJS.path, demoJS.body)
	s.add(demoJS)
	demoHTML := bytes.ReplaceAll(must("demo.html"), []byte("/web/demo.js"), []byte(demoJS.path))
	demoHTML = bytes.ReplaceAll(demoHTML, []byte("/web/icon.svg"), []byte(s.iconSVG))
	demo, err := newAsset("/", "text/html; charset=utf-8", cacheRevalidate, demoHTML)
	if err != nil {
		return nil, err
	}
	s.add(demo)
	return s, nil
}

// finishPage puts a page rendered by go-app in its final form: the
// stylesheet links replaced with the styles themselves, where the first
// link was, the scripts named by their hashed copies, and no manifest link
// (a frame is never installed as an app, and a CSP manifest-src for it is
// a directive WebKit does not know and logs in every frame).
func (s *staticSet) finishPage(page []byte) []byte {
	page = manifestLink.ReplaceAll(page, nil)
	return s.inlineStyles([]byte(s.scripts.Replace(string(page))))
}

// manifestLink matches the web app manifest link go-app puts in a page.
var manifestLink = regexp.MustCompile(`<link\b[^>]*\brel="manifest"[^>]*>\n?`)

func (s *staticSet) inlineStyles(page []byte) []byte {
	links := s.styleLinks.FindAllIndex(page, -1)
	if len(links) == 0 {
		return page
	}
	out := make([]byte, 0, len(page)+len(s.inlineStyle))
	out = append(out, page[:links[0][0]]...)
	out = append(out, s.inlineStyle...)
	out = append(out, '\n')
	last := links[0][1]
	for _, l := range links[1:] {
		out = append(out, page[last:l[0]]...)
		last = l[1]
	}
	return append(out, page[last:]...)
}

// handleStatic serves a static asset by its path.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := s.static.byPath[r.URL.Path]
	if !ok {
		s.writeError(w, r, news404(r.URL.Path))
		return
	}
	if strings.HasPrefix(r.URL.Path, "/widget.js") || strings.HasPrefix(r.URL.Path, "/web/") {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	if r.URL.Path == "/" { // the configurator: no other site may frame it (clickjacking)
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
	}
	a.ServeHTTP(w, r)
}
