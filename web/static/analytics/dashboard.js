// Draws the dashboard's charts from the JSON the page embeds (json_script): no inline JS.
(function () {
  "use strict";
  var source = document.getElementById("analytics-charts");
  if (!source || typeof Chart === "undefined") return;
  var charts = JSON.parse(source.textContent);
  var colours = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data = charts[canvas.dataset.chart];
    if (!data || !data.labels.length) {
      canvas.parentNode.hidden = true;
      return;
    }
    new Chart(canvas, {
      type: canvas.dataset.kind || "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return {
            label: s.label,
            data: s.data,
            borderColor: colours[i % colours.length],
            backgroundColor: colours[i % colours.length],
          };
        }),
      },
      options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } },
    });
  });
})();
