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

// ---------------------------------------------------------------- pictures
// A picture (RGBA bytes, as a canvas gives them) becomes an input in one of three ways:
// a photo of a handwritten digit becomes MNIST's form; a photo of an object, Fashion-
// MNIST's; any other picture is resized to the model's input.

/** Luminance in [0, 1] of RGBA bytes (Rec. 601 weights, as most grey conversions). */
export function luminance(rgba, width, height) {
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  return grey;
}

/** The mean of each pixel's (2r+1)² neighbourhood, clipped at the edges (an integral image: any r costs the same). */
export function boxBlur(values, width, height, r) {
  const sums = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += values[y * width + x];
      sums[(y + 1) * (width + 1) + x + 1] = sums[y * (width + 1) + x + 1] + row;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(width, x + r + 1);
      const s = sums[y1 * (width + 1) + x1] - sums[y0 * (width + 1) + x1] - sums[y1 * (width + 1) + x0] + sums[y0 * (width + 1) + x0];
      out[y * width + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** Otsu's threshold of values in [0, 1]: the level that best splits them into two classes (64 bins). */
export function otsu(values) {
  const bins = new Float64Array(64);
  for (const v of values) bins[Math.min(63, Math.max(0, Math.floor(v * 64)))]++;
  const total = values.length;
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += i * bins[i];
  let below = 0, sumBelow = 0, best = 0, threshold = 0;
  for (let i = 0; i < 63; i++) {
    below += bins[i];
    sumBelow += i * bins[i];
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const between = below * above * (sumBelow / below - (sum - sumBelow) / above) ** 2;
    if (between > best) [best, threshold] = [between, (i + 1) / 64];
  }
  return threshold;
}

/** The value below which a fraction `q` of `values` lie. */
function quantile(values, q) {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * A photo of a digit written dark on light paper -> Float32Array(784) in MNIST's form,
 * or null if no ink is found: grey; the paper's level estimated around each pixel (a
 * wide blur), so that uneven light is levelled; the ink is how much darker than the
 * paper a pixel is; below Otsu's threshold it is background (0), above it is scaled up
 * to full strength; then cropped, fitted to 20×20 and centred by mass, as drawings are.
 * Light ink on a dark ground (an MNIST image itself) is read inverted: the ink is the
 * few pixels far from the ground's level, on whichever side they lie.
 */
export function mnistFromPhoto(rgba, width, height) {
  let grey = luminance(rgba, width, height);
  const [low, ground, high] = [0.01, 0.5, 0.99].map((q) => quantile(grey, q));
  if (high - ground > ground - low) grey = grey.map((g) => 1 - g);
  const paper = boxBlur(grey, width, height, Math.max(2, Math.round(Math.max(width, height) / 8)));
  const ink = Float32Array.from(grey, (g, i) => Math.max(0, paper[i] - g));
  const strong = quantile(ink, 0.995);
  if (!(strong > 0.05)) return null; // a blank page
  for (let i = 0; i < ink.length; i++) ink[i] = Math.min(1, ink[i] / strong);
  const threshold = Math.max(0.15, otsu(ink));
  for (let i = 0; i < ink.length; i++) ink[i] = ink[i] < threshold ? 0 : Math.min(1, (ink[i] - threshold) / (1 - threshold) * 1.5);
  return mnistFromInk(ink, width, height, 0.05);
}

/** The median grey level of a picture's border (a frame of 4% of its shorter side): its background. */
function borderLevel(grey, width, height) {
  const border = [];
  const edge = Math.max(1, Math.round(Math.min(width, height) / 25));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < edge || y < edge || x >= width - edge || y >= height - edge) border.push(grey[y * width + x]);
    }
  }
  return quantile(border, 0.5);
}

/** Area-averaged resampling of a `width`×`height` plane to `w`×`h` (nearest pixel when enlarging). */
export function resample(plane, width, height, w, h) {
  const out = new Float32Array(w * h);
  const fx = width / w, fy = height / h;
  for (let y = 0; y < h; y++) {
    const sy0 = Math.floor(y * fy), sy1 = Math.max(sy0 + 1, Math.floor((y + 1) * fy));
    for (let x = 0; x < w; x++) {
      const sx0 = Math.floor(x * fx), sx1 = Math.max(sx0 + 1, Math.floor((x + 1) * fx));
      let sum = 0;
      for (let sy = sy0; sy < Math.min(sy1, height); sy++) for (let sx = sx0; sx < Math.min(sx1, width); sx++) sum += plane[sy * width + sx];
      out[y * w + x] = sum / ((Math.min(sy1, height) - sy0) * (Math.min(sx1, width) - sx0));
    }
  }
  return out;
}

/**
 * A photo of one object (a garment on a plain background) -> Float32Array(784) in
 * Fashion-MNIST's form (light object on black), or null if nothing stands out: grey;
 * the background's level read off the picture's border, and each pixel's difference
 * from it (inverted when the background is light, as Fashion-MNIST's product photos
 * were); cropped to the object, its longer side fitted to 28 and centred.
 */
export function objectFromPhoto(rgba, width, height) {
  const grey = luminance(rgba, width, height);
  const background = borderLevel(grey, width, height);
  const light = background > 0.5;
  const object = Float32Array.from(grey, (g) => Math.max(0, light ? background - g : g - background));
  const strong = quantile(object, 0.995);
  if (!(strong > 0.05)) return null;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let i = 0; i < object.length; i++) {
    object[i] = Math.min(1, object[i] / strong);
    if (object[i] > 0.1) {
      const x = i % width, y = Math.floor(i / width);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) crop[y * w + x] = object[(y + y0) * width + x + x0];
  const scale = SIDE / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale)), th = Math.max(1, Math.round(h * scale));
  const fitted = resample(crop, w, h, tw, th);
  const out = new Float32Array(SIDE * SIDE);
  const left = Math.floor((SIDE - tw) / 2), top = Math.floor((SIDE - th) / 2);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(y + top) * SIDE + x + left] = fitted[y * tw + x];
  return out;
}

/**
 * Any picture -> an input of `view` (render.js viewOf: channels, height, width, range):
 * resized to the input's height and width; three channels are its red, green and blue,
 * others its luminance; values scaled from [0, 1] to the input range.
 */
export function fitPicture(rgba, width, height, { c, h, w, low, high }) {
  const grey = luminance(rgba, width, height);
  const planes = c === 3
    ? [0, 1, 2].map((k) => Float32Array.from({ length: width * height }, (_, i) => rgba[4 * i + k] / 255))
    : Array.from({ length: c }, () => grey);
  const out = new Float32Array(c * h * w);
  planes.forEach((plane, k) => out.set(resample(plane, width, height, w, h).map((v) => low + (high - low) * v), k * h * w));
  return out;
}
