// The page's feature removal and its evaluation panel in headless Chromium: what
// they show must be what the module computes for the digit on screen, and what
// `lrp evaluate` computes for the same test digits. No fixed waits: each test waits
// for the panels' own hooks (#removal[data-complete], #evaluate[data-state]).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARTIFACTS, ROOT, openDemo as openDemoAt, viaModule, browserSession } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const WAIT = { timeout: 30_000 };
const env = browserSession();

const openDemo = () => openDemoAt(env.browser, env.server);

/** Moves the removal slider to `k`, as a person dragging it would. */
async function slide(page, k) {
  await page.$eval("#removal-k", (el, k) => {
    el.value = String(k);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, k);
}

/** The grey level (0–255) of each of the 28×28 pixels of the removal panel's input canvas. */
const shownInput = (page) => page.$eval("#removal-input", (canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, 28, 28).data;
  return Array.from({ length: 784 }, (_, i) => data[i * 4]);
});

test("the removal slider shows the module's curve for the digit on screen, to the pixel", async () => {
  const { page, log } = await openDemo();
  await page.waitForSelector("#removal[data-complete=true]", WAIT);
  const settings = await page.evaluate(() => ({
    model: document.getElementById("model").value, method: document.getElementById("method").value,
  }));
  const input = Array.from(GALLERY[0].pixels, (v) => v / 255);
  for (const removal of ["zero", "road"]) {
    if (removal !== "zero") {
      await page.selectOption("#removal-fill", removal);
      await page.waitForSelector("#removal[data-complete=true]", WAIT);
    }
    const expected = await viaModule(page, (m, { input, settings, removal }) => {
      const pixels = Float32Array.from(input);
      const e = m.explain(pixels, settings.method, { model: settings.model });
      const c = m.removal(pixels, e.relevance, { model: settings.model, order: "morf", removal, steps: 250, stepPixels: 1, images: true });
      return { flip: c.flip, prediction: Array.from(c.prediction), images: Array.from(c.images) };
    }, { input, settings, removal });
    assert.ok(expected.flip, `${removal}: the first test digit flips within 250 pixels under MoRF`);
    const flipAt = Number(await page.getAttribute("#removal", "data-flip"));
    assert.equal(flipAt, expected.flip.pixels, `${removal}: the page's flip`);
    // One pixel before the flip: still the original digit; at the flip: misclassified, as the module says.
    await slide(page, flipAt - 1);
    assert.match(await page.textContent("#removal-verdict"), new RegExp(`^Still a ${expected.prediction[0]} after ${flipAt - 1} pixels`));
    await slide(page, flipAt);
    assert.equal(await page.textContent("#removal-verdict"),
      `Misclassified as ${expected.flip.to} after ${flipAt} pixel${flipAt === 1 ? "" : "s"} removed most relevant first (MoRF).`);
    // The image shown is the module's image after that step, grey level by grey level.
    const shown = await shownInput(page);
    const image = expected.images.slice(flipAt * 784, (flipAt + 1) * 784).map((v) => Math.round(255 * v));
    assert.ok(shown.every((g, i) => Math.abs(g - image[i]) <= 1), `${removal}: the image after ${flipAt} pixels`);
    assert.ok(image.filter((g, i) => g !== Math.round(255 * input[i])).length > 0, "pixels were removed");
  }
  // Three curves and a marker in the plot, and the digit's figures under it.
  assert.equal(await page.locator("#removal-curves path[data-series]").count(), 3);
  assert.match(await page.textContent("#removal-figures"), /AOPC [0-9.]+ .* symmetric relevance gain [-0-9.]+/);
  await page.locator("#removal").screenshot({ path: join(ARTIFACTS, "removal.png") });
  assert.deepEqual(log.errors, []);
});

