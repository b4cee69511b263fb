// The only place where the WebAssembly module runs: a module worker, so the page
// never waits for a computation. It answers one message at a time; the page
// (lrp-client.js) sends the next job only when this one has answered, which is
// what lets it drop stale requests instead of queueing them here.
import init, { models, methods, classify, explain } from "../pkg/lrp.js";

const ready = init().then(
  () => {
    const list = models();
    postMessage({ type: "ready", models: list, methods: methods() });
    return list.map((m) => m.name);
  },
  (error) => {
    postMessage({ type: "failed", error: String(error?.message ?? error) });
    throw error;
  },
);

self.onmessage = async ({ data }) => {
  const names = await ready;
  const { id, pixels, method, params, everyModel, slim } = data;
  try {
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
    postMessage({ type: "result", id, ok: true, result });
  } catch (error) {
    postMessage({ type: "result", id, ok: false, error: String(error?.message ?? error) });
  }
};
