// Where the page finds its worker and the test splits (MNIST's, Fashion-MNIST's): the
// files beside it when it is served, or what the one-file offline build
// (scripts/build-offline.mjs) put in `globalThis.LRP_OFFLINE` before this module ran:
// { worker: a Blob URL, testSplit: MNIST's { images, labels } as gzipped IDX bytes,
// concepts: the MNIST models' reference inputs, models: the shipped models' files }.
// The one place that knows the difference.
const offline = globalThis.LRP_OFFLINE ?? null;

/** The worker: `new LrpClient(...WORKER)`. In a page opened from disk, a module worker from a Blob URL fails to start in Chromium; a classic one starts. */
export const WORKER = offline ? [offline.worker, "classic"] : [new URL("./worker.js", import.meta.url), "module"];

const split = (dataset) => ({ images: `../data/${dataset}/t10k-images-idx3-ubyte.gz`, labels: `../data/${dataset}/t10k-labels-idx1-ubyte.gz` });
const TEST_SPLITS = { mnist: split("mnist"), "fashion-mnist": split("fashion-mnist") };

/** How many test digits there are to evaluate on, or null if only loading them tells. */
export const TEST_DIGITS = offline ? offline.testSplitDigits : null;

/** Whether the test split of `dataset` can be had (the one-file build carries MNIST's only). */
export const hasTestSplit = (dataset) => (offline ? dataset === "mnist" : dataset in TEST_SPLITS);

/** Where the test split comes from, for messages. */
export const testSplitSource = (dataset = "mnist") => (offline ? "this file" : `data/${dataset}/ beside www/`);

/** One file of a test split ("images" or "labels"): the items of the IDX file, unpacked by the browser. */
export async function testSplit(which, dataset = "mnist") {
  let body;
  if (!hasTestSplit(dataset)) throw new Error(`no test split of ${dataset} here`);
  if (offline) {
    body = new Blob([offline.testSplit[which]]).stream();
  } else {
    const file = TEST_SPLITS[dataset][which];
    const response = await fetch(new URL(file, import.meta.url));
    if (!response.ok) throw new Error(`${file}: ${response.status} ${response.statusText}`);
    body = response.body;
  }
  const bytes = new Uint8Array(await new Response(body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  const dims = bytes[3];
  return bytes.subarray(4 + 4 * dims);
}

/**
 * A model shipped as files rather than in the wasm module (datasets.js `shipped`):
 * { description: its JSON text, weights: the safetensors bytes }, from weights/ beside
 * www/, or from the one-file build.
 */
export async function shippedModel(name) {
  if (offline) {
    const files = offline.models?.[name];
    if (!files) throw new Error(`${name} is not in this file`);
    return files;
  }
  const fetched = await Promise.all(["json", "safetensors"].map(async (ext) => {
    const file = `../weights/${name}.${ext}`;
    const response = await fetch(new URL(file, import.meta.url));
    if (!response.ok) throw new Error(`${file}: ${response.status} ${response.statusText}`);
    return ext === "json" ? response.text() : new Uint8Array(await response.arrayBuffer());
  }));
  return { description: fetched[0], weights: fetched[1] };
}

/**
 * The reference inputs of a model's channels (`lrp concepts`: data/concepts/<model>.json,
 * over the first 1,000 test images), or null where there are none (a model of the user's).
 */
export async function conceptReferences(model) {
  if (offline) return offline.concepts?.[model] ?? null;
  try {
    const response = await fetch(new URL(`../data/concepts/${model}.json`, import.meta.url));
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/** Served over HTTP(S), registers the service worker (www/sw.js) that keeps the page working offline after this visit. */
export function keepForOffline() {
  if (offline || !("serviceWorker" in navigator) || !location.protocol.startsWith("http")) return;
  navigator.serviceWorker.register(new URL("./sw.js", import.meta.url)).catch((error) => {
    console.warn(`no offline copy: ${error.message}`); // the page works as before, only not offline
  });
}
