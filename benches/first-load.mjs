// The page's first load, served as `make demo` serves it (scripts/serve.mjs: brotli or
// gzip): each file's raw and transferred bytes, and the time from navigation start to
// the first heatmap on screen, over several cold loads (a fresh browser profile each).
// A benchmark, not a test: it prints figures. `--page` measures another page of the
// repository instead of the demo, e.g. the course page with two widgets.
//
//   node benches/first-load.mjs [--loads N] [--page examples/course.html] [--settle MS]
import { gzipSync } from "node:zlib";
import { launch, openPage, serve } from "../tests/browser/harness.mjs";

const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const loads = Number(option("--loads", 7));
const path = option("--page", "www/");
// How long each fresh browser window stands open before the navigation. When a window
// opens, this Chromium (156) loads its own omnibox pop-up (chrome://omnibox-popup.top-chrome,
// a WebUI renderer: about 0.4 s of CPU over the next second); navigating at once measured
// the page while the browser built its address bar on the same two cores. A person's
// browser has its window open before they type the address. `--settle 0`: navigate at once.
const settle = Number(option("--settle", 2000));

const server = await serve();
const browser = await launch();
try {
  const times = []; // cold loads: a fresh browser profile each
  const repeats = []; // the same page visited again in that profile
  const steps = {}; // mark -> its time in each cold load
  let files = null;
  // Load 0 records the files (reading bodies through the DevTools protocol costs
  // time during the load) and is not timed; loads 1..N are.
  for (let load = 0; load <= loads; load++) {
    const { page, context } = await openPage(browser);
    const seen = []; // { url, raw, wire } of every response, the worker's included
    if (load === 0) {
      page.on("response", (response) => seen.push((async () => {
        const sizes = await response.request().sizes();
        const body = await response.body().catch(() => Buffer.alloc(0));
        return { url: response.url(), raw: body.length, body, wire: sizes.responseBodySize };
      })()));
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await new Promise((r) => setTimeout(r, settle));
    const cdp = await context.newCDPSession(page);
    const read = async (expression) =>
      (await cdp.send("Runtime.evaluate", { expression, returnByValue: true })).result.value;
    /** Navigates and waits for the first heatmap: the page's marks, [name, ms after navigation start]. */
    const visit = async () => {
      await page.goto(`${server.url}/${path}`, { waitUntil: "commit" });
      // Polled every 50 ms with one bare expression. Playwright's own waiting functions
      // inject a large script into the page (about 60 ms of the main thread here) and
      // check visibility with a layout per frame: both slowed the load they measured.
      // (The first explainer on the page to draw its heatmap marks it: www/explainer.js.)
      while (!(await read(`performance.getEntriesByName("lrp:first-heatmap").length`))) await new Promise((r) => setTimeout(r, 50));
      // The mark is set in the task that draws the heatmap, after drawing it.
      return JSON.parse(await read(`JSON.stringify(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]))`));
    };
    const heatmap = (marks) => marks.find(([name]) => name === "lrp:first-heatmap")[1];
    const cold = await visit();
    if (load === 0) {
      files = (await Promise.all(seen)).filter((f) => f.url.startsWith(server.url));
    } else {
      // The first of each mark: on a page with several explainers, each marks its first heatmap.
      const first = new Map([...cold].reverse());
      for (const [name, at] of first) if (name.startsWith("lrp:")) (steps[name] ??= []).push(at);
      times.push(heatmap(cold));
      // The same browser profile a moment later (a reload, the next lesson): the files come
      // from the service worker's cache and the browser reuses the wasm code it compiled.
      await new Promise((r) => setTimeout(r, 1500));
      repeats.push(heatmap(await visit()));
    }
    await context.close();
  }
  const short = (url) => url.slice(server.url.length);
  // Transferred: as served (brotli); gzip: the same bytes at gzip -9, for servers without brotli.
  console.log("file                                   raw bytes   transferred   gzip -9");
  let raw = 0, wire = 0, gzip = 0;
  const unique = [...new Map(files.map((f) => [f.url, f])).values()]; // the worker's imports are seen twice
  for (const f of unique.sort((a, b) => b.raw - a.raw)) {
    const gz = f.body.length < 1024 ? f.body.length : gzipSync(f.body, { level: 9 }).length;
    raw += f.raw;
    gzip += gz;
    // Chromium reports no transfer size for a worker's own script and its imports: counted as gzip.
    wire += f.wire || gz;
    const shown = f.wire === 0 && f.raw > 0 ? "(unknown)" : String(f.wire);
    console.log(`${short(f.url).padEnd(36)} ${String(f.raw).padStart(11)} ${shown.padStart(13)} ${String(gz).padStart(9)}`);
  }
  console.log(`all ${unique.length} files`.padEnd(36) + ` ${String(raw).padStart(11)} ${String(wire).padStart(13)} ${String(gzip).padStart(9)}`);
  const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
  // The page's and the worker's marks (www/app.js, worker.js, lrp-client.js, explainer.js), in the order they happen.
  console.log("step (median over the loads)                 ms after navigation start");
  const WHAT = {
    "lrp:modules": "the page's modules have loaded",
    "lrp:worker-script": "the worker's script runs",
    "lrp:worker-module": "the wasm module is compiled and instantiated",
    "lrp:ready": "the page learns that the worker is ready",
    "lrp:first-heatmap": "the first heatmap is drawn",
  };
  for (const [name, list] of Object.entries(steps).sort(([, a], [, b]) => median(a) - median(b))) {
    console.log(`${(WHAT[name] ?? name).padEnd(46)} ${median(list).toFixed(0).padStart(6)}`);
  }
  const summary = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return `median ${median(sorted).toFixed(0)} ms (${loads} loads: ${sorted.map((t) => t.toFixed(0)).join(", ")} ms)`;
  };
  console.log(`(each load in a fresh profile, its window open ${settle} ms before the navigation: see --settle)`);
  console.log(`navigation start → first heatmap, cold: ${summary(times)}`);
  console.log(`navigation start → first heatmap, visited again: ${summary(repeats)}`);
} finally {
  await browser.close();
  await server.close();
}
