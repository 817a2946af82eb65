// The admin dashboard: charts from the embedded series, live numbers over the dashboard socket.
// Chart.js is loaded (as a classic script, from static/vendor) before this module.
const data = JSON.parse(document.getElementById("dash-data").textContent);
const Chart = window.Chart;
const $ = (id) => document.getElementById(id);

const REASONS = [
  ["low_confidence", "Low confidence", "#f59e0b"],
  ["audit", "Audit sample", "#3b82f6"],
  ["rule", "Rule", "#a855f7"],
  ["dispute", "Dispute", "#ef4444"],
];
const STORE_COLOURS = ["#2563eb", "#0d9488", "#db2777", "#65a30d", "#9333ea", "#ea580c", "#0284c7", "#475569"];
const MARK_COLOURS = { promotion: "#16a34a", retired: "#dc2626", threshold: "#7c3aed" };

Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
Chart.defaults.maintainAspectRatio = false;

// Vertical dashed lines at promotions, retirements and threshold moves, with their labels.
const markerPlugin = {
  id: "dayMarkers",
  afterDatasetsDraw(chart, _args, options) {
    const marks = options.marks || [];
    const { ctx, chartArea, scales } = chart;
    const labels = chart.data.labels;
    const perDay = {};
    for (const m of marks) {
      const i = labels.indexOf(m.day);
      if (i < 0) continue;
      const x = scales.x.getPixelForValue(i);
      const row = (perDay[m.day] = (perDay[m.day] || 0) + 1) - 1;
      ctx.save();
      ctx.strokeStyle = MARK_COLOURS[m.kind] || "#334155";
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = "11px system-ui, sans-serif";
      const text = m.label.length > 34 ? m.label.slice(0, 33) + "…" : m.label;
      ctx.fillText(text, Math.min(x + 4, chartArea.right - ctx.measureText(text).width), chartArea.top + 12 + row * 13);
      ctx.restore();
    }
  },
};

function rateChart() {
  const labels = data.rate.map((r) => r.day);
  const datasets = REASONS.map(([key, label, colour]) => ({
    type: "bar", label, backgroundColor: colour, stack: "reasons",
    data: data.rate.map((r) => r[key + "_per_1000"]),
  }));
  const stores = [...new Set(data.rate_by_store.map((r) => r.store))];
  if (stores.length > 1) {
    stores.forEach((store, i) => {
      const byDay = Object.fromEntries(data.rate_by_store.filter((r) => r.store === store).map((r) => [r.day, r.per_1000]));
      datasets.push({
        type: "line", label: `${store} (all reasons)`, stack: "store-" + store, borderColor: STORE_COLOURS[i % STORE_COLOURS.length],
        backgroundColor: "transparent", borderWidth: 2, pointRadius: 2, spanGaps: true, data: labels.map((d) => byDay[d] ?? null),
      });
    });
  }
  return new Chart($("chart-rate"), {
    data: { labels, datasets },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "reviews per 1,000 visits" } } },
      plugins: { dayMarkers: { marks: data.markers }, legend: { position: "bottom" } },
    },
    plugins: [markerPlugin],
  });
}

