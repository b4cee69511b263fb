// The demo page in headless Chromium: what it shows must be what the module
// computes, drawing must work, every control must work, and nothing may leave
// the page's origin. No test waits for a fixed time: each waits for the page's
// own hooks (body[data-busy], #prediction[data-input], ...).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, openDemo as openDemoAt, settled, viaModule, browserSession } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const WAIT = { timeout: 15_000 };
const env = browserSession();

const openDemo = () => openDemoAt(env.browser, env.server);

/** Predictions of the three networks as listed on the page. */
const everyModelOnPage = (page) =>
  page.$$eval("#others li[data-model]", (items) => Object.fromEntries(items.map((li) => [li.dataset.model, Number(li.dataset.prediction)])));

/** A coarse signature of the heatmap canvas: the colour at the middle of each input pixel's block. */
const heatmapPixels = (page) => page.evaluate(() => {
  const canvas = document.getElementById("heatmap");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const step = canvas.width / 28;
  const out = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const i = (Math.floor((y + 0.5) * step) * canvas.width + Math.floor((x + 0.5) * step)) * 4;
      out.push(data[i], data[i + 1], data[i + 2]);
    }
  }
  return out;
});

async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download", WAIT), page.click(selector)]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

const sameOrigin = (url) => url.startsWith(`${env.server.url}/`) || url.startsWith(`blob:${env.server.url}/`) || url.startsWith("data:");

test("the page explains the first test digit in a worker and talks to no other origin", async () => {
  const { page, log } = await openDemo();
  const shown = await settled(page, { input: `gallery:${GALLERY[0].index}` });
  assert.equal(Number(shown.prediction), GALLERY[0].label);
  assert.equal(shown.model, "cnn");
  for (const [model, digit] of Object.entries(await everyModelOnPage(page))) assert.equal(digit, GALLERY[0].label, model);
  assert.deepEqual(page.workers().map((w) => new URL(w.url()).pathname), ["/www/worker.js"], "the module runs in one worker");
  assert.ok(log.requests.some((url) => url.endsWith("/pkg/lrp_bg.wasm")), "the worker loaded the module");
  await page.screenshot({ path: join(ARTIFACTS, "page.png"), fullPage: true });
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.requests.filter((url) => !sameOrigin(url)), [], "no request may leave the page's origin");
});

