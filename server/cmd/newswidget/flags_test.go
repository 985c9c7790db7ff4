package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/feed"
)

// flagNames are the server's flags, as DESIGN.md and other tools name them.
var flagNames = []string{"addr", "data", "admin-token", "origins", "feed", "feed-interval", "postgres", "trust-proxy", "events-limit", "publish-limit", "public-url", "max-streams"}

// envName is the environment variable of a flag.
func envName(flag string) string {
	return "NEWSWIDGET_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// clearEnv unsets every NEWSWIDGET_ variable for the test, so the
// developer's environment cannot change what parseFlags sees.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "NEWSWIDGET_") {
			t.Setenv(name, "") // restores the old value when t ends
			os.Unsetenv(name)
		}
	}
}

// setEnv sets the variables of env (name=value) for the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// show renders the config's fields in flag terms, for comparisons.
func show(c config) map[string]string {
	return map[string]string{
		"addr":          c.addr,
		"data":          c.data,
		"admin-token":   c.adminToken,
		"origins":       strings.Join(c.origins, ","),
		"feed":          strings.Join(c.feeds, ","),
		"feed-interval": c.feedInterval.String(),
		"postgres":      c.postgres,
		"trust-proxy":   strconv.FormatBool(c.trustProxy),
		"events-limit":  c.eventsLimit.String(),
		"publish-limit": c.publishLimit.String(),
		"max-streams":   strconv.Itoa(c.maxStreams),
		"public-url":    c.publicURL,
		"hidden-close":  c.hiddenClose.String(),
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	clearEnv(t)
	var stderr bytes.Buffer
	c, err := parseFlags(nil, &stderr)
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}
	want := map[string]string{
		"addr": "localhost:8080", "data": "./data", "admin-token": "", "origins": "", "feed": "",
		"feed-interval": feed.DefaultInterval.String(), "postgres": "", "trust-proxy": "false",
		"events-limit": server.DefaultEventsLimit.String(), "publish-limit": server.DefaultPublishLimit.String(),
		"public-url": "http://localhost:8080", "max-streams": "0", "hidden-close": news.HiddenGrace.String(),
	}
	got := show(c)
	for _, name := range flagNames {
		if got[name] != want[name] {
			t.Errorf("default -%s got %q, want %q", name, got[name], want[name])
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("parseFlags wrote %q with valid flags, want nothing", stderr.String())
	}
}

func TestParseFlagsHelp(t *testing.T) {
	clearEnv(t)
	for _, arg := range []string{"-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags([]string{arg}, &stderr)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("parseFlags(%s) error got %v, want flag.ErrHelp", arg, err)
			}
			usage := stderr.String()
			for _, name := range flagNames {
				if !strings.Contains(usage, "  -"+name+" ") && !strings.Contains(usage, "  -"+name+"\n") {
					t.Errorf("usage does not list -%s:\n%s", name, usage)
				}
			}
			for _, want := range []string{"NEWSWIDGET_", "publish"} {
				if !strings.Contains(usage, want) {
					t.Errorf("usage does not mention %s:\n%s", want, usage)
				}
			}
		})
	}
}

