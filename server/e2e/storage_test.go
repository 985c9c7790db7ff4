package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStoragelessFrame opens the widget in a browser that blocks
// third-party cookies and site data, a common privacy setting: the frame
// cannot touch localStorage, and the widget must still start with no page
// error, its wasm running.
func TestStoragelessFrame(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, hostHTML(ws.URL, `data-loading="eager"`))
	dir := profileDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o755); err != nil {
		t.Fatal(err)
	}
	prefs := `{"profile":{"block_third_party_cookies":true,"cookie_controls_mode":1,"default_content_setting_values":{"cookies":2}}}`
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, chromedp.UserDataDir(dir))
	open(t, b, host)
	f := b.frame(t, "/embed")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser log:\n%s", strings.Join(b.lines(""), "\n"))
		}
	})
	wakeGo(t, f)
	// The wasm put its in-memory stand-in in place: a data property where
	// the browser has an accessor, which it does only when storage threw.
	var blocked bool
	eval(t, f, `"value" in (Object.getOwnPropertyDescriptor(window,"localStorage")||{})`, &blocked)
	if !blocked {
		t.Fatal("the browser did not block the frame's storage; the test checks nothing")
	}
	if err := chromedp.Run(f, chromedp.Click(".nw-toggle", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, f, `document.querySelector(".nw-toggle").getAttribute("aria-pressed")==="true"`, 5*time.Second)
	b.noPageErrors(t)
}
