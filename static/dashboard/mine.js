// A reviewer's or annotator's own page: their trend per day (tasks, median seconds) and
// per week (share right on check tasks). Chart.js is loaded before this module.
const data = JSON.parse(document.getElementById("mine-data").textContent);
const Chart = window.Chart;
const $ = (id) => document.getElementById(id);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
const legend = { position: "bottom", labels: { boxWidth: 12 } };

if (data.days && $("chart-days")) {
  new Chart($("chart-days"), {
    data: {
      labels: data.days.map((d) => d.day),
      datasets: [
        { type: "bar", label: "tasks", backgroundColor: "#93c5fd", data: data.days.map((d) => d.tasks) },
        { type: "bar", label: "corrected", backgroundColor: "#f59e0b", data: data.days.map((d) => d.corrected) },
        { type: "line", label: "median seconds per task", yAxisID: "y1", borderColor: "#1e3a8a", pointRadius: 2,
          spanGaps: true, data: data.days.map((d) => d.median_s) },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: "tasks" } },
        y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "seconds" } } },
      plugins: { legend },
    },
  });
}

if (data.gold && $("chart-gold")) {
  const colours = ["#2563eb", "#0d9488", "#db2777", "#65a30d"];
  new Chart($("chart-gold"), {
    type: "line",
    data: {
      labels: data.gold.weeks.map((w) => w.week),
      datasets: data.gold.fields.map(([key, name], i) => ({
        label: name, borderColor: colours[i % colours.length], pointRadius: 3, spanGaps: true,
        data: data.gold.weeks.map((w) => (w[key] == null ? null : Math.round(w[key] * 1000) / 10)),
      })),
    },
    options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "% right" } } }, plugins: { legend } },
  });
}
