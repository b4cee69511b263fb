// The poster's table, in the browser: the feature-removal evaluation of several
// methods over many test images of the data set shown (MNIST's digits, Fashion-MNIST's clothes), spread over a pool of Web Workers (one per
// core, up to four), so the page never waits. Each worker evaluates slices of digits
// and returns tallies; the module adds them up (`report`), the same code as
// `lrp evaluate`, so the figures are the CLI's for the same digits.
//
// Hooks for the tests: #evaluate[data-state] is "idle", "loading", "running",
// "done", "stopped" or "failed"; each table row carries data-method and data-aopc.
import { LrpClient } from "./lrp-client.js";
import { TEST_DIGITS, WORKER, hasTestSplit, testSplit, testSplitSource } from "./assets.js";
import { linePlot, legend } from "./plot.js";
import { drawMap, viewOf } from "./render.js";
import { fmt } from "./colormap.js";

/** The poster's four rules, two composites and the gradient baselines (random is always added). */
const POSTER = ["lrp-0", "epsilon", "gamma", "alpha-beta", "epsilon-gamma-box", "montavon", "gradient", "gradient-x-input", "integrated-gradients"];
const SLICE = 50;
const SCHEDULE = { steps: 20, stepPixels: 10 };
const K = 50;
const PALETTE = ["#b2182b", "#ef8a62", "#e6ab02", "#1b9e77", "#7570b3", "#e7298a", "#2166ac", "#67a9cf", "#8c510a",
  "#66a61e", "#a6761d", "#1f78b4"];

export class EvaluateView {
  #root;
  #controls;
  #pool = null;
  #digits = new Map(); // data set -> { images: Uint8Array, labels: Uint8Array }
  #dataset = "mnist"; // of the models offered
  #items = "digits"; // what its test images are called
  #run = 0;
  #reports = new Map(); // method -> report
  #methods = []; // of the run

  constructor(root, { controls, cmap }) {
    this.#root = root;
    this.#controls = controls;
    this.cmap = cmap;
    const model = this.$("evaluate-model");
    model.replaceChildren(...controls.models.map((m) => new Option(m.name, m.name)));
    model.value = controls.model;
    const box = this.$("evaluate-methods");
    const methods = controls.methods.filter((m) => m.name !== "custom");
    box.replaceChildren(...methods.map((m) => {
      const label = document.createElement("label");
      const check = Object.assign(document.createElement("input"), { type: "checkbox", value: m.name, checked: POSTER.includes(m.name) });
      label.title = m.about;
      label.append(check, ` ${m.name}`);
      return label;
    }));
    this.$("evaluate-run").addEventListener("click", () => this.start());
    this.$("evaluate-stop").addEventListener("click", () => this.stop());
    this.$("evaluate-means-method").addEventListener("change", () => this.#means());
    root.dataset.state = "idle";
    if (TEST_DIGITS !== null) {
      // Only so many digits travel in the one-file build.
      for (const option of [...this.$("evaluate-count").options]) if (Number(option.value) > TEST_DIGITS) option.remove();
    }
  }

  $(id) {
    return this.#root.querySelector(`#${id}`);
  }

  /** Offers another group's models (datasets.js groups()); a group without a test split here cannot be evaluated. */
  offer(group) {
    this.stop();
    this.#dataset = group.key;
    this.#items = group.noun === "digit" ? "digits" : "images";
    const model = this.$("evaluate-model");
    model.replaceChildren(...group.models.map((m) => new Option(m.name, m.name)));
    model.value = group.models.some((m) => m.name === this.#controls.model) ? this.#controls.model : group.models[0].name;
    this.#reports.clear();
    this.#table();
    this.#plot();
    this.#means();
    if (hasTestSplit(group.key)) {
      this.#state("idle", "");
    } else {
      this.#state("idle", group.key === "fashion-mnist" ? "Fashion-MNIST's test split is not in this file: serve the page to evaluate on it."
        : "This network came with no labelled test images, so there is nothing to evaluate on.");
      this.$("evaluate-run").disabled = true;
    }
  }

  #state(state, text) {
    this.#root.dataset.state = state;
    this.$("evaluate-status").textContent = text;
    this.$("evaluate-run").disabled = state === "loading" || state === "running";
    this.$("evaluate-stop").disabled = !(state === "loading" || state === "running");
  }

