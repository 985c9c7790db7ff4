package hub

import (
	"fmt"
	"strings"
	"testing"
)

// frame is a frame of event seq for article id, with n bytes of data.
func frame(seq int64, id string, n int) *Frame {
	return &Frame{Seq: seq, Data: []byte(fmt.Sprintf("%d %s %s", seq, id, strings.Repeat(".", n)))}
}

// seqs is the frames' sequences.
func seqs(fs []*Frame) []int64 {
	var out []int64
	for _, f := range fs {
		out = append(out, f.Seq)
	}
	return out
}

func TestHistorySince(t *testing.T) {
	// after 10: article a at 11, b at 12, a again at 13, c at 15 (14 was
	// skipped as unreadable), and the pump has read up to 16
	h := NewHistory(10, 100, 1<<20)
	h.Add("a", frame(11, "a", 0))
	h.Add("b", frame(12, "b", 0))
	h.Add("a", frame(13, "a", 0))
	h.Add("c", frame(15, "c", 0))
	h.Advance(16)
	for _, tc := range []struct {
		name   string
		since  int64
		want   []int64
		last   int64
		wantOK bool
	}{
		{"from the start: each article once, its latest", 10, []int64{12, 13, 15}, 16, true},
		{"past the first", 11, []int64{12, 13, 15}, 16, true},
		{"past a's first change: a's latest only", 12, []int64{13, 15}, 16, true},
		{"past the skipped event", 14, []int64{15}, 16, true},
		{"caught up", 16, nil, 16, true},
		{"older than the history", 9, nil, 9, false},
		{"ahead of this node", 17, nil, 17, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, last, ok := h.Since(tc.since)
			if fmt.Sprint(seqs(got)) != fmt.Sprint(tc.want) || last != tc.last || ok != tc.wantOK {
				t.Errorf("Since(%d) got %v, last %d, ok %v; want %v, %d, %v", tc.since, seqs(got), last, ok, tc.want, tc.last, tc.wantOK)
			}
		})
	}
}

func TestHistoryBounds(t *testing.T) {
	for _, tc := range []struct {
		name                string
		maxFrames, maxBytes int
		sizes               []int // of the frames added, seq 1, 2, …
		wantFrom            int64 // the oldest position it still covers
	}{
		{"room for all", 10, 1 << 20, []int{10, 10, 10}, 0},
		{"by count: the two newest", 2, 1 << 20, []int{10, 10, 10, 10}, 2},
		{"by bytes", 10, 250, []int{100, 100, 100, 100}, 2},
		{"one frame over the bytes is kept", 10, 50, []int{10, 1000}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistory(0, tc.maxFrames, tc.maxBytes)
			for i, n := range tc.sizes {
				h.Add(fmt.Sprint("article-", i), frame(int64(i+1), fmt.Sprint("article-", i), n))
			}
			newest := int64(len(tc.sizes))
			if _, _, ok := h.Since(tc.wantFrom); !ok {
				t.Errorf("Since(%d): not covered, want it covered", tc.wantFrom)
			}
			if tc.wantFrom > 0 {
				if _, _, ok := h.Since(tc.wantFrom - 1); ok {
					t.Errorf("Since(%d): covered, want the frames after it let go", tc.wantFrom-1)
				}
			}
			got, _, _ := h.Since(tc.wantFrom)
			if int64(len(got)) != newest-tc.wantFrom {
				t.Errorf("Since(%d) got %v, want the %d newest", tc.wantFrom, seqs(got), newest-tc.wantFrom)
			}
			if h.size > max(tc.maxBytes, len(h.frames[len(h.frames)-1].f.Data)) {
				t.Errorf("holds %d bytes, want at most %d", h.size, tc.maxBytes)
			}
		})
	}
}
