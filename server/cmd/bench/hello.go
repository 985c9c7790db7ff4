package main

import (
	"context"
	"fmt"
	"html"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/web"
)

// helloCompo is go-app's hello world, the same component as
// server/cmd/bench/hello renders in the browser, here prerendered by go-app's
// own Handler.
type helloCompo struct{ app.Compo }

// Render draws the heading.
func (h *helloCompo) Render() app.UI { return app.H1().Text("Hello World!") }

// helloProbe tells the host page when the hello world's wasm renders: the
// first <h1> go-app creates after the prerendered page was parsed (go-app
// creates elements with document.createElement, and the first render
// replaces the prerendered DOM), posted as the widget posts its "ready".
const helloProbe = `<script>(function(){var parsed=false,sent=false,ce=document.createElement;
document.addEventListener("DOMContentLoaded",function(){parsed=true});
document.createElement=function(t){var e=ce.apply(document,arguments);
if(parsed&&!sent&&String(t).toLowerCase()==="h1"){sent=true;parent.postMessage({newswidget:{id:"hello",type:"ready"}},"*")}return e};})();</script>`

// noopWorker replaces go-app's service worker for the hello world, which
// would otherwise download the wasm a second time while it boots; the
// widget registers no worker at all, so the anchor does no more than it.
const noopWorker = `self.addEventListener("install", function () { self.skipWaiting(); });`

// blankPage is the content of the "empty" anchor frame: one line of text,
// so its first contentful paint can be timed like the widget's.
const blankPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body style="margin:0;font-family:sans-serif"><h2>Flash News</h2></body></html>`

// serveBytes sends a precompressed body as the widget server sends its
// wasm: brotli or gzip as accepted, a strong ETag, the given cache policy.
func serveBytes(w http.ResponseWriter, r *http.Request, ctype, cache string, raw, br, gz []byte) {
	h := w.Header()
	body, etag := raw, `"raw-`+strconv.Itoa(len(raw))+`"`
	ae := r.Header.Get("Accept-Encoding")
	h.Set("Vary", "Accept-Encoding")
	switch {
	case br != nil && strings.Contains(ae, "br"):
		body, etag = br, `"br-`+strconv.Itoa(len(br))+`"`
		h.Set("Content-Encoding", "br")
	case gz != nil && strings.Contains(ae, "gzip"):
		body, etag = gz, `"gz-`+strconv.Itoa(len(gz))+`"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// startAnchorServer serves, on 127.0.0.1, the frames the browser figures
// compare the widget with: go-app's hello world through go-app's Handler
// (its wasm precompressed and cached as the widget's is, the toolchain's
// wasm_exec.js as the widget has) and the blank page.
func startAnchorServer(hello *helloWasm, root string) (string, func(), error) {
	execJS, err := os.ReadFile(filepath.Join(root, "web", "dist", "wasm_exec.js"))
	if err != nil {
		return "", nil, fmt.Errorf("the toolchain's wasm_exec.js (make wasm): %w", err)
	}
	icon, _ := fs.ReadFile(web.FS, "icon.png")
	iconSVG, _ := fs.ReadFile(web.FS, "icon.svg")
	app.Route("/", &helloCompo{})
	h := &app.Handler{
		Name:                  "Hello",
		Title:                 "Hello",
		Icon:                  app.Icon{Default: "/web/icon.png", SVG: "/web/icon.svg"},
		RawHeaders:            []string{helloProbe},
		ServiceWorkerTemplate: noopWorker,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/web/app.wasm", func(w http.ResponseWriter, r *http.Request) {
		serveBytes(w, r, "application/wasm", "public, max-age=31536000, immutable", hello.raw, hello.br, hello.gz)
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		serveBytes(w, r, "application/javascript; charset=utf-8", "no-cache", execJS, nil, nil)
	})
	mux.HandleFunc("/web/icon.png", func(w http.ResponseWriter, r *http.Request) {
		serveBytes(w, r, "image/png", "public, max-age=31536000, immutable", icon, nil, nil)
	})
	mux.HandleFunc("/web/icon.svg", func(w http.ResponseWriter, r *http.Request) {
		serveBytes(w, r, "image/svg+xml", "public, max-age=31536000, immutable", iconSVG, nil, nil)
	})
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprint(w, blankPage)
	})
	mux.Handle("/", h)
	return listen("127.0.0.1", mux)
}

