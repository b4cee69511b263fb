// Turning a drawing into a network input the way MNIST was made (LeCun et al.):
// the ink's bounding box is scaled, keeping its aspect ratio, to fit a 20×20 box
// with anti-aliasing (grey levels), and placed in the 28×28 field so that its
// centre of mass sits in the middle (index 14, 14: where it is in MNIST).
// Pure functions on Float32Arrays, no DOM.

export const SIDE = 28;
export const BOX = 20;
/** Where MNIST digits have their centre of mass, in pixel indices (measured: 14.0, 14.0). */
export const CENTRE = 14;
/** Ink fainter than this (soft stroke edges) does not widen the bounding box. */
export const INK_THRESHOLD = 0.1;

/**
 * `ink`: Float32Array(width × height), row-major, values in [0, 1] (white ink on black).
 * Returns Float32Array(784) in [0, 1], or null when there is no ink at all.
 */
export function mnistFromInk(ink, width, height, threshold = INK_THRESHOLD) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);

  // 1. The crop, area-averaged into a 20×20 box: each source pixel becomes a
  //    scale × scale square and adds its ink to the box pixels it covers, in
  //    proportion to the area covered. The short side is centred in the box.
  const box = new Float32Array(BOX * BOX);
  const left0 = (BOX - w * scale) / 2, top0 = (BOX - h * scale) / 2;
  for (let y = y0; y <= y1; y++) {
    const top = top0 + (y - y0) * scale, bottom = top + scale;
    const by0 = Math.max(0, Math.floor(top)), by1 = Math.min(BOX - 1, Math.ceil(bottom) - 1);
    for (let x = x0; x <= x1; x++) {
      const v = ink[y * width + x];
      if (v <= 0) continue;
      const left = left0 + (x - x0) * scale, right = left + scale;
      const bx0 = Math.max(0, Math.floor(left)), bx1 = Math.min(BOX - 1, Math.ceil(right) - 1);
      for (let by = by0; by <= by1; by++) {
        const oy = Math.min(bottom, by + 1) - Math.max(top, by);
        if (oy <= 0) continue;
        for (let bx = bx0; bx <= bx1; bx++) {
          const ox = Math.min(right, bx + 1) - Math.max(left, bx);
          if (ox > 0) box[by * BOX + bx] += v * ox * oy;
        }
      }
    }
  }

  // 2. The box placed in the 28×28 field, shifted by whole pixels so that its
  //    centre of mass lands on the centre (as MNIST: no resampling here).
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < box.length; i++) {
    box[i] = Math.min(1, box[i]);
    mass += box[i];
    mx += box[i] * (i % BOX);
    my += box[i] * Math.floor(i / BOX);
  }
  const dx = Math.round(CENTRE - mx / mass), dy = Math.round(CENTRE - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let by = 0; by < BOX; by++) {
    for (let bx = 0; bx < BOX; bx++) {
      const tx = bx + dx, ty = by + dy;
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) out[ty * SIDE + tx] = box[by * BOX + bx];
    }
  }
  return out;
}

/** Area-averages a square `ink` image of side `side` (a multiple of 28) down to a new 28×28 image, where it lies (no centring). */
export function downsample(ink, side) {
  const f = side / SIDE;
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < side; y++) {
    const row = Math.floor(y / f) * SIDE;
    for (let x = 0; x < side; x++) out[row + Math.floor(x / f)] += ink[y * side + x];
  }
  const norm = 1 / (f * f);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, out[i] * norm);
  return out;
}

/** Pixel-wise maximum of two 28×28 images (strokes drawn on top of a digit). */
export function overlay(base, strokes) {
  return Float32Array.from(base, (v, i) => Math.max(v, strokes[i]));
}

/** Centre of mass (x, y) in pixel indices and bounding box of an image (for tests and captions). */
export function measure(pixels, side = SIDE, threshold = INK_THRESHOLD) {
  let mass = 0, mx = 0, my = 0, x0 = side, y0 = side, x1 = -1, y1 = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = pixels[y * side + x];
      mass += v;
      mx += v * x;
      my += v * y;
      if (v > threshold) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  return { mass, cx: mx / mass, cy: my / mass, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
