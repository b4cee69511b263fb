// The only place where the WebAssembly module runs: a module worker, so the page
// never waits for a computation. It answers one message at a time; the page
// (lrp-client.js) sends the next job only when this one has answered, which is
// what lets it drop stale requests instead of queueing them here.
//
// Messages: { kind: "wasm", module } brings the compiled module to worker.js?wasm=posted
// (index.html compiles it while the page loads); { kind: "hello" } is answered, once the module is loaded, with
// { type: "ready" } (or { type: "failed", error }); the worker
// posts nothing unasked, so a page may start it early and listen later. Jobs:
// { kind: "explain" (default), pixels, method, params, everyModel?, slim? } (everyModel:
// names of models whose decision on the same pixels comes with the answer),
// { kind: "removal", pixels, relevance, params }, { kind: "evaluate", pixels,
// labels, method, params, settings }, { kind: "report", tallies, settings } and
// { kind: "loadModel", description, weights }: each calls the module function of its
// name (see pkg/lrp.d.ts); loadModel answers { model, methods } for the page's catalogue.
// The page knows the embedded models without asking (www/catalogue.js, generated from
// the module), so a first request can arrive as soon as the module is loaded, and
// nothing else is done before it.
import init, { initSync, methods, classify, explain, removal, evaluate, report, loadModel } from "../pkg/lrp.js";

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
const ready = loaded.then(() => stamp("module"));

function explainJob({ pixels, method, params, everyModel, slim }) {
  // The comparison grid only needs the heatmap and the decision: not every layer's relevance.
  const explanation = explain(pixels, method, slim ? { ...params, perLayer: false } : params);
  let result = explanation;
  if (slim) {
    const { model, prediction, target, confidence, relevance, relevanceSum } = explanation;
    result = { model, method, prediction, target, confidence, relevance, relevanceSum };
  }
  if (everyModel) {
    result.everyModel = everyModel.map((name) => {
      // The explained model's decision is in its explanation (the same forward pass).
      const { prediction, confidence, probabilities } = name === explanation.model ? explanation : classify(pixels, name);
      return { model: name, prediction, confidence, probability: probabilities[prediction] };
    });
  }
  return result;
}

const JOBS = {
  explain: explainJob,
  loadModel: ({ description, weights }) => {
    const model = loadModel(description, weights);
    return { model, methods: methods(model.name) };
  },
  removal: ({ pixels, relevance, params }) => removal(pixels, relevance, params),
  evaluate: ({ pixels, labels, method, params, settings }) => evaluate(pixels, labels, method, params, settings),
  report: ({ tallies, settings }) => report(tallies, settings),
};

/**
 * The ArrayBuffers under the typed arrays of an answer, to be moved to the page rather
 * than copied: the arrays of one explanation are views on one buffer (a copy would
 * clone it whole for each view's message), and nothing here keeps an answer.
 */
function buffers(answer) {
  const found = new Set();
  const visit = (value) => {
    if (ArrayBuffer.isView(value)) found.add(value.buffer);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(answer);
  return [...found];
}

self.onmessage = async ({ data }) => {
  const { id, kind = "explain" } = data;
  if (kind === "wasm") return posted?.(data);
  try {
    await ready;
    if (kind === "hello") return postMessage({ type: "ready", timing });
  } catch (error) {
    return postMessage(kind === "hello"
      ? { type: "failed", error: String(error?.message ?? error) }
      : { type: "result", id, ok: false, crashed: false, error: `the module did not load: ${error?.message ?? error}` });
  }
  try {
    const job = JOBS[kind];
    if (!job) throw new Error(`unknown job ${kind}`);
    const result = job(data);
    postMessage({ type: "result", id, ok: true, result }, buffers(result));
  } catch (error) {
    // A trap (a Rust panic, which is a bug) can leave the instance in a broken state:
    // report it as such, and the page replaces this worker with a fresh one.
    const crashed = error instanceof WebAssembly.RuntimeError;
    postMessage({ type: "result", id, ok: false, crashed, error: String(error?.message ?? error) });
  }
};
