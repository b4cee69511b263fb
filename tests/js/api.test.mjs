// The JavaScript API under random calls, in Node: thousands of calls to every
// exported function, good and bad mixed, with odd types, typed arrays of every
// kind, odd numbers and unknown keys. Every call must return or throw a JavaScript
// Error with a message (never a WebAssembly trap), and the module must keep giving
// the same answers throughout. SEED=<n> replays another sequence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as lrp from "../../pkg/lrp.js";

const wasm = readFileSync(fileURLToPath(new URL("../../pkg/lrp_bg.wasm", import.meta.url)));
lrp.initSync({ module: wasm });

const SEED = Number(process.env.SEED ?? 20261130);
const CALLS = Number(process.env.CALLS ?? 4000);

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  return { next, int, pick };
}

const MODELS = lrp.models().map((m) => m.name);
const METHODS = lrp.methods().map((m) => m.name);
const PARAMETERS = [...new Set(lrp.methods().flatMap((m) => m.params.map((p) => p.name)))];
const OPTIONS = ["model", "target", "output", "zeroBias", "layers", "perLayer"];
const RULES = lrp.methods().filter((m) => m.kind === "rule").map((m) => m.name);
const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array];

function arbitrary(r, depth = 0) {
  const numbers = [0, -0, 1, -1, 0.5, 2, 3, 9, 10, 28, 29, 255, 784, 1e9, -1e9, 2 ** 53, 1e308, NaN, Infinity, -Infinity, 1e-300];
  switch (r.int(depth > 1 ? 6 : 12)) {
    case 0: return undefined;
    case 1: return null;
    case 2: return r.pick([true, false]);
    case 3: return r.pick(numbers);
    case 4: return r.pick(["", "cnn", "epsilon", "predicted", "one-hot", "score", "🙂", "a".repeat(1000), ...MODELS, ...METHODS]);
    case 5: return r.pick([10n, Symbol("s"), () => 1, new Date(0), /x/]);
    case 6: return pixels(r);
    case 7: return params(r, depth + 1);
    case 8: return Array.from({ length: r.int(5) }, () => arbitrary(r, depth + 1));
    case 9: return new Map([["model", "cnn"]]);
    case 10: return Object.freeze({ model: r.pick(MODELS) });
    default: return new Proxy({}, { get() { throw new Error("a getter that throws"); }, ownKeys() { return ["epsilon"]; },
      getOwnPropertyDescriptor() { return { enumerable: true, configurable: true }; } });
  }
}

/** Something that may or may not be an input: typed arrays of every kind and length, plain arrays. */
function pixels(r) {
  const length = r.pick([0, 1, 783, 784, 784, 784, 785, 1568]);
  const kind = r.int(4);
  if (kind === 0) return good(r);
  if (kind === 1) {
    const Type = r.pick(TYPED);
    const big = Type === BigInt64Array || Type === BigUint64Array;
    return Type.from({ length }, () => (big ? BigInt(r.int(3)) : r.pick([0, 1, 0.5, 2, 255, -1, NaN])));
  }
  if (kind === 2) return Array.from({ length }, () => r.pick([0, 1, 0.25, "0.5", null, NaN, 1e30, -0, {}]));
  return new Float32Array(length).map(() => r.pick([0, 1, 0.5, 1.0000001, -1e-9, NaN, Infinity]));
}

/** A valid input: 784 values in [0, 1]. */
function good(r) {
  return Float32Array.from({ length: 784 }, (_, i) => ((i * 7919 + r.int(1000)) % 1000) / 1000);
}

