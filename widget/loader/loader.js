/* newswidget loader: turns a <script> tag (or [data-news-widget] elements)
   into news widget iframes. Plain ES5-compatible JS, no dependencies. The
   validation rules are the server's (app/news/config.go); a test checks
   that both agree on every case. */
(function (w, d) {
  "use strict";
  var api = w.NewsWidget;
  var me = d.currentScript;
  if (api && api.v) {
    // Loaded twice: reuse the first copy, mount this tag if it is a widget tag.
    if (me) api._tag(me);
    api.scan();
    return;
  }
  var src = me ? me.src : (d.querySelector("script[src*='widget.js']") || {}).src;
  var ORIGIN = new URL(src, location.href).origin;
  var NS = "newswidget";
  var COLORS = "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen".split(" ");

  function lower(v) { return String(v).trim().toLowerCase(); }
  function oneOf() {
    var list = [].slice.call(arguments);
    return function (v) { v = lower(v); return list.indexOf(v) >= 0 ? v : null; };
  }
  function range(lo, hi) {
    return function (v) {
      v = String(v).trim().replace(/px$/, "");
      return /^[+-]?\d+$/.test(v) && +v >= lo && +v <= hi ? String(+v) : null;
    };
  }
  function text(max) {
    return function (v) {
      v = String(v).replace(/\s+/g, " ").trim();
      return v && Array.from(v).length <= max ? v : null;
    };
  }
  function color(v) {
    v = lower(v);
    var m;
    if (!v || v.length > 64) return null;
    if (v[0] == "#") return /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.test(v) ? v : null;
    if ((m = /^(rgba?|hsla?)\((.*)\)$/.exec(v))) {
      var args = m[2].split(/[ ,\/]+/).filter(Boolean);
      return args.length >= 3 && args.length <= 4 && args.every(function (a) {
        return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a.replace(/(%|deg)$/, ""));
      }) ? v : null;
    }
    return COLORS.indexOf(v) >= 0 ? v : null;
  }
  function locale(v) {
    var p = String(v).trim().replace(/_/g, "-").split("-");
    if (String(v).trim().length > 35 || !/^[a-z]{2,3}$/i.test(p[0])) return null;
    for (var i = 1; i < p.length; i++) {
      if (!/^[a-z0-9]{1,8}$/i.test(p[i])) return null;
      p[i] = p[i].length == 4 ? p[i][0].toUpperCase() + p[i].slice(1).toLowerCase() :
        p[i].length == 2 ? p[i].toUpperCase() : p[i].toLowerCase();
    }
    p[0] = p[0].toLowerCase();
    return p.join("-");
  }
  function category(v) {
    v = String(v).trim();
    return Array.from(v).length <= 64 ? v : null;
  }
  function live(v) { v = lower(v); return v == "" || v == "true" ? "true" : v == "false" ? "false" : null; }

  // name: [default, validator]. The default of locale is the page's language.
  var RULES = {
    layout: ["both", oneOf("ticker", "list", "both")],
    limit: ["10", range(1, 50)],
    category: ["", category],
    theme: ["auto", oneOf("auto", "light", "dark")],
    accent: ["", color],
    speed: ["60", range(10, 400)],
    locale: [locale(d.documentElement.lang || "") || "en", locale],
    "ticker-label": ["", text(60)],
    "list-label": ["", text(60)],
    live: ["true", live],
    loading: ["lazy", oneOf("lazy", "eager")],
    height: ["", range(40, 4000)],
    "link-target": ["_top", oneOf("_top", "_blank", "_self")],
    target: ["", String]
  };

  // parse validates options (attribute names less "data-", or camelCase);
  // a bad value warns once and keeps the default.
  function parse(opts, quiet) {
    var cfg = {}, warnings = [];
    for (var k in RULES) {
      var v = opts[k];
      if (v === undefined) v = opts[k.replace(/-(\w)/g, function (_, c) { return c.toUpperCase(); })];
      var def = RULES[k][0], ok = v === undefined || v === null ? def : RULES[k][1](v);
      if (ok === null) {
        ok = def;
        warnings.push(NS + ": data-" + k + '="' + v + '" is not valid; using "' + def + '"');
      }
      cfg[k] = ok;
    }
    if (!quiet) warnings.forEach(function (m) { console.warn(m); });
    return { cfg: cfg, warnings: warnings };
  }

  function attrs(el) {
    var o = {};
    for (var k in RULES) if (el.hasAttribute("data-" + k)) o[k] = el.getAttribute("data-" + k);
    return o;
  }

  // reserved is the height kept for a widget before it measures itself.
  function reserved(cfg) {
    if (cfg.height) return +cfg.height;
    var list = 58 + 94 * cfg.limit;
    return cfg.layout == "ticker" ? 46 : cfg.layout == "list" ? list : 46 + list;
  }

  function embedURL(cfg, id) {
    var q = [];
    for (var k in RULES) {
      // the frame's locale default is "en", not this page's language
      if (k != "target" && cfg[k] !== (k == "locale" ? "en" : RULES[k][0])) q.push(k + "=" + encodeURIComponent(cfg[k]));
    }
    q.push("id=" + id, "parent=" + encodeURIComponent(location.origin));
    return ORIGIN + "/embed?" + q.join("&");
  }

  var instances = {}, count = 0, listening = false;

  function onMessage(e) {
    var m = e.data && e.data[NS], inst = m && instances[m.id];
    if (!inst || e.origin !== ORIGIN || e.source !== inst.frame.contentWindow) return;
    if (m.type == "resize" && m.height > 0) inst.box.style.height = Math.ceil(m.height) + "px";
    if (m.type == "ready") inst.box.style.background = "none";
    if (m.type == "error") console.warn(NS + ": " + m.message);
  }

  function listen(on) {
    if (on != listening) w[(on ? "add" : "remove") + "EventListener"]("message", onMessage);
    listening = on;
  }

  // mount puts a widget into element (or after it, for the script tag).
  function mount(element, options, after) {
    if (!element || element[NS]) return element && element[NS];
    var opts = attrs(element);
    for (var k in options || {}) opts[k] = options[k];
    var cfg = parse(opts).cfg, id = "w" + ++count + Math.random().toString(36).slice(2, 8);
    var host = element;
    if (cfg.target) {
      try { host = d.querySelector(cfg.target) || element; } catch (err) {}
      if (host === element && after) console.warn(NS + ': data-target="' + cfg.target + '" matches nothing; using ""');
      else after = false;
    }
    var box = d.createElement("div"), frame = d.createElement("iframe");
    box.className = NS;
    var s = box.style;
    s.height = reserved(cfg) + "px";
    s.overflow = "hidden";
    s.transition = "height .2s ease-out";
    s.background = "rgba(127,127,127,.08)";
    s.borderRadius = "8px";
    frame.title = cfg["ticker-label"] || cfg["list-label"] || "Flash News and latest news";
    frame.src = embedURL(cfg, id);
    frame.loading = cfg.loading;
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation");
    s = frame.style;
    s.border = "0";
    s.width = "100%";
    s.height = "100%";
    s.display = "block";
    s.colorScheme = cfg.theme == "auto" ? "normal" : cfg.theme;
    box.appendChild(frame);
    if (after) host.parentNode.insertBefore(box, host.nextSibling);
    else host.appendChild(box);
    var inst = instances[id] = {
      box: box, frame: frame, cfg: cfg, element: element,
      update: function (o) {
        var next = {};
        for (var k in inst.cfg) next[k] = inst.cfg[k];
        for (k in o || {}) next[k] = o[k];
        inst.cfg = parse(next).cfg;
        if (o && (o.height || o.limit || o.layout)) box.style.height = reserved(inst.cfg) + "px";
        frame.contentWindow.postMessage({ newswidget: { id: id, type: "config", options: inst.cfg } }, ORIGIN);
      },
      destroy: function () {
        box.parentNode && box.parentNode.removeChild(box);
        delete instances[id];
        delete element[NS];
        listen(Object.keys(instances).length > 0);
      }
    };
    listen(true);
    return (element[NS] = { update: inst.update, destroy: inst.destroy });
  }

  function scan() {
    [].forEach.call(d.querySelectorAll("[data-news-widget]"), function (el) { mount(el); });
  }

  // tag mounts a widget after the loader's own script tag, unless the page
  // uses [data-news-widget] elements and the tag carries no options.
  function tag(el) {
    if (Object.keys(attrs(el)).length || !d.querySelector("[data-news-widget]")) mount(el, {}, true);
  }

  w.NewsWidget = { v: 1, mount: mount, scan: scan, _tag: tag, _parse: parse };
  function start() {
    if (me) tag(me);
    scan();
  }
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(window, document);