test("the evaluation panel gives the figures of lrp evaluate for the same digits, without blocking the page", async () => {
  const out = mkdtempSync(join(tmpdir(), "lrp-evaluate-"));
  execFileSync(join(ROOT, "target/release/lrp"), ["evaluate", "--model", "mlp-narrow", "--method", "epsilon", "--method", "gradient",
    "--n", "100", "--removal", "blur", "--out", out], { stdio: "pipe" });
  const cli = Object.fromEntries(readFileSync(join(out, "table.csv"), "utf8").trim().split("\n").slice(1)
    .map((line) => line.split(",")).filter((cells) => cells[3] === "all").map((cells) => [cells[1], { aopc: Number(cells[10]), gain: Number(cells[11]) }]));
  const { page, log } = await openDemo();
  await page.click("#evaluate summary");
  await page.selectOption("#evaluate-model", "mlp-narrow");
  await page.selectOption("#evaluate-count", "100");
  await page.selectOption("#evaluate-fill", "blur");
  await page.$$eval("#evaluate-methods input", (boxes) => boxes.forEach((b) => { b.checked = b.value === "epsilon" || b.value === "gradient"; }));
  await page.click("#evaluate-run");
  await page.waitForSelector("#evaluate[data-state=done]", { timeout: 120_000 });
  const rows = await page.$$eval("#evaluate-table tbody tr", (trs) => trs.map((tr) => ({
    method: tr.dataset.method, aopc: Number(tr.dataset.aopc), cells: [...tr.children].map((td) => td.textContent),
  })));
  assert.deepEqual(rows.map((r) => r.method).sort(), ["epsilon", "gradient", "random"]);
  for (const row of rows) {
    assert.ok(Math.abs(row.aopc - cli[row.method].aopc) < 1e-5, `${row.method}: page AOPC ${row.aopc}, CLI ${cli[row.method].aopc}`);
    // n correct + n incorrect = 100.
    assert.equal(Number(row.cells[1]) + Number(row.cells[5]), 100);
  }
  // Ten class-mean maps for the chosen method, and a curve per method.
  assert.equal(await page.locator("#evaluate-means canvas").count(), 10);
  assert.equal(await page.locator("#evaluate-curves path[data-series]").count(), 3);
  await page.locator("#evaluate").screenshot({ path: join(ARTIFACTS, "evaluate.png") });
  // While a long run goes on (10 000 digits: minutes, not a state a poll can miss),
  // the main explanation still follows the input; then the run can be stopped.
  await page.selectOption("#evaluate-count", "10000");
  await page.click("#evaluate-run");
  await page.waitForFunction(() => document.getElementById("evaluate-progress").value > 0, null, WAIT);
  const item = GALLERY[5];
  await page.click(`.gallery button[data-index="${item.index}"]`);
  await page.waitForFunction((id) => document.getElementById("prediction").dataset.input === id, `gallery:${item.index}`, WAIT);
  assert.equal(await page.getAttribute("#evaluate", "data-state"), "running");
  await page.click("#evaluate-stop");
  assert.equal(await page.getAttribute("#evaluate", "data-state"), "stopped");
  assert.equal(await page.isDisabled("#evaluate-run"), false);
  assert.deepEqual(log.errors, []);
});

test("when the evaluation's own workers cannot start, the panel says so instead of loading for ever", async () => {
  const { page, context } = await openDemo();
  // The page's worker is running; the evaluation starts workers of its own, which now cannot load.
  await context.route("**/www/worker.js*", (route) => route.fulfill({ status: 404, body: "not found" }));
  await page.click("#evaluate summary");
  await page.selectOption("#evaluate-count", "100");
  await page.click("#evaluate-run");
  await page.waitForSelector("#evaluate[data-state=failed]", WAIT);
  assert.match(await page.textContent("#evaluate-status"), /workers could not start/);
  assert.equal(await page.isDisabled("#evaluate-run"), false, "it can be tried again");
  // The main explanation still works.
  await page.click(`.gallery button[data-index="${GALLERY[3].index}"]`);
  await page.waitForFunction((id) => document.getElementById("prediction").dataset.input === id, `gallery:${GALLERY[3].index}`, WAIT);
  await context.close();
});

test("the settings offer each network's tuned parameters and use them", async () => {
  const { page, log } = await openDemo();
  for (const [model, method] of [["cnn", "gamma"], ["mlp-wide", "alpha-beta"]]) {
    await page.selectOption("#model", model);
    await page.selectOption("#method", method);
    const tuned = await viaModule(page, (m, { model, method }) => m.methods(model).find((x) => x.name === method).tuned, { model, method });
    assert.ok(tuned && Object.keys(tuned).length > 0, `${model} ${method}: tuned values`);
    assert.equal(await page.isHidden("#tuned"), false);
    await page.click("#use-tuned");
    await page.waitForFunction(({ model, method }) => {
      const shown = document.getElementById("prediction").dataset;
      return document.body.dataset.busy === "false" && shown.model === model && shown.method === method;
    }, { model, method }, WAIT);
    for (const [name, value] of Object.entries(tuned)) {
      assert.equal(Number(await page.inputValue(`#param-${name}`)), value, `${name} set to its tuned value`);
    }
    assert.equal(await page.isDisabled("#use-tuned"), true, "in use");
    assert.match(await page.textContent("#use-tuned"), new RegExp(`^Using the values tuned for ${model}`));
  }
  // A method that lrp tune does not tune offers nothing.
  await page.selectOption("#method", "gradient");
  assert.equal(await page.isHidden("#tuned"), true);
  assert.deepEqual(log.errors, []);
});
