// The service worker of the served page: after a first visit, the page keeps working
// with the server gone (a classroom whose network drops). Network first, so that a
// served update is always seen; the cache answers only when the network cannot.
// The files are precached at install, from the browser's HTTP cache where it has them
// (the page has just loaded them), so the first visit costs no second download.
const CACHE = "lrp-explainer";
const FILES = [
  "./", "./index.html", "./style.css", "./explainer.css",
  "./app.bundle.js", "./app.js", "./assets.js", "./catalogue.js", "./colormap.js", "./compare-view.js", "./concepts-view.js", "./controls.js", "./datasets.js",
  "./defaults.js",
  "./download.js", "./gallery-fashion-mnist.js",
  "./evaluate-view.js", "./explainer.js", "./gallery.js", "./layers-view.js", "./lrp-client.js",
  "./lrp-explainer.js", "./lrp-explainer.bundle.js", "./pad.js", "./panels.js", "./plot.js", "./preprocess.js", "./removal-view.js",
  "./render.js", "./worker.js",
  "../pkg/lrp.js", "../pkg/lrp_bg.wasm",
];
// datasets.js SHIPPED: the models loaded when their data set is first shown. A server
// without them (www/ and pkg/ copied alone) still gets the rest kept offline.
const OPTIONAL = ["../weights/fashion-cnn.json", "../weights/fashion-cnn.safetensors"];

const request = (file) => new Request(file, { cache: "force-cache" });
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => Promise.all([cache.addAll(FILES.map(request)), ...OPTIONAL.map((file) => cache.add(request(file)).catch(() => {}))]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(fetch(request).then(
    (response) => {
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
      }
      return response;
    },
    async (error) => (await caches.match(request, { ignoreSearch: true })) ?? Promise.reject(error),
  ));
});
