package news

import (
	"context"
	"time"
)

// The live stream's rules, which web/boot.js carries out in the frame (it
// holds the event stream, before and after the Go program wakes); a browser
// test checks it against these.

// The back-off of a widget whose stream was refused or cut: a random wait
// below a ceiling that doubles from RetryFirst up to RetryMax.
const (
	RetryFirst = 2 * time.Second
	RetryMax   = 30 * time.Second
)

// HiddenGrace is how long a widget in a hidden tab keeps its stream open:
// past it the stream is closed, and it resumes from the last event seen
// when the tab is shown again.
const HiddenGrace = time.Minute

// RetryDelay is how long a widget waits before it reconnects after its
// failures-th refusal in a row (0 the first), for u drawn uniformly from
// [0, 1): u times a ceiling of 2 s, 4 s, … up to 30 s ("full jitter"). A
// crowd refused together (a server at its cap, readers behind one address
// over its rate) comes back spread out rather than at once; the server's
// Retry-After is not visible to an EventSource.
func RetryDelay(failures int, u float64) time.Duration {
	ceil := RetryMax
	if failures < 4 {
		ceil = RetryFirst << failures
	}
	return time.Duration(u * float64(ceil))
}

// LiveMode is the back-off switch of every open widget: what the newsroom
// (or, under overload, the server) tells widgets to do with their streams.
type LiveMode string

// The modes of the back-off switch.
const (
	// LiveNormal: widgets hold their event stream; today's behaviour.
	LiveNormal LiveMode = "normal"
	// LiveSlow: widgets poll. Each stream catches up from its last event
	// and is closed; the widget comes back after LiveDelay under the
	// mode's ceiling, so a publish reaches it within that ceiling.
	LiveSlow LiveMode = "slow"
	// LivePaused: no live updates. Each stream is closed at once, with no
	// events; the widget checks back after LiveDelay under the mode's
	// ceiling and catches up once the mode is normal or slow again.
	LivePaused LiveMode = "paused"
)

// The default ceilings of the delays before a widget comes back, by mode.
const (
	// SlowRetry is the ceiling in slow mode: a widget polls within it.
	SlowRetry = time.Minute
	// PausedRetry is the ceiling in paused mode: a widget checks back within it.
	PausedRetry = 5 * time.Minute
)

// ParseLiveMode returns the mode named s, or an EInvalid error about the field "mode".
func ParseLiveMode(s string) (LiveMode, error) {
	switch m := LiveMode(s); m {
	case LiveNormal, LiveSlow, LivePaused:
		return m, nil
	}
	return "", FieldError("mode", "must be %q, %q or %q", LiveNormal, LiveSlow, LivePaused)
}

// Level orders the modes by how much they hold widgets back: normal 0,
// slow 1, paused 2 (an unknown mode is normal).
func (m LiveMode) Level() int {
	switch m {
	case LiveSlow:
		return 1
	case LivePaused:
		return 2
	}
	return 0
}

// Stricter returns the mode of a and b that holds widgets back more.
func Stricter(a, b LiveMode) LiveMode {
	if b.Level() > a.Level() {
		return b
	}
	if a == "" {
		return LiveNormal
	}
	return a
}

// LiveDelay is how long a widget told slow or paused waits before it opens
// its stream again, for u drawn uniformly from [0, 1): u times the ceiling
// the server named (retry_ms), "full jitter" as in RetryDelay, so the
// readers a switch closes together come back spread over the whole ceiling.
// A ceiling of zero or less takes the mode's default.
func LiveDelay(mode LiveMode, ceiling time.Duration, u float64) time.Duration {
	if ceiling <= 0 {
		switch mode {
		case LiveSlow:
			ceiling = SlowRetry
		case LivePaused:
			ceiling = PausedRetry
		default:
			ceiling = RetryFirst
		}
	}
	return time.Duration(u * float64(ceiling))
}

// LiveSetting is the mode a person set with the switch: who, when. It is
// kept by the store, so every node serves it.
type LiveSetting struct {
	Mode LiveMode  `json:"mode"`
	By   string    `json:"by,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// LiveStore is what a store that keeps the switch's setting does; with
// PostgreSQL, setting it also wakes every node (as a write does), which
// then reads it.
type LiveStore interface {
	// LiveSetting returns the setting; a store that never had one returns
	// {Mode: LiveNormal}.
	LiveSetting(ctx context.Context) (LiveSetting, error)
	// SetLiveSetting stores the setting and tells the other nodes.
	SetLiveSetting(ctx context.Context, s LiveSetting) error
}

// LiveNotice is the data of a stream's "live" event: the mode and the
// ceiling, in milliseconds, of the widget's wait before it comes back.
type LiveNotice struct {
	Mode    LiveMode `json:"mode"`
	RetryMS int64    `json:"retry_ms"`
}