/** An object of options and parameters, mostly plausible, sometimes not. */
function params(r, depth) {
  const p = {};
  for (let k = r.int(5); k > 0; k--) {
    const key = r.pick([...OPTIONS, ...PARAMETERS, ...PARAMETERS, "unknown", "Model", "__proto__", "0"]);
    const value = r.next() < 0.6 ? plausible(r, key) : arbitrary(r, depth + 1);
    Object.defineProperty(p, key, { value, enumerable: true, writable: true, configurable: true });
  }
  // Now and then an object that is not plain: inherited keys, iterators or a frozen prototype.
  if (r.next() < 0.05) Object.setPrototypeOf(p, r.pick([[], new Map([["model", "cnn"]]), Object.freeze({ model: "cnn" }), null]));
  return p;
}

function plausible(r, key) {
  switch (key) {
    case "model": return r.pick([...MODELS, "resnet"]);
    case "target": return r.pick(["predicted", 0, 3, 9, 10, -1, 2.5, "7"]);
    case "output": return r.pick(["score", "one-hot", "all"]);
    case "zeroBias": case "perLayer": return r.pick([true, false, 1]);
    case "layers": return Array.from({ length: r.pick([2, 3, 4, 5]) }, () => r.pick([...RULES, "magic", 7]));
    // Small counts keep every call fast; the ranges' ends are the point.
    case "samples": case "steps": return r.pick([1, 2, 3, 0, -1, 1.5, 1001]);
    default: return r.pick([0, 0.1, 0.25, 1, 2, 3, 28, 29, 100, 101, -0.5, 1e-9, NaN]);
  }
}

