// One keyboard map per page: keys do nothing while a field or an overlay has the focus.
export function bindKeys(map, { blocked } = {}) {
  document.addEventListener("keydown", (e) => {
    if (blocked && blocked()) return;
    const inField = e.target.closest("input, select, textarea");
    if (inField) { if (e.key === "Escape") e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const fn = map[e.key];
    if (fn) { e.preventDefault(); fn(e); }
  });
}
