package server

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// several servers (tests, nodes) never share counters.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	subscribers prometheus.Gauge
	streamsMax  prometheus.Gauge
	events      *prometheus.CounterVec
	feedPolls   *prometheus.CounterVec
	renders     prometheus.Counter
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
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_events_published_total", Help: "Events fanned out to subscribers, by type.",
		}, []string{"type"}),
		feedPolls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswidget_feed_polls_total", Help: "Feed polls by result (ok or error).",
		}, []string{"result"}),
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newswidget_page_renders_total", Help: "Pages prerendered (the rest are served from the page cache).",
		}),
	}
	m.reg.MustRegister(m.requests, m.subscribers, m.streamsMax, m.events, m.feedPolls, m.renders,
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