/** Options of removal, evaluate and report: mostly plausible, small schedules so calls stay fast. */
function settings(r, depth) {
  const s = {};
  for (let k = r.int(5); k > 0; k--) {
    const key = r.pick(["removal", "steps", "stepPixels", "seed", "firstIndex", "order", "index", "images", "model", "target", "k", "bogus"]);
    const value = r.next() < 0.7 ? plausibleSetting(r, key) : arbitrary(r, depth + 1);
    Object.defineProperty(s, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return s;
}

function plausibleSetting(r, key) {
  switch (key) {
    case "removal": return r.pick(["zero", "road", "blur", "black"]);
    case "order": return r.pick(["morf", "lerf", "random", "MoRF"]);
    case "steps": return r.pick([1, 2, 3, 0, -1, 2.5, 785]);
    case "stepPixels": return r.pick([1, 50, 100, 784, 785, 0]);
    case "model": return r.pick([...MODELS, "resnet"]);
    case "target": return r.pick(["predicted", 0, 9, 10]);
    case "k": return r.pick([0, 50, 100, 45, 1e9]);
    case "images": return r.pick([true, false, "yes"]);
    default: return r.pick([0, 1, 7, -1, 2 ** 53, 1.5, NaN]);
  }
}

/** A tally as evaluate returns it (computed once), as it is, altered, or not a tally at all. */
let tally = null;
function tallies(r) {
  tally ??= lrp.evaluate(Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 7), Uint8Array.of(3), "epsilon",
    { model: "mlp-narrow" }, { steps: 2, stepPixels: 50 });
  const one = () => {
    if (r.next() < 0.5) return tally;
    const altered = structuredClone(tally);
    if (r.next() < 0.5) {
      const key = r.pick(Object.keys(altered));
      altered[key] = arbitrary(r, 1);
    } else {
      // Deeper: a curve or a class sum one value short or long, a count out of reach.
      const curve = r.pick(altered.curves);
      const key = r.pick(["score", "probability", "confidence", "flipped", "strongest"]);
      if (r.next() < 0.5) curve[key].pop(); else curve[key].push(1);
      if (r.next() < 0.3) altered.schedule.stepPixels = r.pick([0, -1, 1e9]);
      if (r.next() < 0.3) altered.classRelevance[r.int(10)] = [1, 2, 3];
    }
    return altered;
  };
  return r.next() < 0.8 ? Array.from({ length: r.int(4) }, one) : arbitrary(r);
}

/** A schedule of at most three steps (a longer one is correct, only slow). */
const small = (s) => (typeof s.steps === "number" && s.steps > 3 ? { ...s, steps: 3 } : s);

/** Method parameters that keep an evaluation quick: no occlusion at stride 1, few samples. */
function quick(p) {
  const q = Object.create(Object.getPrototypeOf(p));
  for (const [key, value] of Object.entries(p)) {
    if (key === "stride" || ((key === "samples" || key === "steps") && typeof value === "number" && value > 3)) continue;
    Object.defineProperty(q, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return q;
}

function call(r) {
  const f = r.pick(["explain", "explain", "explain", "classify", "methods", "models", "removal", "evaluate", "report"]);
  const args = [];
  if (f === "explain") {
    args.push(r.next() < 0.7 ? good(r) : arbitrary(r));
    args.push(r.next() < 0.8 ? r.pick(METHODS) : arbitrary(r));
    args.push(r.next() < 0.8 ? params(r, 0) : arbitrary(r));
  } else if (f === "classify") {
    args.push(r.next() < 0.7 ? good(r) : arbitrary(r));
    args.push(r.next() < 0.6 ? r.pick(MODELS) : arbitrary(r));
  } else if (f === "removal") {
    args.push(r.next() < 0.7 ? good(r) : arbitrary(r));
    args.push(r.next() < 0.7 ? good(r) : arbitrary(r));
    args.push(r.next() < 0.8 ? small({ steps: 2, stepPixels: 50, ...settings(r, 0) }) : arbitrary(r));
  } else if (f === "evaluate") {
    args.push(r.next() < 0.7 ? Float32Array.from([...good(r), ...good(r)]) : arbitrary(r));
    args.push(r.next() < 0.5 ? null : r.next() < 0.6 ? Uint8Array.from([r.int(12), r.int(10)]) : arbitrary(r));
    args.push(r.next() < 0.8 ? r.pick([...METHODS, "random", "random"]) : arbitrary(r));
    args.push(r.next() < 0.8 ? quick(params(r, 0)) : arbitrary(r));
    args.push(r.next() < 0.8 ? small({ steps: 2, stepPixels: 50, ...settings(r, 0) }) : arbitrary(r));
  } else if (f === "report") {
    args.push(tallies(r));
    args.push(r.next() < 0.8 ? settings(r, 0) : arbitrary(r));
  } else {
    for (let k = r.int(3); k > 0; k--) args.push(r.next() < 0.5 ? r.pick(MODELS) : arbitrary(r));
  }
  // A call that asks for much work is still a correct call, but keep the run short.
  if (f === "explain" && typeof args[2] === "object" && args[2] !== null && typeof args[1] === "string" && args[1].startsWith("occlusion")) delete args[2].stride;

  return { f, args };
}

const describe = (value) => {
  try {
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length})`;
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v))?.slice(0, 200);
  } catch {
    return String(typeof value);
  }
};

/** The canonical answer the module must keep giving. */
const reference = () => {
  const pixels = Float32Array.from({ length: 784 }, (_, i) => (i % 29) / 28);
  const e = lrp.explain(pixels, "epsilon-gamma-box", { model: "cnn" });
  return { relevance: Array.from(e.relevance), logits: Array.from(e.logits) };
};

test(`${CALLS} random calls to the JavaScript API return or throw an Error, and the module keeps working`, () => {
  const r = generator(SEED);
  const before = reference();
  const counts = { returned: 0, threw: 0 };
  const messages = new Set();
  for (let i = 0; i < CALLS; i++) {
    const { f, args } = call(r);
    let result;
    try {
      result = lrp[f](...args);
    } catch (error) {
      const what = `call ${i} (SEED=${SEED}): ${f}(${args.map(describe).join(", ")})`;
      assert.ok(!(error instanceof WebAssembly.RuntimeError), `${what} trapped: ${error}`);
      // Our errors are plain Errors; a TypeError or RangeError would come from the glue, not from a check.
      assert.equal(error?.constructor, Error, `${what} threw ${error?.constructor?.name}: ${String(error)}`);
      assert.ok(typeof error.message === "string" && error.message.length > 3, `${what}: empty message`);
      messages.add(error.message.split(":")[0]);
      counts.threw++;
      continue;
    }
    counts.returned++;
    assert.equal(typeof result, "object", `${f} returned ${typeof result}`);
    if (f === "explain") {
      assert.ok(result.relevance instanceof Float32Array && result.relevance.length === 784);
      assert.ok(result.relevance.every(Number.isFinite), `call ${i}: non-finite relevance`);
    }
    if (f === "removal") {
      assert.ok(result.probability.every((p) => p >= 0 && p <= 1), `call ${i}: a probability out of [0, 1]`);
      assert.ok(result.confidence.every((c) => c >= 0 && c <= 1), `call ${i}: a confidence out of [0, 1]`);
    }
    if (f === "report") assert.ok(Array.isArray(result.rows) && result.rows.every((row) => Number.isFinite(row.aopc)));
    if (i % 500 === 0) assert.deepEqual(reference(), before, `call ${i}: the module's answers changed`);
  }
  assert.deepEqual(reference(), before, "the module's answers changed");
  // Both kinds of call were made in earnest.
  assert.ok(counts.returned > CALLS / 5 && counts.threw > CALLS / 5, JSON.stringify(counts));
  assert.ok(messages.size > 15, `only ${messages.size} kinds of error: ${[...messages].join(" | ")}`);
});

