/* newswidget loader: turns its <script> tag, and any [data-news-widget]
   element, into a news widget iframe. The validation rules are the server's
   (app/news/config.go); a browser test runs one table of cases against both.
   Kept small on purpose: it is a guest on every publisher's page. */
(() => {
  const w = window, d = document, NS = "newswidget", me = d.currentScript;
  if (w.NewsWidget) return w.NewsWidget._tag(me); // loaded twice: reuse the first copy
  const ORIGIN = new URL(me.src).origin;
  const low = v => String(v).trim().toLowerCase();
  const oneOf = list => v => list.split(" ").includes(v = low(v)) ? v : null;
  const range = (lo, hi) => v => (v = String(v).trim().replace(/px$/, ""), /^[+-]?\d+$/.test(v) && +v >= lo && +v <= hi ? "" + +v : null);
  const text = max => v => (v = String(v).replace(/\s+/g, " ").trim()) && [...v].length <= max ? v : null;
  // a colour of the forms the server accepts (hex, rgb()/hsl(), a name) that
  // the browser itself can parse
  const color = v => /^(#[\da-f]+|(rgb|hsl)a?\([\d\s.,%/+deg-]*\)|[a-z]+)$/.test(v = low(v)) &&
    CSS.supports("color", v) && !/^(currentcolor|transparent|inherit|initial|unset|revert)$/.test(v) ? v : null;
  // the server puts a tag's subtags into canonical case; here it need only be one
  const locale = v => (v = String(v).trim().replace(/_/g, "-")).length < 36 && /^[a-z]{2,3}(-[a-z\d]{1,8})*$/i.test(v) ? v : null;
  // name: [default, validator]; the locale defaults to the page's language.
  const RULES = {
    layout: ["both", oneOf("ticker list both")],
    limit: ["10", range(1, 50)],
    category: ["", v => [...(v = String(v).trim())].length <= 64 ? v : null],
    theme: ["auto", oneOf("auto light dark")],
    accent: ["", color],
    speed: ["60", range(10, 400)],
    locale: [locale(d.documentElement.lang) || "en", locale],
    "ticker-label": ["", text(60)],
    "list-label": ["", text(60)],
    live: ["true", v => (v = low(v)) ? oneOf("true false")(v) : "true"],
    loading: ["lazy", oneOf("lazy eager")],
    height: ["", range(40, 4000)],
    "link-target": ["_top", oneOf("_top _blank _self")],
    target: ["", String],
    partner: ["", String] // a partner's key; the server checks it
  };
  const say = s => console.warn(NS + ": " + s);
  const warn = (k, v, def) => say(`data-${k}="${v}" is not valid; using "${def}"`);
  // parse validates options named as the attributes less "data-"; a bad
  // value warns once, naming it, and keeps the default.
  const parse = o => {
    const cfg = {};
    for (const k in RULES) {
      let v = o[k], [def, check] = RULES[k], ok = v == null || v === def ? def : check(v); // null or undefined: refused
      if (ok == null) warn(k, v, ok = def);
      cfg[k] = ok;
    }
    return cfg;
  };
  const attrs = el => {
    const o = {};
    for (const k in RULES) { const v = el.getAttribute("data-" + k); if (v != null) o[k] = v }
    return o;
  };
  // reserved is the height held before the widget measures itself, exact
  // when there are enough articles: the frame's CSS fixes its border (2px),
  // the ticker (44), the list heading (42) and each row (117).
  const reserved = c => +c.height || 2 + (c.layout != "list") * 44 + (c.layout != "ticker") * (42 + 117 * c.limit);
  const src = (c, id) => ORIGIN + "/embed?" + new URLSearchParams([...Object.entries(c)
    .filter(([k, v]) => k != "target" && v !== (k == "locale" ? "en" : RULES[k][0])), ["id", id], ["parent", location.origin]]);

  const all = {};
  let count = 0;
  const onMessage = e => {
    const m = e.data?.[NS], x = m && all[m.id];
    if (!x || e.origin !== ORIGIN || e.source !== x.frame.contentWindow) return;
    // the first size it reports means the widget is drawn: the placeholder goes
    if (m.type == "resize" && m.height > 0) x.ready = x.box.style.cssText = "height:" + Math.ceil(m.height) + "px";
    // what went wrong in the frame, for the publisher's console; a fatal
    // error (a partner key refused) leaves no widget: as destroy() does
    if (m.type == "error") say(m.message), m.fatal && x.api.destroy();
  };

  // mount puts a widget into element, or right after it for the script tag.
  const mount = (element, options, after) => {
    if (!element || element[NS]) return element?.[NS];
    let cfg = parse({ ...attrs(element), ...options }), id = "w" + ++count, host = element;
    if (cfg.target) {
      try { host = d.querySelector(cfg.target) || element; } catch (_) {}
      if (host == element) warn("target", cfg.target, "");
      else after = 0;
    }
    const box = d.createElement("div"), frame = d.createElement("iframe");
    box.className = NS;
    // a height the publisher's page holds inline (the configurator's snippet
    // does, so the page is drawn with the space there before this script
    // runs) stays held, by the box, until the widget reports its own
    box.style.cssText = "background:#8881;height:" + (host.style.height || reserved(cfg) + "px");
    host.style.height = "";
    // the frame's colour scheme, so no opaque canvas shows behind it
    frame.style.cssText = "border:0;width:100%;height:100%;display:block;color-scheme:" + (cfg.theme == "auto" ? "light dark" : cfg.theme);
    frame.title = cfg["ticker-label"] || "Flash News";
    frame.loading = cfg.loading;
    frame.sandbox = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation";
    frame.src = src(cfg, id);
    after ? host.after(box) : host.append(box);
    // the space is held now; the frame (the costly part) comes in a task of its own
    setTimeout(() => box.append(frame));
    const x = all[id] = { box, frame };
    return element[NS] = x.api = {
      // a drawn widget changes in place; one not loaded yet just loads the new options
      update(o) {
        cfg = parse({ ...cfg, ...o });
        if (o.height || o.limit || o.layout) box.style.height = reserved(cfg) + "px";
        x.ready ? frame.contentWindow.postMessage({ [NS]: { id, type: "config", options: cfg } }, ORIGIN) : frame.src = src(cfg, id);
      },
      destroy() {
        box.remove();
        delete all[id];
        delete element[NS];
      }
    };
  };
  const scan = () => d.querySelectorAll("[data-news-widget]").forEach(el => mount(el));
  // _tag runs for a loader tag, again once the page is parsed. It mounts
  // the [data-news-widget] elements already there, and a widget right after
  // a tag in the body: at once, so nothing drawn below either moves. A tag
  // with no options on a page that places its widgets with [data-news-widget]
  // (or a tag in the head) only loads the library; an async one can only
  // tell once the page is parsed (readyState "interactive" or "complete",
  // both < "l"), as the elements may come after it.
  const _tag = (el, now = !el.async || d.readyState < "l") => {
    scan();
    d.addEventListener("DOMContentLoaded", () => _tag(el, 1));
    el.closest("head") || (Object.keys(attrs(el))[0] || now && !d.querySelector("[data-news-widget]")) && mount(el, {}, 1);
  };
  // one listener serves every instance; a message names its instance
  w.addEventListener("message", onMessage);
  w.NewsWidget = { mount, scan, _tag };
  _tag(me);
})();
