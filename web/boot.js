/* newswidget frame boot: the part of go-app's app.js this widget needs. It
   defines go-app's environment lookup, then streams and runs the wasm. It
   registers no service worker: a widget inside someone else's page must not
   cache their news behind their back, and a storage-less frame would refuse
   it anyway. */
var goappEnv = GOAPP_ENV;
function goappGetenv(k) { return goappEnv[k]; }
var goappNav = function () {}, goappOnUpdate = function () {}, goappOnAppInstallChange = function () {};
function goappKeepBodyClean() { return function () {}; }

(function () {
  var loader = document.getElementById("app-wasm-loader");
  if (loader) loader.remove();
  if (!window.WebAssembly || /bot|crawler|spider/i.test(navigator.userAgent)) return;
  var go = new Go();
  var resp = fetch(goappEnv.GOAPP_WASM);
  var start = WebAssembly.instantiateStreaming ?
    WebAssembly.instantiateStreaming(resp, go.importObject) :
    resp.then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
  start.then(function (w) { go.run(w.instance); }, function (err) {
    console.error("newswidget: the widget's wasm failed to load; the news stay as served", err);
  });
})();
