package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/internal/testserver"
	"newswidget/server/sqlite"
)

// Passwords of the accounts the tests make.
const (
	edPassword  = "ed-password-0123"
	admPassword = "adm-password-0123"
	offPassword = "off-password-0123"
)

// newsroom is a test server with accounts: ed (editor), adm (admin) and
// off (an editor disabled after signing in and making a token), each with
// a session cookie and a personal token, and an expired session of ed.
type newsroom struct {
	*testServer
	cookie, token map[string]string // by account
	expired       string            // a session cookie of ed, expired
	dir           string            // where the database lives
}

func newNewsroom(t *testing.T, opts ...func(*server.Options)) *newsroom {
	t.Helper()
	ts := testserver.Start(t, testserver.Config{Options: testOptions}, opts...)
	n := &newsroom{testServer: wrapServer(t, ts), cookie: map[string]string{}, token: map[string]string{}, dir: ts.Dir}
	ctx := context.Background()
	for _, a := range []struct{ name, role, password string }{
		{"ed", "editor", edPassword}, {"adm", "admin", admPassword}, {"off", "editor", offPassword},
	} {
		if _, _, err := server.AddUser(ctx, n.Store, a.name, a.role, a.password, "test"); err != nil {
			t.Fatal(err)
		}
		n.cookie[a.name] = n.signIn(t, a.name, a.password)
		r := n.do(t, http.MethodPost, "/api/tokens", []byte(`{"name":"script"}`), n.as(a.name, "cookie"))
		wantStatus(t, r, http.StatusCreated)
		n.token[a.name] = decode[map[string]string](t, r.Body)["token"]
	}
	if err := server.DisableUser(ctx, n.Store, "off", "test"); err != nil {
		t.Fatal(err)
	}
	n.expired = "expired-session-id"
	if err := n.Store.CreateSession(ctx, sha256Hex(n.expired), "ed", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	return n
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// signIn signs in and returns the session cookie's value.
func (n *newsroom) signIn(t *testing.T, name, password string) string {
	t.Helper()
	r := n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": name, "password": password}), hdr{"Content-Type": "application/json"})
	wantStatus(t, r, http.StatusNoContent)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == server.SessionCookie {
			return c.Value
		}
	}
	t.Fatalf("sign-in set no %s cookie: %v", server.SessionCookie, r.Header.Values("Set-Cookie"))
	return ""
}

// as returns the headers of a request made by who: "anonymous",
// "admin-token", or an account with "cookie" (from the server's own page)
// or "token".
func (n *newsroom) as(who, how string) hdr {
	h := hdr{"Content-Type": "application/json"}
	switch {
	case who == "anonymous":
	case who == "admin-token":
		h["Authorization"] = "Bearer " + testToken
	case who == "expired":
		h["Cookie"], h["Origin"] = server.SessionCookie+"="+n.expired, n.URL
	case how == "cookie":
		h["Cookie"], h["Origin"] = server.SessionCookie+"="+n.cookie[who], n.URL
	default:
		h["Authorization"] = "Bearer " + n.token[who]
	}
	return h
}

// TestAccountRoutes sends every account and publishing route as every kind
// of caller.
func TestAccountRoutes(t *testing.T) {
	n := newNewsroom(t)
	callers := []struct{ who, how string }{
		{"anonymous", ""}, {"ed", "cookie"}, {"ed", "token"}, {"adm", "cookie"}, {"adm", "token"},
		{"admin-token", ""}, {"off", "cookie"}, {"off", "token"}, {"expired", ""},
	}
	type want map[string]int // status by caller ("ed cookie", …); missing: 401
	routes := []struct {
		name, method, path, body string
		want                     want
	}{
		{"publish", "POST", "/api/articles", `{"title":"From the newsroom"}`,
			want{"ed cookie": 201, "ed token": 201, "adm cookie": 201, "adm token": 201, "admin-token ": 201}},
		{"edit", "PUT", "/api/articles/{article}", `{"title":"Edited"}`,
			want{"ed cookie": 200, "ed token": 200, "adm cookie": 200, "adm token": 200, "admin-token ": 200}},
		{"delete", "DELETE", "/api/articles/{article}", ``,
			want{"ed cookie": 204, "ed token": 204, "adm cookie": 204, "adm token": 204, "admin-token ": 204}},
		{"list tokens", "GET", "/api/tokens", ``,
			want{"ed cookie": 200, "ed token": 200, "adm cookie": 200, "adm token": 200, "admin-token ": 200}},
		{"create token", "POST", "/api/tokens", `{}`,
			want{"ed cookie": 201, "ed token": 201, "adm cookie": 201, "adm token": 201, "admin-token ": 403}},
		{"delete own token", "DELETE", "/api/tokens/{own token}", ``,
			want{"ed cookie": 204, "ed token": 204, "adm cookie": 204, "adm token": 204, "admin-token ": 204}},
		{"delete another's token", "DELETE", "/api/tokens/{other token}", ``,
			want{"ed cookie": 404, "ed token": 404, "adm cookie": 204, "adm token": 204, "admin-token ": 204}},
		{"audit", "GET", "/api/audit", ``,
			want{"ed cookie": 403, "ed token": 403, "adm cookie": 200, "adm token": 200, "admin-token ": 200}},
		{"list users", "GET", "/api/users", ``,
			want{"ed cookie": 403, "ed token": 403, "adm cookie": 200, "adm token": 200, "admin-token ": 200}},
		{"add user", "POST", "/api/users", `{"name":"{new user}","role":"editor"}`,
			want{"ed cookie": 403, "ed token": 403, "adm cookie": 201, "adm token": 201, "admin-token ": 201}},
		{"disable user", "DELETE", "/api/users/{new user}", ``,
			want{"ed cookie": 403, "ed token": 403, "adm cookie": 204, "adm token": 204, "admin-token ": 204}},
	}
	ctx := context.Background()
	for _, rt := range routes {
		for i, c := range callers {
			key := c.who + " " + c.how
			t.Run(rt.name+"/"+key, func(t *testing.T) {
				h := n.as(c.who, c.how)
				// fresh subjects for each call, made by the admin token
				subst := map[string]string{}
				a := n.publish(t, obj{"title": "Subject"})
				subst["{article}"] = a.ID
				user := "u" + strings.ReplaceAll(strings.ToLower(rt.name), " ", "") + string(rune('a'+i))
				subst["{new user}"] = user
				if rt.path == "/api/users/{new user}" {
					if _, _, err := server.AddUser(ctx, n.Store, user, "editor", "some-password-0123", "test"); err != nil {
						t.Fatal(err)
					}
				}
				owner := c.who
				if rt.path == "/api/tokens/{other token}" || owner == "anonymous" || owner == "admin-token" || owner == "expired" {
					owner = "ed"
					if c.who == "ed" {
						owner = "adm"
					}
				}
				if owner != "off" {
					subst["{own token}"] = n.makeToken(t, owner)
					subst["{other token}"] = subst["{own token}"]
				}
				path, body := rt.path, rt.body
				for k, v := range subst {
					path, body = strings.ReplaceAll(path, k, v), strings.ReplaceAll(body, k, v)
				}
				var b []byte
				if body != "" {
					b = []byte(body)
				}
				before := n.lastSeq(t)
				r := n.do(t, rt.method, path, b, h)
				status, ok := rt.want[key]
				if !ok {
					status = http.StatusUnauthorized
				}
				if status >= 400 {
					code := map[int]string{401: news.EUnauthorized, 403: news.EForbidden, 404: news.ENotFound}[status]
					wantError(t, r, status, code, "")
					if n.lastSeq(t) != before {
						t.Errorf("a refused request changed the articles")
					}
					return
				}
				wantStatus(t, r, status)
				if got := r.Header.Get("Cache-Control"); rt.path != "/api/articles" && !strings.HasPrefix(rt.path, "/api/articles/") && got != "no-store" {
					t.Errorf("Cache-Control: got %q, want no-store", got)
				}
			})
		}
	}
}

// makeToken makes a personal token of an account and returns its id.
func (n *newsroom) makeToken(t *testing.T, owner string) string {
	t.Helper()
	r := n.do(t, http.MethodPost, "/api/tokens", nil, n.as(owner, "token"))
	wantStatus(t, r, http.StatusCreated)
	return decode[map[string]string](t, r.Body)["id"]
}

// TestTokenListings: an editor lists their own tokens, an admin everyone's,
// and a listing never holds a secret.
func TestTokenListings(t *testing.T) {
	n := newNewsroom(t)
	list := func(h hdr) []news.Token {
		r := n.get(t, "/api/tokens", h)
		wantStatus(t, r, http.StatusOK)
		for _, secret := range n.token {
			if bytes.Contains(r.Body, []byte(secret)) || bytes.Contains(r.Body, []byte(sha256Hex(secret))) {
				t.Errorf("a token listing holds a token or its hash: %s", r.Body)
			}
		}
		return decode[map[string][]news.Token](t, r.Body)["tokens"]
	}
	owners := func(l []news.Token) []string {
		var o []string
		for _, tk := range l {
			o = append(o, tk.Owner)
		}
		return o
	}
	if got := owners(list(n.as("ed", "cookie"))); !slices.Equal(got, []string{"ed"}) {
		t.Errorf("ed's listing: owners %q, want ed's alone", got)
	}
	// off was disabled: its token went with it
	if got := owners(list(n.as("adm", "token"))); !slices.Equal(got, []string{"ed", "adm"}) {
		t.Errorf("an admin's listing: owners %q, want every account's", got)
	}
	// a token acts as its owner, and its use is recorded
	if l := list(n.as("ed", "token")); len(l) != 1 || l[0].LastUsed.IsZero() {
		t.Errorf("ed's token after use: %+v, want a last use", l)
	}
}

// TestCookieWritesCheckOrigin: a write with the session cookie must come
// from the site's own pages; a bearer token's needs no Origin.
func TestCookieWritesCheckOrigin(t *testing.T) {
	n := newNewsroom(t, func(o *server.Options) { o.PublicURL = "https://news.example.com" })
	article := []byte(`{"title":"Origin check"}`)
	cookie := server.SessionCookie + "=" + n.cookie["ed"]
	for _, tc := range []struct {
		name string
		h    hdr
		want int
	}{
		{"same origin (the host)", hdr{"Cookie": cookie, "Origin": n.URL}, 201},
		{"same origin (the public URL)", hdr{"Cookie": cookie, "Origin": "https://news.example.com"}, 201},
		{"fetch metadata without Origin", hdr{"Cookie": cookie, "Sec-Fetch-Site": "same-origin"}, 201},
		{"foreign origin", hdr{"Cookie": cookie, "Origin": "https://evil.example"}, 403},
		{"foreign origin on the same host name", hdr{"Cookie": cookie, "Origin": "https://news.example.com:8443"}, 403},
		{"null origin", hdr{"Cookie": cookie, "Origin": "null"}, 403},
		{"no Origin", hdr{"Cookie": cookie}, 403},
		{"cross-site fetch metadata", hdr{"Cookie": cookie, "Origin": n.URL, "Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch metadata", hdr{"Cookie": cookie, "Origin": n.URL, "Sec-Fetch-Site": "same-site"}, 403},
		{"bearer token from anywhere", hdr{"Authorization": "Bearer " + n.token["ed"], "Origin": "https://evil.example"}, 201},
		{"bearer token without Origin", hdr{"Authorization": "Bearer " + n.token["ed"]}, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.h["Content-Type"] = "application/json"
			r := n.do(t, http.MethodPost, "/api/articles", article, tc.h)
			if tc.want == 403 {
				wantError(t, r, http.StatusForbidden, news.EForbidden, "")
			} else {
				wantStatus(t, r, tc.want)
			}
		})
	}
	// reads need no Origin
	wantStatus(t, n.get(t, "/api/tokens", hdr{"Cookie": cookie}), http.StatusOK)
	// nor may another site's page sign in or out
	wantError(t, n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "ed", "password": edPassword}),
		hdr{"Content-Type": "application/json", "Origin": "https://evil.example"}), http.StatusForbidden, news.EForbidden, "")
	wantError(t, n.do(t, http.MethodDelete, "/api/session", nil, hdr{"Cookie": cookie, "Origin": "https://evil.example"}),
		http.StatusForbidden, news.EForbidden, "")
	wantStatus(t, n.get(t, "/api/tokens", hdr{"Cookie": cookie}), http.StatusOK) // still signed in
}

