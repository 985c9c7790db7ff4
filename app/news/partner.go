package news

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Partner is a site that carries the widget under its own key: a widget
// whose tag names the key (data-partner) may be framed only by the
// partner's origins, and its impressions and clicks count for the partner.
// The key is not a secret (it is in the partner's pages); revoking it turns
// its widgets off.
type Partner struct {
	Name      string    `json:"name"`
	Key       string    `json:"key"`
	Origins   []string  `json:"origins"`
	Revoked   bool      `json:"revoked"`
	CreatedAt time.Time `json:"created_at"`
}

// DirectPartner is the name statistics give to widgets without a partner
// key; no partner may take it.
const DirectPartner = "direct"

// PartnerKeyPrefix starts every partner key.
const PartnerKeyPrefix = "nwp_"

// Partner bounds.
const (
	// MaxPartnerNameLen is the longest partner name.
	MaxPartnerNameLen = 64
	// MaxPartnerOrigins is the most origins one partner may have.
	MaxPartnerOrigins = 20
	// MaxPartnerKeyLen is the longest value data-partner may carry.
	MaxPartnerKeyLen = 64
)

// ValidatePartnerName refuses a name that is not 1 to MaxPartnerNameLen of
// a-z, 0-9, '.', '_' and '-', starting with a letter or digit, or that is
// DirectPartner.
func ValidatePartnerName(name string) error {
	if name == "" || len(name) > MaxPartnerNameLen {
		return FieldError("name", "must be 1 to %d characters", MaxPartnerNameLen)
	}
	for i, c := range []byte(name) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return FieldError("name", "must be lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
		}
	}
	if name == DirectPartner {
		return FieldError("name", "%q is reserved for widgets without a partner key", DirectPartner)
	}
	return nil
}

// ParsePartnerOrigins checks a partner's origins (each "scheme://host[:port]",
// as ParseOrigin accepts) and returns them canonical, without duplicates,
// in the order given; one to MaxPartnerOrigins of them are required.
func ParsePartnerOrigins(list []string) ([]string, error) {
	var out []string
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		o, ok := ParseSiteOrigin(s)
		if !ok {
			return nil, FieldError("origins", "%q is not an origin such as https://news.example", s)
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	if len(out) == 0 || len(out) > MaxPartnerOrigins {
		return nil, FieldError("origins", "must name 1 to %d origins, such as https://news.example", MaxPartnerOrigins)
	}
	return out, nil
}

// ParseSiteOrigin is ParseOrigin for an origin the server writes into a
// header (a Content-Security-Policy's frame-ancestors) as it is: the host
// must be a DNS name or an IP address, so no wildcard, quote, separator or
// space gets through, and the scheme's default port is dropped, as
// browsers drop it. (Not in ParseOrigin, which the widget's wasm carries.)
func ParseSiteOrigin(s string) (string, bool) {
	o, ok := ParseOrigin(s)
	if !ok {
		return "", false
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", false
	}
	host, port := u.Hostname(), u.Port()
	ip := strings.Contains(host, ":")
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-:") != "" || ip != strings.HasPrefix(u.Host, "[") ||
		strings.Trim(port, "0123456789") != "" || strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	if ip {
		host = "[" + host + "]"
	}
	if port != "" && port != map[string]string{"http": "80", "https": "443"}[u.Scheme] {
		host += ":" + port
	}
	return u.Scheme + "://" + host, true
}

// SplitOrigins splits a comma- or space-separated list of origins.
func SplitOrigins(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' })
}

// ValidPartnerKey reports whether k has the shape of a partner key:
// PartnerKeyPrefix and 26 characters of base32 (A-Z, 2-7).
func ValidPartnerKey(k string) bool {
	rest, ok := strings.CutPrefix(k, PartnerKeyPrefix)
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range []byte(rest) {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Allows reports whether a page on origin may frame the partner's widgets:
// the partner is not revoked and lists the origin.
func (p Partner) Allows(origin string) bool {
	return !p.Revoked && slices.Contains(p.Origins, origin)
}

// Partners keeps the partner sites. Errors are *Error: ENotFound for a
// missing partner or key, EConflict for a name or key taken.
type Partners interface {
	// CreatePartner stores a new partner; EConflict if its name or key is taken.
	CreatePartner(ctx context.Context, p Partner) error
	// Partners lists every partner, revoked ones too, by name.
	Partners(ctx context.Context) ([]Partner, error)
	// PartnerByKey returns the partner with the key, revoked or not.
	PartnerByKey(ctx context.Context, key string) (Partner, error)
	// RevokePartner revokes a partner's key for good.
	RevokePartner(ctx context.Context, name string) error
}

// Audit actions of partners; their values are part of the API.
const (
	// ActionPartnerAdd is a partner created.
	ActionPartnerAdd = "partner_add"
	// ActionPartnerRevoke is a partner's key revoked.
	ActionPartnerRevoke = "partner_revoke"
)

// PartnerKeyOf returns the partner key an /embed query carries
// (data-partner less "data-"), "" for none. A value that cannot be a key
// comes back as "-", which no partner has, so the widget is refused as an
// unknown key's rather than shown unbound. It is apart from ParseConfig:
// only the server reads the key (the frame's beacon script takes it from
// its own address), so the wasm carries none of this.
func PartnerKeyOf(q url.Values) string {
	k := strings.TrimSpace(q.Get("partner"))
	if len(k) > MaxPartnerKeyLen || !utf8.ValidString(k) {
		return "-"
	}
	return k
}
