// Main-thread long tasks (over 50 ms) while a digit is drawn on the page, with the
// CPU throttled 4× (Chromium DevTools' throttling: a school laptop). A benchmark,
// not a test: it prints figures, for each of a few rounds.
//
//   node benches/drawing.mjs [--rounds N] [--rate R] [--width W --height H]
import { serve, launch, openDemo, settled } from "../tests/browser/harness.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg("--rounds", 3);
const rate = arg("--rate", 4);
const size = { width: arg("--width", 1400), height: arg("--height", 900) };
// A "7" with a bar: two strokes, 12 pointer moves per segment.
const STROKES = [[[0.3, 0.2], [0.7, 0.2], [0.5, 0.5], [0.4, 0.85]], [[0.35, 0.5], [0.65, 0.5]]];

const server = await serve();
const browser = await launch();
try {
  console.log(`long tasks (> 50 ms) on the main thread while drawing, CPU throttled ${rate}×, window ${size.width}×${size.height}`);
  for (let round = 1; round <= rounds; round++) {
    const { page, context } = await openDemo(browser, server, size);
    await page.click("#clear");
    await settled(page, { input: "empty" });
    await page.evaluate(() => {
      globalThis.__long = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) globalThis.__long.push([e.startTime, e.duration]);
      }).observe({ type: "longtask" });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate });
    const box = await page.locator("#pad").boundingBox();
    const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
    const down = [];
    const now = () => page.evaluate(() => performance.now());
    for (const stroke of STROKES) {
      await page.mouse.move(...at(stroke[0]));
      await page.mouse.down();
      const start = await now();
      for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 12 });
      down.push([start, await now()]);
      await page.mouse.up();
    }
    await settled(page, {}, 60_000);
    const tasks = await page.evaluate(() => globalThis.__long);
    const penDown = tasks.filter(([t]) => down.some(([a, b]) => t >= a && t <= b));
    const max = (list) => (list.length ? Math.max(...list.map(([, d]) => d)).toFixed(0) : "–");
    console.log(`round ${round}: pen down ${penDown.length} (longest ${max(penDown)} ms); ` +
      `all, the final redraw included: ${tasks.length} (longest ${max(tasks)} ms)`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
