// Beyond the drawn digit, in headless Chromium: the Fashion-MNIST network through the
// data set switch, a photo of a handwritten digit made into MNIST's form, a model of
// one's own dropped onto the page with a picture for it, and bad model files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, ROOT, browserSession, openDemo, settled, viaModule } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";
import { GALLERY as FASHION } from "../../www/gallery-fashion-mnist.js";

const session = browserSession();
const MODELS = join(ROOT, "tests/fixtures/lrp/models");
const WAIT = { timeout: 60_000 };

/** The first explanation of a new input (its id starts with `prefix`), once on screen. */
async function settledOn(page, prefix, want = {}) {
  await page.waitForFunction((prefix) => document.getElementById("prediction").dataset.input.startsWith(prefix), prefix, WAIT);
  return settled(page, want, 30_000);
}

/** Grey levels (0–1) of the 28×28 "what the network sees" canvas. */
const seen = (page) => page.$eval("#input", (canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  return Array.from({ length: data.length / 4 }, (_, i) => data[4 * i] / 255);
});

function correlation(a, b) {
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0, aa = 0, bb = 0;
  a.forEach((x, i) => { ab += (x - ma) * (b[i] - mb); aa += (x - ma) ** 2; bb += (b[i] - mb) ** 2; });
  return ab / Math.sqrt(aa * bb);
}

/** The best correlation of two 28×28 images over shifts of up to a pixel (centring by mass rounds to whole pixels). */
function shiftedCorrelation(a, b) {
  const shift = (v, dx, dy) => Array.from({ length: 784 }, (_, i) => {
    const x = (i % 28) - dx, y = Math.floor(i / 28) - dy;
    return x >= 0 && x < 28 && y >= 0 && y < 28 ? v[y * 28 + x] : 0;
  });
  let best = -1;
  for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) best = Math.max(best, correlation(shift(a, dx, dy), b));
  return best;
}

