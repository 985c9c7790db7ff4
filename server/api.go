package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"newswidget/app/news"
)

// GET /api/articles?limit=&category=&flash=&before=
func (s *Server) handleListArticles(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	f, err := parseFilter(q)
	if err != nil {
		return err
	}
	e, err := s.catalog.list(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeEncoded(w, r, e, jsonContentType, "public, max-age=5, stale-while-revalidate=30")
	return nil
}

// strictQuery parses a request's query, refusing a malformed one that
// r.URL.Query would silently cut short.
func strictQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, news.Errorf(news.EInvalid, "the query string is malformed: %v", err)
	}
	return q, nil
}

// parseFilter reads a listing's query, refusing bad values by name.
func parseFilter(q url.Values) (news.ArticleFilter, error) {
	f := news.ArticleFilter{Limit: news.DefaultListLimit}
	if v := q.Get("limit"); v != "" || q.Has("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > news.MaxListLimit {
			return f, news.FieldError("limit", "must be a whole number from 1 to %d", news.MaxListLimit)
		}
		f.Limit = n
	}
	if v := q.Get("category"); v != "" {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) > news.MaxCategoryLen || !utf8.ValidString(v) {
			return f, news.FieldError("category", "must be at most %d characters of text", news.MaxCategoryLen)
		}
		f.Category = v
	}
	if v := q.Get("flash"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, news.FieldError("flash", "must be true or false")
		}
		f.Flash = &b
	}
	c, err := parseBefore(q)
	if err != nil {
		return f, err
	}
	f.Before = c
	return f, nil
}

// parseBefore reads a listing's page cursor, the "before" parameter (a
// previous page's "next"; empty: the first page), refusing a bad one by
// name.
func parseBefore(q url.Values) (news.Cursor, error) {
	c, err := news.ParseCursor(q.Get("before"))
	if err != nil {
		return news.Cursor{}, news.FieldError("before", "is not a cursor from a previous page's \"next\"")
	}
	return c, nil
}

// GET /api/articles/{id}
func (s *Server) handleGetArticle(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !news.ValidID(id) {
		return news.Errorf(news.ENotFound, "no article has the id %q", id)
	}
	e, err := s.catalog.article(r.Context(), id)
	if news.ErrorCode(err) == news.ENotFound {
		// an expired article is still there for its editors (expiry.go)
		if done, err := s.editorArticle(w, r, id); done || err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	s.writeEncoded(w, r, e, jsonContentType, "public, max-age=30, stale-while-revalidate=60")
	return nil
}

// readArticle authorises a publishing request and reads its article.
func (s *Server) readArticle(w http.ResponseWriter, r *http.Request) (news.Article, error) {
	if err := s.authorize(r); err != nil {
		return news.Article{}, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return news.Article{}, news.Errorf(news.EInvalid, "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxArticleBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return news.Article{}, news.Errorf(ETooLarge, "request body is larger than %d bytes", MaxArticleBytes)
		}
		return news.Article{}, news.Errorf(news.EInvalid, "request body could not be read: %v", err)
	}
	return decodeArticle(body)
}

// POST /api/articles
func (s *Server) handleCreateArticle(w http.ResponseWriter, r *http.Request) error {
	a, err := s.readArticle(w, r)
	if err != nil {
		return err
	}
	a.Normalize(time.Now())
	if err := a.Validate(); err != nil {
		return err
	}
	ev, err := s.store.CreateArticle(s.authored(r), a)
	if err != nil {
		return err
	}
	s.changed(ev.Seq)
	w.Header().Set("Location", "/api/articles/"+ev.Article.ID)
	s.writeJSON(w, http.StatusCreated, news.NonNilBody(ev.Article))
	return nil
}

// PUT /api/articles/{id}
func (s *Server) handleUpdateArticle(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	a, err := s.readArticle(w, r)
	if err != nil {
		return err
	}
	if a.ID != "" && a.ID != id {
		return news.FieldError("id", "must match the id in the path or be left out")
	}
	a.ID = id
	if !news.ValidID(id) {
		return news.Errorf(news.ENotFound, "no article has the id %q", id)
	}
	old, err := s.store.Article(r.Context(), id)
	if err != nil {
		return err
	}
	if a.PublishedAt.IsZero() { // a replacement keeps its place in the order
		a.PublishedAt = old.PublishedAt
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	}
	a.Normalize(time.Now())
	if err := a.Validate(); err != nil {
		return err
	}
	ev, err := s.store.UpdateArticle(s.authored(r), a)
	if err != nil {
		return err
	}
	s.changed(ev.Seq)
	s.writeJSON(w, http.StatusOK, news.NonNilBody(ev.Article))
	return nil
}

// DELETE /api/articles/{id}
func (s *Server) handleDeleteArticle(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !news.ValidID(id) {
		return news.Errorf(news.ENotFound, "no article has the id %q", id)
	}
	ev, err := s.store.DeleteArticle(s.authored(r), id)
	if err != nil {
		return err
	}
	s.changed(ev.Seq)
	apiHeaders(w.Header())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changed drops what the caches hold before a write's response is sent, so
// the next read (the publisher's own, or any reader's) sees the write
// instead of waiting for the pump; then it wakes the pump to fan the event
// out.
func (s *Server) changed(seq int64) {
	s.catalog.setSeq(seq)
	s.pages.invalidate()
	s.Poke()
}
