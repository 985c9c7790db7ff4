package assets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"newswidget/web"
	"newswidget/widget/loader"
)

// Set is every static response and the names pages refer to them by.
type Set struct {
	byPath  map[string]*Asset
	CSS     string // hashed path of the widget styles
	IconSVG string
	IconPNG string
	WASM    string // hashed path of app.wasm, empty when it was not built
	Version string // identifies this build of the front end
	// Newsroom names the editors' console's assets (newsroom.go).
	Newsroom Newsroom
	// Beacon is the hashed path of the frame's beacon script (beacon.go).
	Beacon string

	// styleLinks matches the stylesheet links (and their preloads) go-app
	// puts in a page's head; inlineStyle is their CSS, which replaces them.
	styleLinks  *regexp.Regexp
	inlineStyle []byte
	// scripts replaces, in pages, the script references go-app fixes
	// (src="/app.js") with content-hashed, immutable copies.
	scripts *strings.Replacer
	// embed is what FinishEmbed needs (inline.go).
	embed inlineScripts
}

// addHashedCopy serves a fixed-name asset under a content-hashed name in
// /web/ too, cached for a year, and returns that name.
func (s *Set) addHashedCopy(a *Asset) string {
	c := *a
	c.Cache = CacheImmutable
	c.Path = hashedName("/web"+a.Path, a.Body)
	s.add(&c)
	return c.Path
}

func (s *Set) add(a *Asset) { s.byPath[a.Path] = a }

// Load builds every static asset once. hiddenClose is how long a widget
// in a hidden tab keeps its event stream (web/boot.js).
func Load(log *slog.Logger, hiddenClose time.Duration) (*Set, error) {
	s := &Set{byPath: map[string]*Asset{}}
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
		{"widget.css", "/web/widget.css", "text/css; charset=utf-8", true, &s.CSS},
		{"icon.svg", "/web/icon.svg", "image/svg+xml", true, &s.IconSVG},
		{"icon.png", "/web/icon.png", "image/png", true, &s.IconPNG},
	} {
		a, err := NewAsset(f.path, f.ctype, CacheImmutable, must(f.src))
		if err != nil {
			return nil, err
		}
		a.Path = hashedName(f.path, a.Body)
		*f.dst = a.Path
		s.add(a)
	}

	loaderAsset, err := NewAsset("/widget.js", "application/javascript; charset=utf-8", cacheLoader, loader.Source)
	if err != nil {
		return nil, err
	}
	s.add(loaderAsset)

	appCSS, _ := NewAsset("/app.css", "text/css; charset=utf-8", CacheRevalidate, []byte("#app-wasm-loader{display:none!important}"))
	s.add(appCSS)
	// Pages carry their styles inline: two render-blocking requests fewer
	// before the first paint, and /app.css (a name go-app fixes, so never
	// immutable) is not revalidated on every visit. 1.4 KB compressed.
	css := s.byPath[s.CSS].Body
	if !bytes.Contains(css, appCSS.Body) {
		return nil, fmt.Errorf("widget.css must hide go-app's loader as /app.css does (%s)", appCSS.Body)
	}
	if bytes.Contains(bytes.ToLower(css), []byte("</style")) {
		return nil, fmt.Errorf("widget.css must not contain </style")
	}
	s.inlineStyle = slices.Concat([]byte("<style>"), css, []byte("</style>"))
	s.styleLinks = regexp.MustCompile(`<link\b[^>]*\bhref="(?:` + regexp.QuoteMeta(appCSS.Path) + "|" + regexp.QuoteMeta(s.CSS) + `)"[^>]*>\n?`)

	if fi, err := fs.Stat(web.FS, "dist/app.wasm"); err == nil {
		a := &Asset{ContentType: "application/wasm", Cache: CacheImmutable, rawSize: int(fi.Size())}
		a.Br, _ = readFS(web.FS, "dist/app.wasm.br")
		a.Gz, _ = readFS(web.FS, "dist/app.wasm.gz")
		// The raw wasm (7.5 MB) is read when a client first wants it
		// uncompressed, which hardly any does: copying it out of the binary
		// was half of the server's start. The brotli file, a fifth of it and
		// made from it, names and validates it.
		id := a.Br
		if id == nil {
			a.Body, _ = readFS(web.FS, "dist/app.wasm")
			id = a.Body
		} else {
			a.lazy = &lazyRead{read: func() []byte { b, _ := readFS(web.FS, "dist/app.wasm"); return b }}
		}
		a.ETag = ETagOf(id)
		a.Path = hashedName("/web/app.wasm", id)
		s.WASM = a.Path
		s.add(a)
	} else {
		log.Warn("web/dist/app.wasm is missing: widgets show the prerendered news without live updates; run `make wasm`")
	}
	execJS, ok := readFS(web.FS, "dist/wasm_exec.js")
	if !ok && s.WASM != "" {
		return nil, fmt.Errorf("web/dist/wasm_exec.js is missing beside app.wasm; run `make wasm`")
	}
	// Pages do not load the Go runtime's glue (FinishPage drops it): the
	// boot script does, by its hashed name, when the Go program wakes.
	var scripts []string
	var execPath string
	if ok {
		a, err := NewAsset("/wasm_exec.js", "application/javascript; charset=utf-8", CacheRevalidate, execJS)
		if err != nil {
			return nil, err
		}
		s.add(a)
		execPath = s.addHashedCopy(a)
	}

	s.Version = strings.Trim(ETagOf([]byte(s.WASM+s.CSS+loaderAsset.ETag)), `"`)
	env, _ := json.Marshal(map[string]string{
		"GOAPP_VERSION":              s.Version,
		"GOAPP_STATIC_RESOURCES_URL": "",
		"GOAPP_ROOT_PREFIX":          "",
		"GOAPP_INTERNAL_URLS":        "[]",
		"GOAPP_WASM":                 s.WASM,
		"NW_EXEC":                    execPath,
		"NW_HIDDEN":                  strconv.FormatInt(hiddenClose.Milliseconds(), 10),
	})
	// Without a wasm (GOAPP_WASM empty) the boot script still sizes the
	// frame and runs the pause button; it wakes nothing.
	boot := bytes.Replace(must("boot.js"), []byte("GOAPP_ENV"), env, 1)
	bootAsset, err := NewAsset("/app.js", "application/javascript; charset=utf-8", CacheRevalidate, boot)
	if err != nil {
		return nil, err
	}
	s.add(bootAsset)
	// Pages name the boot script's hashed copy, so a returning reader's
	// browser runs it without revalidating it first.
	bootPath := s.addHashedCopy(bootAsset)
	scripts = append(scripts, `src="/app.js"`, `src="`+bootPath+`"`)
	s.scripts = strings.NewReplacer(scripts...)

	demoJS, err := NewAsset("/web/demo.js", "application/javascript; charset=utf-8", CacheImmutable, must("demo.js"))
	if err != nil {
		return nil, err
	}
	demoJS.Path = hashedName(demoJS.Path, demoJS.Body)
	s.add(demoJS)
	demoHTML := bytes.ReplaceAll(must("demo.html"), []byte("/web/demo.js"), []byte(demoJS.Path))
	demoHTML = bytes.ReplaceAll(demoHTML, []byte("/web/icon.svg"), []byte(s.IconSVG))
	demo, err := NewAsset("/", "text/html; charset=utf-8", CacheRevalidate, demoHTML)
	if err != nil {
		return nil, err
	}
	s.add(demo)
	if err := s.loadNewsroom(log, execPath); err != nil {
		return nil, err
	}
	beacon, err := s.loadBeacon()
	if err != nil {
		return nil, err
	}
	s.embed = newInlineScripts(bootPath, bootAsset.Body, beacon.Body)
	return s, nil
}

