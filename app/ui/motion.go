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
}

// PrerenderedPhase is the prerendered loop's position in px when the wasm
// took over, read by the wasm main before the first render replaced it;
// negative when unknown.
var PrerenderedPhase = -1.0

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
	lefts := map[string]float64{}
	items := copyEl.Get("children")
	for i := 0; i < items.Get("length").Int(); i++ {
		li := items.Index(i)
		lefts[li.Get("dataset").Get("id").String()] = li.Get("offsetLeft").Float()
	}

	anim := firstAnimation(track)
	pos := -1.0 // px into the loop now, if known
	switch {
	case m.adopt && PrerenderedPhase >= 0:
		pos = PrerenderedPhase
	case anim.Truthy() && m.width > 0:
		pos = mod(anim.Get("currentTime").Float()/1000*float64(speed), m.width)
		// keep the headline in view where it is, wherever it moved to
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
	}
	m.width, m.lefts = width, lefts
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
