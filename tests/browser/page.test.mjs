// The demo page in headless Chromium: it loads the wasm module, classifies the
// built-in test digits like the native core does, and talks to no other origin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, serve, launch, openPage } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openDemo() {
  const session = await openPage(browser);
  await session.page.goto(`${server.url}/www/`);
  await session.page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  return session;
}

const predictionsOnPage = (page) =>
  page.$$eval("#predictions tbody tr", (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.model, Number(r.querySelector(".predicted").textContent)])));

test("the page classifies the first test digit correctly with every model", async () => {
  const { page, log } = await openDemo();
  const predictions = await predictionsOnPage(page);
  assert.deepEqual(Object.keys(predictions).sort(), ["cnn", "mlp-narrow", "mlp-wide"]);
  for (const [model, digit] of Object.entries(predictions)) {
    assert.equal(digit, GALLERY[0].label, `${model} on test digit #${GALLERY[0].index}`);
  }
  mkdirSync(join(ROOT, "tests/artifacts"), { recursive: true });
  await page.screenshot({ path: join(ROOT, "tests/artifacts/page.png"), fullPage: true });
  assert.deepEqual(log.errors, []);
  const foreign = log.requests.filter((url) => !url.startsWith(server.url));
  assert.deepEqual(foreign, [], "no request may leave the page's origin");
});

test("clicking gallery digits shows the module's prediction, the label when the models are right", async () => {
  const { page, log } = await openDemo();
  const picks = [...GALLERY.filter((g) => !g.misclassified).slice(1, 6), ...GALLERY.filter((g) => g.misclassified).slice(0, 3)];
  for (const item of picks) {
    await page.click(`.gallery button[data-index="${item.index}"]`);
    await page.waitForSelector(`body[data-selected="${item.index}"]`);
    const shown = await predictionsOnPage(page);
    const fromModule = await page.evaluate(async (b64) => {
      const { classify } = await import("../pkg/lrp.js");
      const pixels = Float32Array.from(atob(b64), (c) => c.charCodeAt(0) / 255);
      return Object.fromEntries(["mlp-narrow", "mlp-wide", "cnn"].map((m) => [m, classify(pixels, m).prediction]));
    }, item.pixels);
    assert.deepEqual(shown, fromModule, `digit #${item.index}`);
    if (!item.misclassified) {
      for (const digit of Object.values(shown)) assert.equal(digit, item.label, `digit #${item.index}`);
    } else {
      assert.ok(Object.values(shown).some((d) => d !== item.label), `digit #${item.index} is listed as misclassified`);
    }
  }
  assert.deepEqual(log.errors, []);
});

test("bad arguments throw a JavaScript Error naming the problem, and the module keeps working", async () => {
  const { page } = await openDemo();
  const outcome = await page.evaluate(async () => {
    const { classify } = await import("../pkg/lrp.js");
    const attempt = (f) => { try { f(); return "no error"; } catch (e) { return `${e instanceof Error}: ${e.message}`; } };
    const good = new Float32Array(784);
    good[300] = 1;
    const nan = new Float32Array(784);
    nan[5] = NaN;
    return {
      short: attempt(() => classify(new Float32Array(10), "cnn")),
      nan: attempt(() => classify(nan, "cnn")),
      model: attempt(() => classify(good, "resnet")),
      after: classify(good, "cnn").probabilities.length,
    };
  });
  assert.match(outcome.short, /^true: .*784.*10/);
  assert.match(outcome.nan, /^true: .*NaN/);
  assert.match(outcome.model, /^true: unknown model `resnet`/);
  assert.equal(outcome.after, 10);
});
