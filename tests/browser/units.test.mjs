// Unit tests of the page's plain-JavaScript parts, run by Node without a browser:
// the MNIST preprocessing of drawings, pictures made into inputs, and the worker
// client's coalescing and its handing of brought models to every worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mnistFromInk, downsample, measure, BOX, boxBlur, otsu, mnistFromPhoto, objectFromPhoto, fitPicture, resample }
  from "../../www/preprocess.js";
import { GALLERY } from "../../www/gallery.js";

const decode = (bytes) => Float32Array.from(bytes, (v) => v / 255);

/** A side×side ink image with a filled rectangle (soft edges are not needed). */
function rectangle(side, x0, y0, w, h) {
  const ink = new Float32Array(side * side);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) ink[y * side + x] = 1;
  return ink;
}

test("a drawing is cropped, fitted to 20×20 keeping its aspect ratio, and centred by its mass", () => {
  // A tall bar, far from the centre of a 280×280 pad.
  const out = mnistFromInk(rectangle(280, 10, 150, 30, 120), 280, 280);
  const m = measure(out);
  assert.equal(out.length, 784);
  assert.ok(out.every((v) => v >= 0 && v <= 1));
  assert.equal(m.height, BOX, "the long side fills 20 pixels");
  assert.ok(Math.abs(m.width - 5) <= 1, `aspect ratio kept: 30×120 -> 5×20, got width ${m.width}`);
  // Shifted by whole pixels, as MNIST: the centre of mass is within half a pixel of (14, 14).
  assert.ok(Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5, `centre of mass at (14, 14), got (${m.cx}, ${m.cy})`);
  // Area averaging: the ink's total is the rectangle's area scaled down (no ink lost or made up).
  assert.ok(Math.abs(m.mass - (30 * 120) * (20 / 120) ** 2) < 1e-3, `mass ${m.mass}`);
  // Anti-aliased: the bar's edges are grey, not only 0 or 1.
  assert.ok(out.some((v) => v > 0.05 && v < 0.95), "grey levels at the edges");
});

test("an empty pad gives no input; a wide stroke is fitted by its width", () => {
  assert.equal(mnistFromInk(new Float32Array(280 * 280), 280, 280), null);
  const m = measure(mnistFromInk(rectangle(280, 20, 20, 200, 10), 280, 280));
  assert.equal(m.width, BOX);
  assert.ok(m.height <= 2, `a 1-pixel-high bar (maybe split over two rows), got ${m.height}`);
  assert.ok(Math.abs(m.cy - 14) <= 0.5);
});

test("preprocessing a real MNIST digit changes it little (it was made the same way)", () => {
  for (const item of GALLERY.slice(0, 20)) {
    const digit = decode(item.pixels);
    // Upscale ×10 as if drawn on the pad, then preprocess back to 28×28.
    const big = new Float32Array(280 * 280);
    for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) big[y * 280 + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
    const again = mnistFromInk(big, 280, 280, 0.4);
    let dot = 0, a = 0, b = 0;
    for (let i = 0; i < 784; i++) { dot += digit[i] * again[i]; a += digit[i] ** 2; b += again[i] ** 2; }
    const cosine = dot / Math.sqrt(a * b);
    assert.ok(cosine > 0.8, `digit #${item.index}: cosine similarity ${cosine.toFixed(3)}`);
  }
});

test("downsampling averages 10×10 blocks", () => {
  const ink = rectangle(280, 0, 0, 15, 10); // one full block and half of the next
  const out = downsample(ink, 280);
  assert.equal(out[0], 1);
  assert.equal(out[1], 0.5);
  assert.equal(out[28], 0);
});

/** A stand-in Worker that answers "hello" at once and jobs only when the test says so, and records the jobs it was sent. */
class FakeWorker {
  static last;
  constructor() {
    this.sent = [];
    this.listeners = { message: [], error: [] };
    FakeWorker.last = this;
  }
  addEventListener(type, f) { this.listeners[type].push(f); }
  terminate() { this.terminated = true; }
  postMessage(data) {
    if (data.kind === "hello") queueMicrotask(() => this.reply({ type: "ready", models: [], methods: [] }));
    else this.sent.push(data);
  }
  reply(data) { for (const f of this.listeners.message) f({ data }); }
  /** Answers the oldest unanswered job with its own name. */
  answer() {
    const job = this.sent[this.answered = (this.answered ?? 0)];
    this.answered++;
    this.reply({ type: "result", id: job.id, ok: true, result: job.name });
  }
}

