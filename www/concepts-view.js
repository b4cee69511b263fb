// Concepts (Concept Relevance Propagation, Achtibat et al. 2023): which channels of a
// layer carry the decision on the input shown, and what each passes down. The ranking
// needs no extra work: every explanation carries each layer's output relevance summed
// per channel (`layers[i].channels`). A click on a channel asks the worker for the same
// explanation conditioned on that channel alone (`params.conditions`): its heatmap,
// beside the full one, and how its relevance splits among the channels of the layer
// below (the attribution graph, one layer down).
//
// Beside each channel, what it looks for: crops of the test images on which it is most
// relevant (and, for the channel picked, most active), cut to its best neuron's
// receptive field (`lrp concepts`, data/concepts/; zennit-crp's FeatureVisualization).
//
// Hooks for the tests: #concepts[data-state] is "idle", "computing", "done" or
// "failed"; each bar carries data-channel and data-relevance, each crop data-index;
// #concepts-map carries data-channel and data-sum once drawn.
import { fmt, maxAbs } from "./colormap.js";
import { conceptReferences, hasTestSplit, testSplit } from "./assets.js";
import { drawHeatmap, perPixel } from "./render.js";

/** How many channels the ranking shows. */
const TOP = 12;

/** The layers that have channels worth ranking: every Conv2d and Linear but the output. */
function rankable(model) {
  const last = model.layers.length - 1;
  const kinds = { Conv2d: "conv", Linear: "dense" };
  const count = {};
  return model.layers.flatMap((layer, index) => {
    if (!(layer.type in kinds) || index === last) return [];
    const noun = kinds[layer.type];
    count[noun] = (count[noun] ?? 0) + 1;
    const channels = layer.type === "Conv2d" ? layer.out_channels : layer.out_features;
    return [{ index, name: `${noun} ${count[noun]}`, channels, unit: layer.type === "Conv2d" ? "channel" : "neuron" }];
  });
}

export class ConceptsView {
  #root;
  #client;
  #controls;
  #shown = null; // { explanation, input, params, view } on screen
  #channel = null; // the channel clicked, in the layer chosen
  #version = 0;
  #references = new Map(); // model name -> Promise of its references (or null)
  #images = new Map(); // data set -> Promise of its test images (Uint8Array) or null

  constructor(root, { client, controls, cmap, queue = "concepts" }) {
    this.#root = root;
    this.#client = client;
    this.#controls = controls;
    this.cmap = cmap;
    this.queue = queue;
    root.dataset.state = "idle";
    this.$("concepts-layer").addEventListener("change", () => {
      this.#channel = null;
      this.#render();
    });
    root.addEventListener("toggle", () => this.#render());
  }

  $(id) {
    return this.#root.querySelector(`#${id}`);
  }

  /** The layers of the model on show: a new model (or another data set) fills the list anew. */
  #layers(model) {
    const select = this.$("concepts-layer");
    const layers = rankable(model);
    const key = `${model.name}`;
    if (select.dataset.model !== key) {
      select.dataset.model = key;
      const previous = select.value;
      select.replaceChildren(...layers.map((l) => new Option(`${l.name} (layer ${l.index}, ${l.channels} ${l.unit}s)`, String(l.index))));
      // By default the last convolution (its filters are the concepts students ask about), else the last dense layer.
      const keep = layers.find((l) => String(l.index) === previous);
      const start = layers.filter((l) => l.unit === "channel").at(-1) ?? layers.at(-1);
      select.value = String((keep ?? start)?.index ?? "");
      this.#channel = null;
    }
    return layers;
  }

