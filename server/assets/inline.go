package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
)

// inlineScripts is the widget page's two scripts, the boot script and the
// beacon, as the page carries them inline.
//
// Why inline: the frame shares the publisher's main thread on phones (iOS
// Safari, most Android Chromium). Each script it names costs that thread a
// request started while the frame's document commits and a task of its own
// to run once loaded; inline, they run as the parser reaches them, and the
// frame downloads one response before any news instead of three.
type inlineScripts struct {
	bootTag *regexp.Regexp // the boot script's element in a finished page
	tags    []byte         // both scripts' elements, for the end of the body
	hashes  string         // CSP sources allowing exactly those two
}

func newInlineScripts(bootPath string, boot, beacon []byte) inlineScripts {
	var tags bytes.Buffer
	hashes := ""
	for _, js := range [][]byte{boot, beacon} {
		tags.WriteString("<script>")
		tags.Write(js)
		tags.WriteString("</script>")
		sum := sha256.Sum256(js)
		if hashes != "" {
			hashes += " "
		}
		hashes += "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return inlineScripts{
		bootTag: regexp.MustCompile(`<script\b[^>]*\bsrc="` + regexp.QuoteMeta(bootPath) + `"[^>]*></script>\n?`),
		tags:    tags.Bytes(),
		hashes:  hashes,
	}
}

// FinishEmbed is FinishPage for the widget's own page (/embed): the boot
// script and the beacon run inline at the end of its body, where the
// widget they keep is already parsed, instead of being named in its head,
// and the page starts staged (class nw-staged, widget.css), drawn in two
// tasks.
// The page's Content-Security-Policy must allow them: ScriptHashes.
func (s *Set) FinishEmbed(page []byte) []byte {
	page = s.embed.bootTag.ReplaceAll(s.FinishPage(page), nil)
	page = bytes.Replace(page, []byte("<html "), []byte(`<html class="nw-staged" `), 1)
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		i = len(page)
	}
	out := make([]byte, 0, len(page)+len(s.embed.tags))
	out = append(out, page[:i]...)
	out = append(out, s.embed.tags...)
	return append(out, page[i:]...)
}

// ScriptHashes is the Content-Security-Policy source list ('sha256-…')
// allowing exactly the inline scripts FinishEmbed writes.
func (s *Set) ScriptHashes() string { return s.embed.hashes }