test("the worker client computes only the newest waiting request, and the background only when idle", async () => {
  globalThis.Worker = FakeWorker;
  const { LrpClient } = await import("../../www/lrp-client.js");
  const client = new LrpClient("worker.js");
  await client.ready;
  const worker = FakeWorker.last;

  const first = client.latest({ name: "first" }); // sent at once
  const stale = [2, 3, 4, 5].map((i) => client.latest({ name: `drawing ${i}` })); // wait, replacing each other
  const newest = client.latest({ name: "newest" });
  assert.deepEqual(worker.sent.map((j) => j.name), ["first"], "one job at a time in the worker");
  assert.equal(client.pending(), true);

  const background = [];
  client.background([{ name: "grid a" }, { name: "grid b" }], (job, result) => background.push(result));
  worker.answer();
  assert.equal(await first, "first");
  for (const p of stale) assert.equal(await p, null, "superseded requests are never computed");
  assert.deepEqual(worker.sent.map((j) => j.name), ["first", "newest"], "the newest request goes before the background");
  worker.answer();
  assert.equal(await newest, "newest");
  assert.equal(client.pending(), false);

  // Background: paused while drawing, replaced wholesale when the input changes.
  assert.equal(worker.sent.at(-1).name, "grid a");
  client.pause(true);
  worker.answer();
  await Promise.resolve();
  assert.deepEqual(background, ["grid a"]);
  assert.equal(worker.sent.length, 3, "nothing new is sent while paused");
  client.background([{ name: "grid c" }], (job, result) => background.push(result));
  client.pause(false);
  assert.equal(worker.sent.at(-1).name, "grid c", "the replaced queue (grid b) is dropped");
  worker.answer();
  await Promise.resolve();
  assert.deepEqual(background, ["grid a", "grid c"]);
});

test("explainers sharing one worker: each channel keeps its newest request, they take turns, and the background waits for every pen", async () => {
  globalThis.Worker = FakeWorker;
  const { LrpClient } = await import("../../www/lrp-client.js");
  const client = new LrpClient("worker.js");
  await client.ready;
  const worker = FakeWorker.last;
  const a1 = client.latest({ name: "a1" }, "a"); // sent at once
  const a2 = client.latest({ name: "a2" }, "a");
  const b1 = client.latest({ name: "b1" }, "b");
  const a3 = client.latest({ name: "a3" }, "a"); // replaces a2, and goes behind b1
  assert.equal(await a2, null, "a newer request of the same channel replaces it");
  assert.equal(client.pending("a"), true);
  assert.equal(client.pending("c"), false);
  const grid = [];
  client.background([{ name: "grid of b" }], (job, result) => grid.push(result), "compare:b");
  client.background([{ name: "removal of a" }], (job, result) => grid.push(result), "removal:a");
  client.pause(true, "a");
  client.pause(true, "b");
  worker.answer();
  worker.answer();
  worker.answer();
  assert.deepEqual([await a1, await b1, await a3], ["a1", "b1", "a3"]);
  assert.deepEqual(worker.sent.map((j) => j.name), ["a1", "b1", "a3"], "the channels take turns");
  client.pause(false, "a");
  assert.equal(worker.sent.length, 3, "b's pen is still down: no background");
  client.pause(false, "b");
  assert.equal(worker.sent.at(-1).name, "removal of a", "removal comes before a comparison grid, whoever's");
  worker.answer();
  worker.answer();
  await Promise.resolve();
  assert.deepEqual(grid, ["removal of a", "grid of b"]);
  assert.equal(client.pending(), false);
});

