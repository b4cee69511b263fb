// The comparison grid: the current input under every method (rows) for every
// network (columns). Computed only while the section is open, one cell at a time
// in the background (the main explanation always goes first), so the page never
// waits for it; cells from an older input stay visible, dimmed, until replaced.
import { fmt, maxAbs } from "./colormap.js";
import { drawMap, perPixel, viewOf } from "./render.js";

const KIND_TITLES = { rule: "LRP rules", composite: "LRP composites", baseline: "other methods (not LRP)" };

export class CompareView {
  #cells = new Map(); // "method|model" -> { cell, canvas, text, result }
  #version = 0;

  /** `queue`: the client's background queue for this grid ("compare", or "compare:<channel>"). */
  constructor(details, { client, controls, input, pick, cmap, queue = "compare" }) {
    this.queue = queue;
    this.details = details;
    this.client = client;
    this.controls = controls;
    this.input = input; // () => Float32Array | null
    this.cmap = cmap; // () => colour map name
    this.pick = pick;
    this.#build();
    details.addEventListener("toggle", () => this.refresh());
  }

  /** The controls offer other models (another data set): a new grid, then recomputed. */
  rebuild() {
    this.#cells.clear();
    this.#build();
    this.refresh();
  }

  #build() {
    const { models, methods } = this.controls;
    const pick = this.pick;
    this.view = viewOf(models[0]);
    const box = this.details.querySelector(".compare-grid");
    const sections = [];
    for (const kind of Object.keys(KIND_TITLES)) {
      const group = methods.filter((m) => m.kind === kind);
      if (!group.length) continue;
      const heading = document.createElement("h3");
      heading.textContent = KIND_TITLES[kind];
      const list = document.createElement("ul");
      list.className = "methods";
      for (const method of group) {
        const card = document.createElement("li");
        const name = document.createElement("strong");
        name.textContent = method.name;
        name.title = method.about;
        const row = document.createElement("div");
        row.className = "cells";
        for (const model of models) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "cell";
          button.dataset.method = method.name;
          button.dataset.model = model.name;
          button.dataset.state = "empty";
          button.title = `${method.name} on ${model.name}`;
          button.setAttribute("aria-label", `${method.name} on ${model.name}: not computed yet. Show it above.`);
          button.addEventListener("click", () => pick(model.name, method.name));
          const canvas = document.createElement("canvas");
          canvas.width = this.view.w;
          canvas.height = this.view.h;
          const text = document.createElement("span");
          text.textContent = "…";
          button.append(canvas, text);
          row.append(button);
          this.#cells.set(`${method.name}|${model.name}`, { button, canvas, text, result: null });
        }
        card.append(name, row);
        list.append(card);
      }
      sections.push(heading, list);
    }
    box.replaceChildren(...sections);
    this.#legend();
  }

  /** "In each box, from left to right: mlp-narrow (says 7), ..." (the answer does not depend on the method). */
  #legend() {
    const says = this.controls.models.map((m) => {
      const done = [...this.#cells.values()].find((c) => c.result?.model === m.name && c.button.dataset.state === "done");
      return done ? `${m.name} (says ${m.classes[done.result.prediction]})` : m.name;
    });
    this.details.querySelector(".legend").textContent = `In each box, from left to right: ${says.join(", ")}.`;
  }

  /** The input or a setting changed: recompute (if open). */
  refresh() {
    const version = ++this.#version;
    const pixels = this.input();
    const status = this.details.querySelector(".status");
    if (!this.details.open) {
      this.client.background([], () => {}, this.queue);
      for (const c of this.#cells.values()) c.button.dataset.state = c.result ? "stale" : "empty";
      this.details.dataset.complete = "false";
      return;
    }
    if (!pixels) {
      this.client.background([], () => {}, this.queue);
      for (const c of this.#cells.values()) this.#clear(c);
      status.textContent = "Give the networks an input first.";
      this.details.dataset.complete = "false";
      return;
    }
    const jobs = [];
    for (const [key, c] of this.#cells) {
      c.button.dataset.state = c.result ? "stale" : "waiting";
      const [method, model] = key.split("|");
      jobs.push({ pixels, method, params: this.controls.defaults(method, model), slim: true });
    }
    // The network on show above first, so the most relevant column fills in first.
    const current = this.controls.model;
    jobs.sort((a, b) => (b.params.model === current) - (a.params.model === current));
    let done = 0;
    const total = jobs.length;
    status.textContent = `computing 0 of ${total}…`;
    this.details.dataset.complete = "false";
    this.client.background(jobs, (job, result, error) => {
      if (version !== this.#version) return;
      const c = this.#cells.get(`${job.method}|${job.params.model}`);
      done++;
      if (error) {
        c.result = null;
        c.button.dataset.state = "error";
        c.text.textContent = "error";
        c.button.title = error.message;
        c.button.setAttribute("aria-label", `${job.method} on ${job.params.model}: error, ${error.message}`);
      } else {
        c.result = result;
        c.button.dataset.state = "done";
        c.button.dataset.prediction = String(result.prediction);
        this.#draw(c);
      }
      status.textContent = done < total ? `computing ${done} of ${total}…` : `all ${total} computed`;
      if (done === total) this.details.dataset.complete = "true";
    }, this.queue);
  }

  /** Redraws every computed cell (after a colour map change). */
  redraw() {
    for (const c of this.#cells.values()) if (c.result) this.#draw(c);
  }

  #draw(c) {
    const r = c.result;
    const values = perPixel(r.relevance, this.view);
    drawMap(c.canvas, values, this.view.w, this.view.h, this.cmap(), maxAbs(values));
    c.text.textContent = `Σ ${fmt(r.relevanceSum, 2)}`;
    this.#legend();
    // The accessible name holds the visible text (axe: label-content-name-mismatch).
    const classes = this.controls.models.find((m) => m.name === r.model)?.classes ?? [];
    c.button.setAttribute("aria-label", `${r.method} on ${r.model}, ${c.text.textContent}: predicts ${classes[r.prediction] ?? r.prediction}; ` +
      `relevance for ${classes[r.target] ?? r.target} sums to ${fmt(r.relevanceSum)}. Show it above.`);
  }

  #clear(c) {
    c.result = null;
    c.button.dataset.state = "empty";
    c.canvas.getContext("2d").clearRect(0, 0, c.canvas.width, c.canvas.height);
    c.text.textContent = "…";
  }
}

