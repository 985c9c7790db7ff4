package ui

import (
	"strconv"
	"strings"
	"time"
)

// Strings are the words of the widget in one language.
type Strings struct {
	Lang        string
	Dir         string // ltr or rtl
	TickerLabel string
	ListLabel   string
	Pause       string
	Play        string
	Reconnect   string
	NotFound    string
	Months      [12]string
	newArticles func(n int) string
	ago         func(n int, unit string) string // unit: minute, hour, day, month, year
	justNow     string
}

// NewArticles is the live-region announcement of n new articles.
func (s Strings) NewArticles(n int) string { return s.newArticles(n) }

var english = Strings{
	Lang: "en", Dir: "ltr", TickerLabel: "Flash News", ListLabel: "Latest news",
	Pause: "Pause ticker", Play: "Play ticker", Reconnect: "Reconnecting…",
	NotFound: "This article is no longer available.",
	Months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	justNow:  "just now",
	newArticles: func(n int) string {
		if n == 1 {
			return "1 new article"
		}
		return strconv.Itoa(n) + " new articles"
	},
	ago: func(n int, unit string) string {
		if n != 1 {
			unit += "s"
		}
		return strconv.Itoa(n) + " " + unit + " ago"
	},
}

var albanian = Strings{
	Lang: "sq", Dir: "ltr", TickerLabel: "Lajme flash", ListLabel: "Lajmet e fundit",
	Pause: "Ndalo lajmet", Play: "Luaj lajmet", Reconnect: "Po rilidhet…",
	NotFound: "Ky artikull nuk është më i disponueshëm.",
	Months:   [12]string{"janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor", "nëntor", "dhjetor"},
	justNow:  "tani",
	newArticles: func(n int) string {
		if n == 1 {
			return "1 artikull i ri"
		}
		return strconv.Itoa(n) + " artikuj të rinj"
	},
	ago: func(n int, unit string) string {
		// "para" takes the ablative: para 1 ore, para 2 orësh
		one := map[string]string{"minute": "minute", "hour": "ore", "day": "dite", "month": "muaji", "year": "viti"}
		many := map[string]string{"minute": "minutash", "hour": "orësh", "day": "ditësh", "month": "muajsh", "year": "vitesh"}
		w := many[unit]
		if n == 1 {
			w = one[unit]
		}
		return "para " + strconv.Itoa(n) + " " + w
	},
}

// serbianForm picks the Serbian plural form: 0 one, 1 few, 2 many.
func serbianForm(n int) int {
	switch {
	case n%10 == 1 && n%100 != 11:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	}
	return 2
}

var serbian = Strings{
	Lang: "sr", Dir: "ltr", TickerLabel: "Флеш вести", ListLabel: "Најновије вести",
	Pause: "Паузирај вести", Play: "Пусти вести", Reconnect: "Поновно повезивање…",
	NotFound: "Овај чланак више није доступан.",
	Months:   [12]string{"јануар", "фебруар", "март", "април", "мај", "јун", "јул", "август", "септембар", "октобар", "новембар", "децембар"},
	justNow:  "управо сада",
	newArticles: func(n int) string {
		return strconv.Itoa(n) + " " + [3]string{"нови чланак", "нова чланка", "нових чланака"}[serbianForm(n)]
	},
	ago: func(n int, unit string) string {
		forms := map[string][3]string{
			"minute": {"минут", "минута", "минута"},
			"hour":   {"сат", "сата", "сати"},
			"day":    {"дан", "дана", "дана"},
			"month":  {"месец", "месеца", "месеци"},
			"year":   {"годину", "године", "година"},
		}
		return "пре " + strconv.Itoa(n) + " " + forms[unit][serbianForm(n)]
	},
}

// arabicForm picks the Arabic plural form: 0 one, 1 two, 2 few (3-10), 3 many.
func arabicForm(n int) int {
	switch {
	case n == 1:
		return 0
	case n == 2:
		return 1
	case n%100 >= 3 && n%100 <= 10:
		return 2
	}
	return 3
}

