package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/sqlite"
)

// lastLine is the last line of a command's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestPartnersCommand runs `newswidget partners` as the binary runs it, on
// a real SQLite directory, then embeds with the key it printed on a server
// on that directory.
func TestPartnersCommand(t *testing.T) {
	dir := t.TempDir()
	code, out := runNode(t, "partners", "add", "gazette", "-origins", "https://gazette.example,https://Sister.example/", "-data", dir)
	if code != 0 {
		t.Fatalf("partners add: exit %d:\n%s", code, out)
	}
	key := lastLine(out)
	if !news.ValidPartnerKey(key) {
		t.Fatalf("partners add: the last line is %q, want the key alone; output:\n%s", key, out)
	}
	t.Setenv("NEWSWIDGET_DATA", dir)
	var stdout, stderr bytes.Buffer
	if code := partners([]string{"add", "gone", "-origins=https://gone.example"}, &stdout, &stderr); code != 0 {
		t.Fatalf("partners add gone: exit %d: %s", code, stderr.String())
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"taken name", []string{"add", "gazette", "-origins", "https://x.example"}, 1, "already exists"},
		{"reserved name", []string{"add", "direct", "-origins", "https://x.example"}, 1, "reserved"},
		{"bad name", []string{"add", "The Gazette", "-origins", "https://x.example"}, 1, "name"},
		{"bad origin", []string{"add", "herald", "-origins", "gazette.example"}, 1, "not an origin"},
		{"no origins", []string{"add", "herald"}, 2, "-origins"},
		{"no origins value", []string{"add", "herald", "-origins"}, 2, "-origins needs a value"},
		{"no name", []string{"add", "-origins", "https://x.example"}, 2, "NAME"},
		{"revoke nobody", []string{"revoke", "nobody"}, 1, "no partner"},
		{"unknown verb", []string{"remove", "gazette"}, 2, "unknown command"},
		{"unknown flag", []string{"list", "-nope"}, 2, "nope"},
		{"no verb", nil, 2, "Usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := partners(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("partners %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
			}
		})
	}
	if code, out := runNode(t, "partners", "revoke", "gone", "-data", dir); code != 0 {
		t.Fatalf("partners revoke: exit %d:\n%s", code, out)
	}
	code, out = runNode(t, "partners", "list", "-data", dir)
	if code != 0 {
		t.Fatalf("partners list: exit %d:\n%s", code, out)
	}
	for _, want := range []string{`(?m)^NAME\s+STATUS\s+KEY\s+ORIGINS\s+CREATED$`,
		`(?m)^gazette\s+active\s+` + key + `\s+https://gazette.example,https://sister.example\s+\d{4}-`,
		`(?m)^gone\s+revoked\s+nwp_`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("partners list: no line matching %s in:\n%s", want, out)
		}
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := st.Audit(context.Background(), 10)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.User+" "+e.Action+" "+e.Title)
	}
	if want := "(cli) partner_revoke partner gone|(cli) partner_add partner gone|(cli) partner_add partner gazette"; strings.Join(got, "|") != want {
		t.Errorf("audit log: got %q, want %q", strings.Join(got, "|"), want)
	}

	// A server on the directory frames the key for the partner's origins
	// only; the server's own -origins does not name them.
	n := startNode(t, "partners", "-data", dir, "-origins", "https://global.example")
	embed := func(key, parent string) (int, string) {
		resp, err := http.Get(n.url + "/embed?" + url.Values{"partner": {key}, "parent": {parent}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Content-Security-Policy")
	}
	if status, csp := embed(key, "https://sister.example"); status != 200 || !strings.HasSuffix(csp, "frame-ancestors 'self' https://gazette.example https://sister.example") {
		t.Errorf("embed on the partner's origin: got %d, CSP %q", status, csp)
	}
	if status, _ := embed(key, "https://global.example"); status != 403 {
		t.Errorf("embed on another origin: got %d, want 403", status)
	}
	if code, out := runNode(t, "partners", "revoke", "gazette", "-data", dir); code != 0 {
		t.Fatalf("partners revoke gazette: exit %d:\n%s", code, out)
	}
	if status, _ := embed(key, "https://sister.example"); status != 403 {
		t.Errorf("embed with a key the CLI revoked while the server runs: got %d, want 403", status)
	}
}

// TestPartnersCommandPostgres: with -postgres the partners are PostgreSQL's.
func TestPartnersCommandPostgres(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	code, out := runNode(t, "partners", "add", "gazette", "-origins", "https://gazette.example", "-postgres", dsn)
	if code != 0 || !news.ValidPartnerKey(lastLine(out)) {
		t.Fatalf("partners add: exit %d:\n%s", code, out)
	}
	if code, out := runNode(t, "partners", "revoke", "gazette", "-postgres", dsn); code != 0 {
		t.Fatalf("partners revoke: exit %d:\n%s", code, out)
	}
	if code, out := runNode(t, "partners", "list", "-postgres", dsn); code != 0 || !regexp.MustCompile(`(?m)^gazette\s+revoked\s+nwp_`).MatchString(out) {
		t.Fatalf("partners list: exit %d:\n%s", code, out)
	}
}
