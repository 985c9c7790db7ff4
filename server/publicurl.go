package server

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"newswidget/app/news"
)

// ParsePublicURL reads the site's public base URL: http or https, a host,
// optionally a path prefix; no user, query or fragment, and nothing that
// would need escaping in a page (quotes, brackets, spaces, controls).
func ParsePublicURL(s string) (*url.URL, error) {
	bad := func() (*url.URL, error) {
		return nil, fmt.Errorf("public URL %q is not a base URL such as https://news.example.com", s)
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"'<>\`+"`{}|^", r) {
			return bad()
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad()
	}
	origin, ok := news.ParseOrigin(u.Scheme + "://" + u.Host)
	if !ok || u.Port() != "" && !validPort(u.Port()) {
		return bad()
	}
	o, _ := url.Parse(origin)
	o.Path = strings.TrimSuffix(u.Path, "/")
	return o, nil
}

func validPort(p string) bool {
	_, err := net.LookupPort("tcp", p)
	return err == nil && len(p) <= 5
}

// PublicURLFromAddr is the public URL a server listening on addr has when
// none is configured: http://HOST:PORT, with localhost for an empty or
// unspecified host.
func PublicURLFromAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// publicOrigin is the origin of the public URL: the configurator's own,
// which may always frame the widget.
func (s *Server) publicOrigin() string {
	return s.publicURL.Scheme + "://" + s.publicURL.Host
}

// absURL is path under the configured public URL: every absolute URL the
// server writes (pages, feeds, the sitemap) is made here.
func (s *Server) absURL(path string) string {
	return s.publicURL.String() + path
}