// TestSignIn covers the cookie, wrong credentials (one answer for all) and
// signing out.
func TestSignIn(t *testing.T) {
	n := newNewsroom(t)
	r := n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "ed", "password": edPassword}), hdr{"Content-Type": "application/json"})
	wantStatus(t, r, http.StatusNoContent)
	c := (&http.Response{Header: r.Header}).Cookies()
	if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/" || c[0].Secure || c[0].MaxAge <= 0 {
		t.Errorf("session cookie: got %+v, want HttpOnly, SameSite=Strict, Path=/, not Secure over http", c)
	}
	if len(c[0].Value) < 43 {
		t.Errorf("session id %q: want 256 random bits", c[0].Value)
	}

	var messages []string
	for _, tc := range []struct{ name, body string }{
		{"wrong password", `{"name":"ed","password":"wrong-password"}`},
		{"unknown name", `{"name":"nobody","password":"wrong-password"}`},
		{"disabled account", `{"name":"off","password":"` + offPassword + `"}`},
		{"not a name", `{"name":"Not A Name","password":"x"}`},
		{"empty", `{}`},
	} {
		r := n.do(t, http.MethodPost, "/api/session", []byte(tc.body), hdr{"Content-Type": "application/json"})
		e := wantError(t, r, http.StatusUnauthorized, news.EUnauthorized, "")
		messages = append(messages, e.Message)
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a failed sign-in set a cookie", tc.name)
		}
	}
	if len(slices.Compact(slices.Clone(messages))) != 1 {
		t.Errorf("failed sign-ins answer differently: %q", messages)
	}
	wantError(t, n.do(t, http.MethodPost, "/api/session", []byte(`{"name":"ed","password":"x","extra":1}`), hdr{"Content-Type": "application/json"}),
		http.StatusBadRequest, news.EInvalid, "extra")

	// Signing out ends the session and clears the cookie.
	cookie := hdr{"Cookie": server.SessionCookie + "=" + n.cookie["ed"], "Origin": n.URL}
	r = n.do(t, http.MethodDelete, "/api/session", nil, cookie)
	wantStatus(t, r, http.StatusNoContent)
	if c := (&http.Response{Header: r.Header}).Cookies(); len(c) != 1 || c[0].MaxAge >= 0 || c[0].Value != "" {
		t.Errorf("sign-out cookie: got %+v, want it cleared", c)
	}
	wantError(t, n.get(t, "/api/tokens", cookie), http.StatusUnauthorized, news.EUnauthorized, "")
	wantStatus(t, n.do(t, http.MethodDelete, "/api/session", nil, nil), http.StatusNoContent) // without a session too
}

