// Command newswidget is the deployable widget server: the API, the live
// event stream, the prerendered widget pages and the embedded bundle, with
// the embedded SQLite store under -data (or PostgreSQL with -postgres).
//
//	newswidget [flags]           serve
//	newswidget publish [flags]   publish an article to a running server
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"newswidget/app/news"
	"newswidget/server"
	"newswidget/server/feed"
	"newswidget/server/postgres"
	"newswidget/server/seed"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "publish" {
		os.Exit(publish(os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "newswidget:", err)
		os.Exit(1)
	}
}

// listFlag is a repeatable flag; its environment variable holds a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// limitFlag is a rate-limit flag: 20+1/s, or off.
type limitFlag struct{ l *server.RateLimit }

func (f limitFlag) String() string {
	if f.l == nil {
		return ""
	}
	return f.l.String()
}

func (f limitFlag) Set(v string) (err error) {
	*f.l, err = server.ParseRateLimit(v)
	return err
}

// config is the server's flags.
type config struct {
	addr, data, adminToken, postgres string
	publicURL                        string
	origins, feeds                   listFlag
	feedInterval                     time.Duration
	trustProxy                       bool
	eventsLimit, publishLimit        server.RateLimit
	maxStreams                       int // 0: derived from the descriptor limit
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{eventsLimit: server.DefaultEventsLimit, publishLimit: server.DefaultPublishLimit}
	fs := flag.NewFlagSet("newswidget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "localhost:8080", "`HOST:PORT` to listen on")
	fs.StringVar(&c.data, "data", "./data", "`DIR` where the SQLite database lives")
	fs.StringVar(&c.publicURL, "public-url", "", "the site's public base `URL` (https://news.example.com): every absolute URL in a page is built from it; default http://ADDR")
	fs.StringVar(&c.adminToken, "admin-token", "", "bearer `TOKEN` that authorises publishing; publishing is refused until one is set")
	fs.Var(&c.origins, "origins", "`ORIGINS` allowed to embed the widget, comma-separated (https://example.com); default any")
	fs.Var(&c.feeds, "feed", "`URL` of an RSS, Atom or JSON Feed to ingest (repeatable)")
	fs.DurationVar(&c.feedInterval, "feed-interval", feed.DefaultInterval, "how often to poll each feed")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL `DSN` for a store shared by several nodes; default the SQLite store under -data")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "the server is behind a reverse proxy or CDN: rate limits count the client in X-Forwarded-For")
	fs.Var(limitFlag{&c.eventsLimit}, "events-limit", "event-stream connects allowed per client: `BURST+RATE/s`, or off")
	fs.Var(limitFlag{&c.publishLimit}, "publish-limit", "publishing requests allowed per client: `BURST+RATE/s`, or off")
	fs.IntVar(&c.maxStreams, "max-streams", 0, "concurrent event streams allowed, `N` (one client address: a quarter); over it, 503 with Retry-After. 0 derives it from the open-file limit, keeping a reserve for other requests")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: newswidget [flags]\n       newswidget publish [flags]\n\nEvery flag can also be set as NEWSWIDGET_<NAME> (NEWSWIDGET_ADMIN_TOKEN, NEWSWIDGET_FEED_INTERVAL, …).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// Environment first, so flags given on the command line win.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "NEWSWIDGET_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	// A list flag on the command line replaces its variable's list rather
	// than adding to it, as every other flag replaces its variable's value.
	envOrigins, envFeeds := c.origins, c.feeds
	c.origins, c.feeds = nil, nil
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	onCmdline := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCmdline[f.Name] = true })
	if !onCmdline["origins"] {
		c.origins = envOrigins
	}
	if !onCmdline["feed"] {
		c.feeds = envFeeds
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if c.maxStreams < 0 {
		return c, fmt.Errorf("-max-streams: %d is not a number of streams (0 derives it from the open-file limit)", c.maxStreams)
	}
	if c.publicURL == "" {
		c.publicURL = server.PublicURLFromAddr(c.addr)
	}
	if _, err := server.ParsePublicURL(c.publicURL); err != nil {
		return c, fmt.Errorf("-public-url: %w", err)
	}
	if err := server.CheckAdminToken(c.adminToken); err != nil {
		return c, fmt.Errorf("-admin-token: %w", err)
	}
	for i, o := range c.origins {
		norm, ok := news.ParseOrigin(o)
		if !ok {
			return c, fmt.Errorf("-origins: %q is not an origin such as https://example.com", o)
		}
		c.origins[i] = norm
	}
	return c, nil
}

func run(args []string) error {
	c, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Every event stream holds a descriptor: take all the kernel allows,
	// and cap streams below it so that ordinary requests always have some.
	fdLimit, err := raiseFileLimit()
	if err != nil {
		log.Warn("could not raise the open-file limit", "limit", fdLimit, "err", err)
	}
	if c.maxStreams == 0 {
		c.maxStreams = server.MaxStreamsFor(fdLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var store news.Store
	var pg *postgres.Store
	if c.postgres != "" {
		if pg, err = postgres.Open(ctx, c.postgres, postgres.WithLogger(log)); err != nil {
			return err
		}
		store = pg
	} else if store, err = openSQLite(ctx, c.data, log); err != nil {
		return err
	}
	defer store.Close()
	if err := seed.IfEmpty(ctx, store); err != nil {
		return err
	}

	var poller *feed.Poller
	opts := server.Options{Store: store, AdminToken: c.adminToken, PublicURL: c.publicURL, Origins: c.origins, Logger: log, TrustProxy: c.trustProxy,
		EventsLimit: c.eventsLimit, PublishLimit: c.publishLimit, MaxStreams: c.maxStreams}
	if len(c.feeds) > 0 {
		poller = feed.NewPoller(store, c.feeds)
		poller.Interval, poller.Logger = c.feedInterval, log
		opts.Health = func() any { return poller.Status() }
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if pg != nil { // other nodes' writes wake this node's event pump
		go pg.Listen(ctx, srv.Poke)
	}
	if poller != nil {
		poller.Notify, poller.OnPoll = srv.Poke, srv.FeedPolled
		go poller.Run(ctx)
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	hs := server.NewHTTPServer(srv) // timeouts and header limit against slow or hostile clients
	hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	hs.RegisterOnShutdown(srv.Close) // ends event streams; their clients retry
	log.Info("newswidget serving", "url", "http://"+ln.Addr().String()+"/", "public_url", c.publicURL, "data", c.data, "publishing", c.adminToken != "",
		"open_files", fdLimit, "max_streams", c.maxStreams)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}
