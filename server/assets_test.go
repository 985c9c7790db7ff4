package server_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"newswidget/web"
	"newswidget/widget/loader"
)

// decodeBody undoes a Content-Encoding.
func decodeBody(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "":
		return b
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", enc, err)
	}
	return out
}

func TestLoaderMinified(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/widget.js", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Encoding"); got != "" {
		t.Fatalf("Content-Encoding without Accept-Encoding: got %q, want none", got)
	}
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "application/javascript; charset=utf-8"},
		{"Vary", "Accept-Encoding"},
		{"Access-Control-Allow-Origin", "*"},
		{"Cross-Origin-Resource-Policy", "cross-origin"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := r.Header.Get(h.name); got != h.want {
			t.Errorf("%s: got %q, want %q", h.name, got, h.want)
		}
	}
	if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=") || strings.Contains(got, "immutable") {
		t.Errorf("Cache-Control: got %q, want a short max-age (the loader's name is fixed)", got)
	}
	if got, src := len(r.Body), len(loader.Source); got >= src*9/10 {
		t.Errorf("size: got %d bytes, want well under the source's %d", got, src)
	}
	body := string(r.Body)
	if strings.Contains(body, "/*") || regexp.MustCompile(`(?m)^\s*//`).MatchString(body) {
		t.Errorf("the served loader still has comments: %.200s", body)
	}
	if n := strings.Count(strings.TrimSpace(body), "\n"); n > 2 {
		t.Errorf("the served loader has %d lines, want it minified", n+1)
	}
	// Whatever the source's comments say, its strings survive.
	for _, s := range []string{"newswidget", "data-news-widget"} {
		if bytes.Contains(loader.Source, []byte(s)) && !strings.Contains(body, s) {
			t.Errorf("the served loader lost %q", s)
		}
	}
}

func TestLoaderEncodings(t *testing.T) {
	ts := newTestServer(t)
	identity := ts.get(t, "/widget.js", nil)
	wantStatus(t, identity, http.StatusOK)
	etags := map[string]string{} // by encoding
	for _, tc := range []struct{ name, accept, want string }{
		{"none", "", ""},
		{"br", "br", "br"},
		{"gzip", "gzip", "gzip"},
		{"both, br preferred", "gzip, deflate, br", "br"},
		{"br refused", "br;q=0, gzip", "gzip"},
		{"br refused with spaces", "gzip, br; q=0", "gzip"},
		{"both refused", "br;q=0, gzip;q=0", ""},
		{"upper case", "BR", "br"},
		{"identity", "identity", ""},
		{"deflate only", "deflate", ""},
		{"bad q", "br;q=x, gzip", "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, "/widget.js", hdr{"Accept-Encoding": tc.accept})
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Encoding"); got != tc.want {
				t.Fatalf("Content-Encoding: got %q, want %q", got, tc.want)
			}
			if got := r.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary: got %q, want Accept-Encoding", got)
			}
			if tc.want != "" && len(r.Body) >= len(identity.Body) {
				t.Errorf("%s body: got %d bytes, want fewer than the identity's %d", tc.want, len(r.Body), len(identity.Body))
			}
			if got := decodeBody(t, tc.want, r.Body); !bytes.Equal(got, identity.Body) {
				t.Errorf("decoded body differs from the identity body (%d vs %d bytes)", len(got), len(identity.Body))
			}
			etag := r.Header.Get("ETag")
			if prev, ok := etags[tc.want]; ok && prev != etag {
				t.Errorf("ETag of %q: got %s, and %s before", tc.want, etag, prev)
			}
			etags[tc.want] = etag
		})
	}
	if etags[""] == etags["br"] || etags[""] == etags["gzip"] || etags["br"] == etags["gzip"] {
		t.Errorf("ETags must differ per encoding: %v", etags)
	}

	for _, enc := range []string{"", "br", "gzip"} {
		t.Run("If-None-Match/"+enc, func(t *testing.T) {
			accept := hdr{"Accept-Encoding": enc}
			r := ts.get(t, "/widget.js", hdr{"Accept-Encoding": enc, "If-None-Match": etags[enc]})
			wantStatus(t, r, http.StatusNotModified)
			if len(r.Body) != 0 {
				t.Errorf("304 body: got %d bytes", len(r.Body))
			}
			if got := r.Header.Get("ETag"); got != etags[enc] {
				t.Errorf("304 ETag: got %q, want %q", got, etags[enc])
			}
			for other, etag := range etags {
				if other == enc {
					continue
				}
				// Another encoding's tag names another representation.
				accept["If-None-Match"] = etag
				wantStatus(t, ts.get(t, "/widget.js", accept), http.StatusOK)
			}
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		r := ts.do(t, http.MethodHead, "/widget.js", nil, hdr{"Accept-Encoding": "br"})
		wantStatus(t, r, http.StatusOK)
		if len(r.Body) != 0 || r.Header.Get("Content-Encoding") != "br" {
			t.Errorf("HEAD: got %d bytes, encoding %q", len(r.Body), r.Header.Get("Content-Encoding"))
		}
	})
}

