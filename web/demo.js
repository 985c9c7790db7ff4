// The configurator: every form field is a data attribute; the preview is
// mounted through NewsWidget.mount and the tag is rebuilt as fields change.
(function () {
  var form = document.getElementById("options");
  var preview = document.getElementById("preview");
  var tag = document.getElementById("tag");
  var defaults = { layout: "both", limit: "10", theme: "auto", speed: "60", "link-target": "_top", live: "true", loading: "lazy" };
  var timer = 0;

  function options() {
    var o = {};
    [].forEach.call(form.elements, function (el) {
      var v = el.value.trim();
      if (el.name && v !== "" && v !== defaults[el.name]) o[el.name] = v;
    });
    return o;
  }

  function escapeAttr(v) {
    return v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  function render() {
    var o = options(), attrs = "";
    for (var k in o) attrs += " data-" + k + '="' + escapeAttr(o[k]) + '"';
    tag.textContent = '<script src="' + location.origin + '/widget.js"' + attrs + "></" + "script>";
    if (!window.NewsWidget) return;
    // the loader mounted the preview from its data attributes; remount it
    if (preview.newswidget) preview.newswidget.destroy();
    o.loading = "eager";
    window.NewsWidget.mount(preview, o);
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  document.getElementById("copy").addEventListener("click", function () {
    var done = function () { document.getElementById("copied").textContent = "Copied."; };
    if (navigator.clipboard) navigator.clipboard.writeText(tag.textContent).then(done, function () { selectTag(); });
    else selectTag();
  });
  function selectTag() {
    var r = document.createRange();
    r.selectNodeContents(tag);
    getSelection().removeAllRanges();
    getSelection().addRange(r);
    document.getElementById("copied").textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
  render();
})();
