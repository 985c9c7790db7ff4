package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// tickerMotion keeps the CSS loop's speed exact and its position steady:
// after the items change it finds the headline that was in view and moves the
// animation so that headline stays where it was, rather than letting the
// loop restart or jump.
type tickerMotion struct {
	width float64            // width of one copy, px
	lefts map[string]float64 // offset of each item in a copy, px
	adopt bool               // first measure: continue the prerendered loop's phase
	setAt float64            // when the loop's time was last set (msNow)
}

// msNow is performance.now(): the clock the browser's animations keep.
func msNow() float64 { return app.Window().Get("performance").Call("now").Float() }

// PrerenderedPhase is the prerendered loop's position in px when the wasm
// took over, read by the wasm main before the first render replaced it;
// negative when unknown.
var PrerenderedPhase = -1.0

// PrerenderedPaused says the reader paused the prerendered ticker (the boot
// script keeps the button working before the Go program wakes).
var PrerenderedPaused bool

// prerenderedLefts is the prerendered loop's layout (itemLefts) at the same
// moment; prerenderedAt that moment on the document's timeline, if it was
// moving.
var (
	prerenderedLefts map[string]float64
	prerenderedAt    float64
)

func (m *tickerMotion) measure(root app.Value, speed int) {
	if !root.Truthy() || speed <= 0 {
		return
	}
	track := root.Call("querySelector", ".nw-track")
	copyEl := root.Call("querySelector", ".nw-copy")
	if !track.Truthy() || !copyEl.Truthy() {
		return
	}
	width := copyEl.Get("scrollWidth").Float()
	if width <= 0 {
		return
	}
	lefts := itemLefts(copyEl)

	anim := firstAnimation(track)
	pos := -1.0 // px into the loop now, if known
	switch {
	case m.adopt && PrerenderedPhase >= 0:
		// where the prerendered loop was, in its own layout: news that
		// woke the program may have moved its headlines already
		pos, m.lefts = PrerenderedPhase, prerenderedLefts
		if prerenderedAt > 0 { // and it kept moving until now, and will: the
			// new loop starts from the time set here at the next frame
			pos += (msNow() - prerenderedAt) / 1000 * float64(speed)
		}
	case anim.Truthy() && m.width > 0:
		pos = anim.Get("currentTime").Float() / 1000 * float64(speed)
		if anim.Get("pending").Bool() && anim.Get("playState").String() == "running" {
			// the time set last has not started to run: a render came
			// between, and the loop will start from here at the next frame
			pos += (msNow() - m.setAt) / 1000 * float64(speed)
		}
		pos = mod(pos, m.width)
	}
	if pos >= 0 { // keep the headline in view where it is, wherever it moved to
		best, bestLeft := "", -1.0
		for id, l := range m.lefts {
			if l <= pos && l > bestLeft {
				best, bestLeft = id, l
			}
		}
		if nl, ok := lefts[best]; ok {
			pos = nl + (pos - bestLeft)
		}
	}
	m.adopt = false

	dur := width / float64(speed)
	track.Get("style").Call("setProperty", "animation-duration", strconv.FormatFloat(dur, 'f', 3, 64)+"s")
	if anim = firstAnimation(track); anim.Truthy() && pos >= 0 {
		anim.Set("currentTime", mod(pos, width)/float64(speed)*1000)
		m.setAt = msNow()
	}
	m.width, m.lefts = width, lefts
}

// itemLefts is the offset of each headline in a copy of the loop, by id.
func itemLefts(copyEl app.Value) map[string]float64 {
	lefts := map[string]float64{}
	items := copyEl.Get("children")
	for i := 0; i < items.Get("length").Int(); i++ {
		li := items.Index(i)
		lefts[li.Get("dataset").Get("id").String()] = li.Get("offsetLeft").Float()
	}
	return lefts
}

func firstAnimation(el app.Value) app.Value {
	if !el.Get("getAnimations").Truthy() {
		return app.Null()
	}
	list := el.Call("getAnimations")
	if list.Get("length").Int() == 0 {
		return app.Null()
	}
	return list.Index(0)
}

// mod is x modulo a positive m, for positions in the loop; package math's
// Mod handles cases a pixel offset never has, at a cost in wasm bytes.
func mod(x, m float64) float64 {
	return x - m*float64(int64(x/m))
}
