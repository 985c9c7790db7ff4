/* newswidget frame boot. The prerendered page is the whole widget; this
   script keeps it alive until the Go program is needed, so a guest frame
   costs the publisher's page next to nothing: it reports the widget's
   size, keeps the pause button working and holds the live event stream.
   The Go program (wasm) wakes on the first live event, on the reader's
   first interaction with the widget, or on the publisher's update(); it
   then renders, and this script hands it what arrived meanwhile. No
   article is ever rendered here. It also defines the part of go-app's
   app.js the Go program needs. It registers no service worker: a widget
   inside someone else's page must not cache their news behind their back. */
var goappEnv = GOAPP_ENV;
function goappGetenv(k) { return goappEnv[k]; }
var goappNav = function () {}, goappOnUpdate = function () {}, goappOnAppInstallChange = function () {};
function goappKeepBodyClean() { return function () {}; }

// shimStorage runs as the Go program wakes, not at load: touching storage
// or a BroadcastChannel costs a synchronous round trip to the browser, in
// a frame that may never wake. A reader who blocks site data makes this
// frame storage-less: reading window.localStorage then throws
// SecurityError, and go-app's engine reads it, which from Go would kill the
// wasm (syscall/js cannot catch a throwing getter). Such a frame gets an in-memory stand-in first; the widget keeps
// nothing there. Its methods sit on the prototype, so Object.keys (which
// go-app calls) lists only stored keys.
function shimStorage() {
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try {
      window[name].getItem("newswidget");
    } catch (e) {
      var items = new Map();
      var proto = {
        getItem: function (k) { return items.has(String(k)) ? items.get(String(k)) : null; },
        setItem: function (k, v) { items.set(String(k), String(v)); },
        removeItem: function (k) { items.delete(String(k)); },
        clear: function () { items.clear(); },
        key: function (i) { var k = Array.from(items.keys())[i]; return k === undefined ? null : k; },
        get length() { return items.size; }
      };
      Object.defineProperty(window, name, { value: Object.create(proto), configurable: true });
    }
  });
  // Likewise Firefox, with third-party cookies blocked, throws SecurityError
  // from new BroadcastChannel() in a frame, which go-app calls at start; with
  // none, go-app skips its cross-tab state, which the widget does not use.
  try { new BroadcastChannel("newswidget").close(); } catch (e) { window.BroadcastChannel = undefined; }
}

