// Where the page finds its worker and the MNIST test split: the files beside it when
// it is served, or what the one-file offline build (scripts/build-offline.mjs) put in
// `globalThis.LRP_OFFLINE` before this module ran: { worker: a Blob URL, testSplit:
// { images, labels } as gzipped IDX bytes }. The one place that knows the difference.
const offline = globalThis.LRP_OFFLINE ?? null;

/** The worker: `new LrpClient(...WORKER)`. In a page opened from disk, a module worker from a Blob URL fails to start in Chromium; a classic one starts. */
export const WORKER = offline ? [offline.worker, "classic"] : [new URL("./worker.js", import.meta.url), "module"];

const TEST_SPLIT = { images: "../data/mnist/t10k-images-idx3-ubyte.gz", labels: "../data/mnist/t10k-labels-idx1-ubyte.gz" };

/** How many test digits there are to evaluate on, or null if only loading them tells. */
export const TEST_DIGITS = offline ? offline.testSplitDigits : null;

/** Where the test split comes from, for messages. */
export const TEST_SPLIT_SOURCE = offline ? "this file" : "data/mnist/ beside www/";

/** One file of the MNIST test split ("images" or "labels"): the items of the IDX file, unpacked by the browser. */
export async function testSplit(which) {
  let body;
  if (offline) {
    body = new Blob([offline.testSplit[which]]).stream();
  } else {
    const response = await fetch(new URL(TEST_SPLIT[which], import.meta.url));
    if (!response.ok) throw new Error(`${TEST_SPLIT[which]}: ${response.status} ${response.statusText}`);
    body = response.body;
  }
  const bytes = new Uint8Array(await new Response(body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  const dims = bytes[3];
  return bytes.subarray(4 + 4 * dims);
}

/** Served over HTTP(S), registers the service worker (www/sw.js) that keeps the page working offline after this visit. */
export function keepForOffline() {
  if (offline || !("serviceWorker" in navigator) || !location.protocol.startsWith("http")) return;
  navigator.serviceWorker.register(new URL("./sw.js", import.meta.url)).catch((error) => {
    console.warn(`no offline copy: ${error.message}`); // the page works as before, only not offline
  });
}