test("each gallery button shows its own digit", async () => {
  const { page, log } = await openDemo();
  await settled(page, { input: `gallery:${GALLERY[0].index}` });
  // The button as drawn on screen, its border cropped, back to 28×28 grey levels.
  const seen = async (item) => {
    const png = await page.locator(`.gallery button[data-index="${item.index}"]`).screenshot();
    return page.evaluate(async (base64) => {
      const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${base64}`)).blob());
      const border = (bitmap.width * 2) / 44;
      const canvas = new OffscreenCanvas(28, 28);
      const context = canvas.getContext("2d");
      context.imageSmoothingEnabled = true;
      context.drawImage(bitmap, border, border, bitmap.width - 2 * border, bitmap.height - 2 * border, 0, 0, 28, 28);
      return Array.from(context.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
    }, png.toString("base64"));
  };
  // The top-right corner is left out: a red flag marks the digits that fool a network.
  const corner = (i) => i % 28 >= 21 && i < 28 * 7;
  const correlation = (a, b) => {
    [a, b] = [a, b].map((v) => v.filter((_, i) => !corner(i)));
    const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
    const [ma, mb] = [mean(a), mean(b)];
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += (a[i] - ma) * (b[i] - mb);
      aa += (a[i] - ma) ** 2;
      bb += (b[i] - mb) ** 2;
    }
    return ab / Math.sqrt(aa * bb);
  };
  for (const at of [0, 1, 37, GALLERY.length - 2, GALLERY.length - 1]) {
    const shown = await seen(GALLERY[at]);
    const scores = GALLERY.map((item) => correlation(shown, Array.from(item.pixels)));
    const best = scores.indexOf(Math.max(...scores));
    assert.equal(best, at, `button ${at} shows digit #${GALLERY[best].index}, not #${GALLERY[at].index}`);
    assert.ok(scores[at] > 0.9, `button ${at}: correlation ${scores[at].toFixed(3)}`);
  }
  assert.deepEqual(log.errors, []);
});

test("gallery digits: the page shows the module's predictions, and the label where the networks are right", async () => {
  const { page, log } = await openDemo();
  const picks = [...GALLERY.filter((g) => !g.misclassified).slice(1, 6), ...GALLERY.filter((g) => g.misclassified).slice(0, 4)];
  for (const item of picks) {
    await page.click(`.gallery button[data-index="${item.index}"]`);
    const shown = await settled(page, { input: `gallery:${item.index}` });
    assert.equal(await page.getAttribute("body", "data-selected"), String(item.index));
    const everyModel = await everyModelOnPage(page);
    const fromModule = await viaModule(page, (m, { bytes, method }) => {
      const pixels = Float32Array.from(bytes, (v) => v / 255);
      const names = m.models().filter((x) => x.dataset === "mnist").map((x) => x.name); // the page's networks read digits
      return {
        classify: Object.fromEntries(names.map((name) => [name, m.classify(pixels, name).prediction])),
        explain: m.explain(pixels, method, { model: "cnn" }).prediction,
      };
    }, { bytes: Array.from(item.pixels), method: shown.method });
    assert.deepEqual(everyModel, fromModule.classify, `digit #${item.index}`);
    assert.equal(Number(shown.prediction), fromModule.explain, `digit #${item.index}`);
    if (!item.misclassified) {
      for (const digit of Object.values(everyModel)) assert.equal(digit, item.label, `digit #${item.index}`);
    } else {
      assert.ok(Object.values(everyModel).some((d) => d !== item.label), `digit #${item.index} is listed as misclassified`);
    }
  }
  assert.deepEqual(log.errors, []);
});

test("drawing with the mouse: the heatmap follows the pen, and the input is made like MNIST", async () => {
  const { page, log } = await openDemo();
  const before = await heatmapPixels(page);
  const first = await settled(page);

  await page.click("#clear");
  await settled(page, { input: "empty", prediction: "" });
  assert.equal(await page.isDisabled("#undo"), true);

  // What the page asks the worker for (its worker was started before this, hence the prototype).
  await page.evaluate(() => {
    const post = Worker.prototype.postMessage;
    globalThis.jobs = [];
    Worker.prototype.postMessage = function (message, ...rest) {
      if ((message.kind ?? "explain") === "explain") globalThis.jobs.push({ perLayer: message.params?.perLayer, slim: !!message.slim });
      return post.call(this, message, ...rest);
    };
  });
  const mainJobs = () => page.evaluate(() => globalThis.jobs.filter((job) => !job.slim)); // not the comparison grid's

  // A vertical stroke: a "1".
  const box = await page.locator("#pad").boundingBox();
  const x = box.x + box.width * 0.5;
  await page.mouse.move(x, box.y + box.height * 0.15);
  await page.mouse.down();
  await page.mouse.move(x + 2, box.y + box.height * 0.45, { steps: 8 });
  // While the button is still down, the explanation catches up with the drawing.
  const live = await settled(page);
  assert.match(live.input, /^drawing:/, "explained while drawing");
  // While the pen is down, only the heatmap and the answer are asked for, not every layer.
  const whileDown = await mainJobs();
  assert.ok(whileDown.length > 0 && whileDown.every((job) => job.perLayer === false), JSON.stringify(whileDown));
  await page.mouse.move(x + 4, box.y + box.height * 0.85, { steps: 8 });
  await page.mouse.up();
  const shown = await settled(page);
  // When it lifts, the whole explanation, every layer included.
  assert.equal((await mainJobs()).at(-1).perLayer, undefined);
  assert.equal(await page.locator("#flow .node").count(), 7, "the per-layer view of the drawing");
  assert.match(shown.input, /^drawing:/);
  assert.notEqual(shown.input, live.input, "the end of the stroke is explained too");
  assert.equal(await page.getAttribute("body", "data-input"), shown.input);
  assert.notEqual(shown.prediction, first.prediction, "the prediction changed");
  assert.equal(shown.prediction, "1", "a vertical stroke is a 1");
  const after = await heatmapPixels(page);
  assert.notDeepEqual(after, before, "the heatmap changed");
  await page.screenshot({ path: join(ARTIFACTS, "drawing.png") });

  // The downloaded JSON holds the input the network saw: MNIST-like, and the module agrees on it.
  const json = JSON.parse((await download(page, "#download-json")).bytes);
  const input = Float32Array.from(json.input);
  assert.ok(input.every((v) => v >= 0 && v <= 1));
  let mass = 0, cx = 0, cy = 0, top = 28, bottom = -1;
  input.forEach((v, i) => {
    mass += v; cx += v * (i % 28); cy += v * Math.floor(i / 28);
    if (v > 0.1) { top = Math.min(top, Math.floor(i / 28)); bottom = Math.max(bottom, Math.floor(i / 28)); }
  });
  assert.ok(Math.abs(cx / mass - 14) <= 0.5 && Math.abs(cy / mass - 14) <= 0.5, `centred by mass: (${cx / mass}, ${cy / mass})`);
  assert.equal(bottom - top + 1, 20, "the stroke is scaled to 20 pixels high");
  assert.ok(input.some((v) => v > 0.05 && v < 0.95), "anti-aliased grey levels");
  const check = await viaModule(page, (m, { input, method, params }) => {
    const e = m.explain(Float32Array.from(input), method, params);
    return { prediction: e.prediction, relevance: Array.from(e.relevance), layers: e.layers.map((l) => Array.from(l.relevance)) };
  }, { input: json.input, method: json.method, params: json.params });
  assert.equal(check.prediction, json.prediction);
  assert.equal(String(check.prediction), shown.prediction);
  const diff = Math.max(...check.relevance.map((r, i) => Math.abs(r - json.relevance[i])));
  assert.ok(diff < 1e-6, `the page's relevance is the module's (max difference ${diff})`);
  // ... and so is every layer's, for the end of the stroke; `perLayer` is the page's, not a setting.
  assert.equal(json.layers.length, check.layers.length);
  assert.ok(json.layers.length > 0 && json.layers.every((l, i) => l.relevance.length === check.layers[i].length &&
    l.relevance.every((r, j) => Math.abs(r - check.layers[i][j]) < 1e-5)), "the layers' relevance");
  assert.equal("perLayer" in json.params, false);

  // Undo removes the stroke: back to an empty pad.
  await page.click("#undo");
  await settled(page, { input: "empty", prediction: "" });
  // Clearing while a drawing is still being explained: the late answer is not shown.
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.25, { steps: 4 });
  await page.mouse.up();
  await page.click("#clear");
  await settled(page, { input: "empty", prediction: "" });
  assert.equal(await page.getAttribute("#heatmap", "aria-label"), "relevance heatmap: nothing to show yet");
  assert.deepEqual(log.errors, []);
});

test("every network and every method can be chosen in the controls, with their parameters, without an error", async () => {
  const { page, log } = await openDemo();
  const { models, methods, byModel } = await viaModule(page, (m) => ({
    models: m.models().filter((x) => x.dataset === "mnist"), methods: m.methods(),
    byModel: Object.fromEntries(m.models().map((x) => [x.name, m.methods(x.name)])),
  }));
  const offered = await page.$$eval("#model option", (list) => list.map((o) => o.value));
  assert.deepEqual(offered, models.map((m) => m.name), "the networks that read digits, in the module's order");
  const options = await page.$$eval("#method option", (list) => list.map((o) => o.value));
  assert.deepEqual([...options].sort(), methods.map((m) => m.name).sort(), "the method list is methods()");
  const groups = await page.$$eval("#method optgroup", (list) => list.map((g) => g.children.length));
  assert.equal(groups.length, new Set(methods.map((m) => m.kind)).size, "grouped by kind");
  const seen = new Set();
  for (const model of models) {
    await page.selectOption("#model", model.name);
    for (const method of methods) {
      await page.selectOption("#method", method.name);
      const shown = await settled(page, { model: model.name, method: method.name });
      seen.add(shown.prediction);
      // One control per parameter, with the module's range and default.
      const shownParams = await page.$$eval("#params input[type=number]", (list) =>
        list.map((i) => ({ name: i.name, min: Number(i.min), max: Number(i.max), value: Number(i.value) })));
      if (method.name === "custom") {
        const layers = model.layers.filter((l) => l.type === "Linear" || l.type === "Conv2d").length;
        assert.equal(await page.locator("#custom-layers select").count(), layers, `one rule per layer of ${model.name}`);
        assert.equal(await page.isVisible("#custom-layers"), true);
      } else {
        // A composite offers the parameters of the rules it gives this network's layers, no others.
        const info = byModel[model.name].find((m) => m.name === method.name);
        const rules = new Set((info.layerRules ?? []).filter(Boolean).map((r) => r.name));
        const used = method.kind !== "composite" ? null
          : new Set(byModel[model.name].filter((m) => rules.has(m.name)).flatMap((m) => m.params.map((p) => p.name)));
        const expected = info.params.filter((p) => !used || used.has(p.name));
        assert.deepEqual(shownParams, expected.map((p) => ({ name: p.name, min: p.min, max: p.max, value: p.default })), `${model.name} / ${method.name}`);
        assert.equal(await page.isVisible("#custom-layers"), false);
      }
      assert.equal(await page.isVisible("#error"), false, `${model.name} / ${method.name}: ${await page.textContent("#error")}`);
    }
  }
  assert.deepEqual([...seen], [String(GALLERY[0].label)], "the first digit is recognised by every network");
  assert.deepEqual(log.errors, []);
});

test("parameters, per-layer rules, target and output relevance reach the module", async () => {
  const { page, log } = await openDemo();
  // ε typed into its box.
  await page.selectOption("#method", "epsilon");
  await settled(page, { method: "epsilon" });
  await page.fill("#param-epsilon", "1.5");
  await settled(page);
  // Another digit to explain, chosen by clicking its probability bar; output relevance one-hot.
  await page.click('#probabilities button[data-digit="3"]');
  await settled(page, { target: "3" });
  await page.selectOption("#output", "one-hot");
  await settled(page);
  let json = JSON.parse((await download(page, "#download-json")).bytes);
  assert.equal(json.params.epsilon, 1.5);
  assert.equal(json.target, 3);
  assert.deepEqual(json.outputRelevance, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const check = await viaModule(page, (m, { input }) =>
    Array.from(m.explain(Float32Array.from(input), "epsilon", { model: "cnn", epsilon: 1.5, target: 3, output: "one-hot" }).relevance),
  { input: json.input });
  assert.ok(Math.max(...check.map((r, i) => Math.abs(r - json.relevance[i]))) < 1e-6);
  await page.click("#back-to-predicted");
  await settled(page, { target: String(GALLERY[0].label) });

  // α and β move together (the module requires α − β = 1).
  await page.selectOption("#method", "alpha-beta");
  await page.fill("#param-alpha", "3");
  await settled(page, { method: "alpha-beta" });
  assert.equal(await page.inputValue("#param-beta"), "2");
  assert.equal(await page.isVisible("#error"), false);

  // Custom: a rule per layer.
  await page.selectOption("#method", "custom");
  await page.selectOption("#layer-rule-0", "flat");
  await settled(page, { method: "custom" });
  json = JSON.parse((await download(page, "#download-json")).bytes);
  assert.equal(json.params.layers[0], "flat");
  assert.equal(json.layers[0].rule, "flat");
  assert.deepEqual(log.errors, []);
});

test("heatmap display: symmetric colour bar, colour-blind-safe map, opacity; downloads", async () => {
  const { page, log } = await openDemo();
  const json = JSON.parse((await download(page, "#download-json")).bytes);
  const limit = Math.max(...json.relevance.map(Math.abs));
  const low = Number((await page.textContent("#bar-min")).replace("−", "-"));
  const high = Number((await page.textContent("#bar-max")).replace("+", ""));
  assert.ok(Math.abs(high - limit) / limit < 0.01 && Math.abs(low + limit) / limit < 0.01, `±max|R| = ${limit}, shown ${low}…${high}`);

  const redBlue = await heatmapPixels(page);
  const maps = await page.$$eval("#cmap option", (list) => list.map((o) => o.value));
  assert.ok(maps.length >= 2);
  await page.selectOption("#cmap", maps[1]);
  const other = await heatmapPixels(page);
  assert.notDeepEqual(other, redBlue, "the other colour map is drawn");
  await page.screenshot({ path: join(ARTIFACTS, "colour-blind-map.png"), clip: { x: 0, y: 0, width: 1280, height: 760 } });

  await page.fill("#opacity", "0"); // input[type=range]: fill sets the value and fires input
  const bare = await heatmapPixels(page);
  assert.ok(bare.every((v, i) => i % 3 !== 0 || (v === bare[i + 1] && v === bare[i + 2])), "opacity 0 shows only the grey digit");

  const png = await download(page, "#download-png");
  assert.match(png.name, /\.png$/);
  assert.deepEqual([...png.bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
  assert.ok(png.bytes.readUInt32BE(16) >= 280 && png.bytes.readUInt32BE(20) >= 280, "at least 280×280");

  const csv = (await download(page, "#download-csv")).bytes.toString().trim().split("\n");
  assert.equal(csv[0], "row,column,input,relevance");
  assert.equal(csv.length, 785);
  const sum = csv.slice(1).reduce((total, line) => total + Number(line.split(",")[3]), 0);
  assert.ok(Math.abs(sum - json.relevanceSum) < 1e-3 * Math.max(1, Math.abs(json.relevanceSum)), `CSV sums to ${sum}, not ${json.relevanceSum}`);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.requests.filter((url) => !sameOrigin(url)), []);
});

test("the per-layer view shows each stage's relevance and the conservation books", async () => {
  const { page, log } = await openDemo();
  const shown = await settled(page);
  const json = JSON.parse((await download(page, "#download-json")).bytes);
  // cnn: pixels, conv 1, pool 1, conv 2, pool 2, dense, output.
  const shapes = await page.$$eval("#flow .node", (list) => list.map((n) => n.dataset.shape));
  assert.deepEqual(shapes, ["1x28x28", "12x24x24", "12x12x12", "24x8x8", "24x4x4", "64", "10"]);
  const rows = await page.$$eval("#books tbody tr", (list) => list.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const withBooks = json.layers.filter((l) => !/^(ReLU|Flatten)/.test(l.layer));
  assert.equal(rows.length, withBooks.length);
  for (const l of withBooks) {
    // The books balance: what arrives is what is passed down plus what biases and stabilisers absorb.
    const { entering, leaving, bias, stabilizer } = l.books;
    assert.ok(Math.abs(entering - (leaving + bias + stabilizer)) < 1e-3 * Math.max(1, Math.abs(entering)), l.layer);
  }
  assert.match(await page.textContent("#books caption"), /reaches the pixels/);
  await page.locator("#flow").screenshot({ path: join(ARTIFACTS, "layers.png") });

  // A sampling baseline has no layers: the view says so instead.
  await page.selectOption("#method", "occlusion");
  await settled(page, { method: "occlusion", model: shown.model });
  assert.equal(await page.locator("#flow .node").count(), 0);
  assert.match(await page.textContent("#flow"), /not layer by layer/);
  assert.deepEqual(log.errors, []);
});

test("the comparison grid fills in with every method on every network", async () => {
  const { page, log } = await openDemo();
  const { models, methods } = await viaModule(page, (m) => ({
    models: m.models().filter((x) => x.dataset === "mnist").map((x) => x.name), methods: m.methods().map((x) => x.name),
  }));
  assert.equal(await page.getAttribute("#compare", "data-complete"), "false", "nothing is computed while closed");
  await page.click("#compare summary");
  await page.waitForSelector("#compare[data-complete=true]", WAIT);
  const cells = await page.$$eval("#compare button.cell", (list) => list.map((b) => ({ ...b.dataset })));
  assert.equal(cells.length, models.length * methods.length);
  for (const cell of cells) {
    assert.equal(cell.state, "done", `${cell.method} on ${cell.model}`);
    assert.equal(cell.prediction, String(GALLERY[0].label), `${cell.method} on ${cell.model}`);
  }
  await page.locator("#compare").screenshot({ path: join(ARTIFACTS, "compare.png") });

  // A new input refreshes the grid; a cell opens its method and network above.
  await page.click(`.gallery button[data-index="${GALLERY[1].index}"]`);
  await page.waitForSelector("#compare[data-complete=true]", WAIT);
  const predictions = await page.$$eval("#compare button.cell", (list) => list.map((b) => b.dataset.prediction));
  assert.ok(predictions.every((p) => p === String(GALLERY[1].label)));
  await page.click('#compare button.cell[data-model="mlp-wide"][data-method="gradient"]');
  await settled(page, { model: "mlp-wide", method: "gradient", input: `gallery:${GALLERY[1].index}` });
  assert.deepEqual(log.errors, []);
});

test("accessibility basics: every control is labelled, pictures have text, the keyboard works", async () => {
  const { page, log } = await openDemo();
  await page.selectOption("#method", "custom"); // shows the most controls
  await settled(page, { method: "custom" });
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("input, select, button")]
    .filter((el) => el.checkVisibility())
    .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || (el.tagName === "BUTTON" && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, [], "controls without a label");
  const mute = await page.evaluate(() => ["pad", "input", "heatmap"].map((id) => document.getElementById(id))
    .filter((c) => !c.getAttribute("aria-label")).map((c) => c.id));
  assert.deepEqual(mute, []);
  assert.match(await page.getAttribute("#heatmap", "aria-label"), /relevance from .* to .*total/);

  // Keyboard only: focus a test digit, press Enter; choose a target digit with the keyboard.
  const item = GALLERY[3];
  await page.focus(`.gallery button[data-index="${item.index}"]`);
  await page.keyboard.press("Enter");
  await settled(page, { input: `gallery:${item.index}` });
  await page.focus('#probabilities button[data-digit="5"]');
  await page.keyboard.press("Space");
  await settled(page, { target: "5" });
  assert.deepEqual(log.errors, []);
});

test("bad arguments throw a JavaScript Error naming the problem, and the module keeps working", async () => {
  const { page } = await openDemo();
  const outcome = await page.evaluate(async () => {
    const m = await import("/pkg/lrp.js");
    await m.default();
    const { classify, explain } = m;
    const attempt = (f) => { try { f(); return "no error"; } catch (e) { return `${e instanceof Error}: ${e.message}`; } };
    const good = new Float32Array(784);
    good[300] = 1;
    const nan = new Float32Array(784);
    nan[5] = NaN;
    return {
      short: attempt(() => classify(new Float32Array(10), "cnn")),
      nan: attempt(() => classify(nan, "cnn")),
      model: attempt(() => classify(good, "resnet")),
      rule: attempt(() => explain(good, "magic", {})),
      param: attempt(() => explain(good, "epsilon", { epsilon: -1 })),
      after: classify(good, "cnn").probabilities.length,
    };
  });
  assert.match(outcome.short, /^true: .*784.*10/);
  assert.match(outcome.nan, /^true: .*NaN/);
  assert.match(outcome.model, /^true: unknown model `resnet`/);
  assert.match(outcome.rule, /^true: .*magic/);
  assert.match(outcome.param, /^true: .*epsilon/);
  assert.equal(outcome.after, 10);
});
