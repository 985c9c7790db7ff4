package news

import (
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
			if !cssNumber(strings.TrimSuffix(strings.TrimSuffix(a, "%"), "deg")) {
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

// cssNumber reports whether s is a CSS number: [+-]digits[.digits] or
// [+-].digits, with an optional exponent: what browsers parse, and the
// loader with them (no NaN or Inf, no hex floats or underscores, which
// strconv.ParseFloat would take).
func cssNumber(s string) bool {
	// sign, digits with at most one dot, then an optional exponent
	i, n := 0, len(s)
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < n; i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
	}
	if digits == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == n {
			return false
		}
		for ; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return i == n
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
	lin := func(v float64) float64 { return float64(srgbToLinear[uint8(v+0.5)]) / 65535 }
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

// srgbToLinear is WCAG's linearisation of an sRGB channel, ×65535: a table,
// because math.Pow would grow the wasm more than these 512 bytes.
var srgbToLinear = [256]uint16{
	0, 20, 40, 60, 80, 99, 119, 139, 159, 179, 199, 219, 241, 264, 288, 313,
	340, 367, 396, 427, 458, 491, 526, 562, 599, 637, 677, 718, 761, 805, 851, 898,
	947, 997, 1048, 1101, 1156, 1212, 1270, 1330, 1391, 1453, 1517, 1583, 1651, 1720, 1790, 1863,
	1937, 2013, 2090, 2170, 2250, 2333, 2418, 2504, 2592, 2681, 2773, 2866, 2961, 3058, 3157, 3258,
	3360, 3464, 3570, 3678, 3788, 3900, 4014, 4129, 4247, 4366, 4488, 4611, 4736, 4864, 4993, 5124,
	5257, 5392, 5530, 5669, 5810, 5953, 6099, 6246, 6395, 6547, 6700, 6856, 7014, 7174, 7335, 7500,
	7666, 7834, 8004, 8177, 8352, 8528, 8708, 8889, 9072, 9258, 9445, 9635, 9828, 10022, 10219, 10417,
	10619, 10822, 11028, 11235, 11446, 11658, 11873, 12090, 12309, 12530, 12754, 12980, 13209, 13440, 13673, 13909,
	14146, 14387, 14629, 14874, 15122, 15371, 15623, 15878, 16135, 16394, 16656, 16920, 17187, 17456, 17727, 18001,
	18277, 18556, 18837, 19121, 19407, 19696, 19987, 20281, 20577, 20876, 21177, 21481, 21787, 22096, 22407, 22721,
	23038, 23357, 23678, 24002, 24329, 24658, 24990, 25325, 25662, 26001, 26344, 26688, 27036, 27386, 27739, 28094,
	28452, 28813, 29176, 29542, 29911, 30282, 30656, 31033, 31412, 31794, 32179, 32567, 32957, 33350, 33745, 34143,
	34544, 34948, 35355, 35764, 36176, 36591, 37008, 37429, 37852, 38278, 38706, 39138, 39572, 40009, 40449, 40891,
	41337, 41785, 42236, 42690, 43147, 43606, 44069, 44534, 45002, 45473, 45947, 46423, 46903, 47385, 47871, 48359,
	48850, 49344, 49841, 50341, 50844, 51349, 51858, 52369, 52884, 53401, 53921, 54445, 54971, 55500, 56032, 56567,
	57105, 57646, 58190, 58737, 59287, 59840, 60396, 60955, 61517, 62082, 62650, 63221, 63795, 64372, 64952, 65535,
}
