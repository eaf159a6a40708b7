// The back-office's charts, drawn with the vendored Chart.js from data the page emits with json_script.
// Nothing runs inline (the Content-Security-Policy allows no inline script): each chart is drawn when its
// data element and its canvas are on the page. Each canvas has a text summary or a table beside it.
(function () {
  if (typeof window.Chart === "undefined") { return; }

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  var primary = cssVar("--bs-primary", "#0d6efd");
  var success = cssVar("--bs-success", "#198754");
  var warning = cssVar("--bs-warning", "#ffc107");

  // An integration's last syncs: duration (seconds, left axis, bars) and records changed (right axis, line).
  function drawSyncHistory() {
    var canvas = document.querySelector("canvas[data-chart=sync-history]");
    var points = readJson("sync-history-data");
    if (!canvas || !points || !points.length || canvas.getAttribute("data-chart-drawn")) { return; }
    new window.Chart(canvas, {
      data: {
        labels: points.map(function (p) { return p.label; }),
        datasets: [
          {
            type: "bar",
            label: "Duration (seconds)",
            data: points.map(function (p) { return p.duration; }),
            backgroundColor: points.map(function (p) { return p.state === "failed" ? "rgba(220,53,69,.6)" : "rgba(13,110,253,.55)"; }),
            yAxisID: "duration",
            order: 2
          },
          {
            type: "line",
            label: "Records changed",
            data: points.map(function (p) { return p.changed; }),
            borderColor: success,
            backgroundColor: success,
            cubicInterpolationMode: "monotone",
            yAxisID: "changed",
            order: 1
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: {
          duration: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "Seconds" } },
          changed: {
            type: "linear", position: "right", beginAtZero: true,
            grid: { drawOnChartArea: false }, title: { display: true, text: "Records changed" }
          }
        }
      }
    });
    canvas.setAttribute("data-chart-drawn", "1");
  }

  // An email campaign's opens and clicks per day (from the imported activity).
  function drawCampaignEvents() {
    var canvas = document.getElementById("campaign-events-chart");
    var days = readJson("campaign-events-data");
    if (!canvas || !days || !days.length) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: days.map(function (d) { return d.date; }),
        datasets: [
          { label: "Opens", data: days.map(function (d) { return d.opens; }), borderColor: primary, backgroundColor: primary, cubicInterpolationMode: "monotone" },
          { label: "Clicks", data: days.map(function (d) { return d.clicks; }), borderColor: warning, backgroundColor: warning, cubicInterpolationMode: "monotone" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    canvas.setAttribute("data-chart-drawn", "1");
  }

  drawSyncHistory();
  drawCampaignEvents();
  // The history section is swapped in again when a live sync ends (htmx): draw its new chart.
  document.body.addEventListener("htmx:afterSettle", drawSyncHistory);
})();
