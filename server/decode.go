package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"newswidget/app/news"
)

// MaxArticleBytes bounds the body of a publishing request: a larger one is
// refused with ETooLarge.
const MaxArticleBytes = 1 << 20

// articleInput mirrors news.Article with dates as strings, so a bad date
// becomes a field error instead of a decoder message.
type articleInput struct {
	ID          *string   `json:"id"`
	Title       *string   `json:"title"`
	Summary     *string   `json:"summary"`
	Body        *[]string `json:"body"`
	URL         *string   `json:"url"`
	Source      *string   `json:"source"`
	Category    *string   `json:"category"`
	Image       *string   `json:"image"`
	Flash       *bool     `json:"flash"`
	PublishedAt *string   `json:"published_at"`
	UpdatedAt   *string   `json:"updated_at"`
	Urgent      *bool     `json:"urgent"`
	Pinned      *bool     `json:"pinned"`
	ExpiresAt   *string   `json:"expires_at"` // null or "": never
	Correction  *string   `json:"correction"`
}

// decodeArticle parses one article from a request body, rejecting unknown
// fields, wrong types and trailing data with a *news.Error naming the field.
// It does not validate the values: Article.Validate does.
func decodeArticle(data []byte) (news.Article, error) {
	var in articleInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return news.Article{}, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return news.Article{}, news.Errorf(news.EInvalid, "request body must hold one JSON object")
	}
	var a news.Article
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	a.ID, a.Title, a.Summary = str(in.ID), str(in.Title), str(in.Summary)
	a.URL, a.Source, a.Category, a.Image = str(in.URL), str(in.Source), str(in.Category), str(in.Image)
	if in.Body != nil {
		a.Body = *in.Body
	}
	if in.Flash != nil {
		a.Flash = *in.Flash
	}
	if in.Urgent != nil {
		a.Urgent = *in.Urgent
	}
	if in.Pinned != nil {
		a.Pinned = *in.Pinned
	}
	a.Correction = str(in.Correction)
	var err error
	if a.PublishedAt, err = parseTime("published_at", in.PublishedAt); err != nil {
		return news.Article{}, err
	}
	if a.UpdatedAt, err = parseTime("updated_at", in.UpdatedAt); err != nil {
		return news.Article{}, err
	}
	if a.ExpiresAt, err = parseTime("expires_at", in.ExpiresAt); err != nil {
		return news.Article{}, err
	}
	return a, nil
}

func parseTime(field string, s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, news.FieldError(field, "must be an RFC 3339 date such as 2023-11-27T10:00:00Z")
	}
	return t.UTC(), nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return news.FieldError(typeErr.Field, "has the wrong type: want %s", typeErr.Type.String())
	case errors.As(err, &syntaxErr):
		return news.Errorf(news.EInvalid, "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return news.Errorf(news.EInvalid, "request body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return news.FieldError(field, "is not a field of an article")
	}
	return news.Errorf(news.EInvalid, "malformed JSON: %v", err)
}
