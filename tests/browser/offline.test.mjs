// Offline, two ways. The one-file build (dist/lrp-explainer.html, made by
// scripts/build-offline.mjs in the test command): opened from disk with every network
// request refused, it must load, classify and explain a drawn digit, run the
// evaluation on the digits it carries, pass the axe-core audit, and request nothing but
// itself. The served page: after one visit, its service worker keeps it working with
// the server stopped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ARTIFACTS, ROOT, audit, browserSession, draw, openPage, serve, settled } from "./harness.mjs";

const FILE = join(ROOT, "dist/lrp-explainer.html");
const env = browserSession();

test("the one-file build works from disk with the network off, and requests nothing", async () => {
  assert.ok(existsSync(FILE), "dist/lrp-explainer.html is built (node scripts/build-offline.mjs)");
  const { page, log, context } = await openPage(env.browser);
  const url = pathToFileURL(FILE).href;
  const refused = [];
  await context.route("**/*", (route) => {
    const target = route.request().url();
    if (target === url) return route.continue();
    refused.push(target);
    return route.abort();
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await settled(page);
  assert.equal(await page.isVisible("#cannot-run"), false);

  await page.click("#clear");
  await settled(page, { input: "empty" });
  await draw(page, [[[0.5, 0.15], [0.52, 0.5], [0.54, 0.85]]]);
  const shown = await settled(page);
  assert.match(shown.input, /^drawing:/);
  assert.equal(shown.prediction, "1", "a vertical stroke is a 1");
  assert.match(await page.getAttribute("#heatmap", "aria-label"), /relevance from .* to .*total/);
  const others = await page.$$eval("#others li[data-model]", (list) => list.length);
  assert.equal(others, 3, "all three networks answer");
  await page.screenshot({ path: join(ARTIFACTS, "offline.png") });

  // The evaluation panel runs on the digits the file carries, in a pool of workers.
  await page.click("#evaluate summary");
  const counts = await page.$$eval("#evaluate-count option", (list) => list.map((o) => Number(o.value)));
  assert.ok(Math.max(...counts) <= 1000, `only the digits in the file are offered: ${counts}`);
  await page.selectOption("#evaluate-model", "mlp-narrow");
  await page.selectOption("#evaluate-count", "100");
  await page.$$eval("#evaluate-methods input", (list) => list.forEach((c) => { c.checked = c.value === "epsilon"; }));
  await page.click("#evaluate-run");
  await page.waitForSelector("#evaluate[data-state=done]", { timeout: 120_000 });
  const rows = await page.$$eval("#evaluate-table tbody tr", (list) => list.map((r) => r.dataset.method));
  assert.deepEqual(rows.sort(), ["epsilon", "random"]);

  assert.deepEqual(await audit(page), [], "axe-core: no serious or critical violation");
  assert.deepEqual(refused, [], "no request beyond the file itself");
  const elsewhere = log.requests.filter((r) => r !== url && !r.startsWith("blob:") && !r.startsWith("data:"));
  assert.deepEqual(elsewhere, []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the service worker caches every module and style sheet of the page", () => {
  const listed = [...readFileSync(join(ROOT, "www/sw.js"), "utf8").matchAll(/"\.\/([\w.-]+\.(?:js|css))"/g)].map((m) => m[1]).sort();
  const modules = readdirSync(join(ROOT, "www")).filter((f) => /\.(js|css)$/.test(f) && f !== "sw.js").sort();
  assert.deepEqual(listed, modules);
});

test("served, the page keeps working after the server stops, through its service worker", async () => {
  const server = await serve(); // its own server, to stop
  const { page, log, context } = await openPage(env.browser);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/www/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await settled(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await server.close();
  const gone = await page.evaluate((url) => fetch(url, { cache: "no-store", headers: { "x-probe": "1" } })
    .then(() => "answered", () => "refused"), `${server.url}/nothing-${Date.now()}`);
  assert.equal(gone, "refused", "the server is down");

  await page.reload();
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await settled(page);
  await page.click("#clear");
  await settled(page, { input: "empty" });
  await draw(page, [[[0.5, 0.15], [0.52, 0.5], [0.54, 0.85]]]);
  const shown = await settled(page);
  assert.equal(shown.prediction, "1", "classified and explained with the server gone");
  // Fashion-MNIST's network, never shown before the server went: its files were kept too.
  await page.selectOption("#dataset", "fashion-mnist");
  await settled(page, { model: "fashion-cnn" }, 30_000);
  assert.deepEqual(log.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(e)), []);
  await context.close();
});
