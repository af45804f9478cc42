// The on-time chart of the supervisor's area: bars of answers (on time, late, overdue and
// unanswered) per group, with the on-time rate as a line on its own axis. The data comes
// from <script type="application/json" id="ontime-data">, so no inline script is needed.
(function () {
  "use strict";
  var source = document.getElementById("ontime-data");
  var canvas = document.getElementById("ontime-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  function colour(name) {
    return styles.getPropertyValue(name).trim();
  }
  var chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {label: data.names.on_time, data: data.on_time, backgroundColor: colour("--ok"), stack: "answers", order: 1},
        {label: data.names.late, data: data.late, backgroundColor: colour("--warn"), stack: "answers", order: 1},
        {label: data.names.open_overdue, data: data.open_overdue, backgroundColor: colour("--bad"), stack: "answers",
         order: 1},
        {label: data.names.ended_unanswered, data: data.ended_unanswered, backgroundColor: colour("--muted"),
         stack: "answers", order: 1},
        // Drawn last (lowest order) and with visible points, so the rate is never hidden behind the bars.
        {label: data.names.rate, data: data.rate, type: "line", yAxisID: "rate", borderColor: colour("--link"),
         backgroundColor: colour("--link"), borderWidth: 3, pointRadius: 5, order: 0}
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: {stacked: true, beginAtZero: true, ticks: {precision: 0}},
        rate: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false},
               ticks: {callback: function (value) { return value + "%"; }}}
      }
    }
  });
  // Marks the drawn chart for whoever checks the page (the browser tests, under a CSP that
  // forbids evaluating script in it).
  canvas.dataset.drawn = String(chart.data.datasets.length);
}());

// A print button (the assessment): window.print from a listener, not an inline handler.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
