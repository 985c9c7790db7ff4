package assets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"newswidget/app/chart"
	"newswidget/web"
)

// Newsroom names the console's assets (GET /newsroom), each served under a
// content-hashed, immutable path: its styles (with app/chart's), its boot script and its own
// wasm (web/dist/newsroom.wasm), which the widget's bundle does not carry.
type Newsroom struct {
	CSS     string // hashed path of web/newsroom.css
	Boot    string // hashed path of web/newsroom.js, its environment filled in
	WASM    string // hashed path of newsroom.wasm, empty when it was not built
	Version string // identifies this build of the console
}

// loadNewsroom builds the console's assets; execPath is the hashed path of
// the toolchain's wasm_exec.js ("" when the wasm was not built).
func (s *Set) loadNewsroom(log *slog.Logger, execPath string) error {
	css, ok := readFS(web.FS, "newsroom.css")
	if !ok {
		return fmt.Errorf("web/newsroom.css is missing")
	}
	// The statistics' charts carry their styles in Go (app/chart): one
	// stylesheet holds both, so the console loads one file.
	css = append(append(css, '\n'), chart.CSS...)
	a, err := NewAsset("/web/newsroom.css", "text/css; charset=utf-8", CacheImmutable, css)
	if err != nil {
		return err
	}
	a.Path = hashedName(a.Path, a.Body)
	s.Newsroom.CSS = a.Path
	s.add(a)

	if fi, err := fs.Stat(web.FS, "dist/newsroom.wasm"); err == nil {
		w := &Asset{ContentType: "application/wasm", Cache: CacheImmutable, rawSize: int(fi.Size())}
		w.Br, _ = readFS(web.FS, "dist/newsroom.wasm.br")
		w.Gz, _ = readFS(web.FS, "dist/newsroom.wasm.gz")
		id := w.Br
		if id == nil {
			w.Body, _ = readFS(web.FS, "dist/newsroom.wasm")
			id = w.Body
		} else {
			w.lazy = &lazyRead{read: func() []byte { b, _ := readFS(web.FS, "dist/newsroom.wasm"); return b }}
		}
		w.ETag = ETagOf(id)
		w.Path = hashedName("/web/newsroom.wasm", id)
		s.Newsroom.WASM = w.Path
		s.add(w)
	} else {
		log.Warn("web/dist/newsroom.wasm is missing: /newsroom shows its sign-in form but cannot sign in; run `make wasm`")
	}
	s.Newsroom.Version = strings.Trim(ETagOf([]byte(s.Newsroom.WASM+s.Newsroom.CSS+s.CSS)), `"`)
	env, _ := json.Marshal(map[string]string{
		"GOAPP_VERSION":              s.Newsroom.Version,
		"GOAPP_STATIC_RESOURCES_URL": "",
		"GOAPP_ROOT_PREFIX":          "",
		"GOAPP_INTERNAL_URLS":        "[]",
		"GOAPP_WASM":                 s.Newsroom.WASM,
		"NW_EXEC":                    execPath,
	})
	src, ok := readFS(web.FS, "newsroom.js")
	if !ok {
		return fmt.Errorf("web/newsroom.js is missing")
	}
	boot, err := NewAsset("/web/newsroom.js", "application/javascript; charset=utf-8", CacheImmutable, bytes.Replace(src, []byte("NEWSROOM_ENV"), env, 1))
	if err != nil {
		return err
	}
	boot.Path = hashedName(boot.Path, boot.Body)
	s.Newsroom.Boot = boot.Path
	s.add(boot)
	return nil
}

// FinishNewsroom puts the console's page, rendered by go-app, in its final
// form: go-app's app.js (which would register a service worker) and its
// wasm_exec.js replaced by the console's boot script, which loads the
// toolchain's glue; no manifest link and no loading overlay.
func (s *Set) FinishNewsroom(page []byte) []byte {
	page = manifestLink.ReplaceAll(page, nil)
	page = execScript.ReplaceAll(page, nil)
	page = loaderOverlay.ReplaceAll(page, nil)
	return bytes.Replace(page, []byte(`src="/app.js"`), []byte(`src="`+s.Newsroom.Boot+`"`), 1)
}
