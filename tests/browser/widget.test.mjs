// The <lrp-explainer> widget on the example course page (examples/course.html, which
// loads it as www/lrp-explainer.bundle.js): two instances sharing one worker, their
// attributes (layout, panels, model, method, params, digit), their events and
// properties, bad attributes, the axe audit, and the unbundled modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, ROOT, audit, browserSession, draw, openPage, viaModule } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const env = browserSession();
const WAIT = { timeout: 30_000 };

/** Waits until widget `id` shows an up-to-date explanation matching `want` (#prediction's data attributes in its shadow root). */
async function settledWidget(page, id, want = {}) {
  await page.waitForFunction(({ id, want }) => {
    const host = document.getElementById(id);
    const shown = host?.shadowRoot?.getElementById("prediction")?.dataset;
    return host?.dataset.ready === "true" && host.dataset.busy === "false" &&
      Object.entries(want).every(([key, value]) => shown[key] === value);
  }, { id, want }, WAIT);
  return page.evaluate((id) => ({ ...document.getElementById(id).shadowRoot.getElementById("prediction").dataset }), id);
}

/** The panels widget `id` shows. */
const shownPanels = (page, id) => page.evaluate((id) => [...document.getElementById(id).shadowRoot.querySelectorAll("[data-panel]")]
  .filter((p) => !p.hidden).map((p) => p.dataset.panel), id);

async function openCourse() {
  const session = await openPage(env.browser);
  session.workers = [];
  session.page.on("worker", (worker) => session.workers.push(worker.url()));
  await session.page.setViewportSize({ width: 1100, height: 900 });
  await session.page.goto(`${env.server.url}/examples/course.html`);
  return session;
}

