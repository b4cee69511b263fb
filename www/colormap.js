// Diverging colour maps centred on zero, on a symmetric scale ±max|R|.
// Both are ColorBrewer maps (Cynthia Brewer, Penn State), white at zero.

const hex = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

export const COLORMAPS = {
  "red-blue": {
    label: "red / blue",
    positive: "red",
    negative: "blue",
    text: { for: "#b2182b", against: "#2166ac" },
    // ColorBrewer RdBu, from most negative to most positive.
    stops: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
      "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"].map(hex),
  },
  "orange-purple": {
    label: "orange / purple (colour-blind safe)",
    positive: "orange",
    negative: "purple",
    text: { for: "#b35806", against: "#542788" },
    // ColorBrewer PuOr, reversed so that positive is orange.
    stops: ["#2d004b", "#542788", "#8073ac", "#b2abd2", "#d8daeb", "#f7f7f7",
      "#fee0b6", "#fdb863", "#e08214", "#b35806", "#7f3b08"].map(hex),
  },
};

/** 256-entry RGB lookup table for a map: index 0 = −max, 128 ≈ 0, 255 = +max. */
const tables = new Map();
export function table(name) {
  if (tables.has(name)) return tables.get(name);
  const { stops } = COLORMAPS[name];
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = stops[k][c] * (1 - f) + stops[k + 1][c] * f;
  }
  tables.set(name, lut);
  return lut;
}

/** max |v| over an array (the symmetric scale), 0 for an all-zero array. */
export function maxAbs(values) {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** Numbers for people: 3 significant digits, no exponent for ordinary magnitudes. */
export function fmt(x, digits = 3) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1).replace("e", "e");
  return Number(x.toPrecision(digits)).toString();
}

/** Signed version of fmt for ranges ("+0.42", "−0.42"). */
export const signed = (x) => (x > 0 ? "+" : x < 0 ? "−" : "") + fmt(Math.abs(x));
