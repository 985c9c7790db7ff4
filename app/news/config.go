package news

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Config is one widget's configuration: the loader's data attributes, sent to
// the frame as the /embed query with the names less "data-". The loader and
// the server validate it by the same rules; this is the server's copy, which
// the wasm widget shares.
type Config struct {
	Layout      string // ticker, list, both
	Limit       int    // 1..50 list items
	Category    string // empty: all
	Theme       string // auto, light, dark
	Accent      string // a CSS colour, empty: the theme's
	Speed       int    // ticker pixels per second, 10..400
	Locale      string // BCP 47 tag
	TickerLabel string // empty: the locale's "Flash News"
	ListLabel   string // empty: the locale's "Latest news"
	Live        bool   // subscribe to live updates
	Loading     string // lazy, eager (the loader's concern; kept for the round trip)
	Height      int    // pixels reserved before the widget measures itself; 0: by layout
	LinkTarget  string // _top, _blank, _self
	ID          string // the loader's instance id, echoed in messages
	Parent      string // the embedding page's origin, where messages go
}

// Warning says that an attribute's value was refused and its default used.
type Warning struct {
	Attr    string // "data-limit"
	Value   string // what was given
	Default string // what is used instead
}

// String is the console message for the warning.
func (w Warning) String() string {
	return "newswidget: " + w.Attr + "=" + strconv.Quote(w.Value) + " is not valid; using " + strconv.Quote(w.Default)
}

// Defaults of the configuration.
const (
	DefaultLayout        = "both"
	DefaultTheme         = "auto"
	DefaultSpeed         = 60
	DefaultLocale        = "en"
	DefaultLoading       = "lazy"
	DefaultLinkTarget    = "_top"
	MinSpeed, MaxSpeed   = 10, 400
	MinHeight, MaxHeight = 40, 4000
	MaxLabelLen          = 60
)

// DefaultConfig returns the configuration of a tag with no attributes.
func DefaultConfig() Config {
	return Config{
		Layout: DefaultLayout, Limit: DefaultListLimit, Theme: DefaultTheme,
		Speed: DefaultSpeed, Locale: DefaultLocale, Live: true,
		Loading: DefaultLoading, LinkTarget: DefaultLinkTarget,
	}
}

// ParseConfig reads a configuration from query values named as the data
// attributes less "data-". Every bad value falls back to its default and
// yields one Warning; ParseConfig never fails.
func ParseConfig(q url.Values) (Config, []Warning) {
	c := DefaultConfig()
	var warns []Warning
	// An empty value of an attribute whose default is empty (accent,
	// labels, height) is that default, as in the loader.
	emptyDefault := map[string]bool{"accent": true, "ticker-label": true, "list-label": true, "height": true}
	get := func(name string) (string, bool) {
		v, ok := q[name]
		if !ok || len(v) == 0 || v[0] == "" && emptyDefault[name] {
			return "", false
		}
		return v[0], true
	}
	warn := func(name, value, def string) {
		warns = append(warns, Warning{Attr: "data-" + name, Value: value, Default: def})
	}
	enum := func(name string, dst *string, allowed ...string) {
		v, ok := get(name)
		if !ok {
			return
		}
		n := strings.ToLower(strings.TrimSpace(v))
		for _, a := range allowed {
			if n == a {
				*dst = a
				return
			}
		}
		warn(name, v, *dst)
	}
	intRange := func(name string, dst *int, lo, hi int, def string) {
		v, ok := get(name)
		if !ok {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "px"))
		if err != nil || n < lo || n > hi {
			warn(name, v, def)
			return
		}
		*dst = n
	}
	text := func(name string, dst *string, max int, def string) {
		v, ok := get(name)
		if !ok {
			return
		}
		t := strings.Join(strings.Fields(v), " ")
		if t == "" || utf8.RuneCountInString(t) > max || !utf8.ValidString(t) {
			warn(name, v, def)
			return
		}
		*dst = t
	}

	enum("layout", &c.Layout, "ticker", "list", "both")
	intRange("limit", &c.Limit, 1, MaxListLimit, strconv.Itoa(c.Limit))
	if v, ok := get("category"); ok {
		t := strings.TrimSpace(v)
		if utf8.RuneCountInString(t) > MaxCategoryLen || !utf8.ValidString(t) {
			warn("category", v, "")
		} else {
			c.Category = t
		}
	}
	enum("theme", &c.Theme, "auto", "light", "dark")
	if v, ok := get("accent"); ok {
		if a, valid := ParseColor(v); valid {
			c.Accent = a
		} else {
			warn("accent", v, "")
		}
	}
	intRange("speed", &c.Speed, MinSpeed, MaxSpeed, strconv.Itoa(c.Speed))
	if v, ok := get("locale"); ok {
		if l, valid := ParseLocale(v); valid {
			c.Locale = l
		} else {
			warn("locale", v, c.Locale)
		}
	}
	text("ticker-label", &c.TickerLabel, MaxLabelLen, "")
	text("list-label", &c.ListLabel, MaxLabelLen, "")
	if v, ok := get("live"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "":
			c.Live = true
		case "false":
			c.Live = false
		default:
			warn("live", v, "true")
		}
	}
	enum("loading", &c.Loading, "lazy", "eager")
	intRange("height", &c.Height, MinHeight, MaxHeight, "")
	enum("link-target", &c.LinkTarget, "_top", "_blank", "_self")
	if v, ok := get("id"); ok && ValidID(v) {
		c.ID = v
	}
	if v, ok := get("parent"); ok {
		if o, valid := ParseOrigin(v); valid {
			c.Parent = o
		}
	}
	return c, warns
}

// Query encodes the configuration as an /embed query, omitting defaults, so
// equal configurations give equal URLs.
func (c Config) Query() url.Values {
	d := DefaultConfig()
	q := url.Values{}
	set := func(name, v, def string) {
		if v != def {
			q.Set(name, v)
		}
	}
	set("layout", c.Layout, d.Layout)
	set("limit", strconv.Itoa(c.Limit), strconv.Itoa(d.Limit))
	set("category", c.Category, "")
	set("theme", c.Theme, d.Theme)
	set("accent", c.Accent, "")
	set("speed", strconv.Itoa(c.Speed), strconv.Itoa(d.Speed))
	set("locale", c.Locale, d.Locale)
	set("ticker-label", c.TickerLabel, "")
	set("list-label", c.ListLabel, "")
	set("live", strconv.FormatBool(c.Live), "true")
	set("loading", c.Loading, d.Loading)
	if c.Height != 0 {
		q.Set("height", strconv.Itoa(c.Height))
	}
	set("link-target", c.LinkTarget, d.LinkTarget)
	set("id", c.ID, "")
	set("parent", c.Parent, "")
	return q
}

// ParseLocale accepts a BCP 47 language tag such as "en", "sr-Latn" or
// "ar-EG" and returns it in canonical case.
func ParseLocale(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	parts := strings.Split(s, "-")
	if len(s) > 35 || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return "", false
	}
	for i, p := range parts {
		if len(p) < 1 || len(p) > 8 {
			return "", false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if i == 0 && !alpha || !alpha && !(c >= '0' && c <= '9') {
				return "", false
			}
		}
		switch {
		case i == 0:
			parts[i] = strings.ToLower(p)
		case len(p) == 4:
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		case len(p) == 2:
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-"), true
}

// ParseOrigin accepts a web origin "scheme://host[:port]".
func ParseOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}