test("two widgets on a course page: their own layouts and settings, one shared worker, events and properties", async () => {
  const { page, log, context, workers } = await openCourse();
  const events = await page.evaluateHandle(() => {
    const seen = [];
    for (const type of ["lrp-prediction", "lrp-explanation"]) {
      document.addEventListener(type, (e) => seen.push({ type, id: e.target.id, composed: e.composed, bubbles: e.bubbles }));
    }
    return seen;
  });
  const quick = await settledWidget(page, "quick");
  const full = await settledWidget(page, "full");
  assert.equal(workers.length, 1, `one worker for both widgets: ${workers}`);

  // Attributes: the compact one shows the pad and the heatmap with ε; the full one everything, on mlp-narrow, from a 3.
  assert.deepEqual(await shownPanels(page, "quick"), ["draw", "heatmap"]);
  assert.deepEqual((await shownPanels(page, "full")).sort(),
    ["answer", "compare", "concepts", "draw", "evaluate", "gallery", "heatmap", "layers", "removal", "settings"]);
  assert.equal(quick.method, "epsilon");
  assert.equal(quick.model, "cnn");
  assert.equal(full.model, "mlp-narrow");
  const three = GALLERY.find((item) => item.label === 3);
  assert.equal(full.input, `gallery:${three.index}`, "the full widget starts with a test digit 3");
  assert.equal(await page.inputValue("#full #model"), "mlp-narrow");

  // Sizes itself: no inner scrolling, the compact one about a screen high at most.
  const sizes = await page.evaluate(() => ["quick", "full"].map((id) => {
    const host = document.getElementById(id);
    return { height: host.getBoundingClientRect().height, inner: host.shadowRoot.querySelector(".explainer").getBoundingClientRect().height, scroll: host.scrollHeight - host.clientHeight };
  }));
  for (const s of sizes) {
    assert.ok(Math.abs(s.height - s.inner) <= 1, `the element is as tall as its content: ${JSON.stringify(s)}`);
    assert.ok(s.scroll <= 0);
  }
  assert.ok(sizes[0].height < 700, `the compact widget is ${sizes[0].height} px high`);

  // Drawing on the compact one: its events carry the prediction and the module's relevance; the other one is left alone.
  await page.click("#quick #clear");
  await settledWidget(page, "quick", { input: "empty" });
  await draw(page, [[[0.5, 0.15], [0.52, 0.5], [0.54, 0.85]]], 6, "#quick #pad");
  const drawn = await settledWidget(page, "quick");
  assert.match(drawn.input, /^drawing:/);
  assert.equal(drawn.prediction, "1");
  await page.waitForFunction(() => /says 1/.test(document.getElementById("quick-answer").textContent), null, WAIT);
  const property = await page.evaluate(() => {
    const host = document.getElementById("quick");
    const e = host.explanation;
    return { prediction: host.prediction, probabilities: Array.from(host.probabilities), relevance: Array.from(host.relevance), pixels: Array.from(e.pixels), method: e.method, model: e.model };
  });
  assert.equal(property.prediction, 1);
  assert.equal(property.probabilities.length, 10);
  const check = await viaModule(page, (m, { pixels }) => Array.from(m.explain(Float32Array.from(pixels), "epsilon", { model: "cnn", epsilon: 0.25 }).relevance), property);
  const diff = Math.max(...check.map((r, i) => Math.abs(r - property.relevance[i])));
  assert.ok(diff < 1e-6, `the widget's relevance is the module's for ε = 0.25 (max difference ${diff})`);
  assert.equal((await settledWidget(page, "full")).input, `gallery:${three.index}`, "the other widget did not change");

  const seen = await events.jsonValue();
  for (const type of ["lrp-prediction", "lrp-explanation"]) {
    const mine = seen.filter((e) => e.type === type);
    assert.ok(mine.some((e) => e.id === "quick") && mine.some((e) => e.id === "full"), `${type} from both widgets`);
    assert.ok(mine.every((e) => e.bubbles && e.composed), `${type} bubbles and is composed`);
  }
  await page.screenshot({ path: join(ARTIFACTS, "course.png"), fullPage: true });
  assert.deepEqual(await audit(page), [], "axe-core on the course page, widgets included");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a widget with bad attributes says what is wrong and works with the defaults", async () => {
  const { page, log, context, workers } = await openCourse();
  await settledWidget(page, "quick");
  await page.evaluate(() => {
    const widget = document.createElement("lrp-explainer");
    widget.id = "odd";
    widget.setAttribute("model", "resnet");
    widget.setAttribute("panels", "draw heatmap answer sparkles");
    widget.setAttribute("params", "epsilon=abc gamma=2");
    widget.setAttribute("digit", "12");
    document.body.append(widget);
  });
  const shown = await settledWidget(page, "odd");
  assert.equal(shown.model, "cnn", "the default network");
  assert.deepEqual(await shownPanels(page, "odd"), ["draw", "heatmap", "answer"]);
  const message = await page.evaluate(() => {
    const box = document.getElementById("odd").shadowRoot.getElementById("error");
    return box.hidden ? null : box.textContent;
  });
  for (const word of ['"resnet"', '"sparkles"', '"epsilon=abc"', '"12"']) assert.ok(message?.includes(word), `${word} in: ${message}`);
  // γ = 2 is used: the map is EpsilonGammaBox's (the default method) with γ = 2.
  const e = await page.evaluate(() => {
    const x = document.getElementById("odd").explanation;
    return { method: x.method, pixels: Array.from(x.pixels), relevance: Array.from(x.relevance) };
  });
  assert.equal(e.method, "epsilon-gamma-box");
  const [withTwo, withDefault] = await viaModule(page, (m, { pixels }) => [2, 0.25].map((gamma) =>
    Array.from(m.explain(Float32Array.from(pixels), "epsilon-gamma-box", { model: "cnn", gamma }).relevance)), e);
  const distance = (a) => Math.max(...a.map((r, i) => Math.abs(r - e.relevance[i])));
  assert.ok(distance(withTwo) < 1e-6 && distance(withDefault) > 1e-4, "γ = 2 reached the module");
  assert.equal(workers.length, 1, `the third widget joins the same worker: ${workers}`);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("on a phone, the compact widget keeps its pad and its heatmap side by side, both in view", async () => {
  const { page, log, context } = await openCourse();
  await page.setViewportSize({ width: 390, height: 844 });
  await settledWidget(page, "quick");
  await page.evaluate(() => document.getElementById("quick").scrollIntoView({ block: "start" }));
  const boxes = await page.evaluate(() => ["pad", "heatmap"].map((id) => {
    const r = document.getElementById("quick").shadowRoot.getElementById(id).getBoundingClientRect();
    return { id, top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width };
  }));
  for (const b of boxes) {
    assert.ok(b.top >= 0 && b.bottom <= 844 && b.left >= 0 && b.right <= 390 && b.width > 100, `${b.id} in view: ${JSON.stringify(b)}`);
  }
  assert.ok(boxes[0].right <= boxes[1].left, "side by side: the pad on the left");
  await page.screenshot({ path: join(ARTIFACTS, "course-phone.png") });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a widget with model=\"fashion-cnn\" starts on Fashion-MNIST, with a test image of the class asked for", async () => {
  const { page, log } = await openCourse();
  await settledWidget(page, "quick");
  await page.evaluate(() => {
    const widget = Object.assign(document.createElement("lrp-explainer"), { id: "fashion" });
    widget.setAttribute("model", "fashion-cnn");
    widget.setAttribute("digit", "9");
    document.body.append(widget);
  });
  const shown = await settledWidget(page, "fashion", { model: "fashion-cnn" });
  const { GALLERY: FASHION } = await import("../../www/gallery-fashion-mnist.js");
  const boot = FASHION.find((item) => item.label === 9);
  assert.equal(shown.input, `gallery:${boot.index}`, "the first ankle boot of the gallery");
  assert.equal(await page.evaluate(() => document.getElementById("fashion").shadowRoot.getElementById("dataset").value), "fashion-mnist");
  assert.equal(await page.evaluate(() => document.getElementById("fashion").dataset.group), "fashion-mnist");
  // The widget on the same page that explains digits is untouched.
  assert.equal((await settledWidget(page, "quick")).model, "cnn");
  assert.deepEqual(log.errors, []);
});

test("the widget's modules, loaded as they are instead of as the bundle, give the same explanation", async () => {
  const session = await openPage(env.browser);
  const { page, log, context } = session;
  await page.setViewportSize({ width: 1100, height: 900 });
  // The example course page with the unbundled module in its script tag, served beside the real one.
  const course = readFileSync(join(ROOT, "examples/course.html"), "utf8");
  const modules = course.replace("../www/lrp-explainer.bundle.js", "../www/lrp-explainer.js");
  assert.notEqual(modules, course);
  await context.route("**/examples/course-modules.html", (route) => route.fulfill({ contentType: "text/html", body: modules }));
  const requested = [];
  page.on("request", (request) => requested.push(new URL(request.url()).pathname));
  await page.goto(`${env.server.url}/examples/course-modules.html`);
  const shown = await settledWidget(page, "quick");
  const relevance = await page.evaluate(() => Array.from(document.getElementById("quick").relevance));
  assert.ok(requested.includes("/www/explainer.js") && !requested.some((p) => p.endsWith(".bundle.js")), "the modules, not a bundle");
  const pixels = await page.evaluate(() => Array.from(document.getElementById("quick").explanation.pixels));
  const expected = await viaModule(page, (m, pixels) => Array.from(m.explain(Float32Array.from(pixels), "epsilon", { model: "cnn", epsilon: 0.25 }).relevance), pixels);
  assert.equal(shown.method, "epsilon");
  assert.ok(relevance.every((r, i) => Math.abs(r - expected[i]) < 1e-6), "the module's relevance for ε = 0.25");
  assert.deepEqual(log.errors, []);
  await context.close();
});