var arabic = Strings{
	Lang: "ar", Dir: "rtl", TickerLabel: "أخبار عاجلة", ListLabel: "آخر الأخبار",
	Pause: "إيقاف الشريط مؤقتًا", Play: "تشغيل الشريط", Reconnect: "جارٍ إعادة الاتصال…",
	NotFound: "هذا المقال لم يعد متاحًا.",
	Months:   [12]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
	justNow:  "الآن",
	newArticles: func(n int) string {
		switch arabicForm(n) {
		case 0:
			return "مقال جديد واحد"
		case 1:
			return "مقالان جديدان"
		case 2:
			return strconv.Itoa(n) + " مقالات جديدة"
		}
		return strconv.Itoa(n) + " مقالًا جديدًا"
	},
	ago: func(n int, unit string) string {
		forms := map[string][4]string{
			"minute": {"دقيقة", "دقيقتين", "دقائق", "دقيقة"},
			"hour":   {"ساعة", "ساعتين", "ساعات", "ساعة"},
			"day":    {"يوم", "يومين", "أيام", "يومًا"},
			"month":  {"شهر", "شهرين", "أشهر", "شهرًا"},
			"year":   {"سنة", "سنتين", "سنوات", "سنة"},
		}
		f := arabicForm(n)
		if f < 2 {
			return "منذ " + forms[unit][f]
		}
		return "منذ " + strconv.Itoa(n) + " " + forms[unit][f]
	},
}

// rtlLanguages are the primary languages written right to left.
var rtlLanguages = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true, "ps": true, "yi": true, "dv": true, "ckb": true, "sd": true, "ug": true}

// Locale returns the strings for a BCP 47 tag: its language's when the
// widget has them, else English, always with the tag's own direction.
func Locale(tag string) Strings {
	lang, rest, _ := strings.Cut(strings.ToLower(tag), "-")
	s := english
	switch lang {
	case "sq":
		s = albanian
	case "sr":
		s = serbian
		if strings.Contains(rest, "latn") {
			s = serbianLatin()
		}
	case "ar":
		s = arabic
	}
	s.Lang = tag
	if rtlLanguages[lang] {
		s.Dir = "rtl"
	}
	return s
}

// Ago says how long before now t was, in the language of s.
func (s Strings) Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return s.justNow
	case d < time.Hour:
		return s.ago(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return s.ago(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return s.ago(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		return s.ago(int(d/(30*24*time.Hour)), "month")
	}
	return s.ago(int(d/(365*24*time.Hour)), "year")
}

// Date is the full date and time of t in UTC, in the language of s. UTC on
// both sides keeps the prerender and the wasm render identical.
func (s Strings) Date(t time.Time) string {
	t = t.UTC()
	return strconv.Itoa(t.Day()) + " " + s.Months[t.Month()-1] + " " + strconv.Itoa(t.Year()) + ", " + t.Format("15:04") + " UTC"
}

// serbianLatin is Serbian in the Latin script, transliterated from Cyrillic.
func serbianLatin() Strings {
	s := serbian
	tr := func(v string) string { return cyrToLat.Replace(v) }
	s.TickerLabel, s.ListLabel, s.Pause, s.Play = tr(s.TickerLabel), tr(s.ListLabel), tr(s.Pause), tr(s.Play)
	s.Reconnect, s.NotFound, s.justNow = tr(s.Reconnect), tr(s.NotFound), tr(s.justNow)
	for i, m := range s.Months {
		s.Months[i] = tr(m)
	}
	na, ago := s.newArticles, s.ago
	s.newArticles = func(n int) string { return tr(na(n)) }
	s.ago = func(n int, unit string) string { return tr(ago(n, unit)) }
	return s
}

var cyrToLat = strings.NewReplacer(
	"а", "a", "б", "b", "в", "v", "г", "g", "д", "d", "ђ", "đ", "е", "e", "ж", "ž", "з", "z", "и", "i",
	"ј", "j", "к", "k", "л", "l", "љ", "lj", "м", "m", "н", "n", "њ", "nj", "о", "o", "п", "p", "р", "r",
	"с", "s", "т", "t", "ћ", "ć", "у", "u", "ф", "f", "х", "h", "ц", "c", "ч", "č", "џ", "dž", "ш", "š",
	"А", "A", "Б", "B", "В", "V", "Г", "G", "Д", "D", "Ђ", "Đ", "Е", "E", "Ж", "Ž", "З", "Z", "И", "I",
	"Ј", "J", "К", "K", "Л", "L", "Љ", "Lj", "М", "M", "Н", "N", "Њ", "Nj", "О", "O", "П", "P", "Р", "R",
	"С", "S", "Т", "T", "Ћ", "Ć", "У", "U", "Ф", "F", "Х", "H", "Ц", "C", "Ч", "Č", "Џ", "Dž", "Ш", "Š",
)