// TestSignInTiming: a wrong name costs what a wrong password costs, so
// timing does not tell which names are accounts.
func TestSignInTiming(t *testing.T) {
	n := newNewsroom(t)
	once := func(name string) time.Duration {
		start := time.Now()
		r := n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": name, "password": "wrong-password"}), nil)
		wantStatus(t, r, http.StatusUnauthorized)
		return time.Since(start)
	}
	// the fastest of several, the two names taken in turn, so a busy
	// machine (other packages' tests) weighs on both alike
	known, unknown := time.Hour, time.Hour
	for range 7 {
		known, unknown = min(known, once("ed")), min(unknown, once("nobody"))
	}
	if unknown < known/2 || known < unknown/2 {
		t.Errorf("a wrong password for an account took %v, for no account %v: want the same work", known, unknown)
	}
}

// TestSignInRateLimit: failed sign-ins spend the client's failure budget
// and the name's, and past them even the right password gets 429.
func TestSignInRateLimit(t *testing.T) {
	n := newNewsroom(t, func(o *server.Options) {
		o.AuthFailureLimit = server.RateLimit{Burst: 3, PerSecond: 0.001}
		o.TrustProxy = true
	})
	try := func(name, password, client string) response {
		return n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": name, "password": password}),
			hdr{"Content-Type": "application/json", "X-Forwarded-For": client})
	}
	// one client, many names
	// The budget (3) spent, the next failure is still checked, and blocks.
	for range 4 {
		wantStatus(t, try("ed", "wrong", "198.51.100.1"), http.StatusUnauthorized)
	}
	r := try("adm", admPassword, "198.51.100.1")
	wantError(t, r, http.StatusTooManyRequests, server.ERateLimited, "")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// ed's name is spent too: from another client, even the right password waits
	wantError(t, try("ed", edPassword, "198.51.100.2"), http.StatusTooManyRequests, server.ERateLimited, "")
	// another name from another client is not held up
	wantStatus(t, try("adm", admPassword, "198.51.100.3"), http.StatusNoContent)
}

