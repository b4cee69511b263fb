// Line plots in SVG: perturbation curves (a measure against pixels removed), with
// axes, a legend, and an optional vertical marker. Nothing but the DOM.

const NS = "http://www.w3.org/2000/svg";

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** Round numbers for ticks between 0 and `max`. */
function ticks(max, count = 5) {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

/**
 * Draws `series` ([{ label, colour, dash?, width?, x: number[], y: number[] }]) into
 * `svg`, on x from 0 to the largest x and y over `yRange`. `marker` (an x value)
 * draws a vertical line; `points` ([{ x, y, colour, label }]) draws dots.
 */
export function linePlot(svg, { series, xLabel, yLabel, yRange = [0, 1], marker = null, points = [], description = "" }) {
  const width = 360, height = 220;
  const m = { left: 42, right: 10, top: 10, bottom: 34 };
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.replaceChildren();
  const xMax = Math.max(1, ...series.flatMap((s) => s.x));
  const [y0, y1] = yRange;
  const px = (x) => m.left + (x / xMax) * (width - m.left - m.right);
  const py = (y) => m.top + (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const axes = el("g", { class: "axes" });
  for (const t of ticks(xMax)) {
    axes.append(el("line", { x1: px(t), x2: px(t), y1: py(y0), y2: py(y0) + 4, class: "tick" }));
    axes.append(el("text", { x: px(t), y: py(y0) + 15, "text-anchor": "middle" }, String(t)));
  }
  for (const t of ticks(y1 - y0, 4).map((v) => v + y0)) {
    axes.append(el("line", { x1: m.left, x2: width - m.right, y1: py(t), y2: py(t), class: "grid" }));
    axes.append(el("text", { x: m.left - 5, y: py(t) + 4, "text-anchor": "end" }, String(t)));
  }
  axes.append(el("text", { x: (m.left + width - m.right) / 2, y: height - 3, "text-anchor": "middle", class: "label" }, xLabel));
  axes.append(el("text", { x: 11, y: (m.top + height - m.bottom) / 2, "text-anchor": "middle", class: "label",
    transform: `rotate(-90 11 ${(m.top + height - m.bottom) / 2})` }, yLabel));
  svg.append(axes);
  if (marker !== null) {
    svg.append(el("line", { x1: px(marker), x2: px(marker), y1: m.top, y2: py(y0), class: "marker" }));
  }
  for (const s of series) {
    const d = s.x.map((x, i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(s.y[i]).toFixed(1)}`).join("");
    const path = el("path", { d, fill: "none", stroke: s.colour, "stroke-width": s.width ?? 2, "stroke-linejoin": "round" });
    if (s.dash) path.setAttribute("stroke-dasharray", s.dash);
    path.dataset.series = s.label;
    svg.append(path);
  }
  for (const p of points) {
    const dot = el("circle", { cx: px(p.x), cy: py(p.y), r: 4, fill: p.colour, stroke: "#fff", "stroke-width": 1.5 });
    dot.append(el("title", {}, p.label));
    svg.append(dot);
  }
  svg.setAttribute("aria-label", description);
}

/** A legend: one swatch and label per series, as HTML (wraps on narrow screens). */
export function legend(box, series) {
  box.replaceChildren(...series.map((s) => {
    const item = document.createElement("span");
    item.className = "legend-item";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.borderTop = `3px ${s.dash ? "dashed" : "solid"} ${s.colour}`;
    item.append(swatch, s.label);
    return item;
  }));
}
