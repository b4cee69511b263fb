// Downloads of the current explanation: the heatmap as PNG (with its colour bar),
// the relevance as CSV (one row per pixel) and as JSON (everything, per layer too).
import { COLORMAPS, fmt } from "./colormap.js";
import { drawHeatmap, heatmapData } from "./render.js";

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const baseName = (e) => `lrp-${e.model}-${e.method}-digit${e.target}`;

/** The heatmap at 10 px per input pixel, a colour bar and a caption, as a PNG. */
export function downloadPng({ explanation: e, input, cmap, opacity, limit, view }) {
  const side = 280;
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side + 70;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  const map = document.createElement("canvas");
  map.width = map.height = side;
  drawHeatmap(map, { input, relevance: e.relevance, cmap, opacity, limit, view });
  context.drawImage(map, 0, 0);
  const bar = document.createElement("canvas");
  bar.width = 256;
  bar.height = 1;
  bar.getContext("2d").putImageData(heatmapData(Float32Array.from({ length: 256 }, (_, i) => (i - 127.5) / 127.5), 256, 1, cmap, 1), 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(bar, 12, side + 6, side - 24, 12);
  context.fillStyle = "#222";
  context.font = "11px system-ui, sans-serif";
  context.textBaseline = "top";
  context.textAlign = "left";
  context.fillText(`−${fmt(limit)}`, 12, side + 21);
  context.textAlign = "center";
  context.fillText("0", side / 2, side + 21);
  context.textAlign = "right";
  context.fillText(`+${fmt(limit)}`, side - 12, side + 21);
  context.textAlign = "center";
  const map_ = COLORMAPS[cmap];
  context.fillText(`${e.model} · ${e.method} · why ${e.target}?`, side / 2, side + 37);
  context.fillText(`${map_.positive} = for, ${map_.negative} = against, white = 0`, side / 2, side + 52);
  canvas.toBlob((blob) => save(blob, `${baseName(e)}.png`), "image/png");
}

/** One row per input value: its row and column (and channel, for several), input value and relevance. */
export function toCsv({ explanation: e, input, view = { c: 1, h: 28, w: 28 } }) {
  const { c, h, w } = view;
  const lines = [c > 1 ? "channel,row,column,input,relevance" : "row,column,input,relevance"];
  for (let i = 0; i < input.length; i++) {
    const place = `${Math.floor(i / w) % h},${i % w}`;
    lines.push(`${c > 1 ? `${Math.floor(i / (h * w))},` : ""}${place},${input[i]},${e.relevance[i]}`);
  }
  return lines.join("\n") + "\n";
}

export function downloadCsv(state) {
  save(new Blob([toCsv(state)], { type: "text/csv" }), `${baseName(state.explanation)}.csv`);
}

/** Everything about the explanation: settings, outputs, the pixel relevance and every layer's. */
export function toJson({ explanation: e, input, params }) {
  const list = (a) => Array.from(a);
  return JSON.stringify({
    model: e.model,
    method: e.method,
    params,
    prediction: e.prediction,
    target: e.target,
    confidence: e.confidence,
    logits: list(e.logits),
    probabilities: list(e.probabilities),
    outputRelevance: list(e.outputRelevance),
    input: list(input),
    relevance: list(e.relevance),
    relevanceSum: e.relevanceSum,
    layers: e.layers.map((l) => ({ layer: l.layer, rule: l.rule, shape: l.shape, sum: l.sum, books: l.books, relevance: list(l.relevance) })),
  });
}

export function downloadJson(state) {
  save(new Blob([toJson(state)], { type: "application/json" }), `${baseName(state.explanation)}.json`);
}