test("a worker whose module crashed is never used again: its job fails, a fresh one runs the next", async () => {
  globalThis.Worker = FakeWorker;
  const { LrpClient } = await import("../../www/lrp-client.js");
  const client = new LrpClient("worker.js");
  await client.ready;
  const first = FakeWorker.last;
  const crashing = client.latest({ name: "crash" });
  const waiting = client.latest({ name: "after" }); // queued behind it
  const queued = client.latest({ name: "newest" });
  assert.equal(await waiting, null, "replaced while waiting");
  first.reply({ type: "result", id: first.sent[0].id, ok: false, crashed: true, error: "RuntimeError: unreachable" });
  await assert.rejects(crashing, /the module crashed and was restarted: RuntimeError: unreachable/);
  assert.equal(first.terminated, true);
  assert.equal(client.restarts, 1);
  const second = FakeWorker.last;
  assert.notEqual(second, first);
  assert.equal(first.sent.length, 1, "nothing more goes to the crashed worker");
  await new Promise((done) => setTimeout(done, 0)); // the new worker says it is ready
  assert.deepEqual(second.sent.map((j) => j.name), ["newest"]);
  first.reply({ type: "result", id: 99, ok: true, result: "ghost" }); // a late word from the old one changes nothing
  second.answer();
  assert.equal(await queued, "newest");
  // An ordinary error is not a crash: the same worker goes on.
  const refused = client.latest({ name: "bad" });
  second.reply({ type: "result", id: second.sent[1].id, ok: false, error: "epsilon: expected a number" });
  await assert.rejects(refused, /^Error: epsilon: expected a number$/);
  assert.equal(FakeWorker.last, second);
  assert.equal(client.restarts, 1);
});

/** RGBA bytes of a width×height picture whose grey level at (x, y) is grey(x, y) (0–255). */
function picture(width, height, grey) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const g = grey(x, y);
    rgba.set([g, g, g, 255], 4 * (y * width + x));
  }
  return rgba;
}

test("the picture helpers: a box blur, Otsu's threshold and resampling, against values worked out by hand", () => {
  // 3×1 row [0, 3, 6], radius 1: means of [0, 3], [0, 3, 6], [3, 6].
  assert.deepEqual(Array.from(boxBlur(Float32Array.of(0, 3, 6), 3, 1, 1)), [1.5, 3, 4.5]);
  // Two clusters, at 0.1 and 0.8: the threshold falls between them.
  const t = otsu(Float32Array.from({ length: 100 }, (_, i) => (i < 70 ? 0.1 : 0.8)));
  assert.ok(t > 0.1 && t <= 0.8, `threshold ${t}`);
  // 4×2 -> 2×1: each output the mean of a 2×2 block; 1×1 -> 2×2: the nearest pixel.
  assert.deepEqual(Array.from(resample(Float32Array.of(0, 2, 4, 8, 2, 4, 6, 10), 4, 2, 2, 1)), [2, 7]);
  assert.deepEqual(Array.from(resample(Float32Array.of(5), 1, 1, 2, 2)), [5, 5, 5, 5]);
});

test("a photo of dark ink on unevenly lit paper gives the input the same ink drawn gives", () => {
  // A bar, 20 px wide and 120 tall, dark on paper whose light goes from 120 to 250 across the picture.
  const [w, h] = [200, 160];
  const inBar = (x, y) => x >= 90 && x < 110 && y >= 20 && y < 140;
  const photo = picture(w, h, (x, y) => (inBar(x, y) ? 30 : 120 + 130 * (x / w)));
  const fromPhoto = mnistFromPhoto(photo, w, h);
  const drawn = mnistFromInk(Float32Array.from({ length: w * h }, (_, i) => (inBar(i % w, Math.floor(i / w)) ? 1 : 0)), w, h);
  const [a, b] = [measure(fromPhoto), measure(drawn)];
  assert.equal(a.height, 20);
  assert.ok(Math.abs(a.width - b.width) <= 1, `widths ${a.width} and ${b.width}`);
  assert.ok(Math.abs(a.cx - b.cx) <= 1 && Math.abs(a.cy - b.cy) <= 1, "in the same place");
  assert.ok(Math.abs(a.mass - b.mass) / b.mass < 0.25, `ink ${a.mass} against ${b.mass}: the gradient of the paper is not ink`);
  // Light ink on black (an MNIST image itself) is read the other way round.
  const inverted = Uint8ClampedArray.from(photo, (v, i) => (i % 4 === 3 ? 255 : 255 - v));
  const back = measure(mnistFromPhoto(inverted, w, h));
  assert.equal(back.height, 20);
  assert.ok(Math.abs(back.cx - a.cx) <= 1, "the same bar");
  // Paper in dim light (darker than mid-grey) is still paper, and the ink darker still.
  const dim = measure(mnistFromPhoto(picture(w, h, (x, y) => (inBar(x, y) ? 25 : 100)), w, h));
  assert.equal(dim.height, 20);
  assert.ok(Math.abs(dim.width - b.width) <= 1, `width ${dim.width}`);
  // Paper alone, however unevenly lit, has no ink.
  assert.equal(mnistFromPhoto(picture(w, h, (x) => 120 + 130 * (x / w)), w, h), null);
});

