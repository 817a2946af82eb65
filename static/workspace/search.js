// The product search overlay: by name, SKU or family, the interaction's candidates first;
// arrows choose, Enter uses, Esc cancels.
import { $, el, picture } from "./dom.js";

export function productSearch({ products, boost, onChoose }) {
  const state = { items: [], sel: 0, context: null };
  function run() {
    const q = $("search-input").value.trim().toLowerCase();
    const first = new Set(boost());
    const all = Object.values(products).filter((p) => !q || p.name.toLowerCase().includes(q) || p.sku.toLowerCase().includes(q) || (p.family || "").toLowerCase().includes(q));
    all.sort((a, b) => (first.has(b.sku) - first.has(a.sku)) || a.name.localeCompare(b.name));
    state.items = all.slice(0, 8); state.sel = 0; draw();
  }
  function draw() {
    const ol = $("search-results"); ol.replaceChildren();
    state.items.forEach((p, i) => ol.append(el("li", { class: i === state.sel ? "sel" : "", onclick: () => { state.sel = i; choose(); } },
      picture(products, p.sku), el("span", { text: p.name }), el("small", { class: "muted mono", text: " " + p.sku + " · " + p.price }))));
  }
  function close() { $("search").hidden = true; $("search-input").blur(); }
  function choose() { const p = state.items[state.sel]; close(); if (p) onChoose(p.sku, state.context); }
  // ``context`` comes back to onChoose (e.g. edit the line or add one).
  function open(context) { state.context = context ?? null; $("search").hidden = false; $("search-input").value = ""; run(); $("search-input").focus(); }
  $("search-input").addEventListener("input", run);
  $("search-input").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); state.sel = Math.min(state.sel + 1, state.items.length - 1); draw(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); state.sel = Math.max(state.sel - 1, 0); draw(); }
    else if (e.key === "Enter") { e.preventDefault(); choose(); }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
    e.stopPropagation();
  });
  return { open, close, isOpen: () => !$("search").hidden };
}