function accuracyChart() {
  const weeks = [...new Set(data.accuracy.map((a) => a.week))].sort();
  const stores = [...new Set(data.accuracy.map((a) => a.store))];
  const datasets = [];
  stores.forEach((store, i) => {
    const cells = Object.fromEntries(data.accuracy.filter((a) => a.store === store).map((a) => [a.week, a]));
    const colour = STORE_COLOURS[i % STORE_COLOURS.length];
    datasets.push({ type: "bar", label: `${store} 95% interval`, backgroundColor: colour + "40", borderColor: colour, borderWidth: 1,
      barPercentage: 0.35, borderSkipped: false,
      data: weeks.map((w) => (cells[w] && cells[w].low !== null ? [cells[w].low, cells[w].high] : null)) });
    datasets.push({ type: "line", label: `${store} estimate`, borderColor: colour, backgroundColor: colour, showLine: false, pointRadius: 4,
      data: weeks.map((w) => (cells[w] ? cells[w].estimate : null)) });
  });
  const targets = data.accuracy.map((a) => a.target);
  if (targets.length) {
    const target = Math.max(...targets);
    datasets.push({ type: "line", label: `target ${target}`, borderColor: "#dc2626", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5,
      data: weeks.map(() => target) });
  }
  const lows = data.accuracy.map((a) => a.low).filter((v) => v !== null);
  const floor = Math.max(0, Math.min(0.98, ...lows, ...targets) - 0.01);
  return new Chart($("chart-accuracy"), {
    data: { labels: weeks, datasets },
    options: { scales: { y: { min: floor, max: 1, title: { display: true, text: "share exactly right" } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
}

function queueCharts() {
  const labels = data.queue.map((q) => q.day);
  const minutes = (s) => (s === null ? null : Math.round(s / 6) / 10);
  new Chart($("chart-queue"), {
    data: { labels, datasets: [
      { type: "bar", label: "open at day's end", backgroundColor: "#93c5fd", data: data.queue.map((q) => q.open_end) },
      { type: "bar", label: "SLA breaches", backgroundColor: "#fca5a5", data: data.queue.map((q) => q.sla_breaches) },
      { type: "line", label: "oldest open (min)", yAxisID: "y1", borderColor: "#1e3a8a", pointRadius: 1, spanGaps: true,
        data: data.queue.map((q) => minutes(q.oldest_age_end_s)) },
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "tasks" } },
      y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "minutes" } } },
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
  new Chart($("chart-final"), {
    type: "line",
    data: { labels, datasets: [
      { label: "visit to receipt p50 (min)", borderColor: "#0d9488", pointRadius: 1, spanGaps: true, data: data.queue.map((q) => minutes(q.final_p50_s)) },
      { label: "p95 (min)", borderColor: "#b45309", pointRadius: 1, spanGaps: true, data: data.queue.map((q) => minutes(q.final_p95_s)) },
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
}

const rate = rateChart();
accuracyChart();
queueCharts();

// --- live numbers ------------------------------------------------------------------------
function fmtAge(s) {
  if (s === null) return "–";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
let oldest = $("live-oldest").dataset.age === "" ? null : Number($("live-oldest").dataset.age);
let oldestAt = Date.now();
const tick = () => { $("live-oldest").textContent = fmtAge(oldest === null ? null : oldest + (Date.now() - oldestAt) / 1000); };

function flash(el, value) {
  const text = String(value ?? "–");
  if (el.textContent === text) return;
  el.textContent = text;
  el.classList.remove("flash-change"); void el.offsetWidth; el.classList.add("flash-change");
}

function render(msg) {
  flash($("live-rate"), msg.today.per_1000);
  flash($("live-reviews"), msg.today.reviews);
  flash($("live-visits"), msg.today.visits);
  flash($("live-decided"), msg.decided_today);
  flash($("live-progress"), msg.in_progress);
  flash($("live-pending"), msg.pending);
  flash($("live-overdue"), msg.overdue);
  oldest = msg.oldest_age_s; oldestAt = Date.now(); tick();
  // Today's bar follows the live numbers when today is on the chart.
  const i = rate.data.labels.indexOf(data.today);
  if (i >= 0) {
    REASONS.forEach(([key], k) => { rate.data.datasets[k].data[i] = msg.today[key + "_per_1000"]; });
    rate.update("none");
  }
}

let retry = 500;
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const sock = new WebSocket(`${proto}://${location.host}${data.ws}`);
  const live = $("live");
  sock.onopen = () => { live.textContent = "● live"; live.className = "live on"; retry = 500; };
  sock.onmessage = (e) => { const msg = JSON.parse(e.data); if (msg.type === "live") render(msg); };
  sock.onclose = () => {
    live.textContent = "● reconnecting"; live.className = "live off";
    setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
  };
}
connect();
tick();
setInterval(tick, 1000);
