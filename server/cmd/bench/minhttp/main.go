// Command minhttp is an anchor of the bench: the smallest Go HTTP server.
// Bare, it answers "ok" (the start-up figure times it from exec to its
// first byte); with -body it serves a file's bytes with the given headers
// and a strong ETag, answering a matching If-None-Match with 304 (the
// throughput figures compare net/http's own ceiling with the server's).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// headers is a repeatable "Name: value" flag.
type headers [][2]string

// String lists the headers.
func (h *headers) String() string { return fmt.Sprint(*h) }

// Set adds one "Name: value".
func (h *headers) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("%q is not Name: value", v)
	}
	*h = append(*h, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "`HOST:PORT` to listen on")
	bodyFile := flag.String("body", "", "serve this `FILE`'s bytes instead of \"ok\"")
	etag := flag.String("etag", "", "the body's strong `ETAG`, quotes included")
	ctype := flag.String("type", "application/json; charset=utf-8", "the body's `CONTENT-TYPE`")
	var hs headers
	flag.Var(&hs, "header", "a response `HEADER` (Name: value); repeatable")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "minhttp:", err)
		os.Exit(1)
	}
	if *bodyFile == "" {
		http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
		return
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "minhttp:", err)
		os.Exit(1)
	}
	length := strconv.Itoa(len(body))
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range hs {
			h.Set(kv[0], kv[1])
		}
		h.Set("ETag", *etag)
		if r.Header.Get("If-None-Match") == *etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", *ctype)
		h.Set("Content-Length", length)
		w.Write(body)
	}))
}
