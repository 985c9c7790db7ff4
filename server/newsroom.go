package server

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"newswidget/app/console"
	"newswidget/app/news"
	"newswidget/server/assets"
)

// newsroomPage is the console's page, rendered by go-app once per server
// (it holds no news: the console fetches them once signed in).
type newsroomPage struct {
	once sync.Once
	page *rendered
}

var registerNewsroomOnce sync.Once

// renderNewsroom renders the console's sign-in shell through a go-app
// Handler of its own, whose wasm is the console's. go-app's routes are
// global: the console's route (/newsroom) joins the widget's (ui.Register),
// and each Handler is only ever asked for its own paths.
func (s *Server) renderNewsroom() *rendered {
	registerNewsroomOnce.Do(func() { console.Register(nil) })
	st := s.static
	h := &app.Handler{
		Name:         "newswidget newsroom",
		ShortName:    "Newsroom",
		Title:        "Newsroom · newswidget",
		Description:  "The editors' console: publish, correct and retract flash news.",
		Lang:         "en",
		Icon:         app.Icon{Default: st.IconPNG, Large: st.IconPNG, SVG: st.IconSVG, AppleTouch: st.IconPNG},
		Styles:       []string{st.CSS, st.Newsroom.CSS},
		Version:      st.Newsroom.Version,
		Resources:    resources{wasm: st.Newsroom.WASM},
		LoadingLabel: " ",
		ThemeColor:   "#b00020",
		RawHeaders:   rawHeaders,
	}
	pub := s.publicURL
	r := (&http.Request{
		Method: http.MethodGet, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		URL:    &url.URL{Path: console.Path},
		Host:   pub.Host,
		Header: http.Header{},
	}).WithContext(context.Background())
	rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(rec, r)
	body := st.FinishNewsroom(rec.buf.Bytes())
	c := &rendered{Entity: assets.Entity{Body: body, ETag: assets.ETagOf(body)}, status: rec.status}
	c.Br, c.Gz = assets.CompressFast(body)
	return c
}

// newsroomCSP allows the console's own scripts, styles, wasm and API;
// no site may frame it (a signed-in editor's clicks are worth stealing).
const newsroomCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' https: http: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// GET /newsroom
func (s *Server) handleNewsroom(w http.ResponseWriter, r *http.Request) error {
	s.newsroom.once.Do(func() { s.newsroom.page = s.renderNewsroom() })
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
	h.Set("Content-Security-Policy", newsroomCSP)
	assets.Write(w, r, &s.newsroom.page.Entity, s.newsroom.page.status)
	return nil
}

// newsroomListing is what GET /api/newsroom answers (console.Listing).
type newsroomListing struct {
	User     newsroomUser      `json:"user"`
	Articles []news.Article    `json:"articles"`
	Editors  map[string]string `json:"editors"`
	Next     string            `json:"next"` // the cursor of the page after this one; "" at the end
}

// newsroomUser is who a request acts as.
type newsroomUser struct {
	Name string    `json:"name"`
	Role news.Role `json:"role"`
}

// GET /api/newsroom?before=
//
// The console's view: who is signed in, the newest articles with the
// expired ones (which no public listing shows), and who last published or
// edited each, from the audit log. Any editor may read it. Like
// /api/articles it pages: "next" is the cursor of the following page, which
// ?before= asks for ("" at the end).
func (s *Server) handleNewsroomListing(w http.ResponseWriter, r *http.Request) error {
	if !carriesCredentials(r) {
		// The console asks on every load whether anyone is signed in: a
		// request with no credentials at all is no wrong guess, and must
		// not spend the client's failure budget.
		return news.Errorf(news.EUnauthorized, "sign in first")
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	before, err := parseBefore(q)
	if err != nil {
		return err
	}
	list, next, err := s.store.Articles(r.Context(), news.ArticleFilter{Limit: news.MaxListLimit, Expired: true, Before: before})
	if err != nil {
		return err
	}
	editors := map[string]string{}
	if s.accounts != nil {
		entries, err := s.accounts.Audit(r.Context(), news.MaxAuditLimit)
		if err != nil {
			return err
		}
		for _, e := range entries { // newest first: the first write names the last writer
			if _, seen := editors[e.ArticleID]; !seen && e.ArticleID != "" && (e.Action == news.ActionPublish || e.Action == news.ActionEdit) {
				editors[e.ArticleID] = e.User
			}
		}
	}
	for id := range editors {
		if !listed(list, id) {
			delete(editors, id)
		}
	}
	for i := range list {
		list[i] = news.NonNilBody(list[i])
	}
	if list == nil {
		list = []news.Article{}
	}
	s.writePrivate(w, http.StatusOK, newsroomListing{
		User:     newsroomUser{Name: p.name, Role: p.role},
		Articles: list,
		Editors:  editors,
		Next:     next.String(),
	})
	return nil
}

// listed reports whether the article with id is in list.
func listed(list []news.Article, id string) bool {
	for _, a := range list {
		if a.ID == id {
			return true
		}
	}
	return false
}