// hashedPath finds a content-hashed /web/ path in a page.
func hashedPath(t *testing.T, page []byte, name, ext string) string {
	t.Helper()
	m := regexp.MustCompile(`/web/` + name + `\.([0-9a-f]{10})\.` + ext).Find(page)
	if m == nil {
		t.Fatalf("no /web/%s.<hash>.%s in %.300s", name, ext, page)
	}
	return string(m)
}

// checkHashed checks that a hashed name matches its identity body.
func checkHashed(t *testing.T, path string, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	if want := hex.EncodeToString(sum[:5]); !strings.Contains(path, "."+want+".") {
		t.Errorf("%s: the content hash is %s", path, want)
	}
}

func TestWidgetCSS(t *testing.T) {
	ts := newTestServer(t)
	page := ts.get(t, "/embed", nil)
	wantStatus(t, page, http.StatusOK)
	// The page carries the styles inline; the same minified CSS is served
	// under its content hash as well.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindSubmatch(page.Body)
	if m == nil {
		t.Fatal("/embed has no inline widget styles")
	}
	sum := sha256.Sum256(m[1])
	path := "/web/widget." + hex.EncodeToString(sum[:5]) + ".css"
	r := ts.get(t, path, nil)
	if !bytes.Equal(r.Body, m[1]) {
		t.Errorf("%s is not the CSS inlined in /embed", path)
	}
	wantStatus(t, r, http.StatusOK)
	if got, want := r.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
		t.Errorf("Cache-Control: got %q, want %q", got, want)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type: got %q, want text/css", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want *", got)
	}
	checkHashed(t, path, r.Body)
	src, err := web.FS.ReadFile("widget.css")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Body) >= len(src) {
		t.Errorf("size: got %d bytes, want under the source's %d (minified)", len(r.Body), len(src))
	}
	if bytes.Contains(r.Body, []byte("/*")) {
		t.Error("the served CSS still has comments")
	}
	br := ts.get(t, path, hdr{"Accept-Encoding": "br"})
	if got := decodeBody(t, br.Header.Get("Content-Encoding"), br.Body); !bytes.Equal(got, r.Body) {
		t.Error("the br CSS does not decode to the identity CSS")
	}
	// The unhashed name is not served: every reference goes through the hash.
	wantError(t, ts.get(t, "/web/widget.css", nil), http.StatusNotFound, "not_found", "")
}

