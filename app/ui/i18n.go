package ui

import (
	"strconv"
	"strings"
	"time"
)

// Strings are the words of the widget in one language. Plural forms are
// tables, a "#" standing for the number, so each language is data.
type Strings struct {
	Lang        string
	Dir         string // ltr or rtl
	TickerLabel string
	ListLabel   string
	Pause       string
	Play        string
	Reconnect   string
	NotFound    string
	Breaking    string // the mark of an urgent article
	Correction  string // the label before an article's correction
	Months      [12]string
	justNow     string
	plural      func(n int) int // the form of n: an index into the tables below
	ago         [5][4]string    // by unit (minute, hour, day, month, year), then form
	fresh       [4]string       // "# new articles", by form
}

// NewArticles is the live-region announcement of n new articles.
func (s Strings) NewArticles(n int) string { return withNumber(s.fresh[s.plural(n)], n) }

func withNumber(f string, n int) string { return strings.Replace(f, "#", strconv.Itoa(n), 1) }

// oneOther is the plural rule of English and Albanian: 0 one, 1 other.
func oneOther(n int) int {
	if n == 1 {
		return 0
	}
	return 1
}

var english = Strings{
	Lang: "en", Dir: "ltr", TickerLabel: "Flash News", ListLabel: "Latest news",
	Pause: "Pause ticker", Play: "Play ticker", Reconnect: "Reconnecting…",
	NotFound: "This article is no longer available.",
	Breaking: "Breaking", Correction: "Correction:",
	Months:  [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	justNow: "just now",
	plural:  oneOther,
	ago: [5][4]string{
		{"1 minute ago", "# minutes ago"}, {"1 hour ago", "# hours ago"}, {"1 day ago", "# days ago"},
		{"1 month ago", "# months ago"}, {"1 year ago", "# years ago"},
	},
	fresh: [4]string{"1 new article", "# new articles"},
}

// Albanian: "para" takes the ablative (para 1 ore, para 2 orësh).
var albanian = Strings{
	Lang: "sq", Dir: "ltr", TickerLabel: "Lajme flash", ListLabel: "Lajmet e fundit",
	Pause: "Ndalo lajmet", Play: "Luaj lajmet", Reconnect: "Po rilidhet…",
	NotFound: "Ky artikull nuk është më i disponueshëm.",
	Breaking: "Urgjente", Correction: "Korrigjim:",
	Months:  [12]string{"janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor", "nëntor", "dhjetor"},
	justNow: "tani",
	plural:  oneOther,
	ago: [5][4]string{
		{"para 1 minute", "para # minutash"}, {"para 1 ore", "para # orësh"}, {"para 1 dite", "para # ditësh"},
		{"para 1 muaji", "para # muajsh"}, {"para 1 viti", "para # vitesh"},
	},
	fresh: [4]string{"1 artikull i ri", "# artikuj të rinj"},
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
	Breaking: "Хитно", Correction: "Исправка:",
	Months:  [12]string{"јануар", "фебруар", "март", "април", "мај", "јун", "јул", "август", "септембар", "октобар", "новембар", "децембар"},
	justNow: "управо сада",
	plural:  serbianForm,
	ago: [5][4]string{
		{"пре # минут", "пре # минута", "пре # минута"}, {"пре # сат", "пре # сата", "пре # сати"},
		{"пре # дан", "пре # дана", "пре # дана"}, {"пре # месец", "пре # месеца", "пре # месеци"},
		{"пре # годину", "пре # године", "пре # година"},
	},
	fresh: [4]string{"# нови чланак", "# нова чланка", "# нових чланака"},
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
	Breaking: "عاجل", Correction: "تصحيح:",
	Months:  [12]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
	justNow: "الآن",
	plural:  arabicForm,
	ago: [5][4]string{
		{"منذ دقيقة", "منذ دقيقتين", "منذ # دقائق", "منذ # دقيقة"},
		{"منذ ساعة", "منذ ساعتين", "منذ # ساعات", "منذ # ساعة"},
		{"منذ يوم", "منذ يومين", "منذ # أيام", "منذ # يومًا"},
		{"منذ شهر", "منذ شهرين", "منذ # أشهر", "منذ # شهرًا"},
		{"منذ سنة", "منذ سنتين", "منذ # سنوات", "منذ # سنة"},
	},
	fresh: [4]string{"مقال جديد واحد", "مقالان جديدان", "# مقالات جديدة", "# مقالًا جديدًا"},
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
	day := 24 * time.Hour
	unit, n := 4, int(d/(365*day))
	switch {
	case d < time.Minute:
		return s.justNow
	case d < time.Hour:
		unit, n = 0, int(d/time.Minute)
	case d < day:
		unit, n = 1, int(d/time.Hour)
	case d < 30*day:
		unit, n = 2, int(d/day)
	case d < 365*day:
		unit, n = 3, int(d/(30*day))
	}
	return withNumber(s.ago[unit][s.plural(n)], n)
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
	tr := cyrillicToLatin
	s.TickerLabel, s.ListLabel, s.Pause, s.Play = tr(s.TickerLabel), tr(s.ListLabel), tr(s.Pause), tr(s.Play)
	s.Reconnect, s.NotFound, s.justNow = tr(s.Reconnect), tr(s.NotFound), tr(s.justNow)
	s.Breaking, s.Correction = tr(s.Breaking), tr(s.Correction)
	for i := range s.Months {
		s.Months[i] = tr(s.Months[i])
	}
	for u := range s.ago {
		for f := range s.ago[u] {
			s.ago[u][f] = tr(s.ago[u][f])
		}
	}
	for f := range s.fresh {
		s.fresh[f] = tr(s.fresh[f])
	}
	return s
}

// cyrillicToLatin transliterates Serbian Cyrillic, letter by letter.
func cyrillicToLatin(s string) string {
	var b strings.Builder
	for _, r := range s {
		if i := strings.IndexRune(cyrillic, r); i >= 0 {
			b.WriteString(latin[strings.Count(cyrillic[:i], "")-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

const cyrillic = "абвгдђежзијклљмнњопрстћуфхцчџшАБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ"

var latin = strings.Fields(`a b v g d đ e ž z i j k l lj m n nj o p r s t ć u f h c č dž š
A B V G D Đ E Ž Z I J K L Lj M N Nj O P R S T Ć U F H C Č Dž Š`)
