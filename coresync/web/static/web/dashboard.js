/* The manager dashboard's charts (docs/dashboard.md). Each chart's data is the JSON the
 * server wrote next to its canvas (json_script), made from the rows of the table under it;
 * nothing is computed here and nothing is written as HTML. */
(function () {
  "use strict";
  var COLOURS = ["#c9a45c", "#6fb3d9", "#a9d3b0", "#f0a493", "#b9a3e3", "#e3c78e"];

  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var stacked = spec.type === "bar" && spec.datasets.length > 1;
    new window.Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: set.label,
            data: set.data.map(Number),
            backgroundColor: colour,
            borderColor: colour,
            borderWidth: spec.type === "line" ? 2 : 0,
            pointRadius: spec.labels.length > 40 ? 0 : 3,
          };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: stacked, ticks: { color: "#d8d0c2", maxRotation: 0, autoSkip: true } },
          y: { stacked: stacked, beginAtZero: true, ticks: { color: "#d8d0c2" }, grid: { color: "#332d24" } },
        },
        plugins: { legend: { labels: { color: "#f2ede3" } } },
      },
    });
  }

  function start() {
    document.querySelectorAll(".report__chart canvas").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