test("the data set switch shows Fashion-MNIST's network with its gallery, class names, comparison and evaluation", async () => {
  const { page, log } = await openDemo(session.browser, session.server);
  assert.deepEqual(await page.$$eval("#dataset option", (list) => list.map((o) => o.value)), ["mnist", "fashion-mnist"]);
  assert.equal(await page.isVisible("#dataset"), true);
  // Its network is not in the wasm module: its files are fetched when it is first shown.
  const shippedFiles = () => log.requests.filter((url) => url.includes("/weights/fashion-cnn."));
  assert.deepEqual(shippedFiles(), []);
  await page.selectOption("#dataset", "fashion-mnist");
  const shown = await settled(page, { model: "fashion-cnn", input: `gallery:${FASHION[0].index}` }, 30_000);
  assert.equal(await page.getAttribute("body", "data-group"), "fashion-mnist");
  assert.deepEqual(await page.$$eval("#model option", (list) => list.map((o) => o.value)), ["fashion-cnn"]);
  assert.equal(await page.isVisible("#pad"), false, "clothes are not drawn");
  assert.equal(await page.$$eval(".gallery button", (list) => list.length), FASHION.length);

  // Every gallery item tried here: the page's answer is the module's, shown by class name.
  assert.equal(shippedFiles().length, 2);
  const { classes, predictions } = await viaModule(page, async (m, items) => {
    const [description, weights] = await Promise.all([fetch("/weights/fashion-cnn.json").then((r) => r.text()),
      fetch("/weights/fashion-cnn.safetensors").then((r) => r.arrayBuffer())]);
    m.loadModel(description, new Uint8Array(weights));
    return {
      classes: m.models().find((x) => x.name === "fashion-cnn").classes,
      predictions: items.map((bytes) => m.classify(Float32Array.from(bytes, (v) => v / 255), "fashion-cnn").prediction),
    };
  }, FASHION.slice(0, 4).map((item) => Array.from(item.pixels)));
  const fetched = shippedFiles().length; // the page's two, and this test's own
  assert.equal(classes[9], "Ankle boot");
  assert.equal(Number(shown.prediction), predictions[0]);
  assert.equal(await page.textContent("#prediction .digit"), classes[predictions[0]]);
  assert.deepEqual(await page.$$eval("#probabilities .label", (list) => list.map((l) => l.textContent)), classes);
  for (const [i, item] of FASHION.slice(1, 4).entries()) {
    await page.click(`.gallery button[data-index="${item.index}"]`);
    const next = await settled(page, { input: `gallery:${item.index}` });
    assert.equal(Number(next.prediction), predictions[i + 1], `item #${item.index}`);
  }
  assert.match(await page.getAttribute(`.gallery button[data-index="${FASHION[0].index}"]`, "aria-label"), /labelled Ankle boot/);
  // The per-layer view: the pixels, conv 1, pool 1, conv 2, pool 2, dense 1 and the output, with their books.
  assert.equal(await page.$$eval("#flow canvas", (list) => list.length), 7, "a picture per stage");
  assert.ok(await page.$$eval("#books tbody tr", (list) => list.length) >= 4, "a row per layer with weights at least");

  // The comparison grid: every method on the one Fashion-MNIST network.
  await page.click("#compare summary");
  await page.waitForSelector("#compare[data-complete=true]", WAIT);
  const cells = await page.$$eval("#compare button.cell", (list) => list.map((b) => b.dataset.model));
  assert.ok(cells.length > 10 && cells.every((m) => m === "fashion-cnn"), cells.join(" "));

  // The evaluation, on Fashion-MNIST's test split.
  await page.click("#evaluate summary");
  await page.selectOption("#evaluate-count", "100");
  await page.$$eval("#evaluate-methods input", (list) => list.forEach((c) => { c.checked = c.value === "epsilon"; }));
  await page.click("#evaluate-run");
  await page.waitForSelector("#evaluate[data-state=done]", WAIT);
  assert.deepEqual(await page.$$eval("#evaluate-table tbody tr", (list) => list.map((r) => r.dataset.method).sort()), ["epsilon", "random"]);
  assert.match(await page.textContent("#evaluate-status"), /on 100 test images \(fashion-cnn/);

  // And back to digits, drawn again.
  await page.selectOption("#dataset", "mnist");
  await settled(page, { model: "cnn", input: `gallery:${GALLERY[0].index}` }, 30_000);
  assert.equal(await page.isVisible("#pad"), true);
  // Shown again, the network is there already.
  await page.selectOption("#dataset", "fashion-mnist");
  await settled(page, { model: "fashion-cnn", input: `gallery:${FASHION[0].index}` }, 30_000);
  assert.equal(shippedFiles().length, fetched, "loaded once");
  assert.deepEqual(log.errors, []);
});

test("a photo of a digit on unevenly lit paper is made into MNIST's form, shown, and read right", async () => {
  const { page, log } = await openDemo(session.browser, session.server);
  const digits = GALLERY.filter((g) => !g.misclassified).slice(2, 5);
  for (const [n, digit] of digits.entries()) {
    // Dark ink on paper lit from one side, with grain: the digit, enlarged to 180 px, in a 320×240 photo.
    const png = await page.evaluate(async ({ pixels, seed }) => {
      const [W, H, S, X, Y] = [320, 240, 180, 80 + 10 * seed, 30];
      let state = 12345 + seed;
      const noise = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 16;
      const canvas = new OffscreenCanvas(W, H);
      const context = canvas.getContext("2d");
      const image = context.createImageData(W, H);
      const ink = (x, y) => { // bilinear in the 28×28 digit
        const u = Math.min(27, Math.max(0, ((x - X) / S) * 28 - 0.5)), v = Math.min(27, Math.max(0, ((y - Y) / S) * 28 - 0.5));
        const [x0, y0] = [Math.floor(u), Math.floor(v)], [x1, y1] = [Math.min(27, x0 + 1), Math.min(27, y0 + 1)];
        const [fx, fy] = [u - x0, v - y0];
        const at = (i, j) => pixels[j * 28 + i] / 255;
        return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
      };
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const paper = 140 + 105 * (0.7 * x / W + 0.3 * y / H) + noise();
          const inside = x >= X && x < X + S && y >= Y && y < Y + S;
          const g = paper * (1 - 0.8 * (inside ? ink(x, y) : 0));
          image.data.set([g, g * 0.98, g * 0.93, 255], 4 * (y * W + x));
        }
      }
      context.putImageData(image, 0, 0);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
      let text = "";
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    }, { pixels: Array.from(digit.pixels), seed: n });
    await page.setInputFiles("#picture-file", { name: `digit-${n}.png`, mimeType: "image/png", buffer: Buffer.from(png, "base64") });
    await page.waitForFunction((n) => document.getElementById("prediction").dataset.input === `picture:${n + 1}`, n, WAIT);
    const shown = await settled(page);
    const made = await seen(page);
    const original = Array.from(digit.pixels, (v) => v / 255);
    const r = shiftedCorrelation(made, original);
    assert.ok(r > 0.85, `digit #${digit.index}: the input made from the photo correlates ${r.toFixed(2)} with the digit`);
    const now = await page.$eval("#prediction", (el) => el.dataset.prediction);
    assert.equal(Number(now), digit.label, `digit #${digit.index} (a ${digit.label}) photographed: ${shown.prediction}`);
    if (n === 0) await page.screenshot({ path: join(ARTIFACTS, "photo.png") });
  }
  assert.equal(await page.textContent("#picture-status"), "");
  // A blank page is refused with a reason, and what was shown stays.
  const blank = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 48);
    const context = canvas.getContext("2d");
    context.fillStyle = "#eeeeee";
    context.fillRect(0, 0, 64, 48);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
    return btoa(String.fromCharCode(...bytes));
  });
  await page.setInputFiles("#picture-file", { name: "blank.png", mimeType: "image/png", buffer: Buffer.from(blank, "base64") });
  await page.waitForFunction(() => document.getElementById("picture-status").textContent.includes("no ink"), null, WAIT);
  assert.match(await page.$eval("#prediction", (el) => el.dataset.input), /^picture:/);

  // The camera (Chromium's synthetic one here): its frame is taken like a photo, and the camera is closed.
  await page.click("#camera");
  await page.waitForFunction(() => document.getElementById("camera-view").videoWidth > 0, null, WAIT);
  assert.equal(await page.isVisible("#camera-box"), true);
  const before = await page.$eval("#prediction", (el) => el.dataset.input);
  await page.click("#camera-shoot");
  await page.waitForFunction((before) => document.getElementById("prediction").dataset.input !== before ||
    document.getElementById("picture-status").textContent.startsWith("Could not use"), before, WAIT);
  assert.equal(await page.isVisible("#camera-box"), false);
  assert.equal(await page.$eval("#camera-view", (v) => v.srcObject?.getTracks().some((t) => t.readyState === "live") ?? false), false);
  assert.deepEqual(log.errors, []);
});

