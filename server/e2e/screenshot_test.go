package e2e_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestScreenshot writes a PNG of the widget on a publisher's page to
// $NEWSWIDGET_SCREENSHOT (`make screenshot` keeps it as web/screenshot.png
// for the README). Without the variable it only checks that a capture works.
func TestScreenshot(t *testing.T) {
	ws := startWidgetServer(t, "", "")
	host := hostPage(t, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Publisher</title></head>
<body style="margin:0;padding:24px;font-family:sans-serif;background:#f3f3f3"><div style="max-width:720px">
<script src="`+ws.URL+`/widget.js" data-loading="eager" data-limit="4" async></script></div></body></html>`)
	b := newBrowser(t)
	if err := chromedp.Run(b.ctx, chromedp.EmulateViewport(800, 640), chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	f := b.frame(t, "/embed")
	waitBoot(t, f)
	time.Sleep(1500 * time.Millisecond) // let the ticker scroll a little and the frame settle
	var png []byte
	if err := chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 {
		t.Fatalf("screenshot is %d bytes, want an image", len(png))
	}
	if out := os.Getenv("NEWSWIDGET_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.noPageErrors(t)
}
