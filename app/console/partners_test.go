package console

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"newswidget/app/news"
)

// scriptAPI answers each request at once from its script ("METHOD path" →
// status and body) and records what was sent.
type scriptAPI struct {
	answers map[string]scripted
	sent    []string // "METHOD path body"
}

type scripted struct {
	status int
	body   string
}

func (f *scriptAPI) Do(method, path string, body any, done func(int, []byte, error)) {
	b, _ := json.Marshal(body)
	if body == nil {
		b = nil
	}
	f.sent = append(f.sent, method+" "+path+" "+string(b))
	a, ok := f.answers[method+" "+path]
	if !ok {
		done(404, []byte(`{"error":{"code":"not_found","message":"no such route"}}`), nil)
		return
	}
	done(a.status, []byte(a.body), nil)
}

func (f *scriptAPI) Subscribe(func(string)) func() { return func() {} }

// has fails the test for each want html lacks and each absent it has.
func has(t *testing.T, html string, want, absent []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("lacks %s", w)
		}
	}
	for _, a := range absent {
		if strings.Contains(html, a) {
			t.Errorf("has %s", a)
		}
	}
}

// An admin's navigation offers the partners and the live updates; an
// editor's only the live updates, and an editor who somehow is in the
// partners' view sees the articles.
func TestNavigationAdminViews(t *testing.T) {
	admin := &Console{user: User{Name: "root", Role: news.RoleAdmin}, now: time.Now()}
	html := render(t, admin)
	has(t, html, []string{">Partners</button>", ">Live updates</button>"}, nil)
	admin.show(viewPartners)
	html = render(t, admin)
	if !current("Partners").MatchString(html) || current("Articles").MatchString(html) {
		t.Error("the partners view is not the current one")
	}
	has(t, html, []string{`id="nr-partners"`, ">Add partner</button>", ">Name</label>", ">Origins</label>", "hidden"}, []string{`id="nr-stats"`})
	admin = &Console{user: admin.user, now: admin.now}
	admin.show(viewLive)
	has(t, render(t, admin), []string{`id="nr-live"`, `aria-pressed="false"`, ">Paused</button>"}, []string{`id="nr-partners"`})

	editor := &Console{user: User{Name: "ann", Role: news.RoleEditor}, now: time.Now()}
	has(t, render(t, editor), []string{">Live updates</button>"}, []string{">Partners</button>"})
	editor.show(viewPartners)
	html = render(t, editor)
	has(t, html, []string{`id="nr-form"`}, []string{`id="nr-partners"`, ">Add partner<"})
	if !current("Articles").MatchString(html) {
		t.Error("an editor asking for the partners is not shown the articles")
	}
	editor = &Console{user: editor.user, now: editor.now}
	editor.show(viewLive)
	has(t, render(t, editor), []string{`id="nr-live"`, "Only an admin can switch"}, []string{">Paused</button>"})
}

const partnersJSON = `{"partners":[
 {"name":"gazette","key":"nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA","origins":["https://gazette.example","https://www.gazette.example"],"revoked":false,"created_at":"2026-12-01T10:00:00Z"},
 {"name":"old-times","key":"nwp_BBBBBBBBBBBBBBBBBBBBBBBBBB","origins":["https://old.example"],"revoked":true,"created_at":"2026-11-01T09:30:00Z"}]}`