test("a model and a picture dropped onto the page are explained there, as the module explains them", async () => {
  const { page, log } = await openDemo(session.browser, session.server);
  const json = readFileSync(join(MODELS, "rgb-cnn.json"), "utf8");
  const weights = readFileSync(join(MODELS, "rgb-cnn.safetensors")).toString("base64");
  // A 32×32 RGB picture: a gradient with a red square.
  const picture = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(32, 32);
    const context = canvas.getContext("2d");
    const gradient = context.createLinearGradient(0, 0, 32, 32);
    gradient.addColorStop(0, "#204080");
    gradient.addColorStop(1, "#f0c040");
    context.fillStyle = gradient;
    context.fillRect(0, 0, 32, 32);
    context.fillStyle = "#ff2020";
    context.fillRect(8, 8, 12, 12);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
    const rgba = Array.from(context.getImageData(0, 0, 32, 32).data);
    return { png: btoa(String.fromCharCode(...bytes)), rgba };
  });
  const drop = async (files) => {
    const transfer = await page.evaluateHandle((files) => {
      const data = new DataTransfer();
      for (const { name, type, base64, text } of files) {
        const body = text ?? Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        data.items.add(new File([body], name, { type }));
      }
      return data;
    }, files);
    await page.dispatchEvent("#heatmap", "drop", { dataTransfer: transfer });
  };
  await drop([{ name: "rgb-cnn.json", type: "application/json", text: json },
    { name: "rgb-cnn.safetensors", type: "application/octet-stream", base64: weights }]);
  await page.waitForSelector('body[data-group="model:rgb-cnn"]', WAIT);
  assert.match(await page.textContent("#model-files-status"), /Loaded rgb-cnn: 8 layers, input 3×32×32, 10 classes/);
  assert.deepEqual(await page.$$eval("#dataset option", (list) => list.map((o) => o.value)), ["mnist", "fashion-mnist", "model:rgb-cnn"]);
  assert.equal(await page.$eval("#input", (c) => `${c.width}×${c.height}`), "32×32");

  await drop([{ name: "square.png", type: "image/png", base64: picture.png }]);
  const shown = await settledOn(page, "picture:", { model: "rgb-cnn" });
  const expected = await viaModule(page, (m, { json, weights, rgba }) => {
    m.loadModel(json, Uint8Array.from(atob(weights), (c) => c.charCodeAt(0)));
    const n = 32 * 32;
    const pixels = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) pixels[k * n + i] = rgba[4 * i + k] / 255;
    const e = m.explain(pixels, "epsilon-gamma-box", { model: "rgb-cnn" });
    return { prediction: e.prediction, name: m.models().find((x) => x.name === "rgb-cnn").classes[e.prediction] };
  }, { json, weights, rgba: picture.rgba });
  assert.equal(Number(shown.prediction), expected.prediction);
  assert.equal(await page.textContent("#prediction .digit"), expected.name);
  // The heatmap is drawn: coloured pixels over the picture.
  const coloured = await page.$eval("#heatmap", (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - data[i + 2]) > 40) n++;
    return n / (data.length / 4);
  });
  assert.ok(coloured > 0.05, `share of coloured heatmap pixels ${coloured}`);
  await page.screenshot({ path: join(ARTIFACTS, "own-model.png") });

  // Every method runs on it, through the comparison grid.
  await page.click("#compare summary");
  await page.waitForSelector("#compare[data-complete=true]", WAIT);
  const states = await page.$$eval("#compare button.cell", (list) => list.map((b) => b.dataset.state));
  assert.ok(states.length > 10 && states.every((s) => s === "done"), states.join(" "));
  assert.deepEqual(log.errors, []);
});

