// The configurator: every form field is a data attribute; the preview is
// mounted through NewsWidget.mount and the snippet is rebuilt as fields
// change. The snippet is the loader's tag (async: it may go anywhere, or
// come from a tag manager) and the widget's element, which holds the
// widget's height inline, so the publisher's page is drawn with the space
// already there and never moves.
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

  // number is the loader's rule for a whole number of lo..hi (0: refused)
  function number(v, lo, hi) {
    v = String(v).trim().replace(/px$/, "");
    return /^[+-]?\d+$/.test(v) && +v >= lo && +v <= hi ? +v : 0;
  }

  // height is what the loader reserves for these options (reserved() in
  // widget/loader/loader.js), a refused value counting as its default: the
  // frame's border 2, the ticker 44, the list heading 42 and 117 a row.
  function height(o) {
    var layout = o.layout || "both", limit = number(o.limit, 1, 50) || 10;
    return number(o.height, 40, 4000) || 2 + (layout != "list") * 44 + (layout != "ticker") * (42 + 117 * limit);
  }

  function render() {
    var o = options(), attrs = "";
    for (var k in o) attrs += " data-" + k + '="' + escapeAttr(o[k]) + '"';
    tag.textContent = '<script src="' + location.origin + '/widget.js" async></' + 'script>\n' +
      "<div data-news-widget" + attrs + ' style="height:' + height(o) + 'px"></div>';
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
