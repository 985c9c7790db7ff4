package news

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of an article's fields.
const (
	MaxIDLen         = 64
	MaxTitleLen      = 300
	MaxSummaryLen    = 1000
	MaxParagraphs    = 200
	MaxParagraphLen  = 10000
	MaxSourceLen     = 200
	MaxCategoryLen   = 64
	MaxURLLen        = 2048
	MaxCorrectionLen = 1000
)

// Normalize cleans the article's text fields (see CleanText) and fills what
// the publisher may leave out: a generated id, the publication and update
// times. The API and feed ingestion both call it, so text from either is
// held to the same rules.
func (a *Article) Normalize(now time.Time) {
	a.ID = strings.TrimSpace(a.ID)
	a.Title = CleanText(a.Title, false)
	a.Summary = CleanText(a.Summary, true)
	a.URL = strings.TrimSpace(a.URL)
	a.Image = strings.TrimSpace(a.Image)
	a.Source = CleanText(a.Source, false)
	a.Category = CleanText(a.Category, false)
	a.Correction = CleanText(a.Correction, true)
	if !a.ExpiresAt.IsZero() {
		a.ExpiresAt = a.ExpiresAt.UTC()
	}
	body := a.Body[:0:0]
	for _, p := range a.Body {
		if p = CleanText(p, true); p != "" {
			body = append(body, p)
		}
	}
	a.Body = body
	if a.ID == "" {
		a.ID = NewID()
	}
	now = now.UTC().Truncate(time.Second)
	if a.PublishedAt.IsZero() {
		a.PublishedAt = now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now
	}
}

// Validate reports the first field of the article that breaks a rule.
func (a *Article) Validate() error {
	switch {
	case !ValidID(a.ID):
		return FieldError("id", "must be 1 to %d letters, digits, '-' or '_'", MaxIDLen)
	case !Visible(a.Title):
		return FieldError("title", "is required")
	case utf8.RuneCountInString(a.Title) > MaxTitleLen:
		return FieldError("title", "must be at most %d characters", MaxTitleLen)
	case utf8.RuneCountInString(a.Summary) > MaxSummaryLen:
		return FieldError("summary", "must be at most %d characters", MaxSummaryLen)
	case len(a.Body) > MaxParagraphs:
		return FieldError("body", "must have at most %d paragraphs", MaxParagraphs)
	case utf8.RuneCountInString(a.Source) > MaxSourceLen:
		return FieldError("source", "must be at most %d characters", MaxSourceLen)
	case utf8.RuneCountInString(a.Category) > MaxCategoryLen:
		return FieldError("category", "must be at most %d characters", MaxCategoryLen)
	case utf8.RuneCountInString(a.Correction) > MaxCorrectionLen:
		return FieldError("correction", "must be at most %d characters", MaxCorrectionLen)
	}
	if err := a.ValidateDates(); err != nil {
		return err
	}
	// An expiry may be in the past (an editor expiring an article at once),
	// but not at or before the publication: such an article never was live.
	if !a.ExpiresAt.IsZero() && !a.ExpiresAt.After(a.PublishedAt) {
		return FieldError("expires_at", "must be after published_at")
	}
	for _, p := range a.Body {
		if utf8.RuneCountInString(p) > MaxParagraphLen {
			return FieldError("body", "paragraphs must be at most %d characters", MaxParagraphLen)
		}
	}
	if a.URL != "" && !IsWebURL(a.URL) {
		return FieldError("url", "must be an absolute http or https URL")
	}
	if a.Image != "" && !IsWebURL(a.Image) {
		return FieldError("image", "must be an absolute http or https URL")
	}
	for _, s := range []struct{ field, v string }{{"title", a.Title}, {"summary", a.Summary}, {"source", a.Source}, {"category", a.Category}, {"correction", a.Correction}} {
		if !utf8.ValidString(s.v) || strings.ContainsRune(s.v, 0) {
			return FieldError(s.field, "must be valid UTF-8 text")
		}
	}
	for _, p := range a.Body {
		if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
			return FieldError("body", "paragraphs must be valid UTF-8 text")
		}
	}
	return nil
}