test("a name where another type belongs is an Error, not a memory fault", () => {
  const pixels = new Float32Array(784);
  // Found by random calls: a number where a model name goes used to reach unchecked glue.
  for (let k = 0; k < 50; k++) {
    assert.throws(() => lrp.classify(pixels, 3), { name: "Error", message: /model: expected a model name/ });
    assert.throws(() => lrp.explain(pixels, 3, {}), { name: "Error", message: /method: expected a method name/ });
    assert.throws(() => lrp.methods({}), { name: "Error" });
  }
  assert.equal(lrp.classify(pixels, "cnn").model, "cnn");
});

test("loadModel registers an exported model for every function; random damage to its files throws an Error", () => {
  const fixture = (ext) => readFileSync(fileURLToPath(new URL(`../fixtures/lrp/models/bn-cnn.${ext}`, import.meta.url)));
  const json = fixture("json").toString("utf8");
  const weights = new Uint8Array(fixture("safetensors"));
  const spec = lrp.loadModel(json, weights);
  assert.equal(spec.name, "bn-cnn");
  assert.deepEqual(lrp.models().map((m) => m.name), [...MODELS, "bn-cnn"]);
  const pixels = new Float32Array(784).fill(0.5, 200, 500);
  const e = lrp.explain(pixels, "epsilon-gamma-box", { model: "bn-cnn" });
  assert.equal(e.relevance.length, 784);
  assert.equal(e.layers.length, spec.layers.length);
  assert.equal(lrp.classify(pixels, "bn-cnn").prediction, e.prediction);
  const { next, int } = generator(SEED);
  for (let round = 0; round < 200; round += 1) {
    const bytes = weights.slice(0, round % 2 ? weights.length : int(weights.length));
    for (let flips = int(4); flips > 0; flips -= 1) bytes[int(bytes.length)] = int(256);
    const text = round % 3 ? json : json.slice(0, int(json.length)) + (next() < 0.5 ? "}" : "");
    try {
      lrp.loadModel(text, bytes); // some damage leaves a valid model (a changed weight): then it is replaced
    } catch (error) {
      assert.ok(error instanceof Error && error.message.length > 0, String(error));
    }
  }
  assert.ok(lrp.unloadModel("bn-cnn"));
  assert.deepEqual(lrp.models().map((m) => m.name), MODELS, "back to the embedded models");
  assert.equal(lrp.explain(pixels, "epsilon-gamma-box", { model: "cnn" }).relevance.length, 784, "still working");
});
