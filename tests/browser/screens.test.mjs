// The page on every screen and in every state a new user met: laptop and phone
// layouts, the loading state, pages opened where they cannot run, the keyboard,
// what the controls say about ranges and odd-looking maps, the comparison grid's
// cells against the big view, and an axe-core audit (WCAG 2.1 A and AA).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ARTIFACTS, ROOT, audit, openPage, openDemo, settled, draw, browserSession } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const WAIT = { timeout: 15_000 };
const env = browserSession();

/** Whether each element lies wholly inside the viewport. */
const onScreen = (page, ids) => page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
  const r = document.getElementById(id).getBoundingClientRect();
  return [id, r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && r.width > 0];
})), ids);

const TOGETHER = ["pad", "heatmap", "prediction"];

/** Resolves once the page has stopped scrolling (a smooth scroll takes a few frames). */
const scrolled = (page) => page.evaluate(() => new Promise((done) => {
  let last = NaN, still = 0;
  const tick = () => {
    still = scrollY === last ? still + 1 : 0;
    last = scrollY;
    if (still >= 10) done();
    else requestAnimationFrame(tick);
  };
  tick();
}));

for (const [width, height] of [[1400, 900], [1100, 800], [960, 800], [390, 844]]) {
  test(`at ${width}×${height} the pad, the heatmap and the answer are on screen together, after a tap on a test digit and after drawing`, async () => {
    const { page, log, context } = await openDemo(env.browser, env.server, { width, height });
    // The last test digit: on a phone, far below the results.
    const item = GALLERY[GALLERY.length - 1];
    await page.click(`.gallery button[data-index="${item.index}"]`);
    await settled(page, { input: `gallery:${item.index}` });
    await scrolled(page);
    assert.deepEqual(await onScreen(page, TOGETHER), { pad: true, heatmap: true, prediction: true }, "after picking a test digit");

    await page.click("#clear");
    await settled(page, { input: "empty" });
    await draw(page, [[[0.5, 0.15], [0.52, 0.5], [0.54, 0.85]]]);
    const shown = await settled(page);
    assert.match(shown.input, /^drawing:/);
    assert.deepEqual(await onScreen(page, TOGETHER), { pad: true, heatmap: true, prediction: true }, "after drawing");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
    await page.screenshot({ path: join(ARTIFACTS, `screen-${width}x${height}.png`) });
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}

test("while the networks load: a clear loading state, disabled downloads, and a test digit picked then is explained once they are there", async () => {
  const { page, log, context } = await openPage(env.browser);
  await page.setViewportSize({ width: 1280, height: 900 });
  let release;
  const loaded = new Promise((resolve) => { release = resolve; });
  await context.route("**/pkg/lrp_bg.wasm", async (route) => { await loaded; await route.continue(); });
  await page.goto(`${env.server.url}/www/`);
  await page.waitForSelector(".gallery button", WAIT);
  assert.equal(await page.isVisible("#loading"), true, "the answer panel says the networks are loading");
  assert.match(await page.textContent("#loading"), /Loading the networks/);
  for (const id of ["download-png", "download-csv", "download-json"]) assert.equal(await page.isDisabled(`#${id}`), true, id);

  const item = GALLERY[7];
  await page.click(`.gallery button[data-index="${item.index}"]`);
  assert.equal(await page.getAttribute("body", "data-ready"), "false", "still loading");
  assert.equal(await page.getAttribute("body", "data-input"), `gallery:${item.index}`, "the pick is taken");
  release();
  await page.waitForSelector("body[data-ready=true]", WAIT);
  await settled(page, { input: `gallery:${item.index}` });
  assert.equal(await page.isVisible("#loading"), false);
  assert.equal(await page.isDisabled("#download-png"), false);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("when the worker or the module cannot load, the page says so instead of loading forever", async () => {
  // The worker is started by the page's head, before the page's modules: its failure must
  // reach the page whether it happens before or after they take the worker over.
  for (const [what, pattern, delay] of [["worker", "**/www/worker.js*", 0], ["worker", "**/www/worker.js*", 1500], ["module", "**/pkg/lrp_bg.wasm", 0]]) {
    const { page, context } = await openPage(env.browser);
    await context.route(pattern, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      await route.fulfill({ status: 404, body: "not found" });
    });
    await page.goto(`${env.server.url}/www/`);
    await page.waitForSelector("#loading.error", WAIT);
    assert.match(await page.textContent("#loading"), /^Could not start: ./, `${what} missing, after ${delay} ms`);
    assert.equal(await page.getAttribute("body", "data-ready"), "false");
    await context.close();
  }
});

test("opened from disk or in a sandboxed frame, the page says in plain words why it cannot run and what to do", async () => {
  const { page, context } = await openPage(env.browser);
  await page.goto(pathToFileURL(join(ROOT, "www/index.html")).href);
  await page.waitForSelector("#cannot-run", { state: "visible", ...WAIT });
  assert.match(await page.textContent("#cannot-run"), /opened from disk.*make demo.*lrp-explainer\.html/s);

  await page.goto(`${env.server.url}/www/style.css`); // a document of the server's origin to hold the frame
  await page.setContent(`<iframe sandbox="allow-scripts" src="${env.server.url}/www/" width="1000" height="800"></iframe>`);
  const frame = await (await page.waitForSelector("iframe")).contentFrame();
  await frame.waitForSelector("#cannot-run", { state: "visible", ...WAIT });

  // Served normally, the message stays hidden.
  await page.goto(`${env.server.url}/www/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  assert.equal(await page.isVisible("#cannot-run"), false);
  await context.close();
});

test("the gallery is one Tab stop: arrow keys, Home and End move in it, Enter picks", async () => {
  const { page, log, context } = await openDemo(env.browser, env.server);
  const stops = await page.$$eval(".gallery button", (list) => list.filter((b) => b.tabIndex === 0).map((b) => b.dataset.index));
  assert.deepEqual(stops, [String(GALLERY[0].index)], "only the picked digit is in the Tab order");
  await page.focus(`.gallery button[data-index="${GALLERY[0].index}"]`);
  const focused = () => page.evaluate(() => document.activeElement.dataset.index);
  await page.keyboard.press("ArrowRight");
  assert.equal(await focused(), String(GALLERY[1].index));
  const columns = await page.$$eval(".gallery button", (list) => list.filter((b) => b.offsetTop === list[0].offsetTop).length);
  await page.keyboard.press("ArrowDown");
  assert.equal(await focused(), String(GALLERY[1 + columns].index), `down one row of ${columns}`);
  await page.keyboard.press("End");
  assert.equal(await focused(), String(GALLERY[GALLERY.length - 1].index));
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Enter");
  await settled(page, { input: `gallery:${GALLERY[2].index}` });
  const after = await page.$$eval(".gallery button", (list) => list.filter((b) => b.tabIndex === 0).map((b) => b.dataset.index));
  assert.deepEqual(after, [String(GALLERY[2].index)], "the Tab stop follows the pick");
  // Tab leaves the gallery in one step.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.closest(".gallery")), null);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("out-of-range values are not clamped in silence, and sliders stay within the image", async () => {
  const { page, log, context } = await openDemo(env.browser, env.server);
  await page.selectOption("#method", "epsilon");
  await settled(page, { method: "epsilon" });
  await page.fill("#param-epsilon", "150");
  await page.waitForSelector("#param-epsilon-range:not(:empty)", WAIT);
  assert.match(await page.textContent("#param-epsilon-range"), /from 0 to 100.*using 100/);
  assert.equal(await page.getAttribute("#param-epsilon", "aria-invalid"), "");
  await page.fill("#param-epsilon", "0.5");
  assert.equal(await page.textContent("#param-epsilon-range"), "");
  assert.equal(await page.getAttribute("#param-epsilon", "aria-invalid"), null);

  await page.selectOption("#method", "occlusion");
  await settled(page, { method: "occlusion" });
  for (const name of ["window", "stride"]) {
    assert.equal(await page.getAttribute(`#param-${name}`, "max"), "28", `${name} is bounded by the 28-pixel image`);
  }
  await page.fill("#param-window", "2.5");
  await page.locator("#param-window").blur();
  assert.match(await page.textContent("#param-window-range"), /whole steps: using 3/);
  assert.equal(await page.inputValue("#param-window"), "3", "leaving the box shows the value in use");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("maps that look broken say why: flat on a dense first layer, composites that equal ε without convolutions", async () => {
  const { page, log, context } = await openDemo(env.browser, env.server);
  const note = async () => ((await page.isVisible("#heat-note")) ? page.textContent("#heat-note") : null);
  await page.selectOption("#model", "mlp-narrow");
  await page.selectOption("#method", "flat");
  await settled(page, { model: "mlp-narrow", method: "flat" });
  assert.match(await note(), /first layer is dense.*uniform square/);
  await page.selectOption("#method", "epsilon-gamma-box");
  await settled(page, { method: "epsilon-gamma-box" });
  assert.match(await note(), /no convolutions.*same as epsilon's/);
  assert.equal(await page.$("#param-gamma"), null, "γ does nothing on this network, so it is not offered");
  assert.ok(await page.$("#param-epsilon"));
  await page.selectOption("#model", "cnn");
  await settled(page, { model: "cnn", method: "epsilon-gamma-box" });
  assert.equal(await note(), null, "on the CNN, the composite is its own method");
  assert.ok(await page.$("#param-gamma"));
  await page.selectOption("#method", "flat");
  await settled(page, { method: "flat" });
  assert.equal(await note(), null, "the CNN's first layer is a convolution: flat is not uniform there");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a comparison cell opens the very map it shows", async () => {
  const { page, log, context } = await openDemo(env.browser, env.server);
  await page.selectOption("#method", "occlusion");
  await settled(page, { method: "occlusion" });
  await page.fill("#param-window", "28");
  await page.locator("#param-window").blur();
  await settled(page);
  const wide = await page.getAttribute("#heatmap", "aria-label");
  await page.selectOption("#method", "epsilon");
  await settled(page, { method: "epsilon" });
  await page.click("#compare summary");
  await page.waitForSelector("#compare[data-complete=true]", { timeout: 60_000 });
  const cell = '#compare button.cell[data-model="cnn"][data-method="occlusion"]';
  const sum = (await page.getAttribute(cell, "aria-label")).match(/sums to (\S+)\./)[1];
  await page.click(cell);
  await settled(page, { model: "cnn", method: "occlusion" });
  const label = await page.getAttribute("#heatmap", "aria-label");
  assert.match(label, new RegExp(`total ${sum.replace(/[.+-]/g, "\\$&")}\\.`), "the big map's total is the cell's");
  assert.notEqual(label, wide, "not the map of window 28");
  assert.equal(await page.inputValue("#param-window"), "4", "the cell's parameters: the defaults");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("axe-core finds no serious or critical WCAG 2.1 A/AA violation on the page, closed or with every section open", async () => {
  const { page, log, context } = await openDemo(env.browser, env.server);
  assert.deepEqual(await audit(page), [], "after the first heatmap");
  await page.click("#compare summary");
  await page.click("#evaluate summary");
  await page.selectOption("#method", "custom");
  await settled(page, { method: "custom" });
  assert.deepEqual(await audit(page), [], "with every section open and the most controls shown");
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await audit(page), [], "on a phone");
  assert.deepEqual(log.errors, []);
  await context.close();
});
