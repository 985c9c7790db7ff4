package news

import "time"

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
