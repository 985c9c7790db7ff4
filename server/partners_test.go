package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/server"
)

// TestPartnerRoutes sends every partner route as every kind of caller: only
// admins manage partners.
func TestPartnerRoutes(t *testing.T) {
	n := newNewsroom(t)
	callers := []struct{ who, how string }{
		{"anonymous", ""}, {"ed", "cookie"}, {"ed", "token"}, {"adm", "cookie"}, {"adm", "token"},
		{"admin-token", ""}, {"off", "token"}, {"expired", ""},
	}
	type want map[string]int // status by caller; missing: 401
	admins := func(status int) want {
		return want{"ed cookie": 403, "ed token": 403, "adm cookie": status, "adm token": status, "admin-token ": status}
	}
	routes := []struct {
		name, method, path, body string
		want                     want
	}{
		{"add", "POST", "/api/partners", `{"name":"{partner}","origins":["https://a.example"]}`, admins(201)},
		{"list", "GET", "/api/partners", ``, admins(200)},
		{"revoke", "DELETE", "/api/partners/{partner}", ``, admins(204)},
	}
	ctx := context.Background()
	for _, rt := range routes {
		for i, c := range callers {
			key := c.who + " " + c.how
			t.Run(rt.name+"/"+key, func(t *testing.T) {
				name := rt.name + string(rune('a'+i))
				if rt.method == "DELETE" {
					if _, err := server.AddPartner(ctx, n.Store, n.Store, name, []string{"https://a.example"}, "test"); err != nil {
						t.Fatal(err)
					}
				}
				path, body := strings.ReplaceAll(rt.path, "{partner}", name), strings.ReplaceAll(rt.body, "{partner}", name)
				var b []byte
				if body != "" {
					b = []byte(body)
				}
				r := n.do(t, rt.method, path, b, n.as(c.who, c.how))
				status, ok := rt.want[key]
				if !ok {
					status = http.StatusUnauthorized
				}
				if status >= 400 {
					wantError(t, r, status, map[int]string{401: news.EUnauthorized, 403: news.EForbidden}[status], "")
					return
				}
				wantStatus(t, r, status)
				if got := r.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control: got %q, want no-store", got)
				}
			})
		}
	}
}

