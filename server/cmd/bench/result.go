package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Kind says how a row's value is held against its budget.
type Kind string

// The kinds of budget.
const (
	RatioMax Kind = "ratio<="  // value / anchor at most Limit
	RatioMin Kind = "ratio>="  // value / anchor at least Limit
	ValueMax Kind = "value<="  // value at most Limit, in the row's unit
	ValueMin Kind = "value>="  // value at least Limit, in the row's unit
	DiffMax  Kind = "diff<="   // value − anchor at most Limit, in the row's unit
	Reported Kind = "reported" // no budget: the figure is measured beside its anchor and reported
)

// Row is one measured figure beside its anchor.
type Row struct {
	ID         string    `json:"id"`                    // the figure's number, a letter for each of its rows
	Figure     string    `json:"figure"`                // what is measured
	Unit       string    `json:"unit"`                  // of Value, Anchor and Limit (absolute budgets)
	Value      float64   `json:"value"`                 // the figure
	Anchor     float64   `json:"anchor"`                // what it is compared with
	AnchorName string    `json:"anchor_name"`           // and what that is
	HasAnchor  bool      `json:"has_anchor"`            // false: an absolute budget
	Diff       bool      `json:"diff,omitempty"`        // the table shows value − anchor, not a ratio
	Kind       Kind      `json:"budget_kind"`           // how the budget is held
	Limit      float64   `json:"budget_limit"`          // the budget
	Runs       []float64 `json:"runs,omitempty"`        // the value's samples; Value is their median
	AnchorRuns []float64 `json:"anchor_runs,omitempty"` // the anchor's samples; Anchor is their median
	Pass       bool      `json:"pass"`                  // within the budget
	Verdict    string    `json:"verdict"`               // "pass" or "MISS by …"
	Err        string    `json:"error,omitempty"`       // why it could not be measured
	Note       string    `json:"note,omitempty"`        // supporting numbers
}

// Ratio is value / anchor, or NaN without an anchor.
func (r *Row) Ratio() float64 {
	if !r.HasAnchor || r.Anchor == 0 {
		return math.NaN()
	}
	return r.Value / r.Anchor
}

// judge fills Pass and Verdict from the value, the anchor and the budget.
func (r *Row) judge() {
	if r.Err != "" {
		r.Pass, r.Verdict = false, "NOT MEASURED"
		return
	}
	ratio := r.Ratio()
	switch r.Kind {
	case RatioMax:
		r.Pass = ratio <= r.Limit
		if !r.Pass {
			over := r.Value - r.Limit*r.Anchor
			r.Verdict = fmt.Sprintf("MISS by %s %s (%.1f%% over)", num(over), r.Unit, 100*(ratio/r.Limit-1))
		}
	case RatioMin:
		r.Pass = ratio >= r.Limit
		if !r.Pass {
			short := r.Limit*r.Anchor - r.Value
			r.Verdict = fmt.Sprintf("MISS by %s %s (%.1f%% short)", num(short), r.Unit, 100*(1-ratio/r.Limit))
		}
	case ValueMax:
		r.Pass = r.Value <= r.Limit
		if !r.Pass {
			pct := ""
			if r.Limit > 0 {
				pct = fmt.Sprintf(" (%.1f%% over)", 100*(r.Value/r.Limit-1))
			}
			r.Verdict = fmt.Sprintf("MISS by %s %s%s", num(r.Value-r.Limit), r.Unit, pct)
		}
	case DiffMax:
		r.Pass = r.Value-r.Anchor <= r.Limit
		if !r.Pass {
			r.Verdict = fmt.Sprintf("MISS by %s %s", num(r.Value-r.Anchor-r.Limit), r.Unit)
		}
	case ValueMin:
		r.Pass = r.Value >= r.Limit
		if !r.Pass {
			r.Verdict = fmt.Sprintf("MISS by %s %s (%.1f%% short)", num(r.Limit-r.Value), r.Unit, 100*(1-r.Value/r.Limit))
		}
	case Reported:
		r.Pass, r.Verdict = false, "reported"
		return
	}
	if r.Pass {
		r.Verdict = "pass"
	}
}

// budgetText renders the budget for the table.
func (r *Row) budgetText() string {
	switch r.Kind {
	case RatioMax:
		return fmt.Sprintf("≤ %s× anchor", num(r.Limit))
	case RatioMin:
		return fmt.Sprintf("≥ %s× anchor", num(r.Limit))
	case ValueMax:
		return fmt.Sprintf("≤ %s %s", num(r.Limit), r.Unit)
	case ValueMin:
		return fmt.Sprintf("≥ %s %s", num(r.Limit), r.Unit)
	case DiffMax:
		return fmt.Sprintf("≤ anchor + %s %s", num(r.Limit), r.Unit)
	case Reported:
		return "none (reported)"
	}
	return ""
}