// The partners' view lists them, adds one (showing its key and the tag to
// paste) and revokes one only after the confirmation.
func TestPartnersView(t *testing.T) {
	api := &scriptAPI{answers: map[string]scripted{"GET /api/partners": {200, partnersJSON}}}
	p := newPartners(api, link{})
	p.site = "https://news.example"
	p.fetch()
	html := render(t, p)
	has(t, html, []string{
		`>gazette</span>`, "https://gazette.example", "https://www.gazette.example", "nwp_AAAAAAAAAAAAAAAAAAAAAAAAAA", "1 Dec 2026 10:00 UTC",
		`>old-times</span>`, ">Revoked</span>", ">Active</span>", `id="nr-revoke-gazette"`,
	}, []string{`id="nr-revoke-old-times"`, `role="alert"`, "Confirm revoke", `id="nr-partner-new"`})

	// Add: the origins typed one per line and with commas go as a list.
	const added = `{"name":"courier","key":"nwp_CCCCCCCCCCCCCCCCCCCCCCCCCC","origins":["https://courier.example","https://m.courier.example"],"revoked":false,"created_at":"2026-12-06T17:00:00Z"}`
	api.answers["POST /api/partners"] = scripted{201, added}
	p.name, p.origins = " courier ", "https://courier.example,\r\nhttps://m.courier.example\n"
	p.add()
	if got := api.sent[len(api.sent)-1]; got != `POST /api/partners {"name":"courier","origins":["https://courier.example","https://m.courier.example"]}` {
		t.Errorf("sent %s", got)
	}
	html = render(t, p)
	has(t, html, []string{
		`id="nr-partner-new"`, `id="nr-partner-key"`, ">nwp_CCCCCCCCCCCCCCCCCCCCCCCCCC</code>",
		`&lt;script src=&#34;https://news.example/widget.js&#34; async data-partner=&#34;nwp_CCCCCCCCCCCCCCCCCCCCCCCCCC&#34;&gt;&lt;/script&gt;`,
		`id="nr-revoke-courier"`,
	}, nil)
	if p.name != "" || p.origins != "" {
		t.Errorf("the form keeps %q %q after the add", p.name, p.origins)
	}

	// Revoke asks first, and sends nothing until confirmed.
	n := len(api.sent)
	p.onRevoke("gazette")
	html = render(t, p)
	has(t, html, []string{`id="nr-revoke-confirm"`, "Revoke “gazette”?", ">Confirm revoke</button>", ">Cancel</button>", `aria-controls="nr-revoke-confirm"`}, nil)
	if len(api.sent) != n {
		t.Fatalf("Revoke sent %v before the confirmation", api.sent[n:])
	}
	api.answers["DELETE /api/partners/gazette"] = scripted{204, ""}
	api.answers["GET /api/partners"] = scripted{200, strings.Replace(partnersJSON, `"revoked":false`, `"revoked":true`, 1)}
	p.revoke()
	if got := api.sent[n]; got != "DELETE /api/partners/gazette " {
		t.Errorf("sent %s, want the revoke", got)
	}
	html = render(t, p)
	has(t, html, nil, []string{`id="nr-revoke-gazette"`, "Confirm revoke", `role="alert"`})
	if !p.list[0].Revoked {
		t.Errorf("after the revoke: %+v", p.list[0])
	}
}

// The API's errors: next to the field they name, else as an alert; a
// lost session goes back to the sign-in form.
func TestPartnersErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"origins", 400, `{"error":{"code":"invalid","message":"\"ftp://x\" is not an origin such as https://news.example","field":"origins"}}`,
			[]string{`id="nr-partner-origins-error"`, "is not an origin", `aria-describedby="nr-partner-origins-hint nr-partner-origins-error"`}},
		{"name", 409, `{"error":{"code":"conflict","message":"a partner has this name","field":"name"}}`,
			[]string{`id="nr-partner-name-error"`, "a partner has this name"}},
		{"store", 503, `{"error":{"code":"unavailable","message":"this server's store keeps no partners"}}`,
			[]string{`id="nr-partner-form-error"`, `role="alert"`, "The partner could not be added: this server&#39;s store keeps no partners"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &scriptAPI{answers: map[string]scripted{"POST /api/partners": {tc.status, tc.body}}}
			p := newPartners(api, link{})
			p.name, p.origins = "x", "ftp://x"
			p.add()
			has(t, render(t, p), tc.want, []string{`id="nr-partner-new"`})
		})
	}
	api := &scriptAPI{answers: map[string]scripted{"GET /api/partners": {403, `{"error":{"code":"forbidden","message":"admins only"}}`}}}
	p := newPartners(api, link{})
	p.fetch()
	has(t, render(t, p), []string{`id="nr-partners-error"`, `role="alert"`, "The partners could not be loaded: admins only"}, nil)

	ended := false
	api.answers["GET /api/partners"] = scripted{401, `{"error":{"code":"unauthorized","message":"x"}}`}
	p = newPartners(api, link{signOut: func() { ended = true }})
	p.fetch()
	if !ended {
		t.Error("a 401 keeps the admin in the partners")
	}
}

// The tag is the loader's, as the configurator writes it, with the key.
func TestEmbedTag(t *testing.T) {
	if got := embedTag("https://news.example", "nwp_K"); got != `<script src="https://news.example/widget.js" async data-partner="nwp_K"></script>` {
		t.Errorf("embedTag: %s", got)
	}
}
