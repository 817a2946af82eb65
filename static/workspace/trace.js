// The plate's weight trace around an event, with the clip's playhead.
import { svgEl } from "./dom.js";

export function weightTrace(svg) {
  let scale = null;
  function draw(ev) {
    svg.replaceChildren(); scale = null;
    const W = 600, H = 160, pad = 28;
    const add = (tag, attrs) => svgEl(svg, tag, attrs);
    if (!ev) return;
    let ts, gs;
    if (ev.trace) { ts = ev.trace.t; gs = ev.trace.g; }
    else { ts = [ev.t_start - 3, ev.t_start, ev.t_end, ev.t_end + 3]; gs = [0, 0, ev.delta_g, ev.delta_g]; } // no stream stored: the detected step
    const t0 = ts[0], t1 = ts[ts.length - 1];
    const gmin = Math.min(...gs), gmax = Math.max(...gs), span = Math.max(gmax - gmin, 5);
    const x = (t) => pad + ((t - t0) / (t1 - t0 || 1)) * (W - pad - 8);
    const y = (g) => H - 18 - ((g - gmin) / span) * (H - 32);
    scale = { x, t0, t1 };
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
  function playhead(t) {
    const ph = svg.querySelector("#playhead"); if (!ph || !scale) return;
    const xx = t >= scale.t0 && t <= scale.t1 ? scale.x(t) : -10;
    ph.setAttribute("x1", xx); ph.setAttribute("x2", xx);
  }
  return { draw, playhead };
}