func TestWasm(t *testing.T) {
	raw, err := web.FS.ReadFile("dist/app.wasm")
	if err != nil {
		t.Skip("web/dist/app.wasm is not built (make wasm)")
	}
	ts := newTestServer(t)
	appJS := ts.get(t, "/app.js", nil)
	wantStatus(t, appJS, http.StatusOK)
	if got := appJS.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("/app.js Cache-Control: got %q, want no-cache (its name is fixed)", got)
	}
	path := hashedPath(t, appJS.Body, "app", "wasm")
	for _, tc := range []struct{ name, accept, enc string }{
		{"identity", "", ""},
		{"br", "br, gzip", "br"},
		{"gzip", "gzip", "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, path, hdr{"Accept-Encoding": tc.accept})
			wantStatus(t, r, http.StatusOK)
			if got, want := r.Header.Get("Content-Type"), "application/wasm"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if got, want := r.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("Cache-Control: got %q, want %q", got, want)
			}
			if got := r.Header.Get("Content-Encoding"); got != tc.enc {
				t.Fatalf("Content-Encoding: got %q, want %q", got, tc.enc)
			}
			if tc.enc != "" {
				if len(r.Body) > len(raw)/2 {
					t.Errorf("%s: got %d bytes of %d, want it precompressed", tc.enc, len(r.Body), len(raw))
				}
				if pre, err := web.FS.ReadFile("dist/app.wasm." + map[string]string{"br": "br", "gzip": "gz"}[tc.enc]); err == nil && !bytes.Equal(pre, r.Body) {
					t.Errorf("%s: the body is not the precompressed file", tc.enc)
				}
			}
			if got := decodeBody(t, tc.enc, r.Body); !bytes.Equal(got, raw) {
				t.Errorf("the decoded wasm differs from web/dist/app.wasm (%d vs %d bytes)", len(got), len(raw))
			}
			etag := r.Header.Get("ETag")
			wantStatus(t, ts.get(t, path, hdr{"Accept-Encoding": tc.accept, "If-None-Match": etag}), http.StatusNotModified)
		})
	}
	// The name hashes the brotli file, which is made from the raw one (and
	// a fifth of its size to hash at start-up).
	br, err := web.FS.ReadFile("dist/app.wasm.br")
	if err != nil {
		br = raw
	}
	checkHashed(t, path, br)
}

func TestWasmExecJS(t *testing.T) {
	if _, err := web.FS.ReadFile("dist/wasm_exec.js"); err != nil {
		t.Skip("web/dist/wasm_exec.js is not built (make wasm)")
	}
	ts := newTestServer(t)
	r := ts.get(t, "/wasm_exec.js", nil)
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/javascript") {
		t.Errorf("Content-Type: got %q, want application/javascript", got)
	}
	body := string(r.Body)
	// Present in Go 1.26's lib/wasm/wasm_exec.js, absent from the older copy
	// that go-app v9.8.0 embeds.
	for _, marker := range []string{"_gotest", "testExport0", "O_DIRECTORY"} {
		if !strings.Contains(body, marker) {
			t.Errorf("/wasm_exec.js lacks %q: it is not the toolchain's copy", marker)
		}
	}
	if bytes.Contains(r.Body, []byte("Copyright 2018 The Go Authors")) {
		t.Error("/wasm_exec.js is not minified")
	}
	br := ts.get(t, "/wasm_exec.js", hdr{"Accept-Encoding": "br"})
	if got := decodeBody(t, br.Header.Get("Content-Encoding"), br.Body); !bytes.Equal(got, r.Body) {
		t.Error("the br /wasm_exec.js does not decode to the identity one")
	}

	// Every import the toolchain's runtime expects is there.
	goroot := ""
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(out))
	}
	tool, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if goroot == "" || err != nil {
		t.Skipf("the toolchain's wasm_exec.js is not readable: %v", err)
	}
	imports := regexp.MustCompile(`"((?:runtime|syscall/js)\.[A-Za-z0-9_]+)"`).FindAllSubmatch(tool, -1)
	if len(imports) < 20 {
		t.Fatalf("found %d imports in the toolchain's wasm_exec.js, want its whole import object", len(imports))
	}
	for _, m := range imports {
		if !strings.Contains(body, string(m[1])) {
			t.Errorf("/wasm_exec.js lacks the import %s", m[1])
		}
	}
}

func TestAppCSSAndBoot(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ path, ctype string }{
		{"/app.css", "text/css; charset=utf-8"},
		{"/app.js", "application/javascript; charset=utf-8"},
		{"/", "text/html; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := ts.get(t, tc.path, nil)
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type: got %q, want %q", got, tc.ctype)
			}
			if len(r.Body) == 0 {
				t.Error("empty body")
			}
			etag := r.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			wantStatus(t, ts.get(t, tc.path, hdr{"If-None-Match": etag}), http.StatusNotModified)
		})
	}
	if got := string(ts.get(t, "/app.css", nil).Body); !strings.Contains(got, "#app-wasm-loader") {
		t.Errorf("/app.css: got %q, want it to hide go-app's loader", got)
	}
}
