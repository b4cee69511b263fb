// The module in a page, over a long session: 10,000 explanations interleaved with
// bad calls must leave the wasm memory and the JavaScript heap flat (no leak per
// call, on the success path or the error path).
import { test } from "node:test";
import assert from "node:assert/strict";
import { openPage, browserSession } from "./harness.mjs";

const env = browserSession();

/** Runs `count` explanations, each followed by a bad call, in the page; returns the wasm memory size after. */
const session = (page, count) => page.evaluate(async (count) => {
  const m = await import("/pkg/lrp.js");
  globalThis.wasm ??= await m.default();
  const methods = [["epsilon", {}], ["epsilon-gamma-box", { gamma: 0.5 }], ["alpha-beta", { alpha: 2 }], ["gradient", {}],
    ["custom", { layers: ["z-box", "gamma", "epsilon", "lrp-0"] }]];
  const models = ["cnn", "mlp-narrow", "mlp-wide"];
  const bad = [
    (pixels) => m.explain(pixels.subarray(1), "epsilon"),
    (pixels) => m.explain(pixels, "nope"),
    (pixels) => m.explain(pixels, "epsilon", { epsilon: -1 }),
    (pixels) => m.explain(pixels, "epsilon", { sigma: 1 }),
    (pixels) => m.classify(pixels, 3),
    (pixels) => m.explain(pixels, "custom", { model: "cnn", layers: ["magic", 1] }),
    (pixels) => m.explain(Float32Array.from(pixels, (v) => v * 2), "epsilon"),
  ];
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const pixels = Float32Array.from({ length: 784 }, (_, k) => ((k * 31 + i) % 97) / 96);
    const [method, params] = methods[i % methods.length];
    const model = method === "custom" ? "cnn" : models[i % models.length];
    const e = m.explain(pixels, method, { model, ...params });
    if (e.relevance.length !== 784) throw new Error("a wrong answer");
    try {
      bad[i % bad.length](pixels);
    } catch (error) {
      if (!(error instanceof Error) || error instanceof WebAssembly.RuntimeError) throw error;
      refused++;
    }
  }
  return { memory: globalThis.wasm.memory.buffer.byteLength, refused };
}, count);

test("10,000 explanations interleaved with bad calls leave wasm memory and the JS heap flat", async () => {
  const { page, log } = await openPage(env.browser);
  await page.goto(`${env.server.url}/www/style.css`); // any document of the origin can import the module
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    return (await cdp.send("Runtime.getHeapUsage")).usedSize;
  };
  // Warm up: the allocator reaches its working size, the JIT compiles the glue.
  const warm = await session(page, 1000);
  const heapBefore = await heap();
  const long = await session(page, 9000);
  const heapAfter = await heap();
  assert.equal(warm.refused, 1000);
  assert.equal(long.refused, 9000, "every bad call was refused with an Error");
  console.log(`wasm memory ${warm.memory} -> ${long.memory} bytes; JS heap ${heapBefore} -> ${heapAfter} bytes`);
  assert.equal(long.memory, warm.memory, "the wasm memory grew over 9,000 more calls");
  assert.ok(heapAfter - heapBefore < 1_000_000, `the JS heap grew by ${heapAfter - heapBefore} bytes`);
  assert.deepEqual(log.errors.filter((e) => !e.includes("404")), [], "no errors but the missing favicon");
  await page.context().close();
});
