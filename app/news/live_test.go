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
