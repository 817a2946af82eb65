// The reviewer workspace: keyboard-first receipt editing, synced multi-view clips,
// the weight trace, candidates and shoppers; renews the lease while open.
// The reviewer workspace: keyboard-first receipt editing beside the shared interaction
// modules (synced clips, weight trace, shoppers' map, lease, keys).
import { $, el, banner, keepInView, picture as pictureOf, pageData } from "../workspace/dom.js";
import { api, errorText } from "../workspace/api.js";
import { clipPlayer } from "../workspace/clips.js";
import { weightTrace } from "../workspace/trace.js";
import { floorPlan } from "../workspace/floor.js";
import { keepLease } from "../workspace/lease.js";
import { bindKeys } from "../workspace/keys.js";
import { productSearch } from "../workspace/search.js";

const D = pageData("workspace-data");
const U = D.urls;
const root = $("ws");
const leaseS = Number(root.dataset.leaseS);
const products = D.products;
const shopperIds = D.shoppers.map((s) => s.track_id);
const shopperColour = Object.fromEntries(D.shoppers.map((s) => [s.track_id, s.color]));
const original = JSON.stringify(D.lines.map(({ sku, quantity, shopper_track_id }) => ({ sku, quantity, shopper_track_id })));
const state = {
lines: D.lines.map((l) => ({ ...l, origin: { ...l } })),
sel: 0, event: 0, moment: null, done: false, reasonTouched: false,
};
const picture = (sku, cls) => pictureOf(products, sku, cls);
const trace = weightTrace($("trace"));
const floor = floorPlan($("floor"), D);
const player = clipPlayer({ clipsUrl: U.clips, statusUrl: U.clip_status, onTime: (t) => trace.playhead(t) });
const lease = keepLease({ renewUrl: U.renew, leaseS, isDone: () => state.done, onLost: () => { $("submit").disabled = true; } });

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
      el("td", {}, picture(l.sku), el("span", { text: p ? p.name : l.sku }), el("br"), el("small", { class: "muted mono", text: l.sku }),
        ...(l.camera_only || []).map((v) => cameraOnlyBadge(l, v))),
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
// A unit no scale weighed: the model put it on the receipt from the cameras alone.
// The badge says so and, clicked (or V on its line), plays the reach instead of an event.
function cameraOnlyBadge(l, v) {
  const sign = v.action === "put_back" ? "−" : "+";
  const text = (l.weighed ? `${sign}${v.quantity} ` : "") + `seen by camera only · ${v.t.toFixed(1)} s`;
  const title = `No weight change: only the cameras saw this ${v.action.replace("_", " ")} on ${v.plate} ` +
    `at ${v.t.toFixed(1)} s (${Math.round(v.probability * 100)}% sure). Click to watch the reach.`;
  return el("button", { type: "button", class: "badge camera-only", "data-t": String(v.t), title, onclick: () => watchMoment(v) }, text);
}
function watchSelectedReach() {
  const v = ((state.lines[state.sel] || {}).camera_only || [])[0];
  if (v) watchMoment(v); else banner("The selected line was weighed: no camera-only reach to watch.");
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
const search = productSearch({
  products,
  boost: () => { const ev = D.events[state.event]; return ev ? ev.candidates : []; },
  onChoose: (sku, mode) => setProduct(sku, mode),
});
const openSearch = (mode) => search.open(mode);

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
  const ev = D.events[state.event];
  floor.draw(ev ? ev.tracks : []);
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
    box.append(el("button", { type: "button", class: "event" + (i === state.event && !state.moment ? " sel" : ""), onclick: () => selectEvent(i) },
      el("div", {}, el("span", { class: "d", text: `${ev.delta_g > 0 ? "+" : ""}${ev.delta_g} g` }), ` ${ev.plate} · t ${ev.t_start.toFixed(1)} s`),
      el("div", { class: "m", text: m.action ? `model: ${m.action} ${m.quantity || ""}× ${(products[m.sku] || {}).name || m.sku || ""}${m.track_id != null ? " #" + m.track_id : ""}` : "no model assignment" })));
  });
  if (!D.events.length) box.append(el("p", { class: "muted", text: "No weight events in this visit." }));
  // The row scrolls sideways; keep the selected event in sight as ← and → move on.
  keepInView(box, box.querySelector(".event.sel"));
}
function watchMoment(v) {
  state.moment = v; renderEvents();
  trace.draw(null); player.load({ t: v.t }, D.cameras, v.t);
  $("trace-title").textContent = `${v.plate}, no weight change: seen by camera only at ${v.t.toFixed(1)} s`;
}
function selectEvent(i) {
  if (i < 0 || i >= D.events.length) return;
  state.event = i; state.moment = null; renderEvents(); renderCandidates(); renderShoppers();
  const ev = D.events[i];
  trace.draw(ev); player.load({ event: ev.seq }, ev.clip.cameras, ev.t_start);
  $("trace-title").textContent = `${ev.plate}, ${ev.delta_g} g`;
}

// ---- submit, skip, release ----------------------------------------------------
function goNext() { $("next-form").submit(); }
async function submit() {
  if (state.done || !lease.ok()) return;
  const isChange = changed();
  const body = {
    decision: isChange ? "correct" : "approve", reason_code: $("reason-code").value,
    comment: $("comment").value, flag_for_annotation: $("flag").checked,
    lines: isChange ? state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, shopper_track_id: l.shopper_track_id })) : null,
  };
  if (isChange && body.reason_code === "confirmed") body.reason_code = "other";
  $("submit").disabled = true;
  try {
    await api("POST", U.submit, body);
    state.done = true; banner(isChange ? "Correction saved; receipt issued. Next task…" : "Approved; receipt issued. Next task…", true);
    setTimeout(goNext, 350);
  } catch (err) {
    $("submit").disabled = false;
    if (err.status === 409) lease.lost(err.message);
    else banner(errorText(err));
  }
}
async function giveBack(skip) {
  try { await api("POST", skip ? U.skip : U.release); state.done = true; }
  catch (err) { if (err.status !== 409) { banner(err.message); return; } }
  if (skip) goNext(); else location.href = U.queue;
}
$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", () => giveBack(true));
$("release").addEventListener("click", () => giveBack(false));
$("reason-code").addEventListener("change", () => (state.reasonTouched = true));

// ---- keyboard ----------------------------------------------------------------------
bindKeys({
  ...player.keys,
  ArrowUp: () => moveSel(-1), ArrowDown: () => moveSel(1),
  ArrowLeft: () => selectEvent(state.event - 1), ArrowRight: () => selectEvent(state.event + 1),
  e: () => openSearch("edit"), i: () => openSearch("add"), x: removeLine, Delete: removeLine,
  "+": () => qty(1), "=": () => qty(1), "-": () => qty(-1), g: cycleShopper,
  a: submit, n: () => { if (state.done || !lease.ok()) goNext(); else banner("Submit (A), skip (⇧S) or release (⇧R) this task first."); },
  r: () => { const s = $("reason-code"); s.selectedIndex = (s.selectedIndex + 1) % s.options.length; state.reasonTouched = true; },
  c: () => $("comment").focus(), f: () => ($("flag").checked = !$("flag").checked), v: watchSelectedReach,
  S: () => giveBack(true), R: () => giveBack(false),
}, { blocked: () => search.isOpen() });

// ---- render the next task's clips ahead while this one is open ----------------------------
// The server renders them; the browser fetches nothing of a visit it does not hold yet.
async function preloadNext() {
  try {
    const clips = await api("POST", U.peek);
    root.dataset.preloaded = String((clips || []).length);
  } catch (err) { root.dataset.preloaded = "0"; }
}

renderLines(); renderEvents(); renderShoppers(); selectEvent(0);
if (!D.events.length) { renderCandidates(); trace.draw(null); }
setTimeout(preloadNext, 1500);