(function () {
  var w = window, d = document, root = d.documentElement, q = new URLSearchParams(location.search);
  var parentOrigin = q.get("parent"), id = q.get("id");

  // tell posts a namespaced message to the page that embeds the frame, only
  // to the origin the loader named in the frame's address.
  function tell(type, fields) {
    if (!parentOrigin || w.parent === w) return;
    var m = fields || {};
    m.id = id;
    m.type = type;
    try { w.parent.postMessage({ newswidget: m }, parentOrigin); } catch (e) {} // not an origin: nobody to tell
  }

  // The widget's height, whenever it changes: the loader sizes the frame.
  // On a phone the frame shares the publisher's main thread, so a
  // ResizeObserver callback only schedules the report, in a task of its
  // own: the frame's first rendering is the longest task it gives that
  // thread. The first report also draws the rest of the widget (widget.css's
  // nw-staged): the class comes off before the reads, so that rest is laid
  // out in this task and painted in the next rendering, two shorter tasks
  // again (every box kept its size: the reads are the same). After the
  // reads, it sets the ticker's loop to its configured speed (the server
  // could only estimate the headlines' width).
  var height = -1, track = d.querySelector(".nw-track"), speed = +q.get("speed") || 60, pending = 0;
  function report() {
    pending = 0;
    root.classList.remove("nw-staged");
    var h = Math.ceil(d.body.getBoundingClientRect().height), copy = track && track.querySelector(".nw-copy"), width = copy && copy.scrollWidth;
    if (width && speed >= 10 && speed <= 400) track.style.animationDuration = width / speed + "s";
    track = null;
    if (h > 0 && h !== height) tell("resize", { height: height = h });
  }
  if (w.ResizeObserver) new ResizeObserver(function () { pending = pending || setTimeout(report); }).observe(d.body);
  else report();

  var data = d.getElementById("nw-data"), seq = 0;
  try { // go-app escaped the JSON as text: undo its five entities
    seq = JSON.parse(data.textContent.replace(/&(lt|gt|#39|#34|amp);/g, function (_, e) {
      return { lt: "<", gt: ">", "#39": "'", "#34": '"', amp: "&" }[e];
    })).seq || 0;
  } catch (e) { data = null; } // no widget data: nothing to keep live
  var canRun = !!(goappEnv.GOAPP_WASM && w.WebAssembly) && !/bot|crawler|spider/i.test(navigator.userAgent);
  var live = data && canRun && !/^\s*false\s*$/i.test(q.get("live") || "") && w.EventSource;

  // What arrived before the Go program could take it, and its hooks once it has.
  var events = [], held = [], onEvent = null, onOffline = null, offline = false, stopped = false;
  var scroll = null;

  function setState(s) { root.setAttribute("data-nw-go", s); }
  function state() { return root.getAttribute("data-nw-go"); }

  // wake loads the Go runtime's glue, then streams and runs the wasm.
  function wake() {
    if (state() || !canRun) return;
    setState("loading");
    shimStorage();
    // The wasm downloads and compiles while the runtime's glue loads: a
    // cold frame shows the news that woke it one round trip sooner.
    var wasm = fetch(goappEnv.GOAPP_WASM), mod = WebAssembly.compileStreaming ? WebAssembly.compileStreaming(wasm) :
      wasm.then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.compile(b); });
    mod.catch(function () {}); // run reports it
    var s = d.createElement("script");
    s.src = goappEnv.NW_EXEC;
    s.onload = function () { run(mod); };
    s.onerror = function () { stop("failed", "the widget's scripts failed to load; the news stay as served, without live updates"); };
    d.head.appendChild(s);
  }
  function run(mod) {
    var go = new Go(); // the Go program tightens its own GC once it runs
    mod.then(function (m) { return WebAssembly.instantiate(m, go.importObject); }).then(function (instance) {
      scroll = [w.scrollX, w.scrollY]; // its first render replaces the page
      go.run(instance).then(function () {
        stop("exited", "the widget's program stopped; the news shown stay, without live updates");
      });
    }, function (err) {
      stop("failed", "the widget's wasm failed to load (" + err + "); the news stay as served, without live updates");
    });
  }
  // stop: the Go program cannot run (any more). The page keeps what it
  // shows; the publisher's console learns why nothing moves.
  function stop(why, message) {
    console.error("newswidget: " + message);
    setState(why);
    stopped = true;
    onEvent = onOffline = null;
    events = held = [];
    close();
    tell("error", { message: message });
  }

  // The Go program attaches once it rendered (and detaches with no hooks):
  // it gets the events and the parent's messages that woke it.
  w.newswidget = {
    attach: function (ev, off) {
      onEvent = ev || null;
      onOffline = off || null;
      if (!ev || stopped) return;
      setState("running");
      if (scroll) w.scrollTo(scroll[0], scroll[1]);
      held.splice(0).forEach(function (e) {
        w.dispatchEvent(new MessageEvent("message", { data: e.data, origin: e.origin, source: e.source }));
      });
      events.splice(0).forEach(function (e) { ev(e[0], e[1], e[2]); });
      if (offline) off(true);
      tell("ready");
      report();
    }
  };

  // The reader: any press or key in the widget other than on a link (a
  // link leaves; the Go program would start for nothing) or a Tab.
  function interact(e) {
    if (e.target.closest && e.target.closest("a[href]") || e.key === "Tab") return;
    wake();
  }
  d.addEventListener("pointerdown", interact, true);
  d.addEventListener("keydown", interact, true);
  // The pause button, until the Go program runs it.
  d.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".nw-toggle");
    if (!b || state() === "running") return;
    var paused = b.closest(".nw-ticker").classList.toggle("nw-paused");
    b.setAttribute("aria-pressed", paused);
    if (b.firstElementChild) b.firstElementChild.className = paused ? "nw-icon-play" : "nw-icon-pause";
    wake();
  });
  // The publisher: update() sends a config message.
  w.addEventListener("message", function (e) {
    var m = e.data && e.data.newswidget;
    if (!m || m.type !== "config" || m.id !== id || e.source !== w.parent || e.origin !== parentOrigin || state() === "running" || stopped) return;
    held.push(e);
    wake();
  });

  // The live stream. The browser's EventSource reconnects by itself after
  // a cut (after the server's retry: hint, sending Last-Event-ID); when it
  // gives up (the server refused or is gone), this reconnects after a
  // random wait under a doubling ceiling (news.RetryDelay) from the last
  // event seen, so nothing is missed and a refused crowd comes back spread
  // out. A tab hidden for longer than NW_HIDDEN ms closes its stream and
  // resumes from the last event when shown.
  // The newsroom's back-off switch speaks through the stream: an event
  // "live" {mode, retry_ms}. Slow or paused, the server ends the stream
  // after it; this lets it go and comes back after a random wait under
  // retry_ms (news.LiveDelay: full jitter, so the widgets a switch closes
  // together come back spread out), naming its mode, from the last event
  // seen: slow catches up each time, paused hears it is still paused.
  // Normal: the stream stays. None of it is an outage to report.
  var es = null, failures = 0, told = false, retry = 0, hidden = 0;
  var mode = "normal", liveCeil = 0;
  function delay(failures, u) { return u * (failures < 4 ? 2000 << failures : 30000); }
  function liveDelay(m, ceil, u) { return u * (ceil > 0 ? ceil : m === "slow" ? 60000 : m === "paused" ? 300000 : 2000); }
  function heard(e) {
    var m;
    try { m = JSON.parse(e.data); } catch (x) { return; }
    if (!m || !/^(normal|slow|paused)$/.test(m.mode)) return;
    mode = m.mode;
    liveCeil = +m.retry_ms || 0;
    if (mode === "normal") return;
    close();
    setOffline(false);
    retry = setTimeout(connect, liveDelay(mode, liveCeil, Math.random()));
  }
  function setOffline(v) {
    offline = v;
    if (onOffline) onOffline(v);
  }
  function deliver(type) {
    return function (e) {
      var n = +e.lastEventId;
      if (!(n > 0)) return;
      seq = Math.max(seq, n);
      if (onEvent) onEvent(type, e.lastEventId, e.data);
      else if (!stopped) {
        events.push([type, e.lastEventId, e.data]);
        wake();
      }
    };
  }
  function connect() {
    retry = 0;
    es = new EventSource("/api/events?since=" + seq + (mode === "normal" ? "" : "&live=" + mode));
    es.addEventListener("article", deliver("article"));
    es.addEventListener("delete", deliver("delete"));
    es.addEventListener("live", heard);
    es.onopen = function () {
      failures = 0;
      told = false;
      setOffline(false);
    };
    es.onerror = function () {
      if (mode === "normal") setOffline(true); // held back, a closed stream is the rule, not an outage
      if (es.readyState !== 2) return; // CONNECTING: the browser retries itself
      close();
      if (mode !== "normal") { // held back: a refused poll waits by the mode's rule
        retry = setTimeout(connect, liveDelay(mode, liveCeil, Math.random()));
        return;
      }
      if (!told) { // once an outage
        told = true;
        tell("error", { message: "live updates: the event stream was refused or cut; retrying with backoff, the news shown stay" });
      }
      retry = setTimeout(connect, delay(failures++, Math.random()));
    };
  }
  function close() {
    if (es) es.close();
    es = null;
    clearTimeout(retry);
    retry = 0;
  }
  if (live) {
    connect();
    d.addEventListener("visibilitychange", function () {
      clearTimeout(hidden);
      if (d.hidden) hidden = setTimeout(close, goappEnv.NW_HIDDEN);
      else if (!es && !retry && !stopped) connect();
    });
  }
  // for the tests: the back-off rules, checked against news.RetryDelay and
  // news.LiveDelay, and the switch's mode as last heard
  w.newswidget.delay = delay;
  w.newswidget.liveDelay = liveDelay;
  w.newswidget.mode = function () { return mode; };
})();
