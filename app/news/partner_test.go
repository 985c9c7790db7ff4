package news

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestValidatePartnerName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"gazette", true}, {"the-gazette.co_2", true}, {"9news", true},
		{"", false}, {"Gazette", false}, {"-gazette", false}, {"the gazette", false},
		{DirectPartner, false}, {strings.Repeat("a", MaxPartnerNameLen), true}, {strings.Repeat("a", MaxPartnerNameLen+1), false},
	} {
		if got := ValidatePartnerName(tc.name) == nil; got != tc.ok {
			t.Errorf("ValidatePartnerName(%q): got ok %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestParsePartnerOrigins(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string // nil: refused
	}{
		{[]string{"https://a.example"}, []string{"https://a.example"}},
		{[]string{"https://A.example/", " http://localhost:8081 ", "", "https://a.example"}, []string{"https://a.example", "http://localhost:8081"}},
		{SplitOrigins("https://a.example,https://b.example https://c.example"), []string{"https://a.example", "https://b.example", "https://c.example"}},
		{nil, nil},
		{[]string{""}, nil},
		{[]string{"a.example"}, nil},
		{[]string{"https://a.example/path"}, nil},
		{[]string{"ftp://a.example"}, nil},
		{[]string{"https://a.example?x=1"}, nil},
		{[]string{"https://user@a.example"}, nil},
		{[]string{"https://a.example:"}, nil},
	} {
		got, err := ParsePartnerOrigins(tc.in)
		if tc.want == nil {
			if err == nil || ErrorCode(err) != EInvalid {
				t.Errorf("ParsePartnerOrigins(%q): got %q, %v; want an invalid error", tc.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParsePartnerOrigins(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	many := make([]string, MaxPartnerOrigins+1)
	for i := range many {
		many[i] = "https://a" + strings.Repeat("x", i) + ".example"
	}
	if _, err := ParsePartnerOrigins(many); err == nil {
		t.Errorf("ParsePartnerOrigins of %d origins: no error", len(many))
	}
}

func TestPartnerKeys(t *testing.T) {
	for _, tc := range []struct {
		query string
		key   string
		valid bool
	}{
		{"partner=nwp_ABCDEFGHIJKLMNOPQRSTUVWXYZ", "nwp_ABCDEFGHIJKLMNOPQRSTUVWXYZ", true},
		{"partner=+nwp_234567ABCDEFGHIJKLMNOPQRST+", "nwp_234567ABCDEFGHIJKLMNOPQRST", true},
		{"partner=nwp_abcdefghijklmnopqrstuvwxyz", "nwp_abcdefghijklmnopqrstuvwxyz", false},
		{"partner=nwp_ABC", "nwp_ABC", false},
		{"partner=" + strings.Repeat("A", MaxPartnerKeyLen+1), "-", false},
		{"partner=%ff", "-", false},
		{"layout=ticker", "", false},
	} {
		q, _ := url.ParseQuery(tc.query)
		key := PartnerKeyOf(q)
		if key != tc.key || ValidPartnerKey(key) != tc.valid {
			t.Errorf("%s: got key %q (valid %v), want %q (valid %v)", tc.query, key, ValidPartnerKey(key), tc.key, tc.valid)
		}
	}
	p := Partner{Origins: []string{"https://a.example"}}
	if !p.Allows("https://a.example") || p.Allows("https://b.example") {
		t.Error("Allows: wrong origins")
	}
	if p.Revoked = true; p.Allows("https://a.example") {
		t.Error("Allows: a revoked partner allows its origin")
	}
}
