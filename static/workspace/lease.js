// Keeps a lease alive while the page is open and shows its countdown and the SLA.
import { $, banner } from "./dom.js";
import { api } from "./api.js";

export function keepLease({ renewUrl, leaseS, onLost, isDone }) {
  let ok = true;
  const lost = (msg) => {
    ok = false; $("lease").className = "lease lost"; $("lease").textContent = "lease lost";
    banner(msg + " Press N for the next task."); onLost && onLost();
  };
  async function renew() {
    if (isDone() || !ok) return;
    try { const t = await api("POST", renewUrl); $("lease").dataset.expires = t.lease_expires_at; }
    catch (err) { if (err.status === 409 || err.status === 404) lost(err.message); }
  }
  setInterval(renew, Math.max(5, leaseS / 3) * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) renew(); });
  function tick() {
    const exp = Date.parse($("lease").dataset.expires);
    if (ok && !isDone() && exp) {
      const s = Math.round((exp - Date.now()) / 1000);
      $("lease").textContent = `lease ${s}s`; $("lease").className = "lease " + (s < 20 ? "warn" : "ok");
    }
    const sla = $("sla");
    if (sla && sla.dataset.due) {
      const m = Math.round((Date.parse(sla.dataset.due) - Date.now()) / 60000);
      sla.textContent = m >= 0 ? `SLA in ${m} min` : `SLA passed ${-m} min ago`;
    }
  }
  setInterval(tick, 1000); tick();
  return { ok: () => ok, lost };
}
