package ui

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/news"
)

// EmbeddedID is the id of the element holding a page's initial data.
const EmbeddedID = "nw-data"

// Embedded is the initial data a prerendered page carries for its wasm, so
// the browser does not fetch what the server already sent.
type Embedded struct {
	Seq      int64          `json:"seq"`
	Articles []news.Article `json:"articles"`
	Article  *news.Article  `json:"article,omitempty"`
}

// EmbedData renders the initial data of a widget page.
func EmbedData(articles []news.Article, seq int64) app.UI { return embedData(articles, seq, nil) }

// embedData renders the initial data as JSON in a non-executed script
// element. go-app escapes the text, so no title can end the element early;
// ReadEmbedded undoes the escaping.
func embedData(articles []news.Article, seq int64, article *news.Article) app.UI {
	b, err := json.Marshal(Embedded{Seq: seq, Articles: articles, Article: article})
	if err != nil {
		return nil
	}
	return app.Elem("script").Attr("type", "application/json").ID(EmbeddedID).Text(string(b))
}

// ParseEmbedded decodes the text of the embedded data element.
func ParseEmbedded(text string) (Embedded, error) {
	var e Embedded
	err := json.Unmarshal(unescape(text), &e)
	return e, err
}

// unescape undoes exactly what go-app's text escaping (html.EscapeString)
// does, for its five entities; html.UnescapeString would bring a table of
// 2,000 into the wasm.
func unescape(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			rest := s[i:]
			for _, e := range [...]struct{ ent, ch string }{{"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&#34;", `"`}, {"&amp;", "&"}} {
				if strings.HasPrefix(rest, e.ent) {
					b = append(b, e.ch...)
					i += len(e.ent) - 1
					goto next
				}
			}
		}
		b = append(b, s[i])
	next:
	}
	return b
}

// StaticSource is a Source over a fixed set of articles: the browser's,
// filled from the embedded data.
type StaticSource struct{ Data Embedded }

// Latest returns the embedded articles.
func (s *StaticSource) Latest(string) ([]news.Article, int64) { return s.Data.Articles, s.Data.Seq }

// Article returns the embedded article if its id matches.
func (s *StaticSource) Article(id string) (news.Article, bool) {
	if s.Data.Article != nil && s.Data.Article.ID == id {
		return *s.Data.Article, true
	}
	for _, a := range s.Data.Articles {
		if a.ID == id {
			return a, true
		}
	}
	return news.Article{}, false
}

// serverOnly renders f's element in the prerender only. (app.If would
// evaluate f's work, encoding every article, on each render in the browser.)
func serverOnly(f func() app.UI) app.UI {
	if app.IsServer {
		return f()
	}
	return nil
}
