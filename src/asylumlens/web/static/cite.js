// The "Cite this" block's accessed date is rendered by the server, and pages are cached
// for as long as the release is served: show the reader's own date instead.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("cite-accessed");
    if (!el) { return; }
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    el.textContent = today;
    el.setAttribute("datetime", today);
  });
})();
