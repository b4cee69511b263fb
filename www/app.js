// The demo page: the explainer with every panel, on the page itself (no shadow root,
// so that the page's ids and body[data-*] hooks are the explainer's), and, once the
// first heatmap is on screen, the service worker that keeps the page working offline.
import { renderPanels } from "./panels.js";
import { startExplainer } from "./explainer.js";
import { LrpClient } from "./lrp-client.js";
import { WORKER, keepForOffline } from "./assets.js";

performance.mark("lrp:modules"); // the page's modules are loaded (benches/first-load.mjs)
renderPanels(document.getElementById("explainer"));
const explainer = startExplainer(document, document.body, { client: new LrpClient(...WORKER) });
explainer.ready.then(keepForOffline);
