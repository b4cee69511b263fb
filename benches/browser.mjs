// Time of one explanation in headless Chromium (wasm, main thread), for each
// model × {ε, EpsilonGammaBox, α2β1, Integrated Gradients}: the same cases as `cargo
// bench` and reference/bench_zennit.py. With --zennit, Zennit is timed first, in the
// same sitting (reference/bench_zennit.py, needs torch and zennit), and the table
// gains the ratio Zennit (1 thread) / wasm. A benchmark, not a test: it prints figures.
//
//   node benches/browser.mjs [--json] [--zennit]
import { execFileSync } from "node:child_process";
import { ROOT, serve, launch } from "../tests/browser/harness.mjs";

const CASES = [
  ["epsilon", "epsilon", {}],
  ["epsilon-gamma-box", "epsilon-gamma-box", {}],
  ["alpha2-beta1", "alpha-beta", { alpha: 2 }],
  ["integrated-gradients", "integrated-gradients", {}], // 20 steps, as Zennit's default
];

let zennit = null; // "model/method" -> µs, one thread
if (process.argv.includes("--zennit")) {
  const report = JSON.parse(execFileSync("python3", ["reference/bench_zennit.py", "--json", "--runs", "200"],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  zennit = Object.fromEntries(report.rows.map((r) => [`${r.model}/${r.method}`, r.zennit_us_1_thread]));
  zennit.version = report.zennit;
}

const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage();
  // A document of the server's origin that runs nothing: the demo page's own worker
  // would compete for the cores with what is timed here.
  await page.goto(`${server.url}/www/style.css`);
  const results = await page.evaluate(async (cases) => {
    const lrp = await import("/pkg/lrp.js");
    await lrp.default();
    const { GALLERY } = await import("/www/gallery.js");
    const pixels = Float32Array.from(GALLERY[0].pixels, (v) => v / 255);
    const rows = [];
    for (const model of lrp.models().map((m) => m.name)) {
      for (const [name, rule, params] of cases) {
        const run = () => lrp.explain(pixels, rule, { model, ...params });
        // Warm-up, long enough for the engine to finish optimising the module.
        for (const start = performance.now(); performance.now() - start < 500; ) run();
        // The page's clock is coarse (0.1 ms), so time blocks of runs.
        let block = 1;
        for (let start = performance.now(); performance.now() - start < 20; block *= 2) {
          for (let i = 0; i < block; i++) run();
        }
        const times = [];
        for (let sample = 0; sample < 15; sample++) {
          const start = performance.now();
          for (let i = 0; i < block; i++) run();
          times.push((performance.now() - start) / block);
        }
        times.sort((a, b) => a - b);
        rows.push({ model, method: name, runs: 15 * block, median_us: 1000 * times[times.length >> 1] });
      }
    }
    return rows;
  }, CASES);
  for (const r of results) {
    r.zennit_us = zennit?.[`${r.model}/${r.method}`] ?? null;
    r.zennit_over_wasm = r.zennit_us === null ? null : r.zennit_us / r.median_us;
  }
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(`one explanation in Chromium (wasm), median${zennit ? `; Zennit ${zennit.version}, 1 thread, just before` : ""}`);
    for (const r of results) {
      const ratio = r.zennit_us === null ? "" : `   Zennit ${r.zennit_us.toFixed(0).padStart(6)} µs  ${r.zennit_over_wasm.toFixed(1).padStart(5)}×`;
      console.log(`${r.model.padEnd(11)} ${r.method.padEnd(21)} ${r.median_us.toFixed(1).padStart(9)} µs  (${String(r.runs).padStart(5)} runs)${ratio}`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