// FinishPage puts a page rendered by go-app in its final form: the
// stylesheet links replaced with the styles themselves, where the first
// link was, the boot script named by its hashed copy, no wasm_exec.js (the
// boot script loads it when the Go program wakes), no loading overlay, and
// no manifest link
// (a frame is never installed as an app, and a CSP manifest-src for it is
// a directive WebKit does not know and logs in every frame).
func (s *Set) FinishPage(page []byte) []byte {
	page = manifestLink.ReplaceAll(page, nil)
	page = execScript.ReplaceAll(page, nil)
	page = loaderOverlay.ReplaceAll(page, nil)
	return s.inlineStyles([]byte(s.scripts.Replace(string(page))))
}

// manifestLink matches the web app manifest link go-app puts in a page.
var manifestLink = regexp.MustCompile(`<link\b[^>]*\brel="manifest"[^>]*>\n?`)

// loaderOverlay matches go-app's loading overlay, which would hide the
// prerendered widget and fetch an icon for nothing: the page is the widget.
var loaderOverlay = regexp.MustCompile(`(?s)<aside\b[^>]*\bid="app-wasm-loader"[^>]*>.*?</aside>\n?`)

// execScript matches go-app's script element for the Go runtime's glue,
// which the boot script loads when the Go program wakes.
var execScript = regexp.MustCompile(`<script\b[^>]*\bsrc="/wasm_exec\.js"[^>]*></script>\n?`)

func (s *Set) inlineStyles(page []byte) []byte {
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

// Lookup returns the asset served at path.
func (s *Set) Lookup(path string) (*Asset, bool) {
	a, ok := s.byPath[path]
	return a, ok
}
