package news

import (
	"testing"
	"time"
)

// TestRetryDelay: full jitter under a ceiling of 2 s that doubles to 30 s.
func TestRetryDelay(t *testing.T) {
	tests := []struct {
		failures int
		u        float64
		want     time.Duration
	}{
		{0, 0, 0},
		{0, 0.5, time.Second},
		{0, 0.999, 1998 * time.Millisecond}, // the first retry: within 2 s
		{1, 0.5, 2 * time.Second},
		{2, 0.5, 4 * time.Second},
		{3, 0.5, 8 * time.Second},
		{4, 0.5, 15 * time.Second}, // 32 s capped at 30
		{60, 0.999, 29970 * time.Millisecond},
		{1 << 20, 0.5, 15 * time.Second}, // no overflow however long the outage
	}
	for _, tt := range tests {
		if got := RetryDelay(tt.failures, tt.u); got != tt.want {
			t.Errorf("RetryDelay(%d, %v): got %v, want %v", tt.failures, tt.u, got, tt.want)
		}
	}
}

// TestLiveDelay: full jitter under the ceiling the server named, or the
// mode's default ceiling when it named none.
func TestLiveDelay(t *testing.T) {
	tests := []struct {
		mode    LiveMode
		ceiling time.Duration
		u       float64
		want    time.Duration
	}{
		{LiveSlow, 10 * time.Second, 0, 0},
		{LiveSlow, 10 * time.Second, 0.5, 5 * time.Second},
		{LiveSlow, 10 * time.Second, 0.999, 9990 * time.Millisecond},
		{LiveSlow, 0, 0.5, SlowRetry / 2},
		{LivePaused, 0, 0.5, PausedRetry / 2},
		{LivePaused, -time.Second, 0.25, PausedRetry / 4},
		{LiveNormal, 0, 0.5, RetryFirst / 2},
	}
	for _, tt := range tests {
		if got := LiveDelay(tt.mode, tt.ceiling, tt.u); got != tt.want {
			t.Errorf("LiveDelay(%s, %v, %v): got %v, want %v", tt.mode, tt.ceiling, tt.u, got, tt.want)
		}
	}
}

// TestLiveModes: parsing, ordering and the stricter of two modes.
func TestLiveModes(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    LiveMode
		wantErr bool
	}{{"normal", LiveNormal, false}, {"slow", LiveSlow, false}, {"paused", LivePaused, false},
		{"", "", true}, {"Slow", "", true}, {"fast", "", true}} {
		got, err := ParseLiveMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLiveMode(%q): got %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, tt := range []struct{ a, b, want LiveMode }{
		{LiveNormal, LiveNormal, LiveNormal}, {LiveNormal, LiveSlow, LiveSlow}, {LiveSlow, LiveNormal, LiveSlow},
		{LivePaused, LiveSlow, LivePaused}, {LiveSlow, LivePaused, LivePaused}, {"", LiveNormal, LiveNormal},
	} {
		if got := Stricter(tt.a, tt.b); got != tt.want {
			t.Errorf("Stricter(%q, %q): got %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
