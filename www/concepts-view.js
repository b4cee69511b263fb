// Concepts (Concept Relevance Propagation, Achtibat et al. 2023): which channels of a
// layer carry the decision on the input shown, and what each passes down. The ranking
// needs no extra work: every explanation carries each layer's output relevance summed
// per channel (`layers[i].channels`). A click on a channel asks the worker for the same
// explanation conditioned on that channel alone (`params.conditions`): its heatmap,
// beside the full one, and how its relevance splits among the channels of the layer
// below (the attribution graph, one layer down).
//
// Hooks for the tests: #concepts[data-state] is "idle", "computing", "done" or
// "failed"; each bar carries data-channel and data-relevance; #concepts-map carries
// data-channel and data-sum once drawn.
import { fmt, maxAbs } from "./colormap.js";
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
      `relevance for ${this.#className(e.target)}, with their share of the layer's total |R| (CRP's concept relevance). ` +
      `Click one to see its own heatmap.`;
    if (this.#channel === null) this.#clearConditional();
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