// TestPartnerLifecycle adds, lists and revokes a partner over the API, with
// the audit log's word for each, and refuses bad requests by field.
func TestPartnerLifecycle(t *testing.T) {
	n := newNewsroom(t)
	adm := n.as("adm", "token")
	r := n.do(t, "POST", "/api/partners", []byte(`{"name":"gazette","origins":["https://Gazette.example/","https://gazette.example","http://localhost:8081"]}`), adm)
	wantStatus(t, r, http.StatusCreated)
	p := decode[news.Partner](t, r.Body)
	if !news.ValidPartnerKey(p.Key) {
		t.Errorf("key %q is not a partner key", p.Key)
	}
	if want := []string{"https://gazette.example", "http://localhost:8081"}; p.Name != "gazette" || !slices.Equal(p.Origins, want) || p.Revoked {
		t.Errorf("created: got %+v, want gazette with origins %v", p, want)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"taken name", `{"name":"gazette","origins":["https://x.example"]}`, 409, news.EConflict, ""},
		{"reserved name", `{"name":"direct","origins":["https://x.example"]}`, 400, news.EInvalid, "name"},
		{"bad name", `{"name":"The Gazette","origins":["https://x.example"]}`, 400, news.EInvalid, "name"},
		{"no origins", `{"name":"herald","origins":[]}`, 400, news.EInvalid, "origins"},
		{"a path", `{"name":"herald","origins":["https://x.example/news"]}`, 400, news.EInvalid, "origins"},
		{"no scheme", `{"name":"herald","origins":["x.example"]}`, 400, news.EInvalid, "origins"},
		{"javascript", `{"name":"herald","origins":["javascript:alert(1)"]}`, 400, news.EInvalid, "origins"},
		{"unknown field", `{"name":"herald","origins":["https://x.example"],"key":"nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 400, news.EInvalid, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, n.do(t, "POST", "/api/partners", []byte(tc.body), adm), tc.status, tc.code, tc.field)
		})
	}

	list := decode[map[string][]news.Partner](t, n.get(t, "/api/partners", adm).Body)["partners"]
	if len(list) != 1 || list[0].Key != p.Key {
		t.Fatalf("list: got %+v, want the gazette alone", list)
	}
	wantStatus(t, n.do(t, "DELETE", "/api/partners/gazette", nil, adm), http.StatusNoContent)
	wantError(t, n.do(t, "DELETE", "/api/partners/nobody", nil, adm), 404, news.ENotFound, "")
	list = decode[map[string][]news.Partner](t, n.get(t, "/api/partners", adm).Body)["partners"]
	if len(list) != 1 || !list[0].Revoked {
		t.Errorf("list after the revocation: got %+v, want the gazette revoked", list)
	}
	entries := decode[map[string][]news.AuditEntry](t, n.get(t, "/api/audit", adm).Body)["entries"]
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "partner_") {
			got = append(got, e.User+" "+e.Action+" "+e.Title)
		}
	}
	if want := []string{"adm partner_revoke partner gazette", "adm partner_add partner gazette"}; !slices.Equal(got, want) {
		t.Errorf("audit: got %q, want %q", got, want)
	}
}

// TestEmbedPartner: a widget with a partner key is framed only by the
// partner's origins (frame-ancestors); a key that cannot show a widget gets
// a refusal any page may frame, which carries the reason for the loader.
func TestEmbedPartner(t *testing.T) {
	ts := newTestServer(t, func(o *server.Options) { o.Origins = []string{"https://global.example"} })
	ctx := context.Background()
	p, err := server.AddPartner(ctx, ts.Store, ts.Store, "gazette", []string{"https://gazette.example", "https://sister.example"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := server.AddPartner(ctx, ts.Store, ts.Store, "gone", []string{"https://gone.example"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := server.RevokePartner(ctx, ts.Store, ts.Store, "gone", "test"); err != nil {
		t.Fatal(err)
	}
	embed := func(key, parent string) string {
		q := url.Values{"id": {"w1"}}
		if key != "" {
			q.Set("partner", key)
		}
		if parent != "" {
			q.Set("parent", parent)
		}
		return "/embed?" + q.Encode()
	}
	const anyPage = "frame-ancestors *"
	for _, tc := range []struct {
		name, key, parent string
		status            int
		ancestors         string // the CSP's frame-ancestors
		reason            string // in the refusal
	}{
		{"partner's origin", p.Key, "https://gazette.example", 200, "frame-ancestors 'self' https://gazette.example https://sister.example", ""},
		{"partner's other origin", p.Key, "https://sister.example", 200, "frame-ancestors 'self' https://gazette.example https://sister.example", ""},
		{"no parent named", p.Key, "", 200, "frame-ancestors 'self' https://gazette.example https://sister.example", ""},
		{"this site (the configurator)", p.Key, ts.URL, 200, "frame-ancestors 'self' https://gazette.example https://sister.example", ""},
		{"another origin", p.Key, "https://thief.example", 403, anyPage, "does not allow https://thief.example"},
		{"a globally allowed origin", p.Key, "https://global.example", 403, anyPage, "does not allow https://global.example"},
		{"unknown key", "nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA", "https://gazette.example", 403, anyPage, "is unknown"},
		{"not a key", "<b>hello</b>", "https://gazette.example", 403, anyPage, "is unknown"},
		{"revoked key", gone.Key, "https://gone.example", 403, anyPage, "was revoked"},
		{"no key: -origins", "", "https://global.example", 200, "frame-ancestors 'self' https://global.example", ""},
		{"no key: refused by -origins", "", "https://gazette.example", 403, "frame-ancestors 'self' https://global.example", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, embed(tc.key, tc.parent), nil)
			wantStatus(t, r, tc.status)
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, tc.ancestors) {
				t.Errorf("CSP: got %q, want it to end with %q", csp, tc.ancestors)
			}
			body := string(r.Body)
			// the widget's page runs it inline, a refusal names it
			beacon := regexp.MustCompile(`<script[^>]* src="/web/beacon\.[0-9a-f]{10}\.js"`).MatchString(body) ||
				slices.ContainsFunc(inlineScripts(r.Body), func(js []byte) bool { return bytes.Contains(js, []byte(`"/api/beacon"`)) })
			if !beacon && (tc.key != "" || tc.status == 200) {
				t.Errorf("the page loads no beacon script:\n%.400s", body)
			}
			if tc.reason == "" {
				return
			}
			m := regexp.MustCompile(`data-refused="([^"]*)"`).FindStringSubmatch(body)
			if m == nil || !strings.Contains(m[1], tc.reason) || strings.Contains(body, "<b>") {
				t.Errorf("refusal: got %q, want a data-refused reason with %q, escaped", body, tc.reason)
			}
		})
	}
}

// failingAudit is an audit log that cannot take entries.
type failingAudit struct{ news.Accounts }

func (failingAudit) AppendAudit(context.Context, news.AuditEntry) error {
	return &news.Error{Code: news.EUnavailable, Message: "the article store cannot accept writes: the disk is full"}
}

// TestPartnerAddAuditFails: a partner created whose audit entry cannot be
// written is still answered with its key, which is shown this once; the
// failure goes to the server's log.
func TestPartnerAddAuditFails(t *testing.T) {
	logs := &logLines{}
	ts := newTestServer(t, logTo(logs), func(o *server.Options) { o.Accounts = failingAudit{o.Store.(news.Accounts)} })
	r := ts.do(t, "POST", "/api/partners", []byte(`{"name":"gazette","origins":["https://gazette.example"]}`), auth)
	wantStatus(t, r, http.StatusCreated)
	p := decode[news.Partner](t, r.Body)
	if p.Name != "gazette" || !news.ValidPartnerKey(p.Key) {
		t.Fatalf("created: got %+v, want the gazette with its key", p)
	}
	list := decode[map[string][]news.Partner](t, ts.get(t, "/api/partners", auth).Body)["partners"]
	if len(list) != 1 || list[0].Key != p.Key {
		t.Errorf("list: got %+v, want the gazette with the key answered", list)
	}
	if logs.count("audit entry not written") != 1 {
		t.Errorf("the audit log's failure is not logged")
	}
}
