package assets

import "newswidget/web"

// loadBeacon serves the frame's beacon script (web/beacon.js: impressions,
// clicks, and a refusal's word to the loader), minified and precompressed,
// under a content-hashed name that s.Beacon gives. The widget's page carries
// it inline (FinishEmbed); the refusal page names it.
func (s *Set) loadBeacon() (*Asset, error) {
	src, _ := readFS(web.FS, "beacon.js")
	a, err := NewAsset("/web/beacon.js", "application/javascript; charset=utf-8", CacheImmutable, src)
	if err != nil {
		return nil, err
	}
	a.Path = hashedName(a.Path, a.Body)
	s.Beacon = a.Path
	s.add(a)
	return a, nil
}
