package e2e_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"
)

// TestPrerenderMatchesWasm compares, locale by locale, the text the server
// prerenders with the text the wasm renders when it takes over: a reader
// must see nothing change.
func TestPrerenderMatchesWasm(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	// the flash lifecycle's marks too: breaking, pinned, a correction
	publish(t, ws, map[string]any{
		"title": "Urgent pinned flash", "flash": true, "urgent": true, "pinned": true, "published_at": "2020-01-01T00:00:00Z",
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "correction": "A corrected detail.",
	})
	b := newBrowser(t)
	for _, locale := range []string{"en", "sq", "sr-Latn", "ar"} {
		t.Run(locale, func(t *testing.T) {
			page := httpGet(t, ws.URL+"/embed?locale="+locale)
			want := squash(textOf(t, page, "nw"))
			host := hostPage(t, hostHTML(ws.URL, `data-loading="eager" data-locale="`+locale+`"`))
			open(t, b, host)
			// the frame of this host page: its URL names the page's origin
			f := b.frame(t, url.QueryEscape(strings.TrimPrefix(host, "http://")))
			wakeGo(t, f)
			var got string
			eval(t, f, `document.querySelector(".nw").textContent`, &got)
			if got = squash(got); got != want {
				t.Errorf("the wasm shows\n%s\nthe prerender showed\n%s", got, want)
			}
		})
	}
}

// textOf is the text of the first element with the class, less the
// embedded data (which only the prerender carries).
func textOf(t *testing.T, page, class string) string {
	t.Helper()
	doc, err := xhtml.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var find func(n *xhtml.Node) *xhtml.Node
	find = func(n *xhtml.Node) *xhtml.Node {
		for _, a := range n.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
				return n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if m := find(c); m != nil {
				return m
			}
		}
		return nil
	}
	root := find(doc)
	if root == nil {
		t.Fatalf("no .%s in the page", class)
	}
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && n.Data == "script" {
			return
		}
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return b.String()
}

// squash drops white space, which the prerender has between elements and
// the browser's DOM does not.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }
