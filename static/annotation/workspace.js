// The annotator workspace: one visit's interactions with the model's auto-labels filled
// in; accept or correct each (action, product, quantity, shopper), add what the scale
// missed, submit and go on. Clips, trace, map, lease and keys are the shared modules.
import { $, el, banner, keepInView, picture as pictureOf, pageData } from "../workspace/dom.js";
import { api, errorText } from "../workspace/api.js";
import { clipPlayer } from "../workspace/clips.js";
import { weightTrace } from "../workspace/trace.js";
import { floorPlan } from "../workspace/floor.js";
import { keepLease } from "../workspace/lease.js";
import { bindKeys } from "../workspace/keys.js";
import { productSearch } from "../workspace/search.js";

const D = pageData("annotation-data");
const U = D.urls;
const products = D.products;
const picture = (sku, cls) => pictureOf(products, sku, cls);
const ACTIONS = D.actions.map((a) => a.value);
const actionLabel = Object.fromEntries(D.actions.map((a) => [a.value, a.label]));
const tracks = D.shoppers.map((s) => s.track_id);
const colour = Object.fromEntries(D.shoppers.map((s) => [s.track_id, s.color]));
const focus = new Set(D.slot.focus);
const autoBySeq = Object.fromEntries((D.auto_labels || []).map((a) => [a.seq, a]));
const moved = (action) => action !== "noise";
// A pick or put-back names its product; a staff restock may leave it open.
const needsProduct = (l) => ["pick", "put_back"].includes(l.action) && !l.sku;

// One row per weight event; the slot may ask about some of them only.
const items = D.events.map((ev) => {
  const auto = autoBySeq[ev.seq] || { action: "noise", sku: "", quantity: 0, track_id: null };
  const asked = !focus.size || focus.has(ev.seq);
  return { kind: "event", ev, asked, auto, label: { action: auto.action, sku: auto.sku, quantity: auto.quantity, track_id: auto.track_id }, state: asked ? "todo" : "settled" };
});
// What the model put on the receipt from the cameras alone: an interaction the scale
// missed, filled in like an auto-label; Enter keeps it, X removes it.
for (const c of D.camera_only || []) {
  items.push({ kind: "added", asked: true, suggested: true, t: c.t, state: "todo", label: { action: c.action, sku: c.sku, quantity: c.quantity, track_id: c.track_id ?? null } });
}
const timeOf = (it) => (it.kind === "event" ? it.ev.t_start : it.t);
items.sort((a, b) => timeOf(a) - timeOf(b));
const state = { sel: Math.max(0, items.findIndex((i) => i.asked)), done: false };
const trace = weightTrace($("trace"));
const floor = floorPlan($("floor"), D);
const player = clipPlayer({ clipsUrl: U.clips, statusUrl: U.clip_status, onTime: (t) => trace.playhead(t) });
const lease = keepLease({ renewUrl: U.renew, leaseS: Number($("ws").dataset.leaseS), isDone: () => state.done, onLost: () => { $("submit").disabled = true; } });

const current = () => items[state.sel];
const same = (a, b) => a.action === b.action && (a.sku || "") === (b.sku || "") && (a.quantity || 0) === (b.quantity || 0) && (a.track_id ?? null) === (b.track_id ?? null);
function summary(l) {
  if (!moved(l.action)) return actionLabel[l.action];
  const p = products[l.sku];
  const what = p ? `${l.quantity}× ${p.name}` : l.sku ? `${l.quantity}× ${l.sku}` : l.action === "restock" ? "" : "product?";
  return `${actionLabel[l.action]} ${what}${l.track_id != null ? " · #" + l.track_id : ""}`.trim();
}
function touch(item) {
  if (item.kind === "event") item.state = same(item.label, item.auto) ? "accepted" : "changed";
  else item.state = "added"; // a camera-only suggestion the annotator corrected is kept
  render();
}

function renderTimeline() {
  const ol = $("timeline"); ol.replaceChildren();
  items.forEach((it, i) => {
    const cls = [i === state.sel ? "sel" : "", it.state, it.kind === "added" ? "added" : "", it.suggested ? "camera-only" : ""].join(" ");
    const when = it.kind === "event" ? `${it.ev.t_start.toFixed(1)} s · ${it.ev.plate} · ${it.ev.delta_g > 0 ? "+" : ""}${it.ev.delta_g} g`
      : `${it.t.toFixed(1)} s · ${it.suggested ? "seen by camera only (model)" : "missed by the scale"}`;
    const stateText = { todo: "to check", accepted: "✓ accepted", changed: "✎ changed", settled: "settled by others", added: "+ added" }[it.state];
    ol.append(el("li", { class: cls, "data-index": String(i), onclick: () => select(i) },
      el("span", { class: "mono", text: String(i + 1) }), el("span", { text: when }), el("span", { class: "muted", text: summary(it.label) }), el("span", { class: "state", text: stateText })));
  });
  // The list scrolls; keep the selected interaction in sight as Enter and the arrows move on.
  keepInView(ol, ol.querySelector("li.sel"));
  const asked = items.filter((i) => i.asked);
  $("progress").textContent = `${asked.filter((i) => i.state !== "todo").length} / ${asked.length} checked`;
}
function renderEditor() {
  const box = $("editor"); box.replaceChildren();
  const it = current(); if (!it) { box.append(el("p", { class: "muted", text: "No interactions in this visit." })); return; }
  if (!it.asked) { box.append(el("p", { class: "muted", text: "Settled by the other annotators; nothing to do here." })); return; }
  const l = it.label;
  box.append(el("span", { class: "muted", text: "Action" }), el("div", { class: "actions-row" },
    ...ACTIONS.map((a, i) => el("button", { type: "button", class: l.action === a ? "on" : "", "data-action": a, onclick: () => setAction(a) }, el("kbd", { text: String(i + 1) }), " " + actionLabel[a]))));
  if (moved(l.action)) {
    const p = products[l.sku];
    const none = l.action === "restock" ? "any (restock)" : "choose one (E)";
    box.append(el("span", { class: "muted", text: "Product" }), el("div", { id: "product", "data-sku": l.sku || "" }, l.sku ? picture(l.sku) : null, " ", el("b", { text: p ? p.name : none }), el("small", { class: "muted mono", text: " " + (l.sku || "") })));
    box.append(el("span", { class: "muted", text: "Quantity" }), el("div", { id: "quantity", text: "× " + l.quantity }));
    box.append(el("span", { class: "muted", text: "Shopper" }), el("div", { id: "shopper" }, l.track_id == null ? el("span", { class: "muted", text: "–" }) : el("span", { class: "shop-chip", style: `background:${colour[l.track_id] || "#666"}`, text: "#" + l.track_id })));
  }
  const auto = it.kind === "event" ? `Model: ${summary(it.auto)}${autoBySeq[it.ev.seq] && autoBySeq[it.ev.seq].confidence != null ? ` (${autoBySeq[it.ev.seq].confidence.toFixed(2)})` : ""}` : "Added by you from the video.";
  box.append(el("div", { class: "auto", text: auto }));
}
function candidatesOf(it) {
  if (it.kind === "event") return it.ev.candidates;
  return Object.keys(products).slice(0, 5);
}
function renderCandidates() {
  const box = $("candidates"); box.replaceChildren();
  const it = current(); if (!it) return;
  candidatesOf(it).slice(0, 5).forEach((sku, i) => {
    const p = products[sku]; if (!p) return;
    const score = it.kind === "event" && it.ev.scores[sku] ? "vision " + it.ev.scores[sku].toFixed(2) : "";
    box.append(el("button", { type: "button", class: "cand" + (sku === it.label.sku ? " current" : ""), onclick: () => setProduct(sku) },
      picture(sku, "big"), el("div", {}, el("kbd", { text: String(i + 5) }), " " + p.name),
      el("div", { class: "score", text: [it.kind === "event" && it.auto.sku === sku ? "model" : "", score].filter(Boolean).join(" · ") || "planogram" }),
      el("div", { class: "muted", text: p.unit_weight_g.toFixed(0) + " g" })));
  });
}
function renderShoppers() {
  const it = current();
  floor.draw(it && it.kind === "event" ? it.ev.tracks : []);
  const box = $("shoppers"); box.replaceChildren();
  for (const s of D.shoppers) box.append(el("span", { class: "shop-chip", style: `background:${s.color}`, text: `#${s.track_id}` }));
}
function render() { renderTimeline(); renderEditor(); renderCandidates(); }

function select(i, { media = true } = {}) {
  if (i < 0 || i >= items.length) return;
  state.sel = i; render(); renderShoppers();
  if (!media) return;
  const it = items[i];
  if (it.kind === "event") {
    trace.draw(it.ev); $("trace-title").textContent = `${it.ev.plate}, ${it.ev.delta_g} g`;
    player.load({ event: it.ev.seq }, it.ev.clip.cameras, it.ev.t_start);
  } else {
    trace.draw(null); $("trace-title").textContent = "no weight change";
    player.load({ t: it.t }, [], it.t);
  }
}
function move(d) {
  let i = state.sel + d;
  while (i >= 0 && i < items.length && !items[i].asked) i += d;
  if (i >= 0 && i < items.length) select(i);
}
function editable() { const it = current(); return it && it.asked ? it : null; }
function setAction(a) {
  const it = editable(); if (!it) return;
  it.label.action = a;
  if (moved(a)) {
    if (!it.label.sku) it.label.sku = candidatesOf(it)[0] || "";
    if (!it.label.quantity) it.label.quantity = 1;
    if (it.label.track_id == null && a !== "restock") it.label.track_id = tracks[0] ?? null;
    if (a === "restock") it.label.track_id = null;
  }
  touch(it);
}
function setProduct(sku) { const it = editable(); if (!it || !moved(it.label.action)) return; it.label.sku = sku; touch(it); }
function qty(d) { const it = editable(); if (!it || !moved(it.label.action)) return; it.label.quantity = Math.max(1, Math.min(20, it.label.quantity + d)); touch(it); }
function cycleShopper() {
  const it = editable(); if (!it || !["pick", "put_back"].includes(it.label.action) || !tracks.length) return;
  it.label.track_id = tracks[(tracks.indexOf(it.label.track_id) + 1) % tracks.length]; touch(it);
}
function accept() {
  const it = editable(); if (!it) return;
  if (it.kind === "event" && it.state === "todo") it.state = same(it.label, it.auto) ? "accepted" : "changed";
  if (it.kind === "added" && it.state === "todo") it.state = "added";
  if (needsProduct(it.label)) { banner("Choose the product first (E)."); return; }
  banner("");
  const next = items.findIndex((x, i) => i > state.sel && x.asked && x.state === "todo");
  if (next >= 0) select(next); else render();
}
function addMissed() {
  if (!D.slot.ask_missed) { banner("This task asks only about the events others disagreed on."); return; }
  const t = player.now() ?? (current() && current().kind === "event" ? current().ev.t_start : 0);
  const item = { kind: "added", asked: true, t: Math.max(0, Math.min(D.visit.duration_s, t)), state: "added", label: { action: "pick", sku: "", quantity: 1, track_id: tracks[0] ?? null } };
  items.push(item); items.sort((a, b) => timeOf(a) - timeOf(b));
  select(items.indexOf(item), { media: false }); openSearch();
}
function removeAdded() {
  const it = current(); if (!it || it.kind !== "added") return;
  items.splice(state.sel, 1); select(Math.max(0, state.sel - 1));
}

// ---- product search ------------------------------------------------------------
const search = productSearch({
  products,
  boost: () => (current() ? candidatesOf(current()) : []),
  onChoose: (sku) => {
    const it = editable(); if (!it) return;
    if (!moved(it.label.action)) setAction("pick");
    setProduct(sku);
  },
});
function openSearch() { if (editable()) search.open(); }

// ---- submit, skip, release ----------------------------------------------------
function goNext() { $("next-form").submit(); }
async function submit() {
  if (state.done || !lease.ok()) return;
  const todo = items.findIndex((i) => i.asked && i.state === "todo");
  if (todo >= 0) { select(todo); banner(`Check interaction ${todo + 1} first (Enter accepts it).`); return; }
  const missing = items.findIndex((i) => i.asked && needsProduct(i.label));
  if (missing >= 0) { select(missing); banner("Choose the product of this interaction (E)."); return; }
  const body = {
    events: items.filter((i) => i.kind === "event" && i.asked).map((i) => ({ seq: i.ev.seq, ...i.label, accepted: i.state === "accepted" })),
    added: items.filter((i) => i.kind === "added").map((i) => ({ t: Math.round(i.t * 100) / 100, ...i.label })),
  };
  $("submit").disabled = true;
  try {
    await api("POST", U.submit, body);
    state.done = true; banner("Labels saved. Next task…", true); setTimeout(goNext, 350);
  } catch (err) {
    $("submit").disabled = false;
    if (err.status === 409) lease.lost(err.message); else banner(errorText(err));
  }
}
async function giveBack(skip) {
  try { await api("POST", skip ? U.skip : U.release); state.done = true; }
  catch (err) { if (err.status !== 409) { banner(err.message); return; } }
  if (skip) goNext(); else location.href = U.home;
}
$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", () => giveBack(true));
$("release").addEventListener("click", () => giveBack(false));

// ---- keyboard ----------------------------------------------------------------------
const keys = {
  ...player.keys,
  ArrowUp: () => move(-1), ArrowDown: () => move(1),
  Enter: (e) => (e.shiftKey ? submit() : accept()),
  "1": () => setAction(ACTIONS[0]), "2": () => setAction(ACTIONS[1]), "3": () => setAction(ACTIONS[2]), "4": () => setAction(ACTIONS[3]),
  e: openSearch, "+": () => qty(1), "=": () => qty(1), "-": () => qty(-1), g: cycleShopper, m: addMissed, x: removeAdded,
  n: () => { if (state.done || !lease.ok()) goNext(); else banner("Submit (⇧Enter), skip (⇧S) or release (⇧R) this task first."); },
  S: () => giveBack(true), R: () => giveBack(false),
};
for (let i = 0; i < 5; i++) keys[String(i + 5)] = () => { const it = current(); const sku = it && candidatesOf(it)[i]; if (sku) setProduct(sku); };
bindKeys(keys, { blocked: () => search.isOpen() });

render(); renderShoppers();
if (items.length) select(state.sel); else trace.draw(null);
