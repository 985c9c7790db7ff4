package ui_test

import (
	"strings"
	"testing"

	"newswidget/app/news"
	"newswidget/app/ui"
)

// The flash lifecycle's marks (issue #16): breaking, in words, in every
// locale; the correction after its label; neither without its field.
func TestLifecycleMarks(t *testing.T) {
	for _, tc := range []struct{ tag, breaking, correction string }{
		{"en", "Breaking", "Correction:"},
		{"sq", "Urgjente", "Korrigjim:"},
		{"sr", "Хитно", "Исправка:"},
		{"sr-Latn", "Hitno", "Ispravka:"},
		{"ar", "عاجل", "تصحيح:"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			a := article("a", 0, true)
			a.Urgent, a.Pinned, a.Correction = true, true, "Fixed <b>name</b>"
			plain := article("b", -1, true)
			list := render(t, &ui.LatestList{Label: "L", Items: []news.Article{a, plain}, Target: "_top", Locale: tc.tag, Now: base})
			ticker := render(t, &ui.Ticker{Label: "T", Items: []news.Article{a, plain}, Speed: 60, Locale: tc.tag})
			for what, html := range map[string]string{"list": list, "ticker": ticker} {
				if n := strings.Count(html, `>`+tc.breaking+`<`); n == 0 {
					t.Errorf("%s lacks the breaking mark %q", what, tc.breaking)
				}
				if strings.Count(html, `class="nw-breaking"`) != strings.Count(html, `data-id="a"`) {
					t.Errorf("%s: a breaking mark on a plain article, or one missing", what)
				}
			}
			if !strings.Contains(list, tc.correction+" </span>") || !strings.Contains(list, "<bdi>Fixed &lt;b&gt;name&lt;/b&gt;</bdi>") {
				t.Errorf("list lacks the correction:\n%s", list)
			}
			if strings.Count(list, "nw-correction\"") != 1 {
				t.Errorf("want one correction in the list")
			}
		})
	}
}
