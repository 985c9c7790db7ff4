// Package assets holds what the server sends that does not change between
// requests: static files minified and compressed once at start-up (the wasm
// at build time) under content-hashed names, and the one writer of every
// cacheable response -- an Entity in its encodings, with its ETag, answered
// 304 on a matching If-None-Match.
package assets

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
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/html"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/minify/v2/svg"
)

// Cache policies.
const (
	CacheImmutable  = "public, max-age=31536000, immutable" // content-hashed names
	CacheRevalidate = "no-cache"                            // fixed names: revalidate, cheap with the ETag
	cacheLoader     = "public, max-age=300, stale-while-revalidate=86400"
)

// Asset is one static response, minified and compressed once at start-up
// (or, for the wasm, at build time), never per request.
type Asset struct {
	Entity
	Path        string
	ContentType string
	Cache       string

	rawSize int       // the identity body's length, when it is read lazily
	lazy    *lazyRead // reads Body on first use; nil: Body is there
}

// lazyRead reads an asset's identity body once, when first asked for.
type lazyRead struct {
	once sync.Once
	read func() []byte
}

// RawSize is the length of the asset's identity body.
func (a *Asset) RawSize() int {
	if a.lazy != nil {
		return a.rawSize
	}
	return len(a.Body)
}

// NewAsset builds an asset from raw bytes, minifying by media type and
// compressing text that is worth it.
func NewAsset(path, contentType, cache string, raw []byte) (*Asset, error) {
	body, err := minifyBytes(contentType, raw)
	if err != nil {
		return nil, fmt.Errorf("minify %s: %w", path, err)
	}
	a := &Asset{Entity: Entity{Body: body, ETag: ETagOf(body)}, Path: path, ContentType: contentType, Cache: cache}
	if len(body) > 256 {
		// Brotli 11 costs Go about 25 ms per small file at start-up; only
		// the loader, a guest on every publisher's page, is worth it. The
		// rest are a frame's own assets, cached, at quality 9.
		q := 9
		if path == "/widget.js" {
			q = brotli.BestCompression
		}
		a.Br, a.Gz = compressBrotli(body, q), compressGzip(body)
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

// ETagOf is the strong ETag of a body: a hash of its bytes.
func ETagOf(b []byte) string {
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

// CompressFast compresses a prerendered page at levels that take about a
// millisecond: it happens once per render, not per request.
func CompressFast(b []byte) (br, gz []byte) {
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

// AcceptsEncoding reports whether an Accept-Encoding header allows enc
// (a q=0 refuses it).
func AcceptsEncoding(header, enc string) bool {
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

// Entity is a response body in the encodings it is sent in, with the
// strong ETag of its identity bytes (each encoding adds a suffix).
type Entity struct {
	Body, Br, Gz []byte // Br and Gz may be nil: not worth compressing
	ETag         string
}

// Write sends e in the best encoding the client accepts, with its ETag,
// and answers a matching If-None-Match with 304 (only for a 200). The
// caller sets the other headers (type, cache policy) first. It is the one
// conditional-GET writer: static files, prerendered pages and API responses
// all go through it.
func Write(w http.ResponseWriter, r *http.Request, e *Entity, status int) {
	h := w.Header()
	if e.Br != nil || e.Gz != nil {
		h.Set("Vary", "Accept-Encoding")
	}
	body, etag, enc := e.pick(r.Header.Get("Accept-Encoding"))
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	h.Set("ETag", etag)
	if status == http.StatusOK && ETagMatch(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// pick chooses the encoding to send for an Accept-Encoding header: brotli,
// else gzip, else the identity body (enc "").
func (e *Entity) pick(acceptEncoding string) (body []byte, etag, enc string) {
	switch {
	case e.Br != nil && AcceptsEncoding(acceptEncoding, "br"):
		return e.Br, strings.TrimSuffix(e.ETag, `"`) + `-br"`, "br"
	case e.Gz != nil && AcceptsEncoding(acceptEncoding, "gzip"):
		return e.Gz, strings.TrimSuffix(e.ETag, `"`) + `-gz"`, "gzip"
	}
	return e.Body, e.ETag, ""
}

// ServeHTTP sends the asset with its type and cache policy.
func (a *Asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", a.Cache)
	h.Set("X-Content-Type-Options", "nosniff")
	if _, _, enc := a.pick(r.Header.Get("Accept-Encoding")); a.lazy != nil && enc == "" {
		a.lazy.once.Do(func() { a.Body = a.lazy.read() }) // the identity body is wanted
	}
	Write(w, r, &a.Entity, http.StatusOK)
}

// ETagMatch reports whether an If-None-Match header names etag (or is *).
func ETagMatch(header, etag string) bool {
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