  /** A new explanation is on screen (or null). */
  show(shown) {
    this.#shown = shown;
    if (this.#channel !== null && shown) this.#channel = null; // a new input: the old channel's map is stale
    this.#render();
  }

  #render() {
    if (!this.#root.open) return;
    const shown = this.#shown;
    const bars = this.$("concepts-bars");
    const e = shown?.explanation;
    if (!e || !e.layers.length) {
      bars.replaceChildren();
      this.$("concepts-status").textContent = !e ? "Give the network an input first."
        : `${e.method} is not computed layer by layer: pick an LRP rule or composite to see which channels carry the decision.`;
      this.#clearConditional();
      return;
    }
    const model = this.#controls.models.find((m) => m.name === e.model);
    const layers = this.#layers(model);
    const layer = layers.find((l) => String(l.index) === this.$("concepts-layer").value);
    if (!layer) return;
    const full = perPixel(e.relevance, shown.view);
    drawHeatmap(this.$("concepts-full"), { input: shown.input, relevance: e.relevance, cmap: this.cmap(), opacity: 0.85, limit: maxAbs(full), view: shown.view });
    this.$("concepts-full").setAttribute("aria-label", `the full heatmap, for comparison: total ${fmt(e.relevanceSum)}`);
    const values = Array.from(e.layers[layer.index].channels);
    const total = values.reduce((s, v) => s + Math.abs(v), 0) || 1;
    const ranked = values.map((v, c) => ({ c, v })).sort((a, b) => b.v - a.v).slice(0, TOP);
    const limit = maxAbs(ranked.map((r) => r.v)) || 1;
    bars.replaceChildren(...ranked.map(({ c, v }) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "concept";
      button.dataset.channel = String(c);
      button.dataset.relevance = String(v);
      button.setAttribute("aria-pressed", String(c === this.#channel));
      const share = (100 * v) / total;
      const label = Object.assign(document.createElement("span"), { className: "label", textContent: `${layer.unit} ${c}` });
      const track = Object.assign(document.createElement("span"), { className: "track" });
      const bar = Object.assign(document.createElement("span"), { className: v >= 0 ? "bar for" : "bar against" });
      bar.style.width = `${Math.min(100, (100 * Math.abs(v)) / limit)}%`;
      track.append(bar);
      const value = Object.assign(document.createElement("span"), { className: "value", textContent: `${share.toFixed(1)}%` });
      button.append(label, track, value);
      button.title = `${layer.unit} ${c}: relevance ${fmt(v)}, ${share.toFixed(1)}% of the layer's total |R|. Show its heatmap.`;
      button.addEventListener("click", () => this.#pick(layer, c));
      return button;
    }));
    this.$("concepts-status").textContent = `The ${Math.min(TOP, values.length)} ${layer.unit}s of ${layer.name} that carry most ` +
      `relevance for ${this.#className(e.target)}, with their share of the layer's total |R| (CRP's concept relevance), ` +
      `and the test images each is most relevant on, cut to what it sees. Click one to see its own heatmap.`;
    this.#cropsOfBars(model, layer, [...bars.children]);
    if (this.#channel === null) this.#clearConditional();
  }

  /** The references of a model and its data set's test images, or null when either is missing. */
  async #referencesOf(model) {
    if (!this.#references.has(model.name)) this.#references.set(model.name, conceptReferences(model.name));
    const refs = await this.#references.get(model.name);
    if (!refs || !model.dataset || !hasTestSplit(model.dataset)) return null;
    if (!this.#images.has(model.dataset)) this.#images.set(model.dataset, testSplit("images", model.dataset).catch(() => null));
    const images = await this.#images.get(model.dataset);
    return images && { refs, images };
  }

  /** Small canvases of the test images `list` names ([index, value, y0, y1, x0, x1]), each cut to its box. */
  #crops(list, images, view, mode) {
    const side = view.h * view.w;
    return list.map(([index, value, y0, y1, x0, x1]) => {
      const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
      const canvas = Object.assign(document.createElement("canvas"), { width: w, height: h, className: "crop" });
      const image = new ImageData(w, h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const g = images[index * side + (y + y0) * view.w + (x + x0)];
          image.data.set([g, g, g, 255], 4 * (y * w + x));
        }
      }
      canvas.getContext("2d").putImageData(image, 0, 0);
      canvas.dataset.index = String(index);
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `test image #${index}, where it is most ${mode} (${fmt(value)}), rows ${y0}–${y1}, columns ${x0}–${x1}`);
      return canvas;
    });
  }

  async #cropsOfBars(model, layer, buttons) {
    const version = this.#version;
    const found = await this.#referencesOf(model);
    if (!found || version !== this.#version) return;
    const entry = found.refs.layers.find((l) => l.layer === layer.index);
    if (!entry) return;
    const view = this.#shown?.view;
    if (!view) return;
    for (const button of buttons) {
      if (!button.isConnected) continue;
      const crops = Object.assign(document.createElement("span"), { className: "crops" });
      crops.append(...this.#crops(entry.relevance[Number(button.dataset.channel)].slice(0, 3), found.images, view, "relevant"));
      button.querySelector(".crops")?.remove();
      button.append(crops);
    }
  }

  /** For the channel picked: the test images it is most relevant on, and those it is most active on. */
  async #referenceRows(model, layer, channel) {
    const box = this.$("concepts-references");
    box.replaceChildren();
    const found = await this.#referencesOf(model);
    const entry = found?.refs.layers.find((l) => l.layer === layer.index);
    if (!entry || this.#channel !== channel) {
      if (!found) box.textContent = "No reference images here for this network.";
      return;
    }
    const row = (mode, words) => {
      const p = Object.assign(document.createElement("p"), { className: "hint", textContent: words });
      const crops = Object.assign(document.createElement("div"), { className: `crops ${mode}` });
      crops.append(...this.#crops(entry[mode][channel], found.images, this.#shown.view, mode === "relevance" ? "relevant" : "active"));
      return [p, crops];
    };
    box.append(...row("relevance", `Most relevant on (of the first ${found.refs.n} test images):`),
      ...row("activation", "Most active on:"));
  }

  #className(i) {
    return this.#controls.classes[i] ?? String(i);
  }

  #clearConditional() {
    const map = this.$("concepts-map");
    map.removeAttribute("data-channel");
    map.removeAttribute("data-sum");
    map.getContext("2d").clearRect(0, 0, map.width, map.height);
    this.$("concepts-map-caption").textContent = "Pick a channel above.";
    this.$("concepts-graph").replaceChildren();
    this.$("concepts-references").replaceChildren();
    this.#root.dataset.state = "idle";
  }

  /** The explanation conditioned on one channel: its heatmap and its attribution graph one layer down. */
  #pick(layer, channel) {
    const shown = this.#shown;
    if (!shown) return;
    this.#channel = channel;
    for (const b of this.$("concepts-bars").children) b.setAttribute("aria-pressed", String(Number(b.dataset.channel) === channel));
    const version = ++this.#version;
    this.#root.dataset.state = "computing";
    this.$("concepts-map-caption").textContent = `Computing ${layer.unit} ${channel}…`;
    const { explanation: e, input, params, view } = shown;
    const conditioned = { ...params, conditions: [{ layer: layer.index, channels: [channel] }] };
    this.#client.run({ pixels: input, method: e.method, params: conditioned }, this.queue).then((result) => {
      if (version !== this.#version) return;
      const map = this.$("concepts-map");
      const values = perPixel(result.relevance, view);
      drawHeatmap(map, { input, relevance: result.relevance, cmap: this.cmap(), opacity: 0.85, limit: maxAbs(values), view });
      map.dataset.channel = String(channel);
      map.dataset.sum = String(result.relevanceSum);
      map.setAttribute("aria-label", `heatmap of ${layer.unit} ${channel} of ${layer.name} alone: total ${fmt(result.relevanceSum)}`);
      this.$("concepts-map-caption").textContent = `Left: ${layer.unit} ${channel} of ${layer.name} alone, the pixels whose ` +
        `relevance for ${this.#className(e.target)} passes through it (Σ ${fmt(result.relevanceSum)}); right: all of it (Σ ${fmt(e.relevanceSum)}).`;
      this.#graph(layer, channel, result);
      this.#referenceRows(this.#controls.models.find((m) => m.name === result.model), layer, channel);
      this.#root.dataset.state = "done";
    }, (error) => {
      if (version !== this.#version) return;
      this.$("concepts-map-caption").textContent = `The module refused: ${error.message}`;
      this.#root.dataset.state = "failed";
    });
  }

