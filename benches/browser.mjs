// Time of one explanation in headless Chromium (wasm, main thread), for each
// model × {ε, EpsilonGammaBox, α2β1, Integrated Gradients}: the same cases as `cargo
// bench` and reference/bench_zennit.py. Each case is timed twice: the whole answer (with
// every layer's relevance, as the page's main view asks for it) and the heatmap only
// (`perLayer: false`, as the comparison grid asks, and all that Zennit's attributor
// returns). With --zennit, Zennit (1 thread) is timed too, by a
// reference/bench_zennit.py --serve process (needs torch and zennit), alternating with
// the page case by case over --rounds rounds, so that both sides of each ratio are
// measured within seconds of each other: on a shared machine the speed drifts by 2× over
// minutes. Each side's figure is its median over the rounds; the ratio is the median of
// the rounds' ratios. A benchmark, not a test: it prints figures.
//
//   node benches/browser.mjs [--json] [--zennit] [--rounds N]
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { ROOT, serve, launch } from "../tests/browser/harness.mjs";

const CASES = [
  ["epsilon", "epsilon", {}],
  ["epsilon-gamma-box", "epsilon-gamma-box", {}],
  ["alpha2-beta1", "alpha-beta", { alpha: 2 }],
  ["integrated-gradients", "integrated-gradients", {}], // 20 steps, as Zennit's default
];
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const withZennit = process.argv.includes("--zennit");
const rounds = option("--rounds", withZennit ? 3 : 1);

/** A reference/bench_zennit.py --serve process: `time(model, method)` → µs, and its versions. */
async function zennitServer() {
  const child = spawn("python3", ["reference/bench_zennit.py", "--serve"], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("reference/bench_zennit.py --serve stopped (are torch and zennit installed?)");
    return JSON.parse(value);
  };
  const about = await next();
  return {
    about,
    async time(model, method) {
      child.stdin.write(`${JSON.stringify({ model, method, runs: 200 })}\n`);
      return (await next()).us;
    },
    close: () => child.stdin.end(),
  };
}

const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];

const server = await serve();
const browser = await launch();
const zennit = withZennit ? await zennitServer() : null;
try {
  const page = await browser.newPage();
  // A new window first loads the browser's own omnibox pop-up (a WebUI renderer, about
  // 0.4 s of CPU; see benches/first-load.mjs): let it finish before timing anything.
  await new Promise((r) => setTimeout(r, 2000));
  // A document of the server's origin that runs nothing: the demo page's own worker
  // would compete for the cores with what is timed here.
  await page.goto(`${server.url}/www/style.css`);
  await page.evaluate(async () => {
    const lrp = await import("/pkg/lrp.js");
    await lrp.default();
    const { GALLERY } = await import("/www/gallery.js");
    globalThis.bench = { lrp, pixels: Float32Array.from(GALLERY[0].pixels, (v) => v / 255) };
  });
  const models = await page.evaluate(() => globalThis.bench.lrp.models().map((m) => m.name));
  /** The page's median µs of one explanation, and how many it ran. */
  const wasm = (model, rule, params) => page.evaluate(async ([model, rule, params]) => {
    const { lrp, pixels } = globalThis.bench;
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
    return { us: 1000 * times[times.length >> 1], runs: 15 * block };
  }, [model, rule, params]);

  const results = [];
  for (const model of models) {
    for (const [method] of CASES) results.push({ model, method, wasm: [], heatmap: [], zennit: [], runs: 0 });
  }
  for (let round = 0; round < rounds; round++) {
    for (const r of results) {
      const [, rule, params] = CASES.find(([name]) => name === r.method);
      if (zennit) r.zennit.push(await zennit.time(r.model, r.method));
      const { us, runs } = await wasm(r.model, rule, params);
      r.wasm.push(us);
      r.runs += runs;
      r.heatmap.push((await wasm(r.model, rule, { ...params, perLayer: false })).us);
    }
  }
  const rows = results.map((r) => ({
    model: r.model,
    method: r.method,
    runs: r.runs,
    median_us: median(r.wasm),
    heatmap_only_us: median(r.heatmap),
    zennit_us: zennit ? median(r.zennit) : null,
    zennit_over_wasm: zennit ? median(r.zennit.map((z, i) => z / r.wasm[i])) : null,
    zennit_over_heatmap_only: zennit ? median(r.zennit.map((z, i) => z / r.heatmap[i])) : null,
    rounds: zennit ? r.wasm.map((w, i) => ({ wasm_us: w, heatmap_only_us: r.heatmap[i], zennit_us: r.zennit[i] })) : undefined,
  }));
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ zennit: zennit?.about ?? null, rounds, rows }, null, 2));
  } else {
    console.log(`one explanation in Chromium (wasm), median of ${rounds} round(s)` +
      (zennit ? `; Zennit ${zennit.about.zennit} (torch ${zennit.about.torch}), 1 thread, alternating case by case` : ""));
    console.log("model       method                  whole answer   heatmap only" + (zennit ? "     Zennit   Zennit ÷ whole   ÷ heatmap only   (rounds: whole / heatmap only)" : ""));
    for (const r of rows) {
      const ratio = r.zennit_us === null ? "" : ` ${r.zennit_us.toFixed(0).padStart(7)} µs ${r.zennit_over_wasm.toFixed(1).padStart(8)}× ${r.zennit_over_heatmap_only.toFixed(1).padStart(14)}×` +
        `     (${r.rounds.map((x) => `${(x.zennit_us / x.wasm_us).toFixed(1)}/${(x.zennit_us / x.heatmap_only_us).toFixed(1)}`).join(", ")})`;
      console.log(`${r.model.padEnd(11)} ${r.method.padEnd(21)} ${r.median_us.toFixed(1).padStart(9)} µs ${r.heatmap_only_us.toFixed(1).padStart(11)} µs${ratio}`);
    }
  }
} finally {
  zennit?.close();
  await browser.close();
  await server.close();
}
