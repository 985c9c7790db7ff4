package server

import (
	"testing"
	"time"
)

// TestLogLimiter checks the rate limit of the store's log lines: the first
// line goes through, the next ones within logEvery are counted, and the
// first line after it tells how many were left out.
func TestLogLimiter(t *testing.T) {
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var l logLimiter
	for _, tt := range []struct {
		after          time.Duration
		want           bool
		wantSuppressed int
	}{
		{0, true, 0},
		{time.Millisecond, false, 0},
		{time.Second, false, 0},
		{logEvery - time.Nanosecond, false, 0},
		{logEvery, true, 3},
		{logEvery + time.Second, false, 0},
		{3 * logEvery, true, 1},
		{5 * logEvery, true, 0},
	} {
		ok, suppressed := l.allow(start.Add(tt.after))
		if ok != tt.want || suppressed != tt.wantSuppressed {
			t.Errorf("at +%v: got %v with %d left out, want %v with %d", tt.after, ok, suppressed, tt.want, tt.wantSuppressed)
		}
	}
}
