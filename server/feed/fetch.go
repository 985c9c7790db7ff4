package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"newswidget/app/news"
)

// fetched is one fetched feed document.
type fetched struct {
	notModified        bool
	body               []byte
	etag, lastModified string
	base               *url.URL // the URL the document came from, after redirects
	contentType        string
	fresh              time.Duration // how long the server says the response stays fresh (Cache-Control max-age, Expires), 0 if it does not
}

// statusError is an HTTP status that failed a fetch; retryAfter is the
// wait a 429 or 503 asked for (Retry-After), 0 if none.
type statusError struct {
	status     string
	retryAfter time.Duration
}

func (e *statusError) Error() string { return "unexpected HTTP status " + e.status }

// freshness is how long a response says it stays fresh: Cache-Control
// max-age (s-maxage, no-cache and no-store read as 0), else Expires less
// Date (or now). Zero when the headers say nothing usable.
func freshness(h http.Header, now time.Time) time.Duration {
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(strings.ToLower(d)), "=")
		switch k {
		case "no-cache", "no-store":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64); err == nil && n > 0 {
				return time.Duration(min(n, 1<<31)) * time.Second
			}
			return 0
		}
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0
		}
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			now = d
		}
		if exp.After(now) {
			return exp.Sub(now)
		}
	}
	return 0
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 if absent or past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// accept prefers the feed formats gofeed reads, but takes anything, since
// many servers label feeds loosely.
const accept = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"

// userAgent names the poller to feed servers.
const userAgent = "newswidget-feed/1.0"

// checkRedirect allows at most MaxRedirects redirects and none back to a URL
// already visited.
func checkRedirect(req *http.Request, via []*http.Request) error {
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("redirect loop at %s", req.URL.Redacted())
		}
	}
	if len(via) > MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	return nil
}

// client returns the client to fetch with: the configured one with a
// redirect limit if it has none, else a fresh one.
func (p *Poller) client(timeout time.Duration) *http.Client {
	if p.o.Client == nil {
		return &http.Client{Timeout: timeout, CheckRedirect: checkRedirect}
	}
	if p.o.Client.CheckRedirect != nil {
		return p.o.Client
	}
	c := *p.o.Client
	c.CheckRedirect = checkRedirect
	return &c
}

// fetch GETs a feed conditionally, bounded in time and size.
func (p *Poller) fetch(ctx context.Context, feedURL, etag, lastModified string) (*fetched, error) {
	u, err := parseFeedURL(feedURL)
	if err != nil {
		return nil, err
	}
	timeout, maxBytes := p.o.Timeout, p.o.MaxBytes
	// The deadline covers the body too, so a body that never ends is cut.
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := p.client(timeout).Do(req)
	if err != nil {
		return nil, fetchError(ctx, fctx, timeout, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		return &fetched{notModified: true, fresh: freshness(resp.Header, time.Now())}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		se := &statusError{status: resp.Status}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			se.retryAfter = retryAfter(resp.Header, time.Now())
		}
		return nil, se
	}
	if err := checkContentType(resp.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("response is %d bytes, larger than the %d byte limit", resp.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fetchError(ctx, fctx, timeout, fmt.Errorf("read body: %w", err))
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("response is larger than the %d byte limit", maxBytes)
	}
	return &fetched{
		body:         body,
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
		base:         resp.Request.URL,
		contentType:  resp.Header.Get("Content-Type"),
		fresh:        freshness(resp.Header, time.Now()),
	}, nil
}

// fetchError names a timeout as such rather than as a bare context error.
func fetchError(parent, fctx context.Context, timeout time.Duration, err error) error {
	if parent.Err() == nil && fctx.Err() != nil || isTimeout(err) {
		return fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// checkContentType refuses media types that are clearly not feeds; a missing
// or unusual one is left for the parser to judge.
func checkContentType(ct string) error {
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q is not a feed", ct)
	}
	switch {
	case mt == "text/html", mt == "application/xhtml+xml", mt == "text/css",
		mt == "text/javascript", mt == "application/javascript", mt == "application/pdf",
		mt == "application/zip", mt == "application/wasm",
		strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"),
		strings.HasPrefix(mt, "video/"), strings.HasPrefix(mt, "font/"),
		strings.HasPrefix(mt, "multipart/"):
		return fmt.Errorf("content type %s is not a feed", mt)
	}
	return nil
}

// errNotWeb is returned for a configured URL that is not http(s).
var errNotWeb = errors.New("feed URL is not an absolute http or https URL")

// parseFeedURL checks a configured feed URL.
func parseFeedURL(s string) (*url.URL, error) {
	if !news.IsWebURL(s) {
		return nil, errNotWeb
	}
	return url.Parse(s)
}
