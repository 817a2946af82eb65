// The queue page: live numbers over the queue socket, "N" for the next task.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const live = $("live");
  let oldestAge = $("oldest").dataset.age === "" ? null : Number($("oldest").dataset.age);
  let ageAt = Date.now();

  function fmtAge(s) {
    if (s === null) return "–";
    if (s < 90) return Math.round(s) + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function tick() {
    const s = oldestAge === null ? null : oldestAge + (Date.now() - ageAt) / 1000;
    $("oldest").textContent = fmtAge(s);
  }
  function render(stats) {
    $("depth").textContent = stats.depth;
    $("breaches").textContent = stats.sla_breaches;
    $("in-progress").textContent = stats.in_progress;
    oldestAge = stats.oldest_age_s; ageAt = Date.now(); tick();
    for (const [reason, n] of Object.entries(stats.by_reason)) {
      const cell = $("reason-" + reason); if (cell) cell.textContent = n;
    }
    const body = $("working"); body.replaceChildren();
    if (!stats.working.length) {
      const tr = body.insertRow(); const td = tr.insertCell(); td.colSpan = 4; td.className = "muted"; td.textContent = "Nobody right now.";
    }
    for (const w of stats.working) {
      const tr = body.insertRow();
      for (const v of [w.reviewer, w.visit_code, w.reason, w.since_s + " s"]) tr.insertCell().textContent = v;
    }
    $("depth").classList.remove("flash-change"); void $("depth").offsetWidth; $("depth").classList.add("flash-change");
  }
  let retry = 500;
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}/ws/queue/`);
    sock.onopen = () => { live.textContent = "● live"; live.className = "live on"; retry = 500; };
    sock.onmessage = (e) => { const msg = JSON.parse(e.data); if (msg.type === "stats") render(msg); };
    sock.onclose = () => {
      live.textContent = "● reconnecting"; live.className = "live off";
      setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
    };
  }
  connect();
  tick(); setInterval(tick, 1000);
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "n" || e.key === "N") { e.preventDefault(); $("next-form").submit(); }
  });
})();