test("a photo of an object on a light background gives a light object on black, fitted to 28 and centred", () => {
  // A dark 40×80 garment on white, off-centre.
  const [w, h] = [200, 150];
  const out = objectFromPhoto(picture(w, h, (x, y) => (x >= 20 && x < 60 && y >= 30 && y < 110 ? 40 : 245)), w, h);
  const m = measure(out);
  assert.equal(m.height, 28, "the longer side fills the 28 pixels");
  assert.equal(m.width, 14, "the aspect ratio is kept: 40×80 -> 14×28");
  assert.ok(Math.abs(m.cx - 13.5) <= 0.5, `centred: ${m.cx}`);
  assert.equal(out[0], 0, "the background is black");
  assert.ok(Math.max(...out) > 0.95, "the object is light");
  assert.equal(objectFromPhoto(picture(w, h, () => 245), w, h), null);
});

test("any picture is resized to the model's input: colour channels or grey, in the input's range", () => {
  // 2×2 RGBA: red, green, blue, white -> 1×1: the mean of each channel.
  const rgba = Uint8ClampedArray.of(255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255);
  assert.deepEqual(Array.from(fitPicture(rgba, 2, 2, { c: 3, h: 1, w: 1, low: 0, high: 1 })), [0.5, 0.5, 0.5]);
  // Grey, in [-1, 1]: the luminance of each pixel scaled.
  const grey = Array.from(fitPicture(rgba, 2, 2, { c: 1, h: 2, w: 2, low: -1, high: 1 }));
  assert.deepEqual(grey.map((v) => Number(v.toFixed(3))), [-0.402, 0.174, -0.772, 1]);
});

test("a model the user brought is given to every worker: another client's, and a fresh one after a crash", async () => {
  globalThis.Worker = FakeWorker;
  const { LrpClient } = await import("../../www/lrp-client.js");
  const first = new LrpClient("worker.js");
  await first.ready;
  const a = FakeWorker.last;
  const loading = first.loadModel("{json}", Uint8Array.of(1, 2, 3));
  assert.equal(a.sent[0].kind, "loadModel");
  a.reply({ type: "result", id: a.sent[0].id, ok: true, result: { model: { name: "mine" }, methods: [] } });
  assert.equal((await loading).model.name, "mine");
  // The same worker is not given it twice.
  first.latest({ name: "explain with mine" });
  assert.deepEqual(a.sent.map((j) => j.kind ?? j.name), ["loadModel", "explain with mine"]);
  // A client started later (the evaluation's pool) gives it to its worker before its first job.
  const second = new LrpClient("worker.js");
  await second.ready;
  const b = FakeWorker.last;
  const job = second.run({ name: "evaluate with mine" });
  assert.deepEqual(b.sent.map((j) => j.kind ?? j.name), ["loadModel"]);
  assert.equal(b.sent[0].description, "{json}");
  b.answer();
  await Promise.resolve();
  assert.deepEqual(b.sent.map((j) => j.kind ?? j.name), ["loadModel", "evaluate with mine"]);
  b.answer();
  assert.equal(await job, "evaluate with mine");
  // After a crash, the fresh worker is given it again.
  const crash = second.latest({ name: "crash" });
  b.reply({ type: "result", id: b.sent[2].id, ok: false, crashed: true, error: "RuntimeError: unreachable" });
  await assert.rejects(crash);
  await new Promise((done) => setTimeout(done, 0));
  const c = FakeWorker.last;
  assert.notEqual(c, b);
  second.latest({ name: "after" });
  assert.deepEqual(c.sent.map((j) => j.kind ?? j.name), ["loadModel"]);
  c.answer();
  await Promise.resolve();
  assert.deepEqual(c.sent.map((j) => j.kind ?? j.name), ["loadModel", "after"]);
});
