package server

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"newswidget/app/news"
)

// metrics are the server's Prometheus series, in a registry of its own so
// several servers (tests, nodes) never share counters.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	subscribers prometheus.Gauge
	streamsMax  prometheus.Gauge
	liveMode    *prometheus.GaugeVec
	events      *prometheus.CounterVec
	feedPolls   *prometheus.CounterVec
	renders     prometheus.Counter
	beacons     *prometheus.CounterVec
	replays     *prometheus.CounterVec
	replayFrom  struct{ none, history, store prometheus.Counter } // replays' children, looked up once: a catch-up is every connect
	replayWait  prometheus.Gauge
	counters    sync.Map // routeStatus → prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswidget_sse_subscribers", Help: "Open Server-Sent Events streams.",
		}),
		streamsMax: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswidget_sse_streams_max", Help: "The cap on concurrent Server-Sent Events streams (-max-streams); 0: none.",
		}),
		liveMode: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "newswidget_live_mode", Help: "The back-off switch's mode this node serves: 1 for the mode in force, 0 for the others.",
		}, []string{"mode"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_events_published_total", Help: "Events fanned out to subscribers, by type.",
		}, []string{"type"}),
		feedPolls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_feed_polls_total", Help: "Feed polls by result (ok or error).",
		}, []string{"result"}),
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newswidget_page_renders_total", Help: "Pages prerendered (the rest are served from the page cache).",
		}),
		beacons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_beacons_total", Help: "Impression and click beacons, by result: accepted, or why dropped.",
		}, []string{"result"}),
		replays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_sse_replays_total",
			Help: "Event streams' catch-ups by where they came from: none (caught up), history (the node's latest frames) or store.",
		}, []string{"from"}),
		replayWait: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswidget_sse_replays_waiting", Help: "Catch-ups waiting for a turn to read the store (a few read it at once).",
		}),
	}
	m.replayFrom.none = m.replays.WithLabelValues("none")
	m.replayFrom.history = m.replays.WithLabelValues("history")
	m.replayFrom.store = m.replays.WithLabelValues("store")
	m.reg.MustRegister(m.requests, m.subscribers, m.streamsMax, m.liveMode, m.events, m.feedPolls, m.renders, m.beacons, m.replays, m.replayWait,
		// go_gc_heap_live_bytes, the heap the last collection kept, on top of
		// the defaults: heap in use includes garbage, so only this shows a leak
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route string, status int) {
	if route == "" {
		route = "unmatched"
	}
	// The counter of each route and status is looked up once: routes are
	// few, and WithLabelValues hashes its labels on every call.
	key := routeStatus{route, status}
	if c, ok := m.counters.Load(key); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c := m.requests.WithLabelValues(route, strconv.Itoa(status))
	m.counters.Store(key, c)
	c.Inc()
}

// setLiveMode sets newswidget_live_mode: 1 for mode, 0 for the others.
func (m *metrics) setLiveMode(mode news.LiveMode) {
	for _, o := range []news.LiveMode{news.LiveNormal, news.LiveSlow, news.LivePaused} {
		v := 0.0
		if o == mode {
			v = 1
		}
		m.liveMode.WithLabelValues(string(o)).Set(v)
	}
}

type routeStatus struct {
	route  string
	status int
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// FeedPolled counts one feed poll; main hands it to the feed poller.
func (s *Server) FeedPolled(url string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	s.metrics.feedPolls.WithLabelValues(result).Inc()
}
