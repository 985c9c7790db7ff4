package news_test

import (
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"newswidget/app/news"
)

// ConfigCase is one attribute value and what it must become. The loader's
// browser test runs the same cases, so both sides agree on every one.
type configCase struct {
	Attr  string `json:"attr"`
	Value string `json:"value"`
	Want  string `json:"want"`
	Warn  bool   `json:"warn"`
}

func loadCases(t *testing.T) []configCase {
	t.Helper()
	b, err := os.ReadFile("testdata/config_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []configCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// attrValue is a configuration field as the loader spells it.
func attrValue(c news.Config, attr string) string {
	switch attr {
	case "layout":
		return c.Layout
	case "limit":
		return strconv.Itoa(c.Limit)
	case "category":
		return c.Category
	case "theme":
		return c.Theme
	case "accent":
		return c.Accent
	case "speed":
		return strconv.Itoa(c.Speed)
	case "locale":
		return c.Locale
	case "ticker-label":
		return c.TickerLabel
	case "list-label":
		return c.ListLabel
	case "live":
		return strconv.FormatBool(c.Live)
	case "loading":
		return c.Loading
	case "height":
		if c.Height == 0 {
			return ""
		}
		return strconv.Itoa(c.Height)
	case "link-target":
		return c.LinkTarget
	}
	return "?" + attr
}

func TestParseConfigCases(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(tc.Attr+"="+tc.Value, func(t *testing.T) {
			cfg, warns := news.ParseConfig(url.Values{tc.Attr: {tc.Value}})
			if got := attrValue(cfg, tc.Attr); got != tc.Want {
				t.Errorf("got %q, want %q", got, tc.Want)
			}
			if got := len(warns) > 0; got != tc.Warn {
				t.Errorf("warned %v (%v), want %v", got, warns, tc.Warn)
			}
			for _, w := range warns {
				if w.Attr != "data-"+tc.Attr || w.Value != tc.Value || !strings.Contains(w.String(), "data-"+tc.Attr) {
					t.Errorf("warning %+v does not name the attribute and value", w)
				}
			}
		})
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, warns := news.ParseConfig(url.Values{})
	if want := news.DefaultConfig(); cfg != want || len(warns) != 0 {
		t.Errorf("got %+v %v, want %+v and no warnings", cfg, warns, want)
	}
	if q := cfg.Query(); len(q) != 0 {
		t.Errorf("default config query %v, want empty", q)
	}
}

func TestConfigQueryRoundTrip(t *testing.T) {
	in := url.Values{"layout": {"ticker"}, "limit": {"7"}, "category": {"World"}, "theme": {"dark"},
		"accent": {"#c00"}, "speed": {"90"}, "locale": {"ar"}, "ticker-label": {"Now"}, "list-label": {"More"},
		"live": {"false"}, "loading": {"eager"}, "height": {"300"}, "link-target": {"_blank"},
		"id": {"w1abc"}, "parent": {"https://pub.example"}}
	cfg, warns := news.ParseConfig(in)
	if len(warns) != 0 {
		t.Fatalf("warnings %v", warns)
	}
	again, _ := news.ParseConfig(cfg.Query())
	if again != cfg {
		t.Errorf("round trip: got %+v, want %+v", again, cfg)
	}
}

func TestParseOrigin(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://Pub.Example", "https://pub.example", true},
		{"http://127.0.0.2:8080", "http://127.0.0.2:8080", true},
		{"https://pub.example/", "https://pub.example", true},
		{"https://pub.example/path", "", false},
		{"javascript:alert(1)", "", false},
		{"null", "", false},
		{"https://user@pub.example", "", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := news.ParseOrigin(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestParseSiteOrigin: an origin the server writes into a CSP header as it
// is (partners' origins, -origins).
func TestParseSiteOrigin(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://Pub.Example/", "https://pub.example", true},
		{"https://pub.example/path", "", false},
		// what goes into a CSP header as it is: nothing that adds a
		// directive, a source or a wildcard
		{"https://a.example;report-uri=x", "", false},
		{"https://x';sandbox", "", false},
		{"https://*", "", false},
		{"https://*.example", "", false},
		{"https://a.example,https://b.example", "", false},
		{"https://a.example:", "", false},
		{"https://a.example:8x", "", false},
		// the default port is the origin without one, as browsers send it
		{"https://a.example:443", "https://a.example", true},
		{"http://a.example:80", "http://a.example", true},
		{"https://a.example:80", "https://a.example:80", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"http://[::1]", "http://[::1]", true},
		{"http://xn--bcher-kva.example", "http://xn--bcher-kva.example", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := news.ParseSiteOrigin(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestOnAccent(t *testing.T) {
	for _, tc := range []struct{ accent, want string }{
		{"#ffff00", "#111111"}, {"#000080", "#ffffff"}, {"#b00020", "#ffffff"},
		{"rgb(255, 255, 255)", "#111111"}, {"yellow", "#111111"}, {"navy", "#ffffff"}, {"#fff", "#111111"},
	} {
		if got := news.OnAccent(tc.accent); got != tc.want {
			t.Errorf("OnAccent(%q): got %s, want %s", tc.accent, got, tc.want)
		}
	}
}
