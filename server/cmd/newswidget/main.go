// Command newswidget is the deployable widget server: the API, the live
// event stream, the prerendered widget pages and the embedded bundle, with
// the embedded SQLite store under -data (or PostgreSQL with -postgres).
//
//	newswidget [flags]           serve
//	newswidget publish [flags]   publish an article to a running server
//	newswidget users …           add, list and disable the newsroom's accounts (users.go)
//	newswidget partners …        add, list and revoke partner sites (partners.go)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	if len(os.Args) > 1 && os.Args[1] == "users" {
		os.Exit(users(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "partners" {
		os.Exit(partners(os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "newswidget:", err)
		os.Exit(1)
	}
}

// listFlag is a repeatable flag whose values are comma-separated lists. A
// list from the environment is only a default: the flag's first use on the
// command line replaces it, as every other flag replaces its variable's value.
type listFlag struct {
	list    *[]string
	fromEnv bool
}

func (f *listFlag) String() string {
	if f.list == nil {
		return ""
	}
	return strings.Join(*f.list, ",")
}

func (f *listFlag) Set(v string) error {
	if f.fromEnv {
		*f.list, f.fromEnv = nil, false
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f.list = append(*f.list, p)
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
	origins, feeds                   []string
	feedInterval                     time.Duration
	trustProxy                       bool
	eventsLimit, publishLimit        server.RateLimit
	maxStreams                       int // 0: derived from the descriptor limit
	hiddenClose                      time.Duration
}

// parseFlags reads the server's flags from args and the environment.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	return parseConfig(args, os.LookupEnv, stderr)
}

// parseConfig reads the server's flags from args, each flag's default
// from its NEWSWIDGET_ variable as lookupEnv finds it.
func parseConfig(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (config, error) {
	c := config{eventsLimit: server.DefaultEventsLimit, publishLimit: server.DefaultPublishLimit}
	fs := flag.NewFlagSet("newswidget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "localhost:8080", "`HOST:PORT` to listen on")
	fs.StringVar(&c.data, "data", "./data", "`DIR` where the SQLite database lives")
	fs.StringVar(&c.publicURL, "public-url", "", "the site's public base `URL` (https://news.example.com): every absolute URL in a page is built from it; default http://ADDR")
	fs.StringVar(&c.adminToken, "admin-token", "", "bearer `TOKEN` that authorises publishing; publishing is refused until one is set")
	fs.Var(&listFlag{list: &c.origins}, "origins", "`ORIGINS` allowed to embed the widget, comma-separated (https://example.com); default any")
	fs.Var(&listFlag{list: &c.feeds}, "feed", "`URL` of an RSS, Atom or JSON Feed to ingest (repeatable)")
	fs.DurationVar(&c.feedInterval, "feed-interval", feed.DefaultInterval, "how often to poll each feed")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL `DSN` for a store shared by several nodes; default the SQLite store under -data")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "the server is behind a reverse proxy or CDN: rate limits count the client in X-Forwarded-For")
	fs.Var(limitFlag{&c.eventsLimit}, "events-limit", "event-stream connects allowed per client: `BURST+RATE/s`, or off")
	fs.Var(limitFlag{&c.publishLimit}, "publish-limit", "publishing requests allowed per client: `BURST+RATE/s`, or off")
	fs.DurationVar(&c.hiddenClose, "hidden-close", news.HiddenGrace, "how long a widget in a hidden tab keeps its event stream, `DURATION`; shown again, it resumes from the last event")
	fs.IntVar(&c.maxStreams, "max-streams", 0, "concurrent event streams allowed, `N` (one client address: a quarter); over it, 503 with Retry-After. 0 derives it from the open-file limit, keeping a reserve for other requests")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: newswidget [flags]\n       newswidget publish [flags]\n       newswidget users add|list|disable … [flags] (newswidget users -h)\n       newswidget partners add|list|revoke … [flags] (newswidget partners -h)\n\nEvery flag can also be set as NEWSWIDGET_<NAME> (NEWSWIDGET_ADMIN_TOKEN, NEWSWIDGET_FEED_INTERVAL, …).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// The environment first, so that the command line wins.
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "NEWSWIDGET_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookupEnv(name); ok && err == nil {
			if err = f.Value.Set(v); err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			if l, ok := f.Value.(*listFlag); ok {
				l.fromEnv = true
			}
		}
	})
	if err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if c.maxStreams < 0 {
		return c, fmt.Errorf("-max-streams: %d is not a number of streams (0 derives it from the open-file limit)", c.maxStreams)
	}
	if c.hiddenClose <= 0 {
		return c, fmt.Errorf("-hidden-close: %v is not a positive duration", c.hiddenClose)
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
		norm, ok := news.ParseSiteOrigin(o)
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, err := wire(ctx, c, log)
	if err != nil {
		return err
	}
	defer in.Close()
	return in.Run(ctx)
}

// instance is one newswidget server wired from its configuration: the
// store (PostgreSQL with -postgres, else SQLite under -data) with the seed
// content, the HTTP server, the feed poller and the listener. run serves
// one until a signal; this package's tests serve others in process.
type instance struct {
	URL string // http://HOST:PORT of the listener (an -addr port 0 resolved)

	c       config
	log     *slog.Logger
	fdLimit uint64
	store   news.Store
	pg      *postgres.Store // the store when it is PostgreSQL
	srv     *server.Server
	poller  *feed.Poller // nil without -feed
	ln      net.Listener
	hs      *http.Server
}

// wire opens and seeds the store c names, builds the server and its feed
// poller, and listens on c.addr; nothing is served before Run. ctx bounds
// the opening. On an error, what was opened is closed again.
func wire(ctx context.Context, c config, log *slog.Logger) (_ *instance, err error) {
	in := &instance{c: c, log: log}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	// Every event stream holds a descriptor: take all the kernel allows,
	// and cap streams below it so that ordinary requests always have some.
	var ferr error
	if in.fdLimit, ferr = raiseFileLimit(); ferr != nil {
		log.Warn("could not raise the open-file limit", "limit", in.fdLimit, "err", ferr)
	}
	if in.c.maxStreams == 0 {
		in.c.maxStreams = server.MaxStreamsFor(in.fdLimit)
	}

	if c.postgres != "" {
		if in.pg, err = postgres.Open(ctx, c.postgres, postgres.Options{Logger: log}); err != nil {
			return nil, err
		}
		in.store = in.pg
	} else if in.store, err = openSQLite(ctx, c.data, log); err != nil {
		return nil, err
	}
	if err = seed.IfEmpty(ctx, in.store); err != nil {
		return nil, err
	}

	opts := server.Options{Store: in.store, AdminToken: c.adminToken, PublicURL: c.publicURL, Origins: c.origins, Logger: log,
		TrustProxy: c.trustProxy, EventsLimit: c.eventsLimit, PublishLimit: c.publishLimit, MaxStreams: in.c.maxStreams,
		HiddenClose: c.hiddenClose}
	if len(c.feeds) > 0 {
		opts.Health = func() any { return in.poller.Status() }
	}
	if in.srv, err = server.New(opts); err != nil {
		return nil, err
	}
	if len(c.feeds) > 0 {
		in.poller = feed.NewPoller(feed.Options{Store: in.store, URLs: c.feeds, Interval: c.feedInterval, Logger: log,
			Notify: in.srv.Poke, OnPoll: in.srv.FeedPolled})
	}

	if in.ln, err = net.Listen("tcp", c.addr); err != nil {
		return nil, err
	}
	in.URL = "http://" + in.ln.Addr().String()
	in.hs = server.NewHTTPServer(in.srv) // timeouts and header limit against slow or hostile clients
	in.hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	in.hs.RegisterOnShutdown(in.srv.Close) // ends event streams; their clients retry
	return in, nil
}

// Run serves until ctx ends or serving fails, following other nodes'
// writes (PostgreSQL) and the feeds meanwhile; when ctx ends it shuts down,
// giving requests in flight 10 s.
func (in *instance) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx) // its end ends Listen and the poller
	defer cancel()
	if in.pg != nil { // other nodes' writes wake this node's event pump
		go in.pg.Listen(ctx, in.srv.Poke)
	}
	if in.poller != nil {
		go in.poller.Run(ctx)
	}
	in.log.Info("newswidget serving", "url", in.URL+"/", "public_url", in.c.publicURL, "data", in.c.data, "publishing", in.c.adminToken != "",
		"open_files", in.fdLimit, "max_streams", in.c.maxStreams)
	errc := make(chan error, 1)
	go func() { errc <- in.hs.Serve(in.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	in.log.Info("shutting down")
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	return in.hs.Shutdown(shutdown)
}

// Close closes what wire opened: the listener and any connections left,
// the server (its event streams end) and the store.
func (in *instance) Close() error {
	if in.hs != nil {
		in.hs.Close()
	}
	if in.ln != nil {
		in.ln.Close() // when Run never served it
	}
	if in.srv != nil {
		in.srv.Close()
	}
	if in.store != nil {
		return in.store.Close()
	}
	return nil
}
