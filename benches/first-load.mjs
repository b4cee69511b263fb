// The page's first load, served as `make demo` serves it (scripts/serve.mjs: brotli or
// gzip): each file's raw and transferred bytes, and the time from navigation start to
// the first heatmap on screen, over several cold loads (a fresh browser profile each).
// A benchmark, not a test: it prints figures.
//
//   node benches/first-load.mjs [--loads N]
import { launch, openPage, serve } from "../tests/browser/harness.mjs";

const i = process.argv.indexOf("--loads");
const loads = i > 0 ? Number(process.argv[i + 1]) : 7;

const server = await serve();
const browser = await launch();
try {
  const times = [];
  let files = null;
  for (let load = 0; load < loads; load++) {
    const { page, context } = await openPage(browser);
    const seen = []; // { url, raw, wire } of every response, the worker's included
    page.on("response", (response) => seen.push((async () => {
      const sizes = await response.request().sizes();
      return { url: response.url(), raw: (await response.body().catch(() => Buffer.alloc(0))).length, wire: sizes.responseBodySize };
    })()));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.url}/www/`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
    // The heatmap is drawn in the same task that sets data-ready; this is when that task began.
    times.push(await page.evaluate(() => performance.getEntriesByType("mark").find((m) => m.name === "lrp:first-heatmap")?.startTime
      ?? performance.now()));
    if (load === 0) files = (await Promise.all(seen)).filter((f) => f.url.startsWith(server.url));
    await context.close();
  }
  const short = (url) => url.slice(server.url.length);
  console.log("file                                   raw bytes   transferred");
  let raw = 0, wire = 0;
  for (const f of files.sort((a, b) => b.wire - a.wire)) {
    raw += f.raw;
    wire += f.wire;
    // Chromium reports no transfer size for a worker's own script.
    const shown = f.wire === 0 && f.raw > 0 ? "(unknown)" : String(f.wire);
    console.log(`${short(f.url).padEnd(36)} ${String(f.raw).padStart(11)} ${shown.padStart(13)}`);
  }
  console.log(`all ${files.length} files`.padEnd(36) + ` ${String(raw).padStart(11)} ${String(wire).padStart(13)}`);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`navigation start → first heatmap: median ${sorted[sorted.length >> 1].toFixed(0)} ms ` +
    `(${loads} cold loads: ${sorted.map((t) => t.toFixed(0)).join(", ")} ms)`);
} finally {
  await browser.close();
  await server.close();
}