test("bad model files are refused with what is wrong, and the page keeps working", async () => {
  const { page, log } = await openDemo(session.browser, session.server);
  const json = readFileSync(join(MODELS, "flat-mlp.json"), "utf8");
  const weights = readFileSync(join(MODELS, "flat-mlp.safetensors"));
  const cases = [
    [[{ name: "flat-mlp.json", mimeType: "application/json", buffer: Buffer.from(json) }], "choose both files"],
    [[{ name: "flat-mlp.json", mimeType: "application/json", buffer: Buffer.from(json) },
      { name: "flat-mlp.safetensors", mimeType: "application/octet-stream", buffer: weights.subarray(0, 500) }], "weights file is not valid"],
    [[{ name: "flat-mlp.json", mimeType: "application/json", buffer: Buffer.from(json.replace('"ReLU"', '"GELU"')) },
      { name: "flat-mlp.safetensors", mimeType: "application/octet-stream", buffer: weights }], "unknown variant `GELU`"],
    [[{ name: "cnn.json", mimeType: "application/json", buffer: Buffer.from(json.replace('"flat-mlp"', '"cnn"')) },
      { name: "flat-mlp.safetensors", mimeType: "application/octet-stream", buffer: weights }], "is an embedded model's"],
  ];
  for (const [files, message] of cases) {
    await page.setInputFiles("#model-files", files);
    await page.waitForFunction((message) => document.getElementById("model-files-status").textContent.includes(message), message, WAIT);
    assert.match(await page.textContent("#model-files-status"), /^Could not load your network: /);
  }
  assert.deepEqual(await page.$$eval("#dataset option", (list) => list.map((o) => o.value)), ["mnist", "fashion-mnist"]);
  await page.click(`.gallery button[data-index="${GALLERY[3].index}"]`);
  await settled(page, { model: "cnn", input: `gallery:${GALLERY[3].index}` });
  assert.deepEqual(log.errors, []);
});
