package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/html"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/minify/v2/svg"
)

// Cache policies.
const (
	cacheImmutable  = "public, max-age=31536000, immutable" // content-hashed names
	cacheRevalidate = "no-cache"                            // fixed names: revalidate, cheap with the ETag
	cacheLoader     = "public, max-age=300, stale-while-revalidate=86400"
)

// asset is one static response, minified and compressed once at start-up
// (or, for the wasm, at build time), never per request.
type asset struct {
	path        string
	contentType string
	cache       string
	etag        string // strong, of the identity body; encodings add a suffix
	body        []byte
	br, gz      []byte
}

// newAsset builds an asset from raw bytes, minifying by media type and
// compressing text that is worth it.
func newAsset(path, contentType, cache string, raw []byte) (*asset, error) {
	body, err := minifyBytes(contentType, raw)
	if err != nil {
		return nil, fmt.Errorf("minify %s: %w", path, err)
	}
	a := &asset{path: path, contentType: contentType, cache: cache, body: body, etag: etagOf(body)}
	if len(body) > 256 {
		// Brotli 11 costs Go about 25 ms per small file at start-up; only
		// the loader, a guest on every publisher's page, is worth it. The
		// rest are a frame's own assets, cached, at quality 9.
		q := 9
		if path == "/widget.js" {
			q = brotli.BestCompression
		}
		a.br, a.gz = compressBrotli(body, q), compressGzip(body)
	}
	return a, nil
}

var minifier = func() *minify.M {
	m := minify.New()
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("text/html", html.Minify)
	m.AddFunc("image/svg+xml", svg.Minify)
	m.Add("application/javascript", &js.Minifier{KeepVarNames: false})
	return m
}()

func minifyBytes(contentType string, raw []byte) ([]byte, error) {
	mediatype, _, _ := strings.Cut(contentType, ";")
	switch mediatype {
	case "text/css", "text/html", "image/svg+xml", "application/javascript":
		return minifier.Bytes(mediatype, raw)
	}
	return raw, nil
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func compressBrotli(b []byte, quality int) []byte {
	var buf bytes.Buffer
	// Quality 11 with a window fitted to the file: the default 4 MiB window
	// made start-up spend ~150 ms and ~80 MB of garbage on a few small files.
	win := 10
	for win < 24 && 1<<win < len(b) {
		win++
	}
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: quality, LGWin: win})
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// compressFast compresses a prerendered page at levels that take about a
// millisecond: it happens once per render, not per request.
func compressFast(b []byte) (br, gz []byte) {
	var bb, gb bytes.Buffer
	bw := brotli.NewWriterLevel(&bb, 5)
	bw.Write(b)
	bw.Close()
	gw, _ := gzip.NewWriterLevel(&gb, 6)
	gw.Write(b)
	gw.Close()
	return bb.Bytes(), gb.Bytes()
}

func compressGzip(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// hashedName inserts a short content hash before the extension:
// "/web/widget.css" becomes "/web/widget.1a2b3c4d5e.css".
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
}

// acceptsEncoding reports whether an Accept-Encoding header allows enc
// (a q=0 refuses it).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			v, err := strconv.ParseFloat(q, 64)
			return err == nil && v > 0
		}
		return true
	}
	return false
}

// ServeHTTP sends the asset in the best encoding the client accepts, with
// its cache policy, and answers a matching If-None-Match with 304.
func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	body, etag := a.body, a.etag
	if a.br != nil || a.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		ae := r.Header.Get("Accept-Encoding")
		switch {
		case a.br != nil && acceptsEncoding(ae, "br"):
			body, etag = a.br, strings.TrimSuffix(a.etag, `"`)+`-br"`
			h.Set("Content-Encoding", "br")
		case a.gz != nil && acceptsEncoding(ae, "gzip"):
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cache)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch reports whether an If-None-Match header names etag (or is *).
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// readFS reads a file of an embedded tree, reporting whether it exists.
func readFS(fsys fs.FS, name string) ([]byte, bool) {
	b, err := fs.ReadFile(fsys, name)
	return b, err == nil
}
