// The poster's feature removal on the digit on screen: remove the pixels the heatmap
// ranks highest (or lowest, or in a random order) and watch the network's answer.
// The worker computes each order's whole curve once per explanation, one pixel per
// step with the image after each step; the slider then only shows what is computed.
//
// Hooks for the tests: #removal[data-complete] once the three curves of the
// explanation on screen are in, [data-flip] the pixels at which the MoRF order first
// changes the prediction ("" if it does not within the range).
import { linePlot, legend } from "./plot.js";
import { drawInput } from "./render.js";
import { fmt } from "./colormap.js";

/** Pixels the curves run to: more than a digit's ink (about 100 to 200 of 784). */
const MAX_PIXELS = 250;

const ORDERS = [
  { name: "morf", label: "most relevant first (MoRF)", colour: "#b2182b" },
  { name: "lerf", label: "least relevant first (LeRF)", colour: "#2166ac" },
  { name: "random", label: "in a random order", colour: "#5f6368", dash: "5 4" },
];

export class RemovalView {
  #root;
  #client;
  #queue;
  #shown = null;
  #curves = {};
  #generation = 0;

  /** `queue`: the client's background queue for these curves ("removal", or "removal:<channel>"). */
  constructor(root, { client, queue = "removal" }) {
    this.#queue = queue;
    this.#root = root;
    this.#client = client;
    const order = this.$("removal-order");
    order.replaceChildren(...ORDERS.map((o) => new Option(o.label, o.name)));
    this.$("removal-k").max = String(MAX_PIXELS);
    order.addEventListener("change", () => this.#render());
    this.$("removal-fill").addEventListener("change", () => this.#request());
    this.$("removal-k").addEventListener("input", () => this.#render());
    this.#render();
  }

  $(id) {
    return this.#root.querySelector(`#${id}`);
  }

  /** A new explanation on screen (or null): its curves are computed in the background. */
  show(shown) {
    this.#shown = shown;
    this.#request();
  }

  #request() {
    const generation = ++this.#generation;
    this.#curves = {};
    this.#root.dataset.complete = "false";
    this.#root.dataset.flip = "";
    const shown = this.#shown;
    if (!shown) {
      this.#client.background([], () => {}, this.#queue);
      this.#render();
      return;
    }
    const e = shown.explanation;
    const steps = Math.min(MAX_PIXELS, e.relevance.length);
    const jobs = ORDERS.map((o) => ({
      kind: "removal",
      pixels: shown.input,
      relevance: e.relevance,
      params: { model: e.model, target: e.target, order: o.name, removal: this.$("removal-fill").value, steps, stepPixels: 1, images: true },
    }));
    this.#client.background(jobs, (job, result, error) => {
      if (generation !== this.#generation) return;
      this.#curves[job.params.order] = error ? { error } : result;
      if (ORDERS.every((o) => this.#curves[o.name])) {
        this.#root.dataset.complete = "true";
        this.#root.dataset.flip = String(this.#curves.morf?.flip?.pixels ?? "");
      }
      this.#render();
    }, this.#queue);
    this.#render();
  }

  #render() {
    const k = Number(this.$("removal-k").value);
    this.$("removal-k-value").textContent = String(k);
    this.$("removal-k").setAttribute("aria-valuetext", `${k} pixels removed`);
    const shown = this.#shown;
    const order = this.$("removal-order").value;
    const curve = this.#curves[order];
    const verdict = this.$("removal-verdict");
    const list = this.$("removal-probabilities");
    if (!shown || !curve || curve.error) {
      verdict.textContent = !shown ? "Draw or pick a digit first." : curve?.error ? `The module refused: ${curve.error.message}` : "Computing…";
      drawInput(this.$("removal-input"), shown?.input ?? null, shown?.view);
      this.$("removal-confidence").textContent = "";
      list.replaceChildren();
      this.#plot(k);
      return;
    }
    const side = shown.input.length;
    const step = Math.min(k, curve.removed.length - 1);
    drawInput(this.$("removal-input"), curve.images.subarray(step * side, (step + 1) * side), shown.view);
    const classes = curve.probabilities.length / curve.removed.length;
    const p = curve.probabilities.subarray(step * classes, (step + 1) * classes);
    const predicted = curve.prediction[step];
    const target = curve.target;
    const label = ORDERS.find((o) => o.name === order).label;
    const flip = curve.flip;
    verdict.replaceChildren();
    const strong = (text, className = "") => Object.assign(document.createElement("strong"), { textContent: text, className });
    if (predicted !== curve.prediction[0]) {
      verdict.append(strong(`Misclassified as ${predicted}`, "flipped"), ` after ${flip.pixels} pixel${flip.pixels === 1 ? "" : "s"} removed ${label}.`);
    } else if (flip) {
      verdict.append(`Still a ${predicted} after ${k} pixels; it becomes a ${flip.to} after ${flip.pixels}.`);
    } else {
      verdict.append(`Still a ${predicted} after all ${curve.removed.at(-1)} pixels removed ${label}.`);
    }
    const confidence = curve.confidence[step];
    this.$("removal-confidence").textContent =
      `Confidence ${fmt(confidence, 3)} (on the input: ${fmt(curve.confidence[0], 3)}); probability of ${target}: ` +
      `${fmt(curve.probability[step], 3)} (was ${fmt(curve.probability[0], 3)}).`;
    list.replaceChildren(...Array.from(p, (value, digit) => {
      const li = document.createElement("li");
      li.className = digit === predicted ? "predicted" : "";
      const name = Object.assign(document.createElement("span"), { className: "label", textContent: String(digit) });
      const track = Object.assign(document.createElement("span"), { className: "track" });
      const bar = Object.assign(document.createElement("span"), { className: "bar" });
      bar.style.width = `${(100 * value).toFixed(1)}%`;
      track.append(bar);
      const text = Object.assign(document.createElement("span"), { className: "value", textContent: `${(100 * value).toFixed(1)}%` });
      li.append(name, track, text);
      return li;
    }));
    list.setAttribute("aria-label", `probabilities after ${k} pixels: ${predicted} is predicted with ${(100 * p[predicted]).toFixed(1)}%`);
    this.#plot(k);
  }

  #plot(k) {
    const ready = ORDERS.filter((o) => this.#curves[o.name]?.probability);
    const series = ready.map((o) => ({ label: o.label, colour: o.colour, dash: o.dash, x: this.#curves[o.name].removed, y: this.#curves[o.name].probability }));
    const points = ready.filter((o) => this.#curves[o.name].flip).map((o) => {
      const c = this.#curves[o.name];
      return { x: c.flip.pixels, y: c.probability[c.flip.step], colour: o.colour, label: `${o.label}: becomes a ${c.flip.to} after ${c.flip.pixels} pixels` };
    });
    const target = this.#shown?.explanation.target;
    const describe = ready.map((o) => {
      const c = this.#curves[o.name];
      return `${o.label}: ${c.flip ? `flips to ${c.flip.to} after ${c.flip.pixels} pixels` : "never flips"}, area ${fmt(c.area, 3)}`;
    }).join("; ");
    linePlot(this.$("removal-curves"), {
      series, points, marker: k, xLabel: "pixels removed", yLabel: `probability of ${target ?? "the class"}`,
      description: `Probability of ${target} as pixels are removed. ${describe}`,
    });
    legend(this.$("removal-legend"), ORDERS.map((o) => ({ label: o.label, colour: o.colour, dash: o.dash })));
    const [morf, lerf] = [this.#curves.morf, this.#curves.lerf];
    this.$("removal-figures").textContent = morf?.probability && lerf?.probability
      ? `For this digit: AOPC ${fmt(morf.aopc, 3)} (the probability lost on average along the MoRF curve), ` +
        `symmetric relevance gain ${fmt(lerf.area - morf.area, 3)} (LeRF area − MoRF area). Higher is better for both.`
      : "";
  }
}