// num prints a number with as many decimals as its size deserves, without
// trailing zeros.
func num(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case math.IsNaN(v):
		return "—"
	case a == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		s = fmt.Sprintf("%.1f", v)
	case a >= 1:
		s = fmt.Sprintf("%.2f", v)
	default:
		s = fmt.Sprintf("%.4f", v)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Report is everything one run of the harness measured.
type Report struct {
	Started    time.Time         `json:"started"`      // when the run began
	Seconds    float64           `json:"seconds"`      // how long it took
	Quick      bool              `json:"quick"`        // -quick: fewer, shorter runs
	Runs       int               `json:"runs"`         // repetitions of the browser and start-up figures
	Go         string            `json:"go"`           // the Go that built everything
	Machine    string            `json:"machine"`      // OS, architecture, cores, kernel
	Tools      map[string]string `json:"tools"`        // versions of Chromium, nginx, wrk, Go
	Load       []PhaseLoad       `json:"load_average"` // the machine's, around each phase
	Rows       []*Row            `json:"rows"`         // the table
	Details    map[string]any    `json:"details"`      // every sample and supporting number
	Passed     int               `json:"passed"`       // rows within budget
	Missed     int               `json:"missed"`       // rows over it
	Reported   int               `json:"reported"`     // rows with no budget, reported only
	Unmeasured int               `json:"unmeasured"`   // rows that could not be measured
}

// PhaseLoad is the one-minute load average before and after a phase: on a
// shared 2-core machine it says how noisy the phase's numbers are.
type PhaseLoad struct {
	Phase string  `json:"phase"` // its name
	Start float64 `json:"start"` // load average before it
	End   float64 `json:"end"`   // and after
}

// add judges a row and appends it.
func (rep *Report) add(r *Row) {
	r.judge()
	rep.Rows = append(rep.Rows, r)
	fmt.Fprintf(os.Stderr, "bench: %-4s %-58s %s %s  [%s]\n", r.ID, r.Figure, num(r.Value), r.Unit, r.Verdict)
}

// fail appends a row that could not be measured, saying why.
func (rep *Report) fail(id, figure string, err error) {
	rep.add(&Row{ID: id, Figure: figure, Err: err.Error()})
}

// detail records supporting numbers under a name, for the JSON.
func (rep *Report) detail(name string, v any) { rep.Details[name] = v }

// print writes the table.
func (rep *Report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tfigure\tvalue\tanchor\tratio / median\tbudget\tresult")
	fmt.Fprintln(tw, "--\t------\t-----\t------\t--------------\t------\t------")
	for _, r := range rep.Rows {
		if r.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\t—\t—\t—\t—\tNOT MEASURED: %s\n", r.ID, r.Figure, oneLine(r.Err))
			continue
		}
		val := num(r.Value) + " " + r.Unit
		anchor, ratio := "—", "—"
		if r.HasAnchor {
			anchor = num(r.Anchor) + " " + r.Unit + " (" + r.AnchorName + ")"
			switch {
			case r.Diff:
				ratio = fmt.Sprintf("Δ %+.2f %s", r.Value-r.Anchor, r.Unit)
			case !math.IsNaN(r.Ratio()) && !math.IsInf(r.Ratio(), 0):
				ratio = fmt.Sprintf("%.3f×", r.Ratio())
			}
		} else if r.AnchorName != "" {
			anchor = r.AnchorName
		}
		if n := len(r.Runs); n > 1 {
			ratio += fmt.Sprintf(" (median of %d)", n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Figure, val, anchor, ratio, r.budgetText(), r.Verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d pass, %d miss, %d reported, %d not measured; %.0f s", rep.Passed, rep.Missed, rep.Reported, rep.Unmeasured, rep.Seconds)
	if rep.Quick {
		fmt.Fprint(w, " (-quick: fewer, shorter runs)")
	}
	fmt.Fprintln(w)
	if len(rep.Load) > 0 {
		fmt.Fprint(w, "load average (1 min, 2 cores) before→after each phase:")
		for _, l := range rep.Load {
			fmt.Fprintf(w, " %s %.1f→%.1f", l.Phase, l.Start, l.End)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "notes:")
	for _, r := range rep.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.ID, r.Note)
		}
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// finish counts the verdicts.
func (rep *Report) finish(start time.Time) {
	rep.Seconds = time.Since(start).Seconds()
	rep.Passed, rep.Missed, rep.Reported, rep.Unmeasured = 0, 0, 0, 0
	for _, r := range rep.Rows {
		switch {
		case r.Err != "":
			rep.Unmeasured++
		case r.Kind == Reported:
			rep.Reported++
		case r.Pass:
			rep.Passed++
		default:
			rep.Missed++
		}
	}
}

// write saves the report as JSON.
func (rep *Report) write(path string) error {
	finite := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return v
	}
	for _, r := range rep.Rows {
		r.Value, r.Anchor = finite(r.Value), finite(r.Anchor)
	}
	for k, v := range rep.Details { // JSON has no NaN: keep such a detail as text
		if _, err := json.Marshal(v); err != nil {
			rep.Details[k] = fmt.Sprintf("%+v", v)
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// median of the samples (NaN for none); the samples are not reordered.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile p (0–100) of sorted samples, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}
