// Render every chart on the page with the vendored vegaEmbed, and auto-submit filter forms.
// Specs live in <script type="application/json" id="spec-..."> blocks next to their
// container, so the page has no inline script and the numbers are in the HTML itself.
(function () {
  "use strict";
  function renderCharts() {
    document.querySelectorAll("[data-chart-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart-spec"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      vegaEmbed(el, spec, {
        renderer: "svg",
        actions: { export: true, source: true, compiled: false, editor: false },
      }).then(function () {
        el.setAttribute("data-rendered", "true");
      }).catch(function (err) {
        el.setAttribute("data-rendered", "error");
        el.textContent = "Chart could not be drawn: " + err;
      });
    });
  }
  function autoSubmit() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.requestSubmit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    autoSubmit();
  });
})();
