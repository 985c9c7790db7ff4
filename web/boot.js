/* newswidget frame boot: the part of go-app's app.js this widget needs. It
   defines go-app's environment lookup, then streams and runs the wasm. It
   registers no service worker: a widget inside someone else's page must not
   cache their news behind their back, and a storage-less frame would refuse
   it anyway. */
var goappEnv = GOAPP_ENV;
function goappGetenv(k) { return goappEnv[k]; }
var goappNav = function () {}, goappOnUpdate = function () {}, goappOnAppInstallChange = function () {};
function goappKeepBodyClean() { return function () {}; }

// A reader who blocks site data makes this frame storage-less: reading
// window.localStorage then throws SecurityError, and go-app's engine reads
// it, which from Go would kill the wasm (syscall/js cannot catch a throwing
// getter). Such a frame gets an in-memory stand-in first; the widget keeps
// nothing there. Its methods sit on the prototype, so Object.keys (which
// go-app calls) lists only stored keys.
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

(function () {
  var loader = document.getElementById("app-wasm-loader");
  if (loader) loader.remove();
  if (!window.WebAssembly || /bot|crawler|spider/i.test(navigator.userAgent)) return;
  var go = new Go();
  // Go's wasm never returns memory to the browser, so its peak is what a
  // reader's tab keeps: collecting at 25% growth instead of 100% keeps a
  // long-open widget near its live data (set here, not with runtime/debug,
  // which would grow the bundle).
  go.env.GOGC = "25";
  var resp = fetch(goappEnv.GOAPP_WASM);
  var start = WebAssembly.instantiateStreaming ?
    WebAssembly.instantiateStreaming(resp, go.importObject) :
    resp.then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
  start.then(function (w) { go.run(w.instance); }, function (err) {
    console.error("newswidget: the widget's wasm failed to load; the news stay as served", err);
    tellParent("the widget's wasm failed to load (" + err + "); the news stay as served, without live updates");
  });
  // tellParent sends an error message to the page that embeds the frame,
  // whose loader shows it in the publisher's console; only to the origin
  // the loader named in the frame's address.
  function tellParent(message) {
    var q = new URLSearchParams(location.search), origin = q.get("parent");
    if (!origin || window.parent === window) return;
    try {
      window.parent.postMessage({ newswidget: { id: q.get("id"), type: "error", message: message } }, origin);
    } catch (e) {} // not an origin: nobody to tell
  }
})();
