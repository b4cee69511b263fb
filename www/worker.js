// The only place where the WebAssembly module runs: a module worker, so the page
// never waits for a computation. It answers one message at a time; the page
// (lrp-client.js) sends the next job only when this one has answered, which is
// what lets it drop stale requests instead of queueing them here.
//
// Messages: { kind: "wasm", module } brings the compiled module to worker.js?wasm=posted
// (index.html compiles it while the page loads); { kind: "hello" } is answered, once the module is loaded, with
// { type: "ready", models, methods } (or { type: "failed", error }); the worker
// posts nothing unasked, so a page may start it early and listen later. Jobs:
// { kind: "explain" (default), pixels, method, params, everyModel?, slim? } (everyModel:
// the decision of every model that reads the same inputs, defaults.js sameInputs),
// { kind: "removal", pixels, relevance, params }, { kind: "evaluate", pixels,
// labels, method, params, settings }, { kind: "report", tallies, settings } and
// { kind: "loadModel", description, weights }: each calls the module function of its
// name (see pkg/lrp.d.ts); loadModel answers { model, methods } for the page's catalogue.
import init, { initSync, models, methods, classify, explain, removal, evaluate, report, loadModel } from "../pkg/lrp.js";
import { START, sameInputs } from "./defaults.js";

// Where the wasm module comes from: the one-file build (scripts/build-offline.mjs) puts its
// bytes into this worker's source; the demo page compiles it while its own modules load
// and posts it ({ kind: "wasm", module } to worker.js?wasm=posted); otherwise the module
// fetches (and streams) lrp_bg.wasm beside lrp.js.
const embedded = globalThis.LRP_WASM ?? null;
let posted = null; // resolves to the message that brings the compiled module
// When this worker's steps happened, in the page's clock's terms (ms since 1970), for benches/first-load.mjs.
const timing = { script: performance.timeOrigin + performance.now() };
const stamp = (step) => { timing[step] = performance.timeOrigin + performance.now(); };
const loaded = embedded ? Promise.resolve().then(() => initSync({ module: embedded }))
  : new URLSearchParams(self.location.search).get("wasm") === "posted"
    ? new Promise((resolve) => { posted = resolve; }).then(({ module }) => (module ? initSync({ module }) : init()))
    : init();
const ready = loaded.then(() => {
  stamp("module");
  return catalogue();
});

/**
 * The models, each method as it applies to each model (ranges, the rule of every
 * layer), and the models that read each model's inputs ("every network on this input").
 */
function catalogue() {
  const list = models();
  const peers = Object.fromEntries(list.map((m) => [m.name, list.filter((o) => sameInputs(m, o)).map((o) => o.name)]));
  return { models: list, methods: Object.fromEntries(list.map((m) => [m.name, methods(m.name)])), peers };
}
// Answered only once the first explanation is prepared: so the page's first request does
// not wait behind it in a worker that two cores share with the page (in 8 interleaved
// cold loads, median first heatmap 532 ms, against 667 ms replying first, 643 ms without).
const prepared = ready.then((loaded) => {
  warmUp(loaded);
  stamp("warm");
  return loaded;
});

/**
 * A browser compiles each function of a wasm module the first time it runs: the first
 * explanation took 75–135 ms, nearly all of it compiling. The page's first request is,
 * unless it asks otherwise, the start method on the start model (defaults.js) and every
 * model's classification: computing one such explanation of a made-up input now, while
 * the page is still loading, compiles what that request needs.
 */
function warmUp(registry) {
  const { models } = registry;
  const spec = models.find((m) => m.name === START.model) ?? models[0];
  // A band across the middle of the model's input, at full ink: any shape will do.
  const size = spec.input_shape.reduce((a, b) => a * b, 1);
  const band = new Float32Array(size).fill(spec.input_range[1], Math.floor(0.3 * size), Math.ceil(0.7 * size));
  try {
    explainJob(registry, { pixels: band, method: START.method, params: { model: spec.name }, everyModel: true });
  } catch {
    // a module without the start method: nothing to prepare
  }
}

function explainJob({ peers }, { pixels, method, params, everyModel, slim }) {
  // The comparison grid only needs the heatmap and the decision: not every layer's relevance.
  const explanation = explain(pixels, method, slim ? { ...params, perLayer: false } : params);
  let result = explanation;
  if (slim) {
    const { model, prediction, target, confidence, relevance, relevanceSum } = explanation;
    result = { model, method, prediction, target, confidence, relevance, relevanceSum };
  }
  if (everyModel) {
    result.everyModel = peers[explanation.model].map((name) => {
      // The explained model's decision is in its explanation (the same forward pass).
      const { prediction, confidence, probabilities } = name === explanation.model ? explanation : classify(pixels, name);
      return { model: name, prediction, confidence, probability: probabilities[prediction] };
    });
  }
  return result;
}

const JOBS = {
  explain: explainJob,
  loadModel: (registry, { description, weights }) => {
    const model = loadModel(description, weights);
    Object.assign(registry, catalogue());
    return { model, methods: registry.methods[model.name] };
  },
  removal: (_, { pixels, relevance, params }) => removal(pixels, relevance, params),
  evaluate: (_, { pixels, labels, method, params, settings }) => evaluate(pixels, labels, method, params, settings),
  report: (_, { tallies, settings }) => report(tallies, settings),
};

self.onmessage = async ({ data }) => {
  const { id, kind = "explain" } = data;
  if (kind === "wasm") return posted?.(data);
  let registry;
  try {
    const loaded = await prepared;
    if (kind === "hello") return postMessage({ type: "ready", models: loaded.models, methods: loaded.methods, timing });
    registry = loaded;
  } catch (error) {
    return postMessage(kind === "hello"
      ? { type: "failed", error: String(error?.message ?? error) }
      : { type: "result", id, ok: false, crashed: false, error: `the module did not load: ${error?.message ?? error}` });
  }
  try {
    const job = JOBS[kind];
    if (!job) throw new Error(`unknown job ${kind}`);
    postMessage({ type: "result", id, ok: true, result: job(registry, data) });
  } catch (error) {
    // A trap (a Rust panic, which is a bug) can leave the instance in a broken state:
    // report it as such, and the page replaces this worker with a fresh one.
    const crashed = error instanceof WebAssembly.RuntimeError;
    postMessage({ type: "result", id, ok: false, crashed, error: String(error?.message ?? error) });
  }
};
