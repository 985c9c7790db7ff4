package chart

import (
	"time"

	"newswidget/app/news"
)

// Impressions is the Timeline of a statistics report's impressions, a line
// per partner.
func Impressions(r news.StatsReport) *Timeline {
	return timeline(r, "impressions", func(p news.StatsPoint) int64 { return p.Impressions })
}

// Clicks is the Timeline of a statistics report's clicks, a line per
// partner.
func Clicks(r news.StatsReport) *Timeline {
	return timeline(r, "clicks", func(p news.StatsPoint) int64 { return p.Clicks })
}

func timeline(r news.StatsReport, unit string, value func(news.StatsPoint) int64) *Timeline {
	bucket, per := time.Hour, "hour"
	if r.By == "day" {
		bucket, per = 24*time.Hour, "day"
	}
	t := &Timeline{Title: capital(unit) + " per " + per, Unit: unit, Bucket: bucket, From: r.From, To: r.To}
	for _, s := range r.Series {
		sr := Series{Name: s.Partner}
		for _, p := range s.Points {
			sr.Points = append(sr.Points, Point{At: p.At, Value: value(p)})
		}
		t.Series = append(t.Series, sr)
	}
	return t
}

// Top is the TopArticles of a statistics report: its most clicked
// articles, by title (by id for one deleted since).
func Top(r news.StatsReport) *TopArticles {
	t := &TopArticles{Title: "Most clicked articles", Unit: "clicks"}
	for _, a := range r.Articles {
		label := a.Title
		if label == "" {
			label = a.ID
		}
		t.Bars = append(t.Bars, Bar{Label: label, Value: a.Clicks})
	}
	return t
}
