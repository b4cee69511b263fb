// Drawing images, heatmaps and bars onto canvases.
import { table, maxAbs } from "./colormap.js";

const SIDE = 28;

/**
 * How a model's inputs are drawn: channels, height and width, and the input range.
 * [C, H, W] and [H, W] as they are; a flat input of n² values as an n×n square,
 * any other as one row. The MNIST models' view is { c: 1, h: 28, w: 28, low: 0, high: 1 }.
 */
export function viewOf(model) {
  const shape = model?.input_shape ?? [1, SIDE, SIDE];
  const [low, high] = model?.input_range ?? [0, 1];
  let [c, h, w] = shape.length === 3 ? shape : shape.length === 2 ? [1, ...shape] : [1, 1, shape.reduce((a, b) => a * b, 1)];
  if (shape.length === 1 && Number.isInteger(Math.sqrt(w))) [h, w] = [Math.sqrt(w), Math.sqrt(w)];
  return { c, h, w, low, high };
}
const MNIST_VIEW = viewOf(null);

/** One value per pixel: the relevance summed over the channels (as Zennit's heatmaps do). */
export const perPixel = (values, view = MNIST_VIEW) => (view.c > 1 ? sumChannels(values, [view.c, view.h, view.w]) : values);

/**
 * The image of an input: RGB for three channels, else grey (the mean of the
 * channels), scaled from the input range; as light on black, or with `paper` as dark
 * on white (grey inputs; an RGB image stays as it is, lightened).
 */
export function inputData(pixels, view = MNIST_VIEW, paper = false) {
  const { c, h, w, low, high } = view;
  const image = new ImageData(w, h);
  const n = h * w;
  const unit = (v) => Math.max(0, Math.min(1, (v - low) / (high - low)));
  for (let i = 0; i < n; i++) {
    let rgb;
    if (!pixels) rgb = [0, 0, 0];
    else if (c === 3) rgb = [0, 1, 2].map((k) => unit(pixels[k * n + i]));
    else {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += unit(pixels[k * n + i]);
      rgb = [sum / c, sum / c, sum / c];
    }
    const g = c === 3 ? rgb.map((v) => Math.round(255 * (paper ? 0.45 + 0.55 * v : v)))
      : rgb.map((v) => Math.round(paper ? 255 - 150 * v : 255 * v));
    image.data.set([...g, 255], i * 4);
  }
  return image;
}
/** A w×h image of `values` in the colour map on ±limit, as ImageData. */
export function heatmapData(values, w, h, cmap, limit = maxAbs(values)) {
  const lut = table(cmap);
  const image = new ImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const t = limit > 0 ? Math.max(-1, Math.min(1, values[i] / limit)) : 0;
    const k = Math.round((t + 1) * 127.5) * 3;
    image.data[i * 4] = lut[k];
    image.data[i * 4 + 1] = lut[k + 1];
    image.data[i * 4 + 2] = lut[k + 2];
    image.data[i * 4 + 3] = 255;
  }
  return image;
}

/** A small canvas holding `image` (to be scaled up with drawImage). */
function scratch(image) {
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

/** Grey image of an input, MNIST style (white on black) or as ink on paper (`paper`: grey on white). */
export function greyData(pixels, w = SIDE, h = SIDE, paper = false) {
  const image = new ImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = pixels ? pixels[i] : 0;
    const g = paper ? Math.round(255 - 150 * v) : Math.round(255 * v);
    image.data.set([g, g, g, 255], i * 4);
  }
  return image;
}

/** Draws an input as the network sees it (MNIST: 28×28, white digit on black), at one canvas pixel per value. */
export function drawInput(canvas, pixels, view = MNIST_VIEW) {
  canvas.width = view.w;
  canvas.height = view.h;
  canvas.getContext("2d").putImageData(inputData(pixels, view), 0, 0);
}

/**
 * The 28×28 inputs side by side in one image, for the gallery: a hundred small canvases
 * would each be a compositor layer, and every frame drawn while the pen moves would pay
 * for all of them. `images`: grey levels 0–255 (Uint8Array(784) each). Resolves to a
 * blob: URL, short, because every button's style reads it (a data: URL of 30 kB, parsed
 * once per button, took 250 ms of the first frame).
 */
