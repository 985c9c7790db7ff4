/* newswidget newsroom boot: defines the part of go-app's app.js the Go
   program needs, loads the Go runtime's glue (the toolchain's
   wasm_exec.js) and runs the console's wasm. Unlike go-app's app.js it
   registers no service worker: the console must always show the news as
   they are, and the site's other pages are not its to cache. */
var goappEnv = NEWSROOM_ENV;
function goappGetenv(k) { return goappEnv[k]; }
var goappNav = function () {}, goappOnUpdate = function () {}, goappOnAppInstallChange = function () {};
function goappKeepBodyClean() { return function () {}; }

(function () {
  var d = document;
  function fail(message) {
    console.error("newsroom: " + message);
    var p = d.createElement("p");
    p.className = "nr-error nr-boot-error";
    p.setAttribute("role", "alert");
    p.textContent = "The newsroom could not start (" + message + "). Reload the page to try again.";
    d.body.insertBefore(p, d.body.firstChild);
  }
  if (!window.WebAssembly) { fail("this browser runs no WebAssembly"); return; }
  var s = d.createElement("script");
  s.src = goappEnv.NW_EXEC;
  s.onerror = function () { fail("its scripts failed to load"); };
  s.onload = function () {
    var go = new Go();
    var resp = fetch(goappEnv.GOAPP_WASM);
    var start = WebAssembly.instantiateStreaming ?
      WebAssembly.instantiateStreaming(resp, go.importObject) :
      resp.then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
    start.then(function (r) { go.run(r.instance); }, function (err) { fail("its program failed to load: " + err); });
  };
  d.head.appendChild(s);
})();
