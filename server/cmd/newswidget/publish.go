package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"newswidget/app/news"
)

// publish is the `newswidget publish` subcommand: it sends one article,
// from flags or a JSON file, to a running server, so an editor can push a
// flash headline from a shell. It returns the exit code.
func publish(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("newswidget publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("server", envOr("NEWSWIDGET_SERVER", "http://localhost:8080"), "`URL` of the running server")
	token := fs.String("token", os.Getenv("NEWSWIDGET_ADMIN_TOKEN"), "the server's admin `TOKEN` or a personal API token (default $NEWSWIDGET_ADMIN_TOKEN)")
	file := fs.String("file", "", "JSON `FILE` holding the article (- for standard input); flags below override its fields")
	update := fs.Bool("update", false, "replace the article with -id (PUT) instead of creating one")
	del := fs.Bool("delete", false, "delete the article with -id")
	var a news.Article
	var body string
	fs.StringVar(&a.ID, "id", "", "article id (generated when absent)")
	fs.StringVar(&a.Title, "title", "", "headline")
	fs.StringVar(&a.Summary, "summary", "", "summary")
	fs.StringVar(&body, "body", "", "body paragraphs, separated by blank lines")
	fs.StringVar(&a.URL, "url", "", "link to the full article (http or https)")
	fs.StringVar(&a.Source, "source", "", "source name")
	fs.StringVar(&a.Category, "category", "", "category")
	fs.StringVar(&a.Image, "image", "", "image URL (http or https)")
	fs.BoolVar(&a.Flash, "flash", false, "show it in the Flash News ticker")
	fs.BoolVar(&a.Urgent, "urgent", false, "mark it as breaking news")
	fs.BoolVar(&a.Pinned, "pinned", false, "keep it first in the ticker and the list")
	fs.StringVar(&a.Correction, "correction", "", "a correction note shown with the article")
	expires := fs.String("expires", "", "when it leaves the ticker and the list: an RFC 3339 `TIME` or a duration from now (90m); \"\" never")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	doc := map[string]any{}
	if *file != "" {
		var raw []byte
		var err error
		if *file == "-" {
			raw, err = io.ReadAll(os.Stdin)
		} else {
			raw, err = os.ReadFile(*file)
		}
		if err == nil {
			err = json.Unmarshal(raw, &doc)
		}
		if err != nil {
			fmt.Fprintln(stderr, "publish: reading", *file+":", err)
			return 2
		}
	}
	for name, v := range map[string]any{"id": a.ID, "title": a.Title, "summary": a.Summary, "url": a.URL,
		"source": a.Source, "category": a.Category, "image": a.Image, "flash": a.Flash,
		"urgent": a.Urgent, "pinned": a.Pinned, "correction": a.Correction} {
		if set[name] {
			doc[name] = v
		}
	}
	if set["expires"] {
		at, err := expiry(*expires, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "publish: -expires:", err)
			return 2
		}
		doc["expires_at"] = at
	}
	if set["body"] {
		var paras []string
		for _, p := range strings.Split(body, "\n\n") {
			if p = strings.TrimSpace(p); p != "" {
				paras = append(paras, p)
			}
		}
		doc["body"] = paras
	}

	method, path := http.MethodPost, "/api/articles"
	id, _ := doc["id"].(string)
	if *update || *del {
		if id == "" {
			fmt.Fprintln(stderr, "publish: -update and -delete need -id")
			return 2
		}
		method, path = http.MethodPut, "/api/articles/"+id
		if *del {
			method = http.MethodDelete
		}
	}
	var reqBody io.Reader
	if method != http.MethodDelete {
		b, _ := json.Marshal(doc)
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(*serverURL, "/")+path, reqBody)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+*token)
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Error news.Error `json:"error"`
		}
		if json.Unmarshal(out, &e) == nil && e.Error.Message != "" {
			fmt.Fprintf(stderr, "publish: %s: %s\n", resp.Status, e.Error.Error())
		} else {
			fmt.Fprintf(stderr, "publish: %s\n", resp.Status)
		}
		return 1
	}
	if method == http.MethodDelete {
		fmt.Fprintln(stdout, "deleted", id)
		return 0
	}
	var got news.Article
	json.Unmarshal(out, &got)
	fmt.Fprintf(stdout, "%s %s: %s\n", map[string]string{http.MethodPost: "published", http.MethodPut: "updated"}[method], got.ID, got.Title)
	return 0
}

// expiry reads -expires: an RFC 3339 time, a duration from now, or ""
// (never expires; JSON null clears an expiry on update).
func expiry(v string, now time.Time) (any, error) {
	if v == "" {
		return nil, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d <= 0 {
			return nil, fmt.Errorf("%q: a duration must be positive", v)
		}
		return now.Add(d).UTC().Format(time.RFC3339), nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return nil, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-06T18:00:00Z) nor a duration (90m)", v)
	}
	return v, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