export function strip(images) {
  const width = SIDE * images.length;
  const image = new ImageData(width, SIDE);
  images.forEach((grey, i) => {
    for (let p = 0; p < SIDE * SIDE; p++) {
      const at = ((p / SIDE | 0) * width + i * SIDE + (p % SIDE)) * 4;
      image.data[at] = image.data[at + 1] = image.data[at + 2] = grey[p];
      image.data[at + 3] = 255;
    }
  });
  const canvas = new OffscreenCanvas(width, SIDE);
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas.convertToBlob({ type: "image/png" }).then((blob) => URL.createObjectURL(blob));
}

/**
 * The heatmap over the input: the input as grey ink on white paper (or its colours,
 * lightened), and on top of it the relevance of each pixel (summed over channels) in
 * the colour map (white = 0) with the given opacity. Each input pixel becomes a block,
 * so what is shown is what was computed; a non-square input is letterboxed.
 */
export function drawHeatmap(canvas, { input, relevance, cmap, opacity, limit, view = MNIST_VIEW }) {
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.globalAlpha = 1;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const scale = Math.min(canvas.width / view.w, canvas.height / view.h);
  const [dw, dh] = [view.w * scale, view.h * scale];
  const [x, y] = [(canvas.width - dw) / 2, (canvas.height - dh) / 2];
  context.drawImage(scratch(inputData(input, view, true)), x, y, dw, dh);
  if (relevance) {
    context.globalAlpha = opacity;
    context.drawImage(scratch(heatmapData(perPixel(relevance, view), view.w, view.h, cmap, limit)), x, y, dw, dh);
    context.globalAlpha = 1;
  }
}

/** A map (h×w values) scaled up, pixelated, into a canvas of the given CSS size. */
export function drawMap(canvas, values, w, h, cmap, limit = maxAbs(values)) {
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").putImageData(heatmapData(values, w, h, cmap, limit), 0, 0);
}

/**
 * Bars around a zero line: up (positive, "for") and down (negative, "against"),
 * coloured by the map. `labels` (optional) are printed under the bars.
 */
export function drawBars(canvas, values, cmap, { limit = maxAbs(values), labels = null, highlight = -1, width, height } = {}) {
  const dpr = window.devicePixelRatio || 1;
  // A given CSS size spares a forced layout of the whole page (clientWidth) on every redraw.
  const cssWidth = width ?? (canvas.clientWidth || 200);
  const cssHeight = height ?? (canvas.clientHeight || 80);
  canvas.width = Math.round(cssWidth * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const context = canvas.getContext("2d");
  context.scale(dpr, dpr);
  context.clearRect(0, 0, cssWidth, cssHeight);
  const labelHeight = labels ? 14 : 0;
  const plot = cssHeight - labelHeight;
  const mid = plot / 2;
  const n = values.length;
  const step = cssWidth / n;
  const gap = step > 4 ? Math.min(2, step * 0.2) : 0;
  const lut = table(cmap);
  for (let i = 0; i < n; i++) {
    const t = limit > 0 ? Math.max(-1, Math.min(1, values[i] / limit)) : 0;
    const k = Math.round((t + 1) * 127.5) * 3;
    // The near-white middle of the map would vanish on white: darken small bars a little.
    const shade = Math.abs(t) < 0.2 ? 0.8 : 1;
    context.fillStyle = `rgb(${lut[k] * shade} ${lut[k + 1] * shade} ${lut[k + 2] * shade})`;
    const height = Math.abs(t) * (mid - 1);
    context.fillRect(i * step + gap / 2, t >= 0 ? mid - height : mid, Math.max(0.5, step - gap), Math.max(height, 0.5));
  }
  context.fillStyle = "#888";
  context.fillRect(0, Math.round(mid), cssWidth, 1);
  if (labels) {
    context.textAlign = "center";
    context.textBaseline = "bottom";
    labels.forEach((label, i) => {
      context.fillStyle = i === highlight ? "#000" : "#777";
      context.font = `${i === highlight ? "bold 12px" : "11px"} system-ui, sans-serif`;
      context.fillText(label, (i + 0.5) * step, cssHeight);
    });
  }
}

/** A horizontal colour bar of the map, from −max (left) to +max (right). */
export function drawColourBar(canvas, cmap) {
  canvas.width = 256;
  canvas.height = 1;
  const values = Float32Array.from({ length: 256 }, (_, i) => (i - 127.5) / 127.5);
  canvas.getContext("2d").putImageData(heatmapData(values, 256, 1, cmap, 1), 0, 0);
}

/** Sum over channels of a [C, H, W] tensor -> Float32Array(H·W). */
export function sumChannels(values, [c, h, w]) {
  const out = new Float32Array(h * w);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < h * w; i++) out[i] += values[k * h * w + i];
  }
  return out;
}
