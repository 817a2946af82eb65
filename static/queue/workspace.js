// The reviewer workspace: keyboard-first receipt editing, synced multi-view clips,
// the weight trace, candidates and shoppers; renews the lease while open.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($("workspace-data").textContent);
  const root = $("ws");
  const taskId = Number(root.dataset.task);
  const leaseS = Number(root.dataset.leaseS);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const products = D.products;
  const shopperIds = D.shoppers.map((s) => s.track_id);
  const shopperColour = Object.fromEntries(D.shoppers.map((s) => [s.track_id, s.color]));
  const original = JSON.stringify(D.lines.map(({ sku, quantity, shopper_track_id }) => ({ sku, quantity, shopper_track_id })));
  const state = {
    lines: D.lines.map((l) => ({ ...l, origin: { ...l } })),
    sel: 0, event: 0, clips: [], done: false, leaseOk: true, speed: 1, slow: false, reasonTouched: false,
  };

  async function api(method, path, body) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw Object.assign(new Error((data && data.detail) || res.statusText), { status: res.status, data });
    return data;
  }
  function banner(text, ok) { const b = $("banner"); b.textContent = text; b.hidden = !text; b.className = ok ? "banner ok" : "banner"; }
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v; else if (k === "text") n.textContent = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v);
    }
    for (const kid of kids) if (kid != null) n.append(kid);
    return n;
  }
  function picture(sku, cls) {
    const p = products[sku];
    if (p && p.image) return el("img", { src: p.image, alt: p.name, class: cls || "thumb", loading: "lazy" });
    return el("span", { class: cls === "big" ? "swatch-big" : "swatch", style: `background:${p ? p.color : "#ccc"}`, title: p ? p.shape : "" });
  }

  // ---- receipt lines -------------------------------------------------------------
  function changed() {
    const now = JSON.stringify(state.lines.map(({ sku, quantity, shopper_track_id }) => ({ sku, quantity, shopper_track_id })));
    return now !== original;
  }
  function suggestReason() {
    if (state.reasonTouched) return;
    let code = "confirmed";
    if (changed()) {
      code = "other";
      for (const l of state.lines) {
        if (!l.origin) { code = "missed_item"; break; }
        if (l.sku !== l.origin.sku) { code = "wrong_product"; break; }
        if (l.quantity !== l.origin.quantity) code = "wrong_quantity";
        else if (l.shopper_track_id !== l.origin.shopper_track_id && code === "other") code = "wrong_shopper";
      }
      if (state.removedAny && code === "other") code = "phantom_item";
    }
    $("reason-code").value = code;
  }
  function renderLines() {
    const body = $("lines"); body.replaceChildren();
    let total = 0;
    state.lines.forEach((l, i) => {
      const p = products[l.sku];
      total += p ? Number(p.price) * l.quantity : 0;
      const edited = l.origin && (l.sku !== l.origin.sku || l.quantity !== l.origin.quantity || l.shopper_track_id !== l.origin.shopper_track_id);
      // The model's confidence was about the line it predicted, not the reviewer's edit.
      const conf = l.confidence == null || edited ? null : l.confidence;
      const confCls = conf == null ? "" : conf < 0.5 ? "bad" : conf < 0.85 ? "low" : "";
      const cls = [i === state.sel ? "sel" : "", !l.origin ? "added" : "", edited ? "changed" : ""].join(" ");
      const tr = el("tr", { class: cls, "data-sku": l.sku, onclick: () => { state.sel = i; renderLines(); } },
        el("td", { text: String(i + 1), class: "muted" }),
        el("td", {}, picture(l.sku), el("span", { text: p ? p.name : l.sku }), el("br"), el("small", { class: "muted mono", text: l.sku })),
        el("td", { class: "qty", text: "× " + l.quantity }),
        el("td", {}, l.shopper_track_id == null ? el("span", { class: "muted", text: "–" })
          : el("span", { class: "shop-chip", style: `background:${shopperColour[l.shopper_track_id] || "#666"}`, text: "#" + l.shopper_track_id })),
        el("td", {}, conf == null ? el("span", { class: "muted", text: edited ? "edited" : "new" })
          : el("span", { title: conf.toFixed(3) }, el("span", { class: "conf " + confCls }, el("i", { style: `width:${Math.round(conf * 100)}%` })), " " + conf.toFixed(2))),
      );
      body.append(tr);
    });
    if (!state.lines.length) body.append(el("tr", {}, el("td", { colspan: "5", class: "muted", text: "No lines: the visit took nothing." })));
    $("total").textContent = total.toFixed(2);
    const isChange = changed();
    $("submit-label").textContent = isChange ? "Submit correction" : "Approve";
    $("changed-note").textContent = isChange ? "· edited" : "";
    suggestReason();
    renderCandidates();
  }
  function moveSel(d) { if (!state.lines.length) return; state.sel = (state.sel + d + state.lines.length) % state.lines.length; renderLines(); }
  function qty(d) { const l = state.lines[state.sel]; if (!l) return; l.quantity = Math.max(1, Math.min(99, l.quantity + d)); renderLines(); }
  function cycleShopper() {
    const l = state.lines[state.sel]; if (!l || !shopperIds.length) return;
    const idx = shopperIds.indexOf(l.shopper_track_id);
    l.shopper_track_id = shopperIds[(idx + 1) % shopperIds.length]; renderLines();
  }
  function removeLine() { if (!state.lines.length) return; state.lines.splice(state.sel, 1); state.removedAny = true; state.sel = Math.max(0, Math.min(state.sel, state.lines.length - 1)); renderLines(); }
  function setProduct(sku, mode) {
    if (mode === "add" || !state.lines.length) {
      const ev = D.events[state.event];
      const track = ev && ev.model && ev.model.track_id != null ? ev.model.track_id : (shopperIds[0] ?? null);
      state.lines.push({ sku, quantity: 1, shopper_track_id: track, confidence: null, origin: null });
      state.sel = state.lines.length - 1;
    } else {
      state.lines[state.sel].sku = sku;
    }
    renderLines();
  }

  // ---- product search ------------------------------------------------------------
  const search = { mode: "edit", items: [], sel: 0 };
  function openSearch(mode) {
    search.mode = mode; $("search").hidden = false; $("search-input").value = ""; runSearch(); $("search-input").focus();
  }
  function closeSearch() { $("search").hidden = true; $("search-input").blur(); }
  function runSearch() {
    const q = $("search-input").value.trim().toLowerCase();
    const ev = D.events[state.event];
    const boost = new Set(ev ? ev.candidates : []);
    const all = Object.values(products).filter((p) => !q || p.name.toLowerCase().includes(q) || p.sku.toLowerCase().includes(q) || (p.family || "").toLowerCase().includes(q));
    all.sort((a, b) => (boost.has(b.sku) - boost.has(a.sku)) || a.name.localeCompare(b.name));
    search.items = all.slice(0, 8); search.sel = 0; drawSearch();
  }
  function drawSearch() {
    const ol = $("search-results"); ol.replaceChildren();
    search.items.forEach((p, i) => ol.append(el("li", { class: i === search.sel ? "sel" : "", onclick: () => { search.sel = i; chooseSearch(); } },
      picture(p.sku), el("span", { text: p.name }), el("small", { class: "muted mono", text: " " + p.sku + " · " + p.price }))));
  }
  function chooseSearch() { const p = search.items[search.sel]; closeSearch(); if (p) setProduct(p.sku, search.mode); }
  $("search-input").addEventListener("input", runSearch);
  $("search-input").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); search.sel = Math.min(search.sel + 1, search.items.length - 1); drawSearch(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); search.sel = Math.max(search.sel - 1, 0); drawSearch(); }
    else if (e.key === "Enter") { e.preventDefault(); chooseSearch(); }
    else if (e.key === "Escape") { e.preventDefault(); closeSearch(); }
    e.stopPropagation();
  });

  // ---- candidates and shoppers -----------------------------------------------------
  function renderCandidates() {
    const box = $("candidates"); box.replaceChildren();
    const ev = D.events[state.event]; if (!ev) { box.append(el("p", { class: "muted", text: "No weight events." })); return; }
    const current = state.lines[state.sel] && state.lines[state.sel].sku;
    for (const sku of ev.candidates) {
      const p = products[sku]; if (!p) continue;
      box.append(el("button", { type: "button", class: "cand" + (sku === current ? " current" : ""), title: `${p.name} (${sku}) ${p.unit_weight_g} g`, onclick: () => setProduct(sku, "edit") },
        picture(sku, "big"), el("div", { text: p.name }),
        el("div", { class: "score", text: [ev.model && ev.model.sku === sku ? "model" : "", ev.scores[sku] ? "vision " + ev.scores[sku].toFixed(2) : "", !ev.scores[sku] && !(ev.model && ev.model.sku === sku) ? "planogram" : ""].filter(Boolean).join(" · ") }),
        el("div", { class: "muted", text: p.unit_weight_g.toFixed(0) + " g" })));
    }
  }
  function renderShoppers() {
    const svg = $("floor"); const W = D.visit.width_m, H = D.visit.depth_m;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const ns = "http://www.w3.org/2000/svg";
    for (const f of D.fixtures) {
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", f.x); r.setAttribute("y", f.y); r.setAttribute("width", f.w); r.setAttribute("height", f.d);
      r.setAttribute("fill", "#cbd5e1"); svg.append(r);
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", f.x + f.w / 2); label.setAttribute("y", f.y + f.d * 0.7); label.setAttribute("font-size", W / 25);
      label.setAttribute("text-anchor", "middle"); label.setAttribute("fill", "#475569"); label.textContent = f.code; svg.append(label);
    }
    const ev = D.events[state.event];
    for (const s of D.shoppers) {
      const pl = document.createElementNS(ns, "polyline");
      pl.setAttribute("points", s.track.map((p) => `${p[1]},${p[2]}`).join(" "));
      pl.setAttribute("fill", "none"); pl.setAttribute("stroke", s.color); pl.setAttribute("stroke-width", W / 120);
      pl.setAttribute("opacity", ev && ev.tracks.length && !ev.tracks.includes(s.track_id) ? 0.35 : 0.9); svg.append(pl);
    }
    const box = $("shoppers"); box.replaceChildren();
    for (const s of D.shoppers) {
      const n = state.lines.filter((l) => l.shopper_track_id === s.track_id).reduce((a, l) => a + l.quantity, 0);
      box.append(el("span", { class: "shop-chip", style: `background:${s.color}`, text: `#${s.track_id} · ${n} item${n === 1 ? "" : "s"}` }));
    }
  }

  // ---- events, clips, player ---------------------------------------------------------
  function renderEvents() {
    const box = $("events"); box.replaceChildren();
    D.events.forEach((ev, i) => {
      const m = ev.model || {};
      box.append(el("button", { type: "button", class: "event" + (i === state.event ? " sel" : ""), onclick: () => selectEvent(i) },
        el("div", {}, el("span", { class: "d", text: `${ev.delta_g > 0 ? "+" : ""}${ev.delta_g} g` }), ` ${ev.plate} · t ${ev.t_start.toFixed(1)} s`),
        el("div", { class: "m", text: m.action ? `model: ${m.action} ${m.quantity || ""}× ${(products[m.sku] || {}).name || m.sku || ""}${m.track_id != null ? " #" + m.track_id : ""}` : "no model assignment" })));
    });
    if (!D.events.length) box.append(el("p", { class: "muted", text: "No weight events in this visit." }));
  }
  const videos = () => Array.from(document.querySelectorAll("#clips video"));
  const master = () => videos()[0];
  function selectEvent(i) {
    if (i < 0 || i >= D.events.length) return;
    state.event = i; renderEvents(); renderCandidates(); drawTrace(); loadClips();
    $("trace-title").textContent = `${D.events[i].plate}, ${D.events[i].delta_g} g`;
  }
  let pollTimer = null;
  async function loadClips() {
    const ev = D.events[state.event]; const box = $("clips"); box.replaceChildren();
    clearTimeout(pollTimer);
    if (!ev) return;
    for (const cam of ev.clip.cameras) box.append(el("div", { class: "clip", "data-cam": cam }, el("span", { class: "cam", text: cam }), el("div", { class: "state", text: "requesting…" })));
    try {
      const clips = await api("POST", `/api/v1/queue/tasks/${taskId}/clips/`, { event: ev.seq });
      showClips(clips, state.event);
    } catch (err) { box.querySelectorAll(".state").forEach((s) => (s.textContent = "clip unavailable: " + err.message)); }
  }
  function showClips(clips, forEvent) {
    if (forEvent !== state.event) return;
    const box = $("clips"); box.replaceChildren();
    const pending = [];
    for (const c of clips) {
      const cell = el("div", { class: "clip", "data-cam": c.camera, "data-status": c.status }, el("span", { class: "cam", text: c.camera }));
      if (c.status === "ready" && c.url) {
        const v = el("video", { src: c.url, preload: "auto", muted: "", playsinline: "", "data-t0": c.t_start, "data-fps": c.fps });
        v.muted = true; cell.replaceChildren(v); // the rendered frames carry their own camera label
      } else if (c.status === "failed") cell.append(el("div", { class: "state", text: "render failed" }));
      else { cell.append(el("div", { class: "state", text: "rendering…" })); pending.push(c.id); }
      box.append(cell);
    }
    state.clips = clips; wireVideos();
    if (pending.length) {
      pollTimer = setTimeout(async () => {
        try { showClips(await api("GET", `/api/v1/queue/clips/?ids=${clips.map((c) => c.id).join(",")}`), forEvent); }
        catch (err) { pollTimer = setTimeout(() => showClips(clips, forEvent), 2000); }
      }, 1000);
    }
  }
  function wireVideos() {
    const vs = videos(); const m = vs[0]; if (!m) return;
    for (const v of vs) { v.playbackRate = state.speed; }
    m.addEventListener("timeupdate", () => {
      const t = Number(m.dataset.t0) + m.currentTime;
      $("clock").textContent = `t = ${t.toFixed(2)} s`; drawPlayhead(t);
      for (const v of vs.slice(1)) if (Math.abs(v.currentTime - m.currentTime) > 0.08) v.currentTime = m.currentTime;
    });
    m.addEventListener("play", () => { vs.slice(1).forEach((v) => v.play().catch(() => {})); $("play").classList.add("on"); });
    m.addEventListener("pause", () => { vs.slice(1).forEach((v) => v.pause()); $("play").classList.remove("on"); });
    m.addEventListener("seeked", () => vs.slice(1).forEach((v) => (v.currentTime = m.currentTime)));
  }
  function playPause() { const m = master(); if (!m) return; if (m.paused) m.play().catch(() => {}); else m.pause(); }
  function step(frames) {
    const m = master(); if (!m) return; m.pause();
    const fps = Number(m.dataset.fps) || 15;
    const t = Math.max(0, Math.min(m.duration || 1e9, m.currentTime + frames / fps));
    videos().forEach((v) => (v.currentTime = t));
  }
  function jumpToEvent() {
    const m = master(); const ev = D.events[state.event]; if (!m || !ev) return;
    const t = Math.max(0, ev.t_start - Number(m.dataset.t0) - 0.3);
    videos().forEach((v) => (v.currentTime = t));
  }
  function setSpeed(s) { state.speed = s; $("speed").value = String(s); videos().forEach((v) => (v.playbackRate = s)); $("slow").classList.toggle("on", s < 1); }
  const SPEEDS = [0.25, 0.5, 1, 1.5, 2];
  function speedStep(d) { const i = SPEEDS.indexOf(state.speed); setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? 2 : i) + d))]); }
  function toggleSlow() { setSpeed(state.speed < 1 ? 1 : 0.25); }

  // ---- weight trace ----------------------------------------------------------------
  let traceScale = null;
  function drawTrace() {
    const svg = $("trace"); svg.replaceChildren(); traceScale = null;
    const ev = D.events[state.event]; const ns = "http://www.w3.org/2000/svg";
    const W = 600, H = 160, pad = 28;
    const add = (tag, attrs) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); svg.append(n); return n; };
    if (!ev) return;
    let ts, gs;
    if (ev.trace) { ts = ev.trace.t; gs = ev.trace.g; }
    else { // no stream stored: draw the detected step
      ts = [ev.t_start - 3, ev.t_start, ev.t_end, ev.t_end + 3]; gs = [0, 0, ev.delta_g, ev.delta_g];
    }
    const t0 = ts[0], t1 = ts[ts.length - 1];
    const gmin = Math.min(...gs), gmax = Math.max(...gs), span = Math.max(gmax - gmin, 5);
    const x = (t) => pad + ((t - t0) / (t1 - t0 || 1)) * (W - pad - 8);
    const y = (g) => H - 18 - ((g - gmin) / span) * (H - 32);
    traceScale = { x, t0, t1 };
    add("rect", { x: x(ev.t_start), y: 4, width: Math.max(2, x(ev.t_end) - x(ev.t_start)), height: H - 22, fill: "#fde68a", opacity: 0.45 });
    for (const g of [gmin, gmax]) {
      add("line", { x1: pad, x2: W - 8, y1: y(g), y2: y(g), stroke: "#e4e7ec" });
      add("text", { x: 2, y: y(g) + 4, "font-size": 10, fill: "#667085" }).textContent = Math.round(g) + "g";
    }
    add("text", { x: pad, y: H - 4, "font-size": 10, fill: "#667085" }).textContent = t0.toFixed(1) + " s";
    add("text", { x: W - 50, y: H - 4, "font-size": 10, fill: "#667085" }).textContent = t1.toFixed(1) + " s";
    add("polyline", { points: ts.map((t, i) => `${x(t).toFixed(1)},${y(gs[i]).toFixed(1)}`).join(" "), fill: "none", stroke: "#2563eb", "stroke-width": 1.6, "vector-effect": "non-scaling-stroke" });
    add("line", { id: "playhead", x1: -10, x2: -10, y1: 4, y2: H - 18, stroke: "#dc2626", "stroke-width": 1.5 });
    if (!ev.trace) add("text", { x: W / 2 - 80, y: 16, "font-size": 11, fill: "#667085" }).textContent = "(no stream stored: detected step)";
  }
  function drawPlayhead(t) {
    const ph = document.getElementById("playhead"); if (!ph || !traceScale) return;
    const xx = t >= traceScale.t0 && t <= traceScale.t1 ? traceScale.x(t) : -10;
    ph.setAttribute("x1", xx); ph.setAttribute("x2", xx);
  }

  // ---- lease, submit, skip, release ----------------------------------------------------
  function leaseLost(msg) {
    state.leaseOk = false; $("lease").className = "lease lost"; $("lease").textContent = "lease lost";
    banner(msg + " Press N for the next task."); $("submit").disabled = true;
  }
  async function renew() {
    if (state.done || !state.leaseOk) return;
    try { const t = await api("POST", `/api/v1/queue/tasks/${taskId}/renew/`); $("lease").dataset.expires = t.lease_expires_at; }
    catch (err) { if (err.status === 409 || err.status === 404) leaseLost(err.message); }
  }
  setInterval(renew, Math.max(5, leaseS / 3) * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) renew(); });
  function tickClock() {
    const exp = Date.parse($("lease").dataset.expires); const due = Date.parse($("sla").dataset.due);
    if (state.leaseOk && !state.done && exp) {
      const s = Math.round((exp - Date.now()) / 1000);
      $("lease").textContent = `lease ${s}s`; $("lease").className = "lease " + (s < 20 ? "warn" : "ok");
    }
    const m = Math.round((due - Date.now()) / 60000);
    $("sla").textContent = m >= 0 ? `SLA in ${m} min` : `SLA passed ${-m} min ago`;
  }
  setInterval(tickClock, 1000); tickClock();
  function goNext() { $("next-form").submit(); }
  async function submit() {
    if (state.done || !state.leaseOk) return;
    const isChange = changed();
    const body = {
      decision: isChange ? "correct" : "approve", reason_code: $("reason-code").value,
      comment: $("comment").value, flag_for_annotation: $("flag").checked,
      lines: isChange ? state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, shopper_track_id: l.shopper_track_id })) : null,
    };
    if (isChange && body.reason_code === "confirmed") body.reason_code = "other";
    $("submit").disabled = true;
    try {
      await api("POST", `/api/v1/queue/tasks/${taskId}/submit/`, body);
      state.done = true; banner(isChange ? "Correction saved; receipt issued. Next task…" : "Approved; receipt issued. Next task…", true);
      setTimeout(goNext, 350);
    } catch (err) {
      $("submit").disabled = false;
      if (err.status === 409) leaseLost(err.message);
      else banner(err.message + (err.data && err.data.errors ? " " + JSON.stringify(err.data.errors) : ""));
    }
  }
  async function giveBack(skip) {
    try { await api("POST", `/api/v1/queue/tasks/${taskId}/${skip ? "skip" : "release"}/`); state.done = true; }
    catch (err) { if (err.status !== 409) { banner(err.message); return; } }
    if (skip) goNext(); else location.href = "/queue/";
  }
  $("submit").addEventListener("click", submit);
  $("skip").addEventListener("click", () => giveBack(true));
  $("release").addEventListener("click", () => giveBack(false));
  $("play").addEventListener("click", playPause);
  $("step-back").addEventListener("click", () => step(-1));
  $("step-fwd").addEventListener("click", () => step(1));
  $("jump").addEventListener("click", jumpToEvent);
  $("slow").addEventListener("click", toggleSlow);
  $("speed").addEventListener("change", (e) => setSpeed(Number(e.target.value)));
  $("reason-code").addEventListener("change", () => (state.reasonTouched = true));

  // ---- keyboard ----------------------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    if (!$("search").hidden) return;
    const inField = e.target.closest("input, select, textarea");
    if (inField) { if (e.key === "Escape") e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const map = {
      ArrowUp: () => moveSel(-1), ArrowDown: () => moveSel(1),
      ArrowLeft: () => selectEvent(state.event - 1), ArrowRight: () => selectEvent(state.event + 1),
      e: () => openSearch("edit"), i: () => openSearch("add"), x: removeLine, Delete: removeLine,
      "+": () => qty(1), "=": () => qty(1), "-": () => qty(-1), g: cycleShopper,
      " ": playPause, ",": () => step(-1), ".": () => step(1), j: jumpToEvent, s: toggleSlow,
      "[": () => speedStep(-1), "]": () => speedStep(1),
      a: submit, n: () => { if (state.done || !state.leaseOk) goNext(); else banner("Submit (A), skip (⇧S) or release (⇧R) this task first."); },
      r: () => { const s = $("reason-code"); s.selectedIndex = (s.selectedIndex + 1) % s.options.length; state.reasonTouched = true; },
      c: () => $("comment").focus(), f: () => ($("flag").checked = !$("flag").checked),
      S: () => giveBack(true), R: () => giveBack(false),
    };
    const fn = map[k];
    if (fn) { e.preventDefault(); fn(); }
  });

  // ---- preload the next task's clips while this one is open -------------------------------
  async function preloadNext() {
    try {
      const clips = await api("POST", "/api/v1/queue/peek/");
      const box = $("preload");
      for (const c of clips || []) if (c.url) box.append(el("video", { src: c.url, preload: "auto", muted: "" }));
      root.dataset.preloaded = String((clips || []).length);
    } catch (err) { root.dataset.preloaded = "0"; }
  }

  renderLines(); renderEvents(); renderShoppers(); selectEvent(0);
  if (!D.events.length) { renderCandidates(); drawTrace(); }
  setTimeout(preloadNext, 1500);
})();