// TestAuditLog checks the entries every kind of write leaves, newest first.
func TestAuditLog(t *testing.T) {
	n := newNewsroom(t)
	ctx := context.Background()
	// a clean log from here
	start, err := n.Store.Audit(ctx, news.MaxAuditLimit)
	if err != nil {
		t.Fatal(err)
	}
	edCookie := n.as("ed", "cookie")
	r := n.do(t, http.MethodPost, "/api/articles", []byte(`{"id":"aud-1","title":"Audited"}`), edCookie)
	wantStatus(t, r, http.StatusCreated)
	wantStatus(t, n.do(t, http.MethodPut, "/api/articles/aud-1", []byte(`{"title":"Audited, edited"}`), n.as("ed", "token")), http.StatusOK)
	wantStatus(t, n.do(t, http.MethodDelete, "/api/articles/aud-1", nil, n.as("admin-token", "")), http.StatusNoContent)
	tokenID := n.makeToken(t, "adm")
	wantStatus(t, n.do(t, http.MethodDelete, "/api/tokens/"+tokenID, nil, n.as("adm", "cookie")), http.StatusNoContent)
	wantStatus(t, n.do(t, http.MethodPost, "/api/users", []byte(`{"name":"newbie","role":"editor"}`), n.as("adm", "cookie")), http.StatusCreated)
	wantStatus(t, n.do(t, http.MethodDelete, "/api/users/newbie", nil, n.as("adm", "token")), http.StatusNoContent)
	wantStatus(t, n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "ed", "password": "wrong"}), nil), http.StatusUnauthorized)
	wantStatus(t, n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "nobody", "password": "wrong"}), nil), http.StatusUnauthorized)
	n.signIn(t, "ed", edPassword)
	wantStatus(t, n.do(t, http.MethodDelete, "/api/session", nil, edCookie), http.StatusNoContent)

	r = n.get(t, "/api/audit?limit=1000", n.as("adm", "cookie"))
	wantStatus(t, r, http.StatusOK)
	body := decode[struct {
		Entries []map[string]any `json:"entries"`
	}](t, r.Body)
	var got []string
	for _, e := range body.Entries[:len(body.Entries)-len(start)] {
		if len(e) != 5 {
			t.Errorf("entry %v: want the keys at, user, action, article_id, title", e)
		}
		if _, err := time.Parse(time.RFC3339Nano, e["at"].(string)); err != nil {
			t.Errorf("entry at: %v", err)
		}
		got = append(got, strings.TrimSpace(e["user"].(string)+" "+e["action"].(string)+" "+e["article_id"].(string)+" "+e["title"].(string)))
	}
	want := []string{
		"ed signout",
		"ed signin",
		"ed signin_failed", // the unknown name leaves none
		"adm user_disable   account newbie",
		"adm user_add   account newbie (editor)",
		"adm token_delete   token " + tokenID,
		"adm token_create   token " + tokenID,
		"admin-token delete aud-1",
		"ed edit aud-1 Audited, edited",
		"ed publish aud-1 Audited",
	}
	for i := range want {
		want[i] = strings.Join(strings.Fields(want[i]), " ")
		if i < len(got) {
			got[i] = strings.Join(strings.Fields(got[i]), " ")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log, newest first:\n got  %q\n want %q", got, want)
	}

	for _, v := range []string{"0", "1001", "x", ""} {
		wantError(t, n.get(t, "/api/audit?limit="+v, n.as("adm", "cookie")), http.StatusBadRequest, news.EInvalid, "limit")
	}
	r = n.get(t, "/api/audit?limit=2", n.as("admin-token", ""))
	wantStatus(t, r, http.StatusOK)
	if l := decode[map[string][]news.AuditEntry](t, r.Body)["entries"]; len(l) != 2 {
		t.Errorf("limit=2: got %d entries", len(l))
	}
}

