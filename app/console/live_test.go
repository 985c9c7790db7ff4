package console

import (
	"regexp"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// pressed matches a mode's button, pressed or not (attributes in any
// order; go-app prints an attribute whose value is "true" bare).
func pressed(label string, on bool) *regexp.Regexp {
	v := `="false"[^>]*>`
	if on {
		v = `(="true")?(\s[^>]*)?>`
	}
	return regexp.MustCompile(`<button[^>]*aria-pressed` + v + label + `<`)
}

func liveAnswer(mode, by string) scripted {
	return scripted{200, `{"mode":"` + mode + `","set_by":"` + by + `","setting":{"mode":"` + mode + `","by":"chief","at":"2026-12-06T17:00:00Z"},"overload":false,"retry_ms":2000,"streams":3,"polling":0}`}
}

// An admin sees the mode served and switches it: Slow at once, Paused only
// after the confirmation, and the button of the mode served is pressed.
func TestLiveSwitch(t *testing.T) {
	api := &scriptAPI{answers: map[string]scripted{"GET /api/live": liveAnswer("normal", "default")}}
	l := newLive(api, true, 0, link{})
	l.fetch()
	html := render(t, l)
	has(t, html, []string{`id="nr-live-current"`, "<strong>Normal</strong>", "No one has switched it."}, []string{`role="alert"`, "Confirm pause"})
	if !pressed("Normal", true).MatchString(html) || !pressed("Slow", false).MatchString(html) || !pressed("Paused", false).MatchString(html) {
		t.Errorf("Normal is not the one pressed:\n%s", html)
	}

	api.answers["PUT /api/live"] = liveAnswer("slow", "person")
	l.onMode("slow")
	if got := api.sent[len(api.sent)-1]; got != `PUT /api/live {"mode":"slow"}` {
		t.Errorf("sent %s", got)
	}
	html = render(t, l)
	if !pressed("Slow", true).MatchString(html) || !pressed("Normal", false).MatchString(html) {
		t.Error("Slow is not pressed after the switch")
	}
	has(t, html, []string{"Set by chief, 6 Dec 2026 17:00 UTC."}, nil)

	n := len(api.sent)
	l.onMode("paused")
	if len(api.sent) != n {
		t.Fatalf("Paused sent %v before the confirmation", api.sent[n:])
	}
	has(t, render(t, l), []string{`id="nr-live-confirm"`, ">Confirm pause</button>", ">Cancel</button>"}, nil)
	api.answers["PUT /api/live"] = liveAnswer("paused", "person")
	l.onConfirmPause(nil, app.Event{})
	if got := api.sent[len(api.sent)-1]; got != `PUT /api/live {"mode":"paused"}` {
		t.Errorf("sent %s", got)
	}
	html = render(t, l)
	if !pressed("Paused", true).MatchString(html) {
		t.Error("Paused is not pressed after the confirmation")
	}
	has(t, html, nil, []string{"Confirm pause"})
}

// An editor sees the mode, and no switch; errors are alerts; the
// automatic slow-down says why.
func TestLiveStates(t *testing.T) {
	api := &scriptAPI{answers: map[string]scripted{"GET /api/live": {200, `{"mode":"slow","set_by":"auto","setting":{"mode":"normal"},"overload":true,"streams":95,"max_streams":100}`}}}
	l := newLive(api, false, 0, link{})
	l.fetch()
	l.onMode("paused")
	has(t, render(t, l), []string{"<strong>Slow</strong>", "slowed down by itself", "(95 of 100)", "Only an admin can switch"},
		[]string{"<button type=\"button\" class=\"nr-tab\"", ">Paused</button>", "Confirm pause"})
	if len(api.sent) != 1 {
		t.Errorf("an editor's press sent %v", api.sent)
	}

	api.answers["GET /api/live"] = scripted{200, `{"mode":"warp"}`}
	l = newLive(api, true, 0, link{})
	l.fetch()
	has(t, render(t, l), []string{`id="nr-live-error"`, `role="alert"`, "not a mode"}, []string{`id="nr-live-current"`})

	api.answers["PUT /api/live"] = scripted{403, `{"error":{"code":"forbidden","message":"admins only"}}`}
	l.onMode("slow")
	has(t, render(t, l), []string{`role="alert"`, "could not be switched to Slow: admins only"}, nil)

	ended := false
	api.answers["GET /api/live"] = scripted{401, `{"error":{"code":"unauthorized","message":"x"}}`}
	l = newLive(api, true, 0, link{signOut: func() { ended = true }})
	l.fetch()
	if !ended {
		t.Error("a 401 keeps the admin in the live view")
	}
}
