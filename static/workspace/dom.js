// Small DOM helpers every workspace uses.
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") n.className = v; else if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null) n.append(kid);
  return n;
}

export function svgEl(svg, tag, attrs) {
  const n = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  svg.append(n);
  return n;
}

export function banner(text, ok) {
  const b = $("banner"); b.textContent = text; b.hidden = !text; b.className = ok ? "banner ok" : "banner";
}

// A product's catalogue image, or a colour swatch where it has none.
export function picture(products, sku, cls) {
  const p = products[sku];
  if (p && p.image) return el("img", { src: p.image, alt: p.name, class: cls || "thumb", loading: "lazy" });
  return el("span", { class: cls === "big" ? "swatch-big" : "swatch", style: `background:${p ? p.color : "#ccc"}`, title: p ? p.shape : "" });
}

// The JSON a page embeds with json_script.
export const pageData = (id) => JSON.parse($(id).textContent);
// Scroll the list ``box`` (not the page) just enough that ``item`` shows whole.
export function keepInView(box, item) {
  if (!box || !item) return;
  const b = box.getBoundingClientRect(), r = item.getBoundingClientRect();
  if (r.top < b.top) box.scrollTop -= b.top - r.top; else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom;
  if (r.left < b.left) box.scrollLeft -= b.left - r.left; else if (r.right > b.right) box.scrollLeft += r.right - b.right;
}