// syncWriter is a log sink safe for concurrent writes.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestSecretsStayOut: no password, session id or token appears in the log,
// the audit log, the database files, or any response but the one that
// creates it.
func TestSecretsStayOut(t *testing.T) {
	logs := &syncWriter{}
	n := newNewsroom(t, func(o *server.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	dir := n.dir
	typedInName := "my-secret-password-in-the-name-field"
	secrets := []string{edPassword, admPassword, offPassword, typedInName, "wrong-password-9876", n.expired}
	for _, v := range n.cookie {
		secrets = append(secrets, v)
	}
	for _, v := range n.token {
		secrets = append(secrets, v)
	}
	var bodies [][]byte
	keep := func(r response) response {
		bodies = append(bodies, r.Body)
		bodies = append(bodies, []byte(strings.Join(r.Header.Values("Set-Cookie"), "\n")))
		return r
	}
	keep(n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "ed", "password": "wrong-password-9876"}), nil))
	keep(n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": typedInName, "password": "x"}), nil))
	keep(n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"With a token"}`), n.as("ed", "token")))
	keep(n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"With a cookie"}`), n.as("ed", "cookie")))
	keep(n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"Foreign"}`), hdr{"Cookie": server.SessionCookie + "=" + n.cookie["ed"], "Origin": "https://evil.example"}))
	keep(n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"Wrong"}`), hdr{"Authorization": "Bearer " + n.token["off"]}))
	keep(n.get(t, "/api/tokens", n.as("adm", "cookie")))
	keep(n.get(t, "/api/users", n.as("adm", "cookie")))
	keep(n.get(t, "/api/audit?limit=1000", n.as("adm", "cookie")))
	keep(n.do(t, http.MethodDelete, "/api/session", nil, n.as("adm", "cookie")))
	n.Srv.Close()
	if err := n.Store.Close(); err != nil { // the WAL checkpoints into the file
		t.Fatal(err)
	}
	var files [][]byte
	for _, f := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	log := logs.String()
	if !strings.Contains(log, "sign-in failed") || !strings.Contains(log, "name=ed") {
		t.Errorf("failed sign-ins are not logged with the name:\n%s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, log)
		}
		for _, b := range bodies {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a response holds the secret %q: %s", s, b)
			}
		}
		for _, b := range files {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("the database holds the secret %q in clear", s)
			}
		}
	}
}

