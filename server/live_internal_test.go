package server

import (
	"net/netip"
	"testing"
	"time"
)

// TestStreamTrim: memory is trimmed once the streams moved by a step and
// held still, once per move, up or down.
func TestStreamTrim(t *testing.T) {
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at   time.Duration
		open int64
		want bool
	}{
		{0, 0, false},
		{time.Second, 500, false},
		{2 * time.Second, 2000, false}, // growing
		{3 * time.Second, 2000, false}, // still for 1 s
		{4 * time.Second, 2000, true},  // still for 2 s, moved 2,000
		{5 * time.Second, 2000, false}, // trimmed already
		{6 * time.Second, 2500, false}, // a move under the step
		{9 * time.Second, 2500, false}, // still, but under the step
		{10 * time.Second, 900, false}, // going away
		{12 * time.Second, 900, true},  // settled 1,100 below
		{20 * time.Second, 900, false},
	}
	var tr streamTrim
	for _, s := range steps {
		if got := tr.due(t0.Add(s.at), s.open); got != s.want {
			t.Errorf("at %v with %d streams: got %v, want %v", s.at, s.open, got, s.want)
		}
	}
}

// TestOverloadStep: a node slows itself at 95% of its cap and recovers
// below 70%, counting the readers that poll, and not before its hold.
func TestOverloadStep(t *testing.T) {
	s := &Server{streams: newStreamSlots(1000), live: newLiveSwitch(10*time.Second, time.Minute, 20*time.Second)}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at    time.Duration
		open  int64
		polls int // streams served as polls since the last step
		want  bool
	}{
		{0, 900, 0, false},
		{time.Second, 949, 0, false},
		{2 * time.Second, 950, 0, true}, // 95%: slow
		{3 * time.Second, 10, 0, true},  // the streams left, but the hold is 20 s
		{12 * time.Second, 10, 1600, true},
		{13 * time.Second, 10, 0, true},     // 800 readers poll (1,600 polls a ceiling): 81%
		{23 * time.Second, 10, 1400, true},  // 700 poll: 71%
		{33 * time.Second, 10, 1200, false}, // 600 poll: 61%, past the hold: normal
		{34 * time.Second, 960, 0, true},    // and slow again at 96%
	}
	for _, st := range steps {
		for i := range st.polls {
			s.live.polled(netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 250)})) // readers from many addresses
		}
		s.overloadStep(t0.Add(st.at), st.open)
		if got := s.live.auto; got != st.want {
			t.Errorf("at %v, %d open, %d polls: slow %v, want %v", st.at, st.open, st.polls, got, st.want)
		}
	}
}

// TestFewClientsCannotHoldANodeSlow: eight addresses reconnecting as fast
// as the rate limit lets them (1,600 polls a ceiling, which read as 800
// readers would keep 1,000 slots slow) count as at most pollsPerClient
// polls each: the node that slowed itself for its streams
// goes back to normal once they left, past its hold.
func TestFewClientsCannotHoldANodeSlow(t *testing.T) {
	s := &Server{streams: newStreamSlots(1000), live: newLiveSwitch(10*time.Second, time.Minute, 20*time.Second)}
	t0 := time.Unix(1000, 0)
	if !s.overloadStep(t0, 960) || !s.live.auto {
		t.Fatal("960 of 1,000 streams: want the node slowed")
	}
	for sec := 1; sec <= 40; sec++ {
		for i := range 8 * 20 { // 8 addresses, 20 connects a second each
			s.live.polled(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 8)}))
		}
		s.overloadStep(t0.Add(time.Duration(sec)*time.Second), 10)
	}
	if s.live.auto {
		t.Errorf("8 clients polling 160 times a second kept the node slow (estimated %d readers polling)", s.live.demand)
	}
}
