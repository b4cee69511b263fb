// Shared set-up for the browser tests: the static file server of `make demo`
// (scripts/serve.mjs) on the repository, and a headless Debian Chromium.
import { join, resolve } from "node:path";
import { mkdirSync, mkdtempSync } from "node:fs";
import { before, after } from "node:test";
import { tmpdir } from "node:os";
import { chromium } from "playwright-core";
import { serve as serveFiles } from "../../scripts/serve.mjs";
import { buildPage } from "../../scripts/build-page.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
/**
 * Serves `root` (the repository) on a free loopback port, as `make demo` does; resolves
 * to { url, close }. The page's bundle is rebuilt first, so that what is tested is the
 * modules as they are, not a bundle made before they changed.
 */
export async function serve(root = ROOT) {
  if (root === ROOT) await buildPage();
  return serveFiles({ root });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic",
      // A synthetic camera, allowed without asking, for the photo test.
      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
  });
}

/** A new page that records console errors, page errors and every request URL. */
export async function openPage(browser) {
  const context = await browser.newContext({ userDataDir: mkdtempSync(join(tmpdir(), "lrp-chromium-")) });
  const page = await context.newPage();
  const log = { errors: [], requests: [] };
  page.on("console", (m) => m.type() === "error" && log.errors.push(m.text()));
  page.on("pageerror", (e) => log.errors.push(e.message));
  page.on("request", (r) => log.requests.push(r.url()));
  return { page, log, context };
}

/** Runs `fn(module, arg)` with the module loaded in the page itself (main thread), as a check on what the worker computed. */
export function viaModule(page, fn, arg) {
  return page.evaluate(async ({ source, arg }) => {
    const m = await import("/pkg/lrp.js");
    await m.default();
    return (0, eval)(source)(m, arg);
  }, { source: fn.toString(), arg });
}

export const ARTIFACTS = join(ROOT, "tests/artifacts");

/** Starts the file server and Chromium before a test file's tests and stops them after: `{ server, browser }`. */
export function browserSession() {
  const session = {};
  before(async () => {
    session.server = await serve();
    session.browser = await launch();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await session.browser?.close();
    await session.server?.close();
  });
  return session;
}

/** The demo page at `size`, once its first explanation is on screen and up to date. */
export async function openDemo(browser, server, { width = 1280, height = 900 } = {}) {
  const session = await openPage(browser);
  await session.page.setViewportSize({ width, height });
  await session.page.goto(`${server.url}/www/`);
  await session.page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await settled(session.page);
  return session;
}

/** Waits until what the page shows is up to date, and (optionally) matches `want` on #prediction's data attributes. */
export async function settled(page, want = {}, timeout = 15_000) {
  try {
    await page.waitForFunction((want) => {
      const shown = document.getElementById("prediction").dataset;
      return document.body.dataset.busy === "false" &&
        Object.entries(want).every(([key, value]) => shown[key] === value);
    }, want, { timeout });
  } catch (error) {
    const state = await page.evaluate(() => ({
      busy: document.body.dataset.busy, shown: { ...document.getElementById("prediction").dataset },
      error: document.getElementById("error").textContent, status: document.getElementById("status").textContent,
    }));
    throw new Error(`the page did not settle on ${JSON.stringify(want)}: ${JSON.stringify(state)}`, { cause: error });
  }
  return page.$eval("#prediction", (el) => ({ ...el.dataset }));
}

/** Draws `strokes` (each a list of [x, y] in 0–1 of the pad) with the mouse, `steps` moves per segment. */
export async function draw(page, strokes, steps = 6, pad = "#pad") {
  const box = await page.locator(pad).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps });
    await page.mouse.up();
  }
}

/** The serious and critical violations that axe-core finds on the page, as "rule: target" lines. */
export async function audit(page) {
  await page.addScriptTag({ path: join(ROOT, "node_modules/axe-core/axe.min.js") });
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}
