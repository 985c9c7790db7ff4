/* newswidget beacon, in the widget's frame. It counts, for the publisher,
   one impression per page view (half the widget, or half a screen's height
   of a taller one, visible for one second)
   and the clicks on article links, sent with navigator.sendBeacon to
   /api/beacon: the partner key and article ids only -- no cookie, no
   storage, no identifier. On a refusal page (an unknown or revoked partner
   key) it tells the loader why there is no widget instead. */
(() => {
  const d = document, q = new URLSearchParams(location.search), NS = "newswidget";
  const refused = d.querySelector("[data-refused]");
  // the message carries no secret: the page that framed this knows it all
  if (refused) return parent.postMessage({ [NS]: { id: q.get("id"), type: "error", message: refused.dataset.refused, fatal: 1 } }, "*");
  // a partner's widget previewed on this site (the configurator) is not
  // the partner's reader
  if (q.get("partner") && q.get("parent") == location.origin) return;
  // imp: 0 not yet, 1 seen and not sent, 2 sent
  let imp = 0, clicks = [], on = 0, timer;
  const send = () => {
    if (imp == 1 || clicks[0]) navigator.sendBeacon("/api/beacon", JSON.stringify({ p: q.get("partner") || "", i: imp & 1, c: clicks }));
    imp = imp && 2;
    clicks = [];
  };
  // the second starts when the widget comes into view and runs on while it
  // stays (later reports of the same state do not restart it); a break
  // (out of view, a hidden tab) stops it
  const arm = () => {
    if (!on || imp || d.visibilityState != "visible") timer = clearTimeout(timer);
    else timer ||= setTimeout(() => { imp = 1; send() }, 1000);
  };
  // root null: the top-level viewport, through every frame that clips this
  // one. Seen: half the widget in view, or half a screen's height of it --
  // a widget taller than the reader's window can never be half in view, and
  // one filling the window is seen. The fine thresholds report the visible
  // height as it grows, before it stops growing at the window's height.
  const seen = e => e.intersectionRatio >= .5 || e.intersectionRect.height >= screen.availHeight / 2;
  // A busy page delivers several crossings at once, oldest first: the
  // last one is the widget's state now.
  new IntersectionObserver(es => { on = seen(es.at(-1)); arm() }, { threshold: [...Array(51).keys()].map(i => i / 50) }).observe(d.documentElement);
  // the capture phase: before the Go program's own click handling
  d.addEventListener("click", e => {
    const item = e.target.closest?.("a[href]")?.closest("[data-id]");
    if (item) clicks.push(item.dataset.id), send();
  }, true);
  d.addEventListener("visibilitychange", () => (arm(), d.visibilityState == "hidden" && send()));
  addEventListener("pagehide", send);
})();