  /** How the channel's relevance splits among the channels of the layer with weights below it. */
  #graph(layer, channel, result) {
    const box = this.$("concepts-graph");
    const model = this.#controls.models.find((m) => m.name === result.model);
    const below = rankable(model).filter((l) => l.index < layer.index).at(-1);
    if (!below) {
      box.replaceChildren(Object.assign(document.createElement("p"), { className: "hint", textContent: `${layer.name} is the first layer with weights: below it are the pixels, shown in the heatmap.` }));
      return;
    }
    const values = Array.from(result.layers[below.index].channels);
    const total = values.reduce((s, v) => s + Math.abs(v), 0) || 1;
    const top = values.map((v, c) => ({ c, v })).sort((a, b) => Math.abs(b.v) - Math.abs(a.v)).slice(0, 5);
    const heading = Object.assign(document.createElement("p"), { textContent: `${layer.unit} ${channel} takes its relevance from these ${below.unit}s of ${below.name}:` });
    const list = document.createElement("ol");
    list.className = "graph";
    list.append(...top.map(({ c, v }) => {
      const li = document.createElement("li");
      li.dataset.channel = String(c);
      li.dataset.share = String(v / total);
      li.textContent = `${below.unit} ${c}: ${fmt(v)} (${((100 * v) / total).toFixed(1)}%)`;
      return li;
    }));
    box.replaceChildren(heading, list);
  }
}
