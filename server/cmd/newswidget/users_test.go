package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/server/internal/pgtest"
	"newswidget/server/sqlite"
)

// TestUsersCommand runs `newswidget users` as the binary runs it, on a real
// SQLite directory, then signs in to a server on that directory with the
// password it printed.
func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()

	code, out := runNode(t, "users", "add", "ann", "-role", "admin", "-data", dir)
	if code != 0 {
		t.Fatalf("users add ann: exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	password := lines[len(lines)-1]
	if !regexp.MustCompile(`^[A-Z2-7]{26}$`).MatchString(password) {
		t.Fatalf("users add: the last line is %q, want the generated password alone; output:\n%s", password, out)
	}

	// -password-stdin, the data directory from the environment
	t.Setenv("NEWSWIDGET_DATA", dir)
	var stdout, stderr bytes.Buffer
	if code := users([]string{"add", "bob", "-role=editor", "-password-stdin"}, strings.NewReader("bob-chosen-password\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("users add bob -password-stdin: exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "bob-chosen-password") {
		t.Errorf("users add -password-stdin echoed the password: %q", stdout.String())
	}

	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string // in stderr
	}{
		{"taken name", []string{"add", "bob", "-role", "editor"}, "", 1, "already exists"},
		{"bad role", []string{"add", "cy", "-role", "chief"}, "", 1, "role"},
		{"no role", []string{"add", "cy"}, "", 2, "-role"},
		{"no name", []string{"add", "-role", "editor"}, "", 2, "NAME"},
		{"bad name", []string{"add", "Cy Smith", "-role", "editor"}, "", 1, "name"},
		{"reserved name", []string{"add", news.AdminTokenUser, "-role", "admin"}, "", 1, "reserved"},
		{"short password", []string{"add", "cy", "-role", "editor", "-password-stdin"}, "short\n", 1, "password"},
		{"empty stdin", []string{"add", "cy", "-role", "editor", "-password-stdin"}, "", 1, "no password"},
		{"disable nobody", []string{"disable", "nobody"}, "", 1, "no account"},
		{"unknown verb", []string{"remove", "bob"}, "", 2, "unknown command"},
		{"unknown flag", []string{"list", "-nope"}, "", 2, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := users(tc.args, strings.NewReader(tc.stdin), &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("users %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
			}
		})
	}

	if code, out := runNode(t, "users", "disable", "bob", "-data", dir); code != 0 {
		t.Fatalf("users disable bob: exit %d:\n%s", code, out)
	}
	code, out = runNode(t, "users", "list", "-data", dir)
	if code != 0 {
		t.Fatalf("users list: exit %d:\n%s", code, out)
	}
	for _, want := range []string{`(?m)^NAME\s+ROLE\s+STATUS\s+CREATED$`, `(?m)^ann\s+admin\s+active\s+\d{4}-`, `(?m)^bob\s+editor\s+disabled\s+\d{4}-`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("users list: no line matching %s in:\n%s", want, out)
		}
	}

	// The audit log has the CLI's changes; nothing stores a password in clear.
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
	if want := "(cli) user_disable account bob|(cli) user_add account bob (editor)|(cli) user_add account ann (admin)"; strings.Join(got, "|") != want {
		t.Errorf("audit log: got %q, want %q", strings.Join(got, "|"), want)
	}

	// A server on the same directory signs ann in with the printed password; bob is disabled.
	n := startNode(t, "users", "-data", dir)
	for _, tc := range []struct {
		name, password string
		want           int
	}{
		{"ann", password, http.StatusNoContent},
		{"bob", "bob-chosen-password", http.StatusUnauthorized},
	} {
		status, body, h := do(t, http.MethodPost, n.url+"/api/session", "", map[string]string{"name": tc.name, "password": tc.password})
		if status != tc.want {
			t.Errorf("sign in as %s: got %d, want %d: %s", tc.name, status, tc.want, body)
		}
		if tc.want == http.StatusNoContent && !strings.Contains(h.Get("Set-Cookie"), "newswidget_session=") {
			t.Errorf("sign in as %s: no session cookie: %q", tc.name, h.Get("Set-Cookie"))
		}
	}
}

// TestUsersCommandPostgres: with -postgres the accounts are PostgreSQL's,
// where every node of a cluster signs them in.
func TestUsersCommandPostgres(t *testing.T) {
	dsn, _ := pgtest.Start(t)
	code, out := runNode(t, "users", "add", "ann", "-role", "editor", "-postgres", dsn)
	if code != 0 {
		t.Fatalf("users add: exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	password := lines[len(lines)-1]
	if code, out := runNode(t, "users", "list", "-postgres", dsn); code != 0 || !regexp.MustCompile(`(?m)^ann\s+editor\s+active`).MatchString(out) {
		t.Fatalf("users list: exit %d:\n%s", code, out)
	}
	n := startNode(t, "pg", "-postgres", dsn)
	status, body, h := do(t, http.MethodPost, n.url+"/api/session", "", map[string]string{"name": "ann", "password": password})
	if status != http.StatusNoContent || h.Get("Set-Cookie") == "" {
		t.Fatalf("sign in: got %d %s, want 204 and a cookie", status, body)
	}
	if code, out := runNode(t, "users", "disable", "ann", "-postgres", dsn); code != 0 {
		t.Fatalf("users disable: exit %d:\n%s", code, out)
	}
	status, _, _ = do(t, http.MethodPost, n.url+"/api/session", "", map[string]string{"name": "ann", "password": password})
	if status != http.StatusUnauthorized {
		t.Errorf("sign in after users disable: got %d, want 401", status)
	}
}
