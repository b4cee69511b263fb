// <lrp-explainer>: the explainer as a custom element, for a course page. One script tag
// (this module, with the files beside it) and one element; it sizes itself to its
// content. Several elements on a page share one worker and one module. Attributes,
// read when the element is added:
//   model="cnn" method="epsilon" params="epsilon=0.1, gamma=0.5"
//   layout="compact" (draw + heatmap) or "full" (every panel, the default)
//   panels="draw heatmap answer" (any of panels.js's PANELS; overrides the layout's)
//   digit="3" (begin with a test digit of this class)
// Events (bubbling, composed): lrp-prediction and lrp-explanation, with the
// prediction, the probabilities and the relevance in `detail`; the same are properties.
import { LAYOUTS, PANELS, renderPanels } from "./panels.js";
import { startExplainer } from "./explainer.js";
import { LrpClient } from "./lrp-client.js";
import { WORKER } from "./assets.js";

const STYLE = new URL("./explainer.css", import.meta.url).href;
let sharedClient = null;
let instances = 0;

/** "epsilon=0.1, gamma=0.5" -> { epsilon: 0.1, gamma: 0.5 }, and what could not be read. */
function readParams(text, problems) {
  const params = {};
  for (const item of (text ?? "").split(/[\s,;]+/).filter(Boolean)) {
    const [name, value, extra] = item.split("=");
    if (!name || value === undefined || extra !== undefined || value.trim() === "" || !Number.isFinite(Number(value))) {
      problems.push(`params: "${item}" is not name=number`);
    } else {
      params[name] = Number(value);
    }
  }
  return params;
}

export class LrpExplainer extends HTMLElement {
  #explainer = null;
  #last = null; // the detail of the last lrp-explanation

  connectedCallback() {
    if (this.#explainer) return; // moved within the page: it keeps running
    const problems = [];
    const layout = this.getAttribute("layout") ?? "full";
    if (!(layout in LAYOUTS)) problems.push(`layout: "${layout}" is not one of ${Object.keys(LAYOUTS).join(", ")}`);
    let panels = LAYOUTS[layout] ?? LAYOUTS.full;
    if (this.hasAttribute("panels")) {
      const asked = this.getAttribute("panels").split(/[\s,]+/).filter(Boolean);
      for (const name of asked) if (!PANELS.includes(name)) problems.push(`panels: "${name}" is not one of ${PANELS.join(", ")}`);
      panels = asked.filter((name) => PANELS.includes(name));
    }
    const digit = this.getAttribute("digit");
    if (digit !== null && !/^[0-9]$/.test(digit)) problems.push(`digit: "${digit}" is not a digit from 0 to 9`);
    const start = {
      model: this.getAttribute("model") ?? undefined,
      method: this.getAttribute("method") ?? undefined,
      params: readParams(this.getAttribute("params"), problems),
      digit: digit !== null && /^[0-9]$/.test(digit) ? Number(digit) : undefined,
      problems,
    };

    const root = this.attachShadow({ mode: "open" });
    const style = Object.assign(document.createElement("link"), { rel: "stylesheet", href: STYLE });
    const wrapper = document.createElement("div");
    root.append(style, wrapper);
    renderPanels(wrapper, { panels, layout: layout in LAYOUTS ? layout : "full" });
    this.addEventListener("lrp-explanation", ({ detail }) => { this.#last = detail; });
    sharedClient ??= new LrpClient(...WORKER);
    this.#explainer = startExplainer(root, this, { client: sharedClient, channel: `widget-${++instances}`, start });
  }

  /** Resolves once the first explanation is on screen. */
  get ready() { return this.#explainer?.ready ?? Promise.reject(new Error("lrp-explainer: not on a page yet")); }
  /** The explanation on screen: { model, method, prediction, probabilities, confidence, target, relevance, relevanceSum, pixels, input }, or null. */
  get explanation() { return this.#last; }
  get prediction() { return this.#last?.prediction ?? null; }
  get probabilities() { return this.#last?.probabilities ?? null; }
  get relevance() { return this.#last?.relevance ?? null; }
}

if (!customElements.get("lrp-explainer")) customElements.define("lrp-explainer", LrpExplainer);