  #workers() {
    if (!this.#pool) {
      const size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
      this.#pool = Array.from({ length: size }, () => new LrpClient(...WORKER));
    }
    return this.#pool;
  }

  stop() {
    this.#run++;
    for (const client of this.#pool ?? []) client.clear("evaluate");
    this.#state("stopped", "Stopped. The table holds the methods that finished.");
  }

  async start() {
    const run = ++this.#run;
    const model = this.$("evaluate-model").value;
    const count = Number(this.$("evaluate-count").value);
    const removal = this.$("evaluate-fill").value;
    const methods = [...this.$("evaluate-methods").querySelectorAll("input:checked")].map((c) => c.value).concat("random");
    this.#methods = methods;
    this.#reports.clear();
    this.#table();
    this.#plot();
    try {
      const dataset = this.#dataset;
      if (!this.#digits.has(dataset)) {
        this.#state("loading", `Loading the ${dataset === "mnist" ? "MNIST" : "Fashion-MNIST"} test split…`);
        const [images, labels] = await Promise.all([testSplit("images", dataset), testSplit("labels", dataset)]);
        this.#digits.set(dataset, { images, labels });
      }
    } catch (error) {
      this.#state("failed", `Could not load the test images (${error.message}): they come from ${testSplitSource(this.#dataset)}.`);
      return;
    }
    if (run !== this.#run) return;
    const digits = this.#digits.get(this.#dataset);
    const pool = this.#workers();
    try {
      await Promise.all(pool.map((c) => c.ready));
    } catch (error) {
      // Said, rather than "loading" for ever.
      if (run === this.#run) this.#state("failed", `The evaluation's workers could not start: ${error.message ?? error}`);
      return;
    }
    if (run !== this.#run) return; // stopped while they started
    const side = digits.images.length / digits.labels.length;
    const n = Math.min(count, digits.labels.length);
    const slices = [];
    for (let first = 0; first < n; first += SLICE) slices.push([first, Math.min(n, first + SLICE)]);
    const jobs = methods.flatMap((method) => slices.map(([first, end]) => ({
      method, first,
      job: {
        kind: "evaluate", method,
        pixels: Float32Array.from(digits.images.subarray(first * side, end * side), (v) => v / 255),
        labels: digits.labels.slice(first, end),
        params: { model },
        settings: { removal, firstIndex: first, ...SCHEDULE },
      },
    })));
    const total = jobs.length;
    const tallies = new Map(methods.map((m) => [m, []]));
    let done = 0;
    const progress = this.$("evaluate-progress");
    progress.max = total;
    progress.value = 0;
    this.#state("running", `Evaluating ${methods.length} methods on ${n} ${this.#items} with ${pool.length} workers…`);
    const started = performance.now();
    const work = async (client) => {
      while (jobs.length && run === this.#run) {
        const { method, job } = jobs.shift();
        const tally = await client.run(job, "evaluate");
        if (run !== this.#run) return;
        tallies.get(method).push(tally);
        progress.value = ++done;
        const left = ((performance.now() - started) / done) * (total - done) / 1000;
        this.$("evaluate-status").textContent = `${done} of ${total} slices of ${SLICE} ${this.#items}; about ${Math.ceil(left)} s left.`;
        if (tallies.get(method).length === slices.length) {
          const report = await client.run({ kind: "report", tallies: tallies.get(method), settings: { k: K } }, "evaluate");
          if (run !== this.#run) return;
          this.#reports.set(method, report);
          this.#table();
          this.#plot();
          this.#means();
        }
      }
    };
    try {
      await Promise.all(pool.map(work));
    } catch (error) {
      if (run === this.#run) this.#state("failed", `The module refused: ${error.message}`);
      return;
    }
    if (run !== this.#run) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    this.#state("done", `Done: ${methods.length} methods on ${n} test ${this.#items} (${model}, removed pixels set to ${removal}) in ${seconds} s.`);
  }

  /** The poster's table: per method, correct and incorrect digits, AOPC and the gain. */
  #table() {
    const body = this.$("evaluate-table").querySelector("tbody");
    const rows = [...this.#reports.values()].map((report) => {
      const split = (name) => report.rows.find((r) => r.split === name);
      const all = split("all");
      const tr = document.createElement("tr");
      tr.dataset.method = report.method;
      tr.dataset.aopc = String(all.aopc);
      const cell = (text, header = false) => {
        const td = document.createElement(header ? "th" : "td");
        if (header) td.scope = "row";
        td.textContent = text;
        return td;
      };
      const group = (row) => row ? [String(row.inputs), fmt(row.confidenceStart, 3), fmt(row.confidenceK, 3), fmt(row.strongestK, 3)] : ["0", "", "", ""];
      tr.append(cell(report.method, true), ...[...group(split("correct")), ...group(split("incorrect")),
        `${(100 * all.flippedK).toFixed(1)}%`, fmt(all.aopc, 3), all.relevanceGain === null ? "" : fmt(all.relevanceGain, 3)].map((t) => cell(t)));
      return tr;
    });
    rows.sort((a, b) => Number(b.dataset.aopc) - Number(a.dataset.aopc));
    body.replaceChildren(...rows);
    const means = this.$("evaluate-means-method");
    const current = means.value;
    means.replaceChildren(...[...this.#reports.keys()].filter((m) => m !== "random").map((m) => new Option(m, m)));
    if ([...means.options].some((o) => o.value === current)) means.value = current;
  }

  /** The mean MoRF curve of every method finished so far, and the random order's. */
  #plot() {
    // In the order of the run's methods, each with its own colour whatever finishes first.
    const order = this.#methods;
    const reports = [...this.#reports.values()].sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
    const series = reports.map((report) => {
      const curve = report.curves.find((c) => c.split === "all" && c.order === (report.method === "random" ? "random" : "morf"));
      return {
        label: report.method, colour: report.method === "random" ? "#5f6368" : PALETTE[order.indexOf(report.method) % PALETTE.length],
        dash: report.method === "random" ? "5 4" : undefined, x: report.removed, y: curve.probability,
      };
    });
    linePlot(this.$("evaluate-curves"), {
      series, xLabel: "pixels removed, most relevant first", yLabel: "mean probability",
      description: `Mean MoRF curves: ${reports.map((r) => `${r.method} AOPC ${fmt(r.rows[0].aopc, 3)}`).join(", ")}`,
    });
    legend(this.$("evaluate-legend"), series);
  }

  /** The mean relevance map of each predicted class, for the chosen method. */
  #means() {
    const report = this.#reports.get(this.$("evaluate-means-method").value);
    const box = this.$("evaluate-means");
    if (!report) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(...report.classMeans.map((map, digit) => {
      const figure = document.createElement("figure");
      const canvas = document.createElement("canvas");
      const { h, w } = viewOf(this.#controls.modelInfo);
      if (map.length === h * w) drawMap(canvas, map, w, h, this.cmap());
      const name = this.#controls.classes[digit] ?? String(digit);
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `mean relevance of ${report.method} for the inputs predicted as ${name}`);
      const caption = Object.assign(document.createElement("figcaption"), { textContent: name });
      figure.append(canvas, caption);
      return figure;
    }));
  }
}