// TestParseFlagsEnv sets every flag through its NEWSWIDGET_ variable, then
// both ways at once, where the command line must win.
func TestParseFlagsEnv(t *testing.T) {
	tests := []struct {
		flag                 string
		env, cmdline         string // values given each way
		wantEnv, wantCmdline string // the resulting field, as show renders it
	}{
		{"addr", "127.0.0.1:9000", "127.0.0.1:9001", "127.0.0.1:9000", "127.0.0.1:9001"},
		{"data", "/var/lib/nw-env", "/var/lib/nw-flag", "/var/lib/nw-env", "/var/lib/nw-flag"},
		{"admin-token", "env-token-0123456789", "flag-token-0123456789", "env-token-0123456789", "flag-token-0123456789"},
		{"public-url", "https://env.example", "https://flag.example/news/", "https://env.example", "https://flag.example/news/"},
		{"origins", "https://env.example, https://two.example", "https://flag.example",
			"https://env.example,https://two.example", "https://flag.example"},
		{"feed", "https://env.example/rss,https://env.example/atom", "https://flag.example/feed.json",
			"https://env.example/rss,https://env.example/atom", "https://flag.example/feed.json"},
		{"feed-interval", "90s", "2m", "1m30s", "2m0s"},
		{"postgres", "postgres://env@db/nw", "postgres://flag@db/nw", "postgres://env@db/nw", "postgres://flag@db/nw"},
		{"trust-proxy", "true", "false", "true", "false"},
		{"events-limit", "100+5/s", "off", "100+5/s", "off"},
		{"publish-limit", " 5+0.5/s ", "OFF", "5+0.5/s", "off"},
		{"max-streams", "5000", "0", "5000", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			name := envName(tt.flag)
			t.Run("env", func(t *testing.T) {
				clearEnv(t)
				t.Setenv(name, tt.env)
				c, err := parseFlags(nil, &bytes.Buffer{})
				if err != nil {
					t.Fatalf("%s=%q: %v", name, tt.env, err)
				}
				if got := show(c)[tt.flag]; got != tt.wantEnv {
					t.Errorf("%s=%q: -%s got %q, want %q", name, tt.env, tt.flag, got, tt.wantEnv)
				}
			})
			t.Run("command line wins", func(t *testing.T) {
				clearEnv(t)
				t.Setenv(name, tt.env)
				// -name=value, the one form a boolean flag takes too
				c, err := parseFlags([]string{"-" + tt.flag + "=" + tt.cmdline}, &bytes.Buffer{})
				if err != nil {
					t.Fatalf("%s=%q -%s %q: %v", name, tt.env, tt.flag, tt.cmdline, err)
				}
				if got := show(c)[tt.flag]; got != tt.wantCmdline {
					t.Errorf("%s=%q -%s %q: got %q, want %q", name, tt.env, tt.flag, tt.cmdline, got, tt.wantCmdline)
				}
			})
		})
	}
	t.Run("others untouched", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("NEWSWIDGET_ADMIN_TOKEN", "only-this-0123456789")
		c, err := parseFlags([]string{"-addr", "127.0.0.1:1"}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.adminToken != "only-this-0123456789" || c.addr != "127.0.0.1:1" || c.data != "./data" {
			t.Errorf("got admin-token %q addr %q data %q, want only-this-0123456789 127.0.0.1:1 ./data", c.adminToken, c.addr, c.data)
		}
	})
}