// ValidateDates reports the first of the article's dates that is neither zero
// nor an instant a store keeps exactly as int64 unix nanoseconds (the years
// 1678 to 2262), since one out of range would fail the write (and, from a
// feed, the whole poll) or break every listing that holds the article.
func (a Article) ValidateDates() error {
	for _, d := range []struct {
		field string
		t     time.Time
	}{{"published_at", a.PublishedAt}, {"updated_at", a.UpdatedAt}, {"expires_at", a.ExpiresAt}} {
		if n := d.t.UnixNano(); !d.t.IsZero() && (n == math.MinInt64 || !time.Unix(0, n).Equal(d.t)) {
			return FieldError(d.field, "must be between the years 1678 and 2262")
		}
	}
	return nil
}

// ValidID reports whether id may name an article: 1 to MaxIDLen of
// [A-Za-z0-9_-], so it is safe in a path, a cursor and an SSE line.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// IsWebURL reports whether s is an absolute http or https URL with a host:
// the only kind of URL that may become a link or an image.
//
// It also refuses quotes, angle brackets, backticks, backslashes, spaces and
// control characters, which a well-formed URL carries percent-encoded: go-app
// quotes attribute values Go-style (a " inside becomes \", which ends an HTML
// attribute), so such a character could otherwise break out of an href.
func IsWebURL(s string) bool {
	if len(s) > MaxURLLen || strings.ContainsAny(s, " \"'<>`\\") {
		return false
	}
	for _, r := range s {
		// strconv's table, not unicode's: the wasm links it anyway
		if !strconv.IsPrint(r) {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// NewID returns a random article id.
func NewID() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CleanText is publisher text as the widget keeps it: control characters
// and bidi embeddings, overrides and isolates removed, trimmed, and empty
// when no character is visible. A multi-line field (summary, a paragraph)
// keeps its line breaks and tabs, with CR LF and the other breaks as "\n"; a
// single-line one (title, source, category) gets one space for a run of them.
//
// Removed, because they are invisible yet act: C0 controls (ESC, BEL …),
// DEL, C1 controls, and U+202A–U+202E, U+2066–U+2069, which could run past
// the text and turn the widget's own words around. A string holding NUL or
// invalid UTF-8 is returned as it is, for Validate to refuse: that is a
// broken client, not text to tidy. The marks U+200E, U+200F and
// U+061C stay: they set the direction of neutral characters within their own
// text only, as RTL writers use them, and the widget isolates every piece of
// publisher text. Zero-width joiners stay too (emoji sequences, Persian).
func CleanText(s string, multiline bool) string {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return s
	}
	var b []byte // nil until the first change, so clean text is not copied
	last, prev := rune(-1), rune(-1)
	for i, r := range s {
		out, brk := r, false
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029:
			brk = true
			switch {
			case !multiline:
				out = ' '
			case r == '\n' && prev == '\r':
				out = -1 // the LF of a CR LF
			case r != '\t':
				out = '\n'
			}
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			out = -1
		}
		if brk && !multiline && last == ' ' {
			out = -1
		}
		prev = r
		if out == r && b == nil {
			last = r
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i]...)
		}
		if out >= 0 {
			b = utf8.AppendRune(b, out)
			last = out
		}
	}
	if b != nil {
		s = string(b)
	}
	if s = strings.TrimSpace(s); !Visible(s) {
		return ""
	}
	return s
}

// Visible reports whether s holds a character that shows: a letter, digit,
// punctuation or symbol. Spaces, zero-width and format characters,
// combining marks alone and the blank Hangul fillers and Braille pattern
// don't, so a title of them is no title. (unicode's category tables are in
// the wasm already, through regexp.)
func Visible(s string) bool {
	for _, r := range s {
		switch r {
		case 0x115f, 0x1160, 0x3164, 0xffa0, 0x2800:
			continue
		}
		if r < 0x80 && r > ' ' && r != 0x7f || unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) {
			return true
		}
	}
	return false
}
