package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"newswidget/app/news"
	"newswidget/server/seed"
)

// headOf parses a page with an HTML parser, as a crawler does, and returns
// its <link> elements' attributes and the text of its JSON-LD scripts, all
// of which must be in the head.
func headOf(t *testing.T, page []byte) (links []map[string]string, ld []string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node, inHead bool)
	walk = func(n *html.Node, inHead bool) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			switch {
			case n.Data == "head":
				inHead = true
			case n.Data == "link" && (attrs["rel"] == "canonical" || attrs["rel"] == "alternate"):
				if !inHead {
					t.Errorf("a <link rel=%s> outside the head", attrs["rel"])
				}
				links = append(links, attrs)
			case n.Data == "script" && attrs["type"] == "application/ld+json":
				if !inHead {
					t.Error("JSON-LD outside the head")
				}
				var text strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					text.WriteString(c.Data)
				}
				ld = append(ld, text.String())
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHead)
		}
	}
	walk(doc, false)
	return links, ld
}

// scriptsWith counts the page's executable script elements, as an HTML
// parser finds them, whose text holds s. (Data blocks -- the embedded
// articles, the JSON-LD -- may hold any text as JSON strings.)
func scriptsWith(t *testing.T, page []byte, s string) int {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(*html.Node)
	walk = func(e *html.Node) {
		if e.Type == html.ElementNode && e.Data == "script" && e.FirstChild != nil && strings.Contains(e.FirstChild.Data, s) {
			typ := ""
			for _, a := range e.Attr {
				if a.Key == "type" {
					typ = strings.ToLower(strings.TrimSpace(a.Val))
				}
			}
			if typ == "" || typ == "module" || strings.Contains(typ, "javascript") { // not a data block
				n++
			}
		}
		for c := e.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return n
}

// newsArticleLD is what the JSON-LD must say.
type newsArticleLD struct {
	Context          string   `json:"@context"`
	Type             string   `json:"@type"`
	Headline         string   `json:"headline"`
	Description      string   `json:"description"`
	Image            []string `json:"image"`
	DatePublished    string   `json:"datePublished"`
	DateModified     string   `json:"dateModified"`
	ArticleSection   string   `json:"articleSection"`
	URL              string   `json:"url"`
	MainEntityOfPage struct {
		Type string `json:"@type"`
		ID   string `json:"@id"`
	} `json:"mainEntityOfPage"`
	Publisher struct {
		Type string `json:"@type"`
		Name string `json:"name"`
		Logo struct {
			URL string `json:"url"`
		} `json:"logo"`
	} `json:"publisher"`
	Author *struct {
		Type string `json:"@type"`
		Name string `json:"name"`
	} `json:"author"`
}

// TestArticlePageJSONLD: an article's page has one canonical link and the
// feed links, every URL from the public URL, and a schema.org NewsArticle
// that parses as JSON and says what the article says; hostile text stays
// inside the data block.
func TestArticlePageJSONLD(t *testing.T) {
	ts := newTestServer(t, withPublicURL)
	hostile := ts.publish(t, obj{
		"id":           "hostile-ld",
		"title":        `</script><script>alert(1)</script><!-- & "q"`,
		"summary":      "</SCRIPT >\u2028\u2029 & <b>",
		"image":        "https://example.org/img/a.jpg",
		"url":          "https://example.org/original",
		"source":       "REL",
		"category":     "World",
		"published_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	})
	var main news.Article
	for _, a := range seedArticles {
		if a.ID == seed.ArticleID {
			main = a
		}
	}
	tests := []struct {
		name, path string
		a          news.Article
	}{
		{"seed article", "/articles/" + seed.ArticleID, main},
		{"with a configuration", "/articles/" + seed.ArticleID + "?theme=dark&locale=fr&junk=1", main},
		{"hostile text", "/articles/" + hostile.ID, hostile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, tc.path, nil)
			wantStatus(t, r, http.StatusOK)
			links, lds := headOf(t, r.Body)
			canonical := testPublicURL + "/articles/" + tc.a.ID
			var canon []string
			alternates := map[string]string{}
			for _, l := range links {
				if l["rel"] == "canonical" {
					canon = append(canon, l["href"])
				} else {
					alternates[l["type"]] = l["href"]
				}
			}
			if len(canon) != 1 || canon[0] != canonical {
				t.Errorf("canonical links %q, want exactly %q", canon, canonical)
			}
			if alternates["application/rss+xml"] != testPublicURL+"/feed.xml" || alternates["application/feed+json"] != testPublicURL+"/feed.json" {
				t.Errorf("feed links %v", alternates)
			}

			if len(lds) != 1 {
				t.Fatalf("%d JSON-LD blocks, want 1", len(lds))
			}
			if strings.ContainsAny(lds[0], "<>") {
				t.Errorf("the JSON-LD holds a raw < or >: %s", lds[0])
			}
			var ld newsArticleLD
			if err := json.Unmarshal([]byte(lds[0]), &ld); err != nil {
				t.Fatalf("the JSON-LD is not JSON: %v: %s", err, lds[0])
			}
			a := tc.a
			if ld.Context != "https://schema.org" || ld.Type != "NewsArticle" {
				t.Errorf("@context %q @type %q", ld.Context, ld.Type)
			}
			if ld.Headline != a.Title || ld.Description != a.Summary || ld.ArticleSection != a.Category {
				t.Errorf("headline %q, description %q, section %q; want %q, %q, %q",
					ld.Headline, ld.Description, ld.ArticleSection, a.Title, a.Summary, a.Category)
			}
			for name, got := range map[string]string{"datePublished": ld.DatePublished, "dateModified": ld.DateModified} {
				want := a.PublishedAt
				if name == "dateModified" {
					want = a.UpdatedAt
				}
				if d, err := time.Parse(time.RFC3339, got); err != nil || !d.Equal(want) {
					t.Errorf("%s %q, want %v", name, got, want)
				}
			}
			if ld.URL != canonical || ld.MainEntityOfPage.ID != canonical || ld.MainEntityOfPage.Type != "WebPage" {
				t.Errorf("url %q, mainEntityOfPage %+v; want %q", ld.URL, ld.MainEntityOfPage, canonical)
			}
			if ld.Publisher.Type != "Organization" || ld.Publisher.Name != "news.example.com" ||
				!strings.HasPrefix(ld.Publisher.Logo.URL, testPublicURL+"/web/") {
				t.Errorf("publisher %+v", ld.Publisher)
			}
			if a.Image != "" && (len(ld.Image) != 1 || ld.Image[0] != a.Image) || a.Image == "" && ld.Image != nil {
				t.Errorf("image %q, want %q", ld.Image, a.Image)
			}
			if a.Source != "" && (ld.Author == nil || ld.Author.Name != a.Source) {
				t.Errorf("author %+v, want the source %q", ld.Author, a.Source)
			}
			if n := scriptsWith(t, r.Body, "alert("); n != 0 {
				t.Errorf("the hostile title became %d scripts", n)
			}
		})
	}

	t.Run("follows an edit", func(t *testing.T) {
		edited := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
		wantStatus(t, ts.do(t, http.MethodPut, "/api/articles/"+hostile.ID, mustJSON(t, obj{
			"title": "Calm headline", "updated_at": edited.Format(time.RFC3339)}), auth), http.StatusOK)
		_, lds := headOf(t, ts.get(t, "/articles/"+hostile.ID, nil).Body)
		var ld newsArticleLD
		if len(lds) != 1 || json.Unmarshal([]byte(lds[0]), &ld) != nil || ld.Headline != "Calm headline" ||
			ld.DateModified != edited.Format(time.RFC3339) || ld.DatePublished != hostile.PublishedAt.Format(time.RFC3339) {
			t.Errorf("after the edit: %q", lds)
		}
	})

	// Neither the widget frame nor a missing article's page gets any of it.
	for _, path := range []string{"/embed", "/embed?layout=list", "/articles/no-such-article"} {
		t.Run(path, func(t *testing.T) {
			r := ts.get(t, path, nil)
			links, lds := headOf(t, r.Body)
			if len(links) != 0 || len(lds) != 0 {
				t.Errorf("links %v and %d JSON-LD blocks, want none", links, len(lds))
			}
		})
	}
}

// TestArticlePageCSPAllowsJSONLD: the JSON-LD is a data block, never
// executed, so the page's CSP keeps refusing inline scripts and the block
// is still there for crawlers.
func TestArticlePageCSPAllowsJSONLD(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(t, "/articles/"+seed.ArticleID, nil)
	var scriptSrc string
	for d := range strings.SplitSeq(r.Header.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
			scriptSrc = d
		}
	}
	if scriptSrc == "" || strings.Contains(scriptSrc, "'unsafe-inline'") {
		t.Errorf("script-src %q, want one that refuses inline scripts", scriptSrc)
	}
	if _, lds := headOf(t, r.Body); len(lds) != 1 {
		t.Errorf("%d JSON-LD blocks, want 1", len(lds))
	}
}
