package feed

import (
	"regexp"
	"strings"
	"time"
)

// zones are the offsets of the zone abbreviations feeds use, so that a named
// zone means the same on every host (time.Parse trusts only the local zone's).
var zones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1,
	"CET": 1, "MET": 1, "CEST": 2, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NZST": 12, "NZDT": 13,
	"AEST": 10, "AEDT": 11, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8,
}

// dayNames match a weekday, however spelt ("Thur", "Thurs", "Tues",
// "Wednesday"), with its comma: it says nothing the date does not.
var dayNames = regexp.MustCompile(`(?i)^\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*`)

// monthVariants are month spellings Go's layouts do not read.
var monthVariants = strings.NewReplacer("Sept ", "Sep ", "sept ", "Sep ", "SEPT ", "Sep ", "June ", "Jun ", "July ", "Jul ")

// dateLayouts are tried in order on a date with the weekday removed.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00", // no seconds (JSON Feed, Atom in the wild)
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700 (MST)",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04 MST",
	"2 Jan 2006 15:04",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04:05 MST",
	"2 January 2006 15:04:05 -0700",
	"2 January 2006 15:04:05 MST",
	"2 January 2006",
	"2 Jan 2006",
	"Jan 2 2006 15:04:05 -0700",
	"Jan 2 2006 15:04:05 MST",
	"January 2 2006 15:04:05 MST",
	"January 2 2006",
	"Jan 2 15:04:05 MST 2006", // ANSI C / Unix date
	"Jan 2 15:04:05 2006",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006/1/2",
}

// yearlessLayouts read a date without a year ("27 Apr 09:33:07 EDT").
var yearlessLayouts = []string{
	"2 Jan 15:04:05 -0700", "2 Jan 15:04:05 MST", "2 Jan 15:04:05", "2 Jan 15:04",
	"Jan 2 15:04:05 -0700", "Jan 2 15:04:05 MST", "Jan 2 15:04:05",
}

// parseDate reads a feed date leniently, as feedparser does: weekdays of any
// spelling are ignored (and commas), "Sept" is September, slashes and missing seconds are
// allowed, a named zone gets its real offset, a date without a zone is UTC,
// and a date without a year gets the latest year that does not put it more
// than a day after now. It reports false for text it cannot read.
func parseDate(s string, now time.Time) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	s = dayNames.ReplaceAllString(s, "")
	s = monthVariants.Replace(s + " ")
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, ",", " ")), " ")
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return fixZone(t), true
		}
	}
	for _, l := range yearlessLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		t = fixZone(t)
		limit := now.Add(24 * time.Hour)
		for y := now.Year(); y >= now.Year()-1; y-- {
			c := t.AddDate(y-t.Year(), 0, 0)
			if !c.After(limit) {
				return c, true
			}
		}
	}
	return time.Time{}, false
}

// fixZone gives a time parsed with a named zone that zone's real offset.
func fixZone(t time.Time) time.Time {
	name, off := t.Zone()
	if want, ok := zones[strings.ToUpper(name)]; ok && want*3600 != off {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, want*3600))
	}
	return t
}