// TestSecureCookieBehindHTTPS: with an https public URL the session cookie
// is Secure.
func TestSecureCookieBehindHTTPS(t *testing.T) {
	n := newNewsroom(t, func(o *server.Options) { o.PublicURL = "https://news.example.com" })
	r := n.do(t, http.MethodPost, "/api/session", mustJSON(t, obj{"name": "ed", "password": edPassword}), nil)
	wantStatus(t, r, http.StatusNoContent)
	if c := (&http.Response{Header: r.Header}).Cookies(); len(c) != 1 || !c[0].Secure || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie behind https: got %+v, want Secure, HttpOnly, SameSite=Strict", c)
	}
}

// TestAccountsWithoutAdminToken: with no admin token, accounts still
// publish, and a wrong token is 401 rather than "publishing is disabled".
func TestAccountsWithoutAdminToken(t *testing.T) {
	n := newNewsroom(t, withoutToken)
	wantStatus(t, n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"No admin token"}`), n.as("ed", "cookie")), http.StatusCreated)
	wantStatus(t, n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"No admin token"}`), n.as("ed", "token")), http.StatusCreated)
	wantError(t, n.do(t, http.MethodPost, "/api/articles", []byte(`{"title":"x"}`), auth), http.StatusUnauthorized, news.EUnauthorized, "")
}

func TestAccountRoutesMethods(t *testing.T) {
	n := newNewsroom(t)
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodGet, "/api/session", "POST, DELETE"},
		{http.MethodPut, "/api/tokens", "GET, HEAD, POST"},
		{http.MethodGet, "/api/tokens/abc", "DELETE"},
		{http.MethodPost, "/api/audit", "GET, HEAD"},
		{http.MethodPut, "/api/users", "GET, HEAD, POST"},
		{http.MethodPost, "/api/users/ed", "DELETE"},
	} {
		r := n.do(t, tc.method, tc.path, nil, n.as("adm", "cookie"))
		wantError(t, r, http.StatusMethodNotAllowed, server.EMethod, "")
		if got := r.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}
