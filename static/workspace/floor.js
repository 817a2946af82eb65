// The shoppers' map: the store's fixtures and each shopper's track; tracks seen near the
// current event are drawn strong, the others faint.
import { svgEl } from "./dom.js";

export function floorPlan(svg, D) {
  const W = D.visit.width_m, H = D.visit.depth_m;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  function draw(highlight) {
    svg.replaceChildren();
    for (const f of D.fixtures) {
      svgEl(svg, "rect", { x: f.x, y: f.y, width: f.w, height: f.d, fill: "#cbd5e1" });
      svgEl(svg, "text", { x: f.x + f.w / 2, y: f.y + f.d * 0.7, "font-size": W / 25, "text-anchor": "middle", fill: "#475569" }).textContent = f.code;
    }
    for (const s of D.shoppers) {
      svgEl(svg, "polyline", {
        points: s.track.map((p) => `${p[1]},${p[2]}`).join(" "), fill: "none", stroke: s.color, "stroke-width": W / 120,
        opacity: highlight && highlight.length && !highlight.includes(s.track_id) ? 0.35 : 0.9,
      });
    }
  }
  return { draw };
}
