// The only place where the WebAssembly module runs: a module worker, so the page
// never waits for a computation. It answers one message at a time; the page
// (lrp-client.js) sends the next job only when this one has answered, which is
// what lets it drop stale requests instead of queueing them here.
//
// Jobs: { kind: "explain" (default), pixels, method, params, everyModel?, slim? },
// { kind: "removal", pixels, relevance, params }, { kind: "evaluate", pixels,
// labels, method, params, settings } and { kind: "report", tallies, settings }:
// each calls the module function of its name (see pkg/lrp.d.ts).
import init, { initSync, models, methods, classify, explain, removal, evaluate, report } from "../pkg/lrp.js";

// The one-file build (scripts/build-offline.mjs) puts the wasm bytes into this worker's
// source; served, the module fetches (and streams) lrp_bg.wasm beside lrp.js.
const embedded = globalThis.LRP_WASM ?? null;
const loaded = embedded ? Promise.resolve().then(() => initSync({ module: embedded })) : init();
const ready = loaded.then(
  () => {
    const list = models();
    // Each method as it applies to each model (ranges, the rule of every layer).
    const catalogue = Object.fromEntries(list.map((m) => [m.name, methods(m.name)]));
    postMessage({ type: "ready", models: list, methods: catalogue });
    return list.map((m) => m.name);
  },
  (error) => {
    postMessage({ type: "failed", error: String(error?.message ?? error) });
    throw error;
  },
);

function explainJob(names, { pixels, method, params, everyModel, slim }) {
  const explanation = explain(pixels, method, params);
  let result = explanation;
  if (slim) {
    // The comparison grid only needs the heatmap and the decision.
    const { model, prediction, target, confidence, relevance, relevanceSum } = explanation;
    result = { model, method, prediction, target, confidence, relevance, relevanceSum };
  }
  if (everyModel) {
    result.everyModel = names.map((name) => {
      const { prediction, confidence, probabilities } = classify(pixels, name);
      return { model: name, prediction, confidence, probability: probabilities[prediction] };
    });
  }
  return result;
}

const JOBS = {
  explain: explainJob,
  removal: (_, { pixels, relevance, params }) => removal(pixels, relevance, params),
  evaluate: (_, { pixels, labels, method, params, settings }) => evaluate(pixels, labels, method, params, settings),
  report: (_, { tallies, settings }) => report(tallies, settings),
};

self.onmessage = async ({ data }) => {
  const names = await ready;
  const { id, kind = "explain" } = data;
  try {
    const job = JOBS[kind];
    if (!job) throw new Error(`unknown job ${kind}`);
    postMessage({ type: "result", id, ok: true, result: job(names, data) });
  } catch (error) {
    // A trap (a Rust panic, which is a bug) can leave the instance in a broken state:
    // report it as such, and the page replaces this worker with a fresh one.
    const crashed = error instanceof WebAssembly.RuntimeError;
    postMessage({ type: "result", id, ok: false, crashed, error: String(error?.message ?? error) });
  }
};