func TestParseFlagsLists(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		wantFeeds   []string
		wantOrigins []string
	}{
		{name: "feed repeated",
			args:      []string{"-feed", "https://a.example/rss", "-feed", "https://b.example/atom"},
			wantFeeds: []string{"https://a.example/rss", "https://b.example/atom"}},
		{name: "feed comma list",
			args:      []string{"-feed", "https://a.example/rss, https://b.example/atom,,"},
			wantFeeds: []string{"https://a.example/rss", "https://b.example/atom"}},
		{name: "feed repeated and comma lists",
			args:      []string{"-feed", "https://a.example/1,https://a.example/2", "-feed", "https://b.example/3"},
			wantFeeds: []string{"https://a.example/1", "https://a.example/2", "https://b.example/3"}},
		{name: "feed env comma list",
			env:       map[string]string{"NEWSWIDGET_FEED": " https://a.example/rss ,https://b.example/atom "},
			wantFeeds: []string{"https://a.example/rss", "https://b.example/atom"}},
		{name: "feed flags replace env",
			env:       map[string]string{"NEWSWIDGET_FEED": "https://env.example/rss"},
			args:      []string{"-feed", "https://a.example/1", "-feed", "https://b.example/2"},
			wantFeeds: []string{"https://a.example/1", "https://b.example/2"}},
		{name: "origins normalised",
			args:        []string{"-origins", "HTTPS://News.Example.COM/,http://localhost:3000"},
			wantOrigins: []string{"https://news.example.com", "http://localhost:3000"}},
		{name: "origins repeated",
			args:        []string{"-origins", "https://a.example", "-origins", "https://b.example"},
			wantOrigins: []string{"https://a.example", "https://b.example"}},
		{name: "origins flag replaces env",
			env:         map[string]string{"NEWSWIDGET_ORIGINS": "https://env.example"},
			args:        []string{"-origins", "https://flag.example"},
			wantOrigins: []string{"https://flag.example"}},
		{name: "empty origins flag clears env",
			env:  map[string]string{"NEWSWIDGET_ORIGINS": "https://env.example"},
			args: []string{"-origins", ""}},
		{name: "origins env",
			env:         map[string]string{"NEWSWIDGET_ORIGINS": "https://a.example,https://B.example"},
			wantOrigins: []string{"https://a.example", "https://b.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			setEnv(t, tt.env)
			c, err := parseFlags(tt.args, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("parseFlags(%q) with %v: %v", tt.args, tt.env, err)
			}
			if !slices.Equal(c.feeds, tt.wantFeeds) {
				t.Errorf("feeds got %q, want %q", c.feeds, tt.wantFeeds)
			}
			if !slices.Equal(c.origins, tt.wantOrigins) {
				t.Errorf("origins got %q, want %q", c.origins, tt.wantOrigins)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string // in the error
	}{
		{name: "origin without scheme", args: []string{"-origins", "example.com"}, wantErr: `-origins: "example.com"`},
		{name: "origin with path", args: []string{"-origins", "https://example.com/news"}, wantErr: "-origins"},
		{name: "origin not http", args: []string{"-origins", "ftp://example.com"}, wantErr: "-origins"},
		{name: "one bad origin in a list", args: []string{"-origins", "https://ok.example,nope"}, wantErr: `"nope"`},
		{name: "bad origin from env", env: map[string]string{"NEWSWIDGET_ORIGINS": "not an origin"}, wantErr: "-origins"},
		{name: "positional argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
		{name: "argument after flags", args: []string{"-addr", "127.0.0.1:1", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"-port", "80"}, wantErr: "-port"},
		{name: "bad duration", args: []string{"-feed-interval", "soon"}, wantErr: "soon"},
		{name: "rate limit without a rate", args: []string{"-events-limit", "20"}, wantErr: `"20" is not a rate limit`},
		{name: "rate limit without /s", args: []string{"-publish-limit", "20+1"}, wantErr: "-publish-limit"},
		{name: "rate limit of zero", args: []string{"-events-limit", "0+1/s"}, wantErr: "-events-limit"},
		{name: "negative rate", args: []string{"-events-limit", "20+-1/s"}, wantErr: "-events-limit"},
		{name: "negative stream cap", args: []string{"-max-streams", "-1"}, wantErr: "-max-streams"},
		{name: "stream cap not a number", env: map[string]string{"NEWSWIDGET_MAX_STREAMS": "many"}, wantErr: "NEWSWIDGET_MAX_STREAMS"},
		{name: "short admin token", args: []string{"-admin-token", "abc"}, wantErr: "at least 16"},
		{name: "short admin token from env", env: map[string]string{"NEWSWIDGET_ADMIN_TOKEN": "s3cret"}, wantErr: "at least 16"},
		{name: "public URL with a quote", args: []string{"-public-url", `http://x"><plaintext>`}, wantErr: "-public-url"},
		{name: "public URL without scheme", args: []string{"-public-url", "news.example.com"}, wantErr: "-public-url"},
		{name: "public URL with a query", args: []string{"-public-url", "https://news.example.com/?a=1"}, wantErr: "-public-url"},
		{name: "rate limit from env", env: map[string]string{"NEWSWIDGET_PUBLISH_LIMIT": "lots"}, wantErr: "NEWSWIDGET_PUBLISH_LIMIT"},
		{name: "bad duration from env", env: map[string]string{"NEWSWIDGET_FEED_INTERVAL": "soon"}, wantErr: "NEWSWIDGET_FEED_INTERVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			setEnv(t, tt.env)
			_, err := parseFlags(tt.args, &bytes.Buffer{})
			if err == nil {
				t.Fatalf("parseFlags(%q) with %v: no error, want one containing %q", tt.args, tt.env, tt.wantErr)
			}
			if errors.Is(err, flag.ErrHelp) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) with %v: error got %q, want one containing %q", tt.args, tt.env, err, tt.wantErr)
			}
		})
	}
}

// TestBinaryExitCodes runs the binary's main as a process, for what only a
// process shows: the exit code and what reaches the terminal.
func TestBinaryExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"help", []string{"-h"}, 0, append([]string{"Usage: newswidget"}, dashed(flagNames)...)},
		{"publish help", []string{"publish", "-h"}, 0, []string{"-server", "-token", "-file", "-update", "-delete", "-id", "-flash"}},
		{"bad origins", []string{"-origins", "example.com"}, 1, []string{"newswidget: -origins"}},
		{"positional argument", []string{"extra"}, 1, []string{`newswidget: unexpected argument "extra"`}},
		{"unknown flag", []string{"-nope"}, 1, []string{"-nope"}},
		{"unusable address", []string{"-addr", "256.0.0.1:1", "-data", "DATA"}, 1, []string{"newswidget:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "DATA" {
					args[i] = t.TempDir()
				}
			}
			code, out := runNode(t, args...)
			if code != tt.wantCode {
				t.Errorf("newswidget %q: exit code got %d, want %d; output:\n%s", args, code, tt.wantCode, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("newswidget %q: output lacks %q:\n%s", args, w, out)
				}
			}
		})
	}
}

func dashed(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "-"+n)
	}
	return out
}
