// Package chromium starts headless Chromium the one way the browser tests
// and the bench both use, so a figure in the bench is taken by the same
// browser set-up the tests check.
package chromium

import (
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Find returns the path of a Chromium binary: $CHROMIUM, Debian's
// /usr/bin/chromium, or chromium on the PATH.
func Find() (string, bool) {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	p, err := exec.LookPath("chromium")
	return p, err == nil
}

// Options are the allocator options for a headless Chromium at path with a
// fresh profile in the directory profile: the project's standard flags plus
// those that keep it from calling out (updates, sync, QUIC probes) or
// prompting, so runs are quiet and comparable.
func Options(path, profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 900),
	}
}
