// The concepts panel (CRP) in headless Chromium: the channels it ranks are the module's
// per-channel relevance, a clicked channel's heatmap and attribution graph are the
// module's conditional explanation, and on the MLPs it ranks hidden neurons.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, ROOT, browserSession, openDemo, settled, viaModule } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const session = browserSession();
const WAIT = { timeout: 30_000 };

test("the concepts panel ranks conv 2's channels, and a click shows one channel's heatmap and where it takes its relevance from", async () => {
  const { page, log } = await openDemo(session.browser, session.server);
  const digit = GALLERY[0];
  await page.click("#concepts summary");
  await page.waitForSelector("#concepts-bars button", WAIT);
  assert.deepEqual(await page.$$eval("#concepts-layer option", (list) => list.map((o) => o.value)), ["0", "3", "7"],
    "every layer with weights but the output");
  assert.equal(await page.inputValue("#concepts-layer"), "3", "conv 2 first");
  const shown = await settled(page);

  // The module, on the same digit and method: layer 3's relevance per channel, and the explanation conditioned on the top one.
  const bars = await page.$$eval("#concepts-bars button", (list) => list.map((b) => ({ channel: Number(b.dataset.channel), relevance: Number(b.dataset.relevance) })));
  const expected = await viaModule(page, (m, { bytes, method, channel }) => {
    const pixels = Float32Array.from(bytes, (v) => v / 255);
    const e = m.explain(pixels, method, { model: "cnn" });
    const conditioned = m.explain(pixels, method, { model: "cnn", conditions: [{ layer: 3, channels: [channel] }] });
    return { channels: Array.from(e.layers[3].channels), sum: conditioned.relevanceSum, whole: e.relevanceSum,
      below: Array.from(conditioned.layers[0].channels) };
  }, { bytes: Array.from(digit.pixels), method: shown.method, channel: bars[0].channel });
  const ranked = expected.channels.map((v, c) => ({ c, v })).sort((a, b) => b.v - a.v).slice(0, 12);
  assert.deepEqual(bars.map((b) => b.channel), ranked.map((r) => r.c), "the module's ranking");
  bars.forEach((b, i) => assert.ok(Math.abs(b.relevance - ranked[i].v) <= 1e-6 * Math.abs(ranked[i].v) + 1e-9));

  await page.click(`#concepts-bars button[data-channel="${bars[0].channel}"]`);
  await page.waitForSelector("#concepts[data-state=done]", WAIT);
  assert.equal(await page.getAttribute("#concepts-map", "data-channel"), String(bars[0].channel));
  const sum = Number(await page.getAttribute("#concepts-map", "data-sum"));
  assert.ok(Math.abs(sum - expected.sum) <= 1e-5 * Math.abs(expected.sum), `${sum} against ${expected.sum}`);
  assert.ok(sum > 0 && sum < expected.whole, "one channel carries part of the relevance");
  assert.equal(await page.getAttribute(`#concepts-bars button[data-channel="${bars[0].channel}"]`, "aria-pressed"), "true");
  // The attribution graph: conv 1's channels, the largest |R| first, as the module gives them.
  const graph = await page.$$eval("#concepts-graph li", (list) => list.map((li) => Number(li.dataset.channel)));
  const top = expected.below.map((v, c) => ({ c, v })).sort((a, b) => Math.abs(b.v) - Math.abs(a.v)).slice(0, 5).map((r) => r.c);
  assert.deepEqual(graph, top);
  // The channel's map differs from the full one beside it.
  const [one, all] = await page.evaluate(() => ["concepts-map", "concepts-full"].map((id) => {
    const canvas = document.getElementById(id);
    return Array.from(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 4 === 0));
  }));
  assert.ok(one.some((v, i) => Math.abs(v - all[i]) > 30), "the channel's heatmap is not the full one");
  // Each bar shows the test images its channel is most relevant on (lrp concepts' file), cut to its receptive field.
  const references = JSON.parse(readFileSync(join(ROOT, "data/concepts/cnn.json"), "utf8")).layers.find((l) => l.layer === 3);
  await page.waitForSelector("#concepts-bars .crops canvas", WAIT);
  const crops = await page.$$eval("#concepts-bars button", (list) => list.map((b) => ({
    channel: Number(b.dataset.channel),
    crops: [...b.querySelectorAll(".crops canvas")].map((c) => ({ index: Number(c.dataset.index), size: `${c.width}×${c.height}` })),
  })));
  for (const { channel, crops: shownCrops } of crops) {
    const expected = references.relevance[channel].slice(0, 3);
    assert.deepEqual(shownCrops.map((c) => c.index), expected.map((r) => r[0]), `channel ${channel}`);
    assert.deepEqual(shownCrops.map((c) => c.size), expected.map((r) => `${r[5] - r[4] + 1}×${r[3] - r[2] + 1}`));
  }
  // The channel picked: where it is most relevant, and where most active.
  await page.waitForSelector("#concepts-references .activation canvas", WAIT);
  assert.deepEqual(await page.$$eval("#concepts-references .activation canvas", (list) => list.map((c) => Number(c.dataset.index))),
    references.activation[bars[0].channel].map((r) => r[0]));
  await page.locator("#concepts").screenshot({ path: join(ARTIFACTS, "concepts.png") });

  // On an MLP, the panel ranks hidden neurons.
  await page.selectOption("#model", "mlp-narrow");
  await settled(page, { model: "mlp-narrow" });
  await page.waitForFunction(() => document.getElementById("concepts-layer").dataset.model === "mlp-narrow", null, WAIT);
  assert.deepEqual(await page.$$eval("#concepts-layer option", (list) => list.map((o) => o.value)), ["1", "3"]);
  assert.match(await page.textContent("#concepts-bars button"), /^neuron \d+/);
  assert.deepEqual(log.errors, []);
});
