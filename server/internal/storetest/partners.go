package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"newswidget/app/news"
)

// RunPartners runs the conformance suite of news.Partners, calling open for
// a fresh, empty store in every sub-test (open closes it when t ends).
func RunPartners(t *testing.T, open func(t *testing.T) news.Partners) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s news.Partners)
	}{
		{"CreateList", testPartnersCreateList},
		{"ByKey", testPartnerByKey},
		{"Revoke", testPartnerRevoke},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var partnersBase = time.Date(2026, 12, 6, 12, 0, 0, 123456789, time.UTC)

func addPartner(t *testing.T, s news.Partners, name, key string, origins ...string) news.Partner {
	t.Helper()
	p := news.Partner{Name: name, Key: key, Origins: origins, CreatedAt: partnersBase}
	if err := s.CreatePartner(context.Background(), p); err != nil {
		t.Fatalf("CreatePartner(%q): %v", name, err)
	}
	return p
}

func checkPartners(t *testing.T, what string, got, want []news.Partner) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Key != w.Key || g.Revoked != w.Revoked || !g.CreatedAt.Equal(w.CreatedAt) || !reflect.DeepEqual(g.Origins, w.Origins) {
			t.Errorf("%s[%d]: got %+v, want %+v", what, i, g, w)
		}
	}
}

const (
	keyA = "nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA"
	keyB = "nwp_BBBBBBBBBBBBBBBBBBBBBBBBBB"
	keyC = "nwp_CCCCCCCCCCCCCCCCCCCCCCCCCC"
)

func testPartnersCreateList(t *testing.T, s news.Partners) {
	ctx := context.Background()
	if l, err := s.Partners(ctx); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("Partners of an empty store: got %v, %v; want an empty, non-nil list", l, err)
	}
	zed := addPartner(t, s, "zed", keyA, "https://zed.example", "http://localhost:8081")
	amy := addPartner(t, s, "amy", keyB, "https://amy.example")
	for _, tc := range []struct {
		name string
		p    news.Partner
	}{
		{"taken name", news.Partner{Name: "zed", Key: keyC, Origins: []string{"https://x.example"}, CreatedAt: partnersBase}},
		{"taken key", news.Partner{Name: "cy", Key: keyA, Origins: []string{"https://x.example"}, CreatedAt: partnersBase}},
	} {
		checkCode(t, "CreatePartner of a "+tc.name, s.CreatePartner(ctx, tc.p), news.EConflict)
	}
	l, err := s.Partners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkPartners(t, "Partners", l, []news.Partner{amy, zed})
}

func testPartnerByKey(t *testing.T, s news.Partners) {
	ctx := context.Background()
	zed := addPartner(t, s, "zed", keyA, "https://zed.example")
	got, err := s.PartnerByKey(ctx, keyA)
	if err != nil {
		t.Fatal(err)
	}
	checkPartners(t, "PartnerByKey", []news.Partner{got}, []news.Partner{zed})
	for _, key := range []string{keyB, "", "nwp_\x00"} {
		_, err := s.PartnerByKey(ctx, key)
		checkCode(t, "PartnerByKey("+key+")", err, news.ENotFound)
	}
}

func testPartnerRevoke(t *testing.T, s news.Partners) {
	ctx := context.Background()
	zed := addPartner(t, s, "zed", keyA, "https://zed.example")
	amy := addPartner(t, s, "amy", keyB, "https://amy.example")
	if err := s.RevokePartner(ctx, "zed"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokePartner(ctx, "zed"); err != nil {
		t.Errorf("RevokePartner twice: got %v, want no error", err)
	}
	checkCode(t, "RevokePartner(nobody)", s.RevokePartner(ctx, "nobody"), news.ENotFound)
	zed.Revoked = true
	got, err := s.PartnerByKey(ctx, keyA)
	if err != nil {
		t.Fatal(err)
	}
	checkPartners(t, "PartnerByKey of a revoked key", []news.Partner{got}, []news.Partner{zed})
	if got.Allows("https://zed.example") {
		t.Error("a revoked partner still allows its origin")
	}
	l, err := s.Partners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkPartners(t, "Partners", l, []news.Partner{amy, zed})
}
