package news

import (
	"math"
	"strconv"
	"strings"
)

// ParseColor accepts a CSS colour a publisher would type: #rgb, #rgba,
// #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla() with numbers, or a named
// colour. It returns it lower-cased. Anything else is refused, so the value
// can never escape the CSS custom property it is written into.
func ParseColor(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 64 {
		return "", false
	}
	if s[0] == '#' {
		h := s[1:]
		switch len(h) {
		case 3, 4, 6, 8:
		default:
			return "", false
		}
		if _, err := strconv.ParseUint(h, 16, 64); err != nil {
			return "", false
		}
		return s, true
	}
	if open := strings.IndexByte(s, '('); open > 0 {
		fn := s[:open]
		if fn != "rgb" && fn != "rgba" && fn != "hsl" && fn != "hsla" || !strings.HasSuffix(s, ")") {
			return "", false
		}
		args := strings.FieldsFunc(s[open+1:len(s)-1], func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
		if len(args) < 3 || len(args) > 4 {
			return "", false
		}
		for _, a := range args {
			a = strings.TrimSuffix(strings.TrimSuffix(a, "%"), "deg")
			if _, err := strconv.ParseFloat(a, 64); err != nil {
				return "", false
			}
		}
		return s, true
	}
	if _, ok := namedColors[s]; ok {
		return s, true
	}
	return "", false
}

// namedColors are the CSS named colours and system colours: the names a
// browser's colour parser accepts, which is what the loader checks with.
var namedColors = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range strings.Fields(`aliceblue antiquewhite aqua aquamarine azure beige bisque black
	blanchedalmond blue blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue
	cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki
	darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue
	darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey
	dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray
	green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush
	lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen
	lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey
	lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue
	mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise
	mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive
	olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred
	papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue
	saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue slategray
	slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white
	whitesmoke yellow yellowgreen
	accentcolor accentcolortext activetext buttonborder buttonface buttontext canvas canvastext field
	fieldtext graytext highlight highlighttext linktext mark marktext selecteditem selecteditemtext
	visitedtext activeborder activecaption appworkspace background buttonhighlight buttonshadow
	captiontext inactiveborder inactivecaption inactivecaptiontext infobackground infotext menu
	menutext scrollbar threeddarkshadow threedface threedhighlight threedlightshadow threedshadow
	window windowframe windowtext`) {
		m[n] = struct{}{}
	}
	return m
}()

// OnAccent returns the text colour, near-black or white, that reads best on
// an accent colour given in hex or rgb(); white for other forms.
func OnAccent(c string) string {
	r, g, b, ok := rgbOf(c)
	if !ok {
		if _, light := lightNamed[c]; light {
			return "#111111"
		}
		return "#ffffff"
	}
	// WCAG relative luminance; pick the text colour with the higher contrast
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	if (l+0.05)/(0.0056+0.05) > (1.05)/(l+0.05) { // #111 has luminance ≈ 0.0056
		return "#111111"
	}
	return "#ffffff"
}

func rgbOf(c string) (r, g, b float64, ok bool) {
	if strings.HasPrefix(c, "#") {
		h := c[1:]
		if len(h) == 3 || len(h) == 4 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if len(h) < 6 {
			return 0, 0, 0, false
		}
		v, err := strconv.ParseUint(h[:6], 16, 32)
		if err != nil {
			return 0, 0, 0, false
		}
		return float64(v >> 16), float64(v >> 8 & 0xff), float64(v & 0xff), true
	}
	if strings.HasPrefix(c, "rgb") {
		open := strings.IndexByte(c, '(')
		args := strings.FieldsFunc(strings.TrimSuffix(c[open+1:], ")"), func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
		if len(args) < 3 {
			return 0, 0, 0, false
		}
		var v [3]float64
		for i := range v {
			s := args[i]
			pct := strings.HasSuffix(s, "%")
			f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
			if err != nil {
				return 0, 0, 0, false
			}
			if pct {
				f = f * 255 / 100
			}
			v[i] = max(0, min(255, f))
		}
		return v[0], v[1], v[2], true
	}
	return 0, 0, 0, false
}

var lightNamed = map[string]struct{}{}

func init() {
	for _, n := range strings.Fields(`aliceblue antiquewhite aqua aquamarine azure beige bisque blanchedalmond burlywood
	chartreuse cornsilk cyan darkkhaki floralwhite gainsboro ghostwhite gold goldenrod greenyellow honeydew ivory khaki
	lavender lavenderblush lawngreen lemonchiffon lightblue lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey
	lightpink lightsalmon lightskyblue lightyellow lime linen mintcream mistyrose moccasin navajowhite oldlace orange
	palegoldenrod palegreen paleturquoise papayawhip peachpuff pink plum powderblue salmon sandybrown seashell silver
	skyblue snow springgreen tan thistle turquoise wheat white whitesmoke yellow yellowgreen`) {
		lightNamed[n] = struct{}{}
	}
}

// ColorNames lists the colour names ParseColor accepts.
func ColorNames() []string {
	names := make([]string, 0, len(namedColors))
	for n := range namedColors {
		names = append(names, n)
	}
	return names
}
