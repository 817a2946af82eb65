// The synced multi-view clip player: requests an interaction's clips, polls while they
// render, keeps every view on the first one's clock; play, frame step, jump, speed.
import { $, el } from "./dom.js";
import { api } from "./api.js";

const SPEEDS = [0.25, 0.5, 1, 1.5, 2];

export function clipPlayer({ clipsUrl, statusUrl, onTime }) {
  const state = { speed: 1, token: 0, jumpTo: 0 };
  let pollTimer = null;
  const videos = () => Array.from(document.querySelectorAll("#clips video"));
  const master = () => videos()[0];

  // ``ask`` is the request body ({event: seq} or {t}); ``cameras`` the views to expect.
  async function load(ask, cameras, jumpTo) {
    const box = $("clips"); box.replaceChildren(); clearTimeout(pollTimer);
    const token = ++state.token; state.jumpTo = jumpTo || 0;
    for (const cam of cameras || []) box.append(el("div", { class: "clip", "data-cam": cam }, el("span", { class: "cam", text: cam }), el("div", { class: "state", text: "requesting…" })));
    try { show(await api("POST", clipsUrl, ask), token); }
    catch (err) { box.querySelectorAll(".state").forEach((s) => (s.textContent = "clip unavailable: " + err.message)); }
  }
  function show(clips, token) {
    if (token !== state.token) return;
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
    wire();
    if (pending.length) {
      pollTimer = setTimeout(async () => {
        try { show(await api("GET", `${statusUrl}?ids=${clips.map((c) => c.id).join(",")}`), token); }
        catch (err) { pollTimer = setTimeout(() => show(clips, token), 2000); }
      }, 1000);
    }
  }
  function wire() {
    const vs = videos(); const m = vs[0]; if (!m) return;
    for (const v of vs) v.playbackRate = state.speed;
    const clock = () => {
      const t = Number(m.dataset.t0) + m.currentTime;
      $("clock").textContent = `t = ${t.toFixed(2)} s`; onTime && onTime(t);
    };
    // The clock shows the first frame's time as soon as it is known, not only once playing.
    if (m.readyState >= 1) clock(); else m.addEventListener("loadedmetadata", clock, { once: true });
    m.addEventListener("timeupdate", () => {
      clock();
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
  // To the interaction's start (a little before it, so the reach is seen).
  function jump() {
    const m = master(); if (!m) return;
    const t = Math.max(0, state.jumpTo - Number(m.dataset.t0) - 0.3);
    videos().forEach((v) => (v.currentTime = t));
  }
  function now() { const m = master(); return m ? Number(m.dataset.t0) + m.currentTime : null; }
  function setSpeed(s) { state.speed = s; $("speed").value = String(s); videos().forEach((v) => (v.playbackRate = s)); $("slow").classList.toggle("on", s < 1); }
  function speedStep(d) { const i = SPEEDS.indexOf(state.speed); setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (i < 0 ? 2 : i) + d))]); }
  function toggleSlow() { setSpeed(state.speed < 1 ? 1 : 0.25); }

  $("play").addEventListener("click", playPause);
  $("step-back").addEventListener("click", () => step(-1));
  $("step-fwd").addEventListener("click", () => step(1));
  $("jump").addEventListener("click", jump);
  $("slow").addEventListener("click", toggleSlow);
  $("speed").addEventListener("change", (e) => setSpeed(Number(e.target.value)));
  const keys = {
    " ": playPause, ",": () => step(-1), ".": () => step(1), j: jump, s: toggleSlow,
    "[": () => speedStep(-1), "]": () => speedStep(1),
  };
  return { load, playPause, step, jump, setSpeed, speedStep, toggleSlow, now, keys };
}
