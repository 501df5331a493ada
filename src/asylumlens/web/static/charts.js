// Render every chart on the page with the vendored vegaEmbed, and keep filter forms' URLs short.
// Specs live in <script type="application/json" id="spec-..."> blocks next to their
// container, so the page has no inline script and the numbers are in the HTML itself.
// Filter forms submit only with their button or Enter (WCAG 3.2.2: changing a select must
// not navigate, or one arrow key reloads the page); on submit, empty fields ("any", "first
// year") are left out of the URL, so a permalink names only what was chosen.
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
  function omitEmptyFields() {
    document.querySelectorAll("form.filters[method='get'], form.search").forEach(function (form) {
      form.addEventListener("formdata", function (event) {
        var data = event.formData;
        var kept = [];
        data.forEach(function (value, key) {
          if (typeof value !== "string" || value !== "") { kept.push([key, value]); }
        });
        Array.from(new Set(Array.from(data.keys()))).forEach(function (key) { data.delete(key); });
        kept.forEach(function (pair) { data.append(pair[0], pair[1]); });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderCharts();
    omitEmptyFields();
  });
})();