// listen serves handler on a free port of host, returning its URL and stop.
func listen(host string, handler http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// hostProbe, first in every host page's head, records what the figures
// read: layout shifts, long tasks, and when a frame says it is ready.
const hostProbe = `<script>(function(){var m=window.__bench={cls:0,shifts:0,lt:[],ready:null,t0:null,t1:null};
try{new PerformanceObserver(function(l){l.getEntries().forEach(function(e){if(!e.hadRecentInput){m.cls+=e.value;m.shifts++}})}).observe({type:"layout-shift",buffered:true})}catch(e){}
try{new PerformanceObserver(function(l){l.getEntries().forEach(function(e){m.lt.push(e.duration)})}).observe({type:"longtask",buffered:true})}catch(e){}
addEventListener("message",function(e){var d=e.data&&e.data.newswidget;if(d&&d.type==="ready"&&m.ready===null)m.ready=performance.now()});})();</script>`

// reservedHeight is the height the loader reserves for the default widget
// (layout both, 10 items): border 2 + ticker 44 + heading 42 + 10 × 117.
const reservedHeight = 2 + 44 + 42 + 10*117

// frameSandbox is the loader's sandbox for the widget frame, given to the
// anchor frames too.
const frameSandbox = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"

// hostHandler serves the publisher pages on 127.0.0.2 (another site than
// the frames on 127.0.0.1):
//
//	/widget?w=ORIGIN  the README's synchronous tag for the server at ORIGIN
//	/empty?a=ORIGIN   the same page with an empty frame where the widget goes
//	/hello?a=ORIGIN   the same page with go-app's hello world in that frame
//	/frame-js?a=ORIGIN  the same frame inserted by an inline script
//	/none             the same page without the widget
func hostHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := func(name string) (string, bool) {
			u, err := url.Parse(r.URL.Query().Get(name))
			if err != nil || u.Scheme != "http" || !strings.HasPrefix(u.Host, "127.0.0.1:") {
				return "", false
			}
			return "http://" + u.Host, true
		}
		frame := func(src string) string {
			return fmt.Sprintf(`<div style="height:%dpx"><iframe src="%s" loading="lazy" sandbox="%s" title="Flash News" style="border:0;width:100%%;height:100%%;display:block"></iframe></div>`,
				reservedHeight, html.EscapeString(src), frameSandbox)
		}
		var middle string
		switch r.URL.Path {
		case "/widget":
			o, ok := origin("w")
			if !ok {
				http.Error(w, "w: the widget server's origin", http.StatusBadRequest)
				return
			}
			middle = `<script src="` + o + `/widget.js"></script>`
		case "/empty", "/hello":
			o, ok := origin("a")
			if !ok {
				http.Error(w, "a: the anchor server's origin", http.StatusBadRequest)
				return
			}
			if r.URL.Path == "/empty" {
				middle = frame(o + "/blank")
			} else {
				middle = frame(o + "/")
			}
		case "/frame-js":
			// what any embed costs: an inline script inserting the same
			// sandboxed, lazy, cross-origin frame in the same box
			o, ok := origin("a")
			if !ok {
				http.Error(w, "a: the anchor server's origin", http.StatusBadRequest)
				return
			}
			middle = fmt.Sprintf(`<script>(function(){var s=document.currentScript,b=document.createElement("div"),f=document.createElement("iframe");
b.style.height="%dpx";f.style.cssText="border:0;width:100%%;height:100%%;display:block";f.title="Flash News";f.loading="lazy";
f.setAttribute("sandbox",%q);f.src=%q;b.append(f);s.after(b)})()</script>`, reservedHeight, frameSandbox, o+"/blank")
		case "/none":
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publisher</title>`+hostProbe+`</head>
<body style="margin:0;font-family:sans-serif"><h1>A publisher's page</h1><p>Before the widget.</p>
<script>__bench.t0=performance.now()</script>`+middle+`<script>__bench.t1=performance.now()</script>
<p id="after">After the widget.</p>`+strings.Repeat("<p>More of the publisher's own text, below the widget.</p>\n", 20)+`</body></html>`)
	})
}
