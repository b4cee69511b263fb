// The controls, built from what the module says: models() and, for each model,
// methods(model), with each parameter's default and range for that model, the
// relations between parameters, and the rule each layer gets under each composite.
// What is added here is presentation only: Greek letters and short labels.
import { START } from "./defaults.js";

const SYMBOLS = { epsilon: "ε", gamma: "γ", alpha: "α", beta: "β" };
const KINDS = {
  rule: "LRP rules (the same rule in every layer)",
  composite: "LRP composites (a rule for each kind of layer)",
  baseline: "Other methods, for comparison (not LRP)",
};

/** "Conv2d 1→12, 5×5" / "Linear 384→64" for a layer of models(). */
export function layerTitle(layer) {
  if (layer.type === "Conv2d") return `Conv2d ${layer.in_channels}→${layer.out_channels}, ${layer.kernel_size.join("×")}`;
  if (layer.type === "Linear") return `Linear ${layer.in_features}→${layer.out_features}`;
  return layer.type;
}

/**
 * One line on why a map looks as it does on this network, when it would otherwise look
 * broken, or null. Read off the module's own assignment of rules to layers.
 */
export function methodNote(method, model) {
  const rules = method.layerRules;
  if (!rules) return null;
  const first = rules.findIndex(Boolean);
  if (first >= 0 && rules[first].name === "flat" && model.layers[first].type === "Linear") {
    return `On ${model.name} the first layer is dense: every neuron sees every pixel, so flat gives all of them ` +
      "the same share and the map is a uniform square.";
  }
  const names = new Set(rules.filter(Boolean).map((r) => r.name));
  if (method.kind === "composite" && method.name !== "custom" && names.size === 1) {
    const [only] = names;
    const why = model.layers.some((l) => l.type === "Conv2d") ? "" : " (it has no convolutions)";
    return `On ${model.name}${why}, ${method.name} gives every layer ${only}, so its map is the same as ${only}'s.`;
  }
  return null;
}

const symbol = (name) => (SYMBOLS[name] ? `${SYMBOLS[name]} (${name})` : name);

/** A short display name: "epsilon (LRP-ε)". */
function methodLabel(method) {
  const short = method.about.split(":")[0];
  return method.kind === "rule" && short !== method.name && short.length < 12 ? `${method.name} (${short})` : method.name;
}

/**
 * A slider for a parameter, or null where a slider makes no sense (negative or
 * astronomically wide ranges: a number box alone). Sliders are logarithmic, with
 * the very left end at the minimum, so small values like ε = 0.01 are reachable.
 */
function sliderScale(p) {
  if (p.min < 0 || p.max - p.min > 1e4) return null;
  const low = p.min > 0 ? p.min : Math.min(1e-3, p.default / 100 || 1e-3);
  const span = Math.log(p.max / low);
  const steps = 1000;
  return {
    steps,
    toValue(position) {
      if (position <= 0) return p.min;
      const v = low * Math.exp((span * position) / steps);
      return p.integer ? Math.round(v) : Number(v.toPrecision(3));
    },
    toPosition(value) {
      if (value <= p.min) return 0;
      return Math.round((Math.log(Math.max(value, low) / low) / span) * steps);
    },
  };
}

/** What a model's test split is called, for its card. */
const testSet = (model) => ({ mnist: "MNIST test digits", "fashion-mnist": "Fashion-MNIST test images" })[model.dataset] ?? "test images";

/** 109386 -> "109,386" (not toLocaleString: its first call loads the locale data, 20 ms before the first heatmap). */
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export class Controls extends EventTarget {
  values = {}; // parameter values by name, shared by the methods that take them
  layerRules = {}; // model name -> rule per layer with parameters (for `custom`)

  /**
   * `models`: the models offered (one group's, defaults.js groupOf); `methods` maps
   * each model's name to methods(model); `noun`: what one input is called ("digit").
   */
  constructor({ models, methods, noun = "digit" }, root = document) {
    super();
    this.methodsOf = methods;
    this.$ = (id) => root.getElementById(id);
    this.#offer(models, noun);
    const modelSelect = this.$("model");
    modelSelect.value = models.some((m) => m.name === START.model) ? START.model : models[0].name;

    const methodSelect = this.$("method");
    methodSelect.replaceChildren(...Object.entries(KINDS).map(([kind, label]) => {
      const group = document.createElement("optgroup");
      group.label = label;
      group.append(...this.methods.filter((m) => m.kind === kind).map((m) => {
        const option = new Option(methodLabel(m), m.name);
        option.title = m.about;
        return option;
      }));
      return group;
    }).filter((g) => g.children.length > 0));
    const preferred = this.methods.find((m) => m.name === START.method) ?? this.methods[0];
    methodSelect.value = preferred.name;
    this.#targets();

    modelSelect.addEventListener("change", () => { this.#render(); this.#changed("model"); });
    methodSelect.addEventListener("change", () => { this.#render(); this.#changed("method"); });
    for (const id of ["target", "output", "zero-bias"]) this.$(id).addEventListener("change", () => this.#changed(id));
    this.$("use-tuned").addEventListener("click", () => this.useTuned());
    this.#render();
  }

  /** Fills the model list with `models` (their parameters' defaults and custom's rules, the first time). */
  #offer(models, noun) {
    this.models = models;
    this.noun = noun;
    for (const model of models) {
      if (model.name in this.layerRules) continue;
      const methods = this.methodsOf[model.name];
      for (const m of methods) for (const p of m.params) if (!(p.name in this.values)) this.values[p.name] = p.default;
      // Custom starts from what the module suggests (Montavon's assignment).
      const custom = methods.find((m) => m.name === "custom");
      this.layerRules[model.name] = (custom?.layerRules ?? []).filter(Boolean).map((r) => r.name);
    }
    this.$("model").replaceChildren(...models.map((m) => new Option(m.name, m.name)));
  }

  /** The target list: the predicted class, or each class by name. */
  #targets() {
    const { noun } = this;
    const word = (c) => (noun === "digit" ? `digit ${c}` : c);
    this.$("target").replaceChildren(new Option(`the predicted ${noun === "digit" ? "digit" : "class"}`, "predicted"),
      ...this.modelInfo.classes.map((c, i) => new Option(word(c), String(i))));
  }

  /**
   * Offers another group of models (`methods`: methods(model) for any not known yet),
   * starting from `model` if given; the method is kept where the new model has it.
   */
  setModels(models, { noun = "digit", methods = {}, model = models[0].name } = {}) {
    Object.assign(this.methodsOf, methods);
    const method = this.method;
    this.#offer(models, noun);
    this.$("model").value = model;
    if (!this.methods.some((m) => m.name === method)) this.$("method").value = this.methods[0].name;
    this.#targets();
    this.#render();
    this.#changed("models");
  }

  /** The class names of the current model. */
  get classes() { return this.modelInfo.classes; }

  /** Sets the current method's parameters to the values tuned for the current model. */
  useTuned() {
    const tuned = this.methodInfo.tuned;
    if (!tuned) return;
    for (const [name, value] of Object.entries(tuned)) {
      this.values[name] = value;
      this.#linked(name, value);
    }
    this.#render();
    this.#changed("param");
  }

  /**
   * Starts from `model`, `method` and parameter values `params` (a widget's attributes).
   * Returns what it could not use, in words; the rest is applied.
   */
  apply({ model, method, params = {} } = {}) {
    const problems = [];
    if (model !== undefined) {
      if (this.models.some((m) => m.name === model)) this.$("model").value = model;
      else problems.push(`unknown model "${model}" (known: ${this.models.map((m) => m.name).join(", ")})`);
    }
    if (method !== undefined) {
      if (this.methods.some((m) => m.name === method)) this.$("method").value = method;
      else problems.push(`unknown method "${method}" (known: ${this.methods.map((m) => m.name).join(", ")})`);
    }
    const known = new Map(this.methods.flatMap((m) => m.params).map((p) => [p.name, p]));
    for (const [name, value] of Object.entries(params)) {
      const p = known.get(name);
      if (!p) problems.push(`unknown parameter "${name}" (known: ${[...known.keys()].join(", ")})`);
      else if (typeof value !== "number" || !Number.isFinite(value)) problems.push(`${name} must be a number, not ${JSON.stringify(value)}`);
      else if (value < p.min || value > p.max) problems.push(`${name} goes from ${p.min} to ${p.max}, not ${value}`);
      else this.values[name] = value;
    }
    this.#render();
    return problems;
  }

  get model() { return this.$("model").value; }
  get method() { return this.$("method").value; }
  /** The methods as they apply to the current model. */
  get methods() { return this.methodsOf[this.model]; }
  get methodInfo() { return this.methods.find((m) => m.name === this.method); }
  get modelInfo() { return this.models.find((m) => m.name === this.model); }
  get target() { const v = this.$("target").value; return v === "predicted" ? "predicted" : Number(v); }

  setModel(name) { this.$("model").value = name; this.#render(); this.#changed("model"); }
  setMethod(name) { this.$("method").value = name; this.#render(); this.#changed("method"); }
  /** Shows `method` on `model` at its default parameters: what the comparison grid shows. */
  showDefaults(model, method) {
    this.$("model").value = model;
    this.$("method").value = method;
    for (const p of this.methodInfo.params) this.values[p.name] = p.default;
    this.#render();
    this.#changed("method");
  }
  setTarget(target) { this.$("target").value = String(target); this.#changed("target"); }

  /** The settings common to every explanation (target, output relevance, biases). */
  common() {
    return { target: this.target, output: this.$("output").value, zeroBias: this.$("zero-bias").checked };
  }

  /** The `params` argument of explain() for the current choices. */
  params() {
    const params = { model: this.model, ...this.common() };
    for (const p of this.#shownParams()) params[p.name] = this.#value(p);
    if (this.method === "custom") params.layers = [...this.layerRules[this.model]];
    return params;
  }

  /** The method's parameters; for a composite, those of the rules it gives this network's layers. */
  #shownParams() {
    const method = this.methodInfo;
    if (method.kind !== "composite") return method.params;
    const rules = method.name === "custom" ? this.layerRules[this.model] : method.layerRules.filter(Boolean).map((r) => r.name);
    const used = new Set(rules.flatMap((rule) => this.methods.find((m) => m.name === rule)?.params.map((p) => p.name) ?? []));
    return method.params.filter((p) => used.has(p.name));
  }

  /** The params for `method` on `model` at its default parameters (custom: the chosen rules), with the common settings. */
  defaults(method, model) {
    const params = { model, ...this.common() };
    if (method === "custom") params.layers = [...this.layerRules[model]];
    return params;
  }

  /** The shared value of `p`, kept inside its range on the current model. */
  #value(p) {
    return Math.min(p.max, Math.max(p.min, this.values[p.name]));
  }

  #changed(what) {
    if (what === "param") this.#renderTuned();
    this.dispatchEvent(new CustomEvent("change", { detail: { what } }));
  }

  /** Rebuilds the model card, the method's description and its parameter controls. */
  #render() {
    const model = this.modelInfo;
    const { card } = model;
    const accuracy = card.test_total > 0
      ? `${(100 * card.test_accuracy).toFixed(2)}% right on the ${thousands(card.test_total)} ${testSet(model)}.`
      : "its card gives no test accuracy.";
    this.$("model-card").textContent =
      `${model.layers.filter((l) => l.tensors).map(layerTitle).join(" → ")}. ${thousands(card.parameters)} weights; ${accuracy}`;

    const method = this.methodInfo;
    this.$("method-about").textContent = method.about;
    this.#renderAssignment(method);

    const custom = this.$("custom-layers");
    custom.hidden = method.name !== "custom";
    if (method.name === "custom") this.#renderLayers(custom);
    const shown = this.#shownParams();
    this.$("params").replaceChildren(...shown.map((p) => this.#paramControl(p)));
    this.$("params-none").hidden = shown.length > 0;
    this.#renderTuned();
  }

  /** The offer of the values tuned for this model, if the module has some. */
  #renderTuned() {
    const method = this.methodInfo;
    const tuned = method.tuned && Object.entries(method.tuned);
    this.$("tuned").hidden = !tuned;
    if (tuned) {
      const values = tuned.map(([name, v]) => `${SYMBOLS[name] ?? name} = ${v}`).join(", ");
      const current = tuned.every(([name, v]) => this.values[name] === v);
      this.$("use-tuned").textContent = current ? `Using the values tuned for ${this.model}: ${values}` : `Use the values tuned for ${this.model}: ${values}`;
      this.$("use-tuned").disabled = current;
      this.$("tuned-why").textContent = `(the best symmetric relevance gain on ${testSet(this.modelInfo)}, found by lrp tune)`;
    }
  }

  /** For a composite: the rule each layer gets on this network, as the module assigns it. */
  #renderAssignment(method) {
    const box = this.$("method-layers");
    const rules = method.kind === "composite" && method.name !== "custom" ? method.layerRules : null;
    box.hidden = !rules;
    if (!rules) return;
    const layers = this.modelInfo.layers;
    const items = rules.flatMap((rule, i) => (rule ? [`${layerTitle(layers[i])}: ${rule.name}`] : []));
    const note = methodNote(method, this.modelInfo); // the same line as under the heatmap
    box.textContent = `On ${this.model}: ${items.join(" · ")}.${note ? ` ${note}` : ""}`;
    if (!method.params.every((p) => this.#shownParams().includes(p))) {
      box.textContent += " Only the parameters of these rules are shown.";
    }
  }

  #renderLayers(box) {
    const model = this.modelInfo;
    const rules = this.layerRules[model.name];
    // The layers with parameters: those custom gives a rule.
    const layers = this.methodInfo.layerRules.flatMap((rule, i) => (rule ? [model.layers[i]] : []));
    const rows = layers.map((layer, i) => {
      const row = document.createElement("div");
      row.className = "layer-rule";
      const id = `layer-rule-${i}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      const where = i === 0 ? " (touches the pixels)" : i === layers.length - 1 ? " (the output)" : "";
      label.textContent = `${i + 1}. ${layerTitle(layer)}${where}`;
      const select = document.createElement("select");
      select.id = id;
      select.dataset.layer = String(i);
      select.append(...this.methods.filter((m) => m.kind === "rule").map((m) => {
        const option = new Option(methodLabel(m), m.name);
        option.title = m.about;
        return option;
      }));
      select.value = rules[i];
      select.addEventListener("change", () => {
        rules[i] = select.value;
        this.#render();
        this.#changed("layers");
      });
      row.append(label, select);
      return row;
    });
    box.querySelector(".rows").replaceChildren(...rows);
  }

  #paramControl(p) {
    const row = document.createElement("div");
    row.className = "param";
    const id = `param-${p.name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = symbol(p.name);
    const number = document.createElement("input");
    number.type = "number";
    number.id = id;
    number.name = p.name;
    number.min = String(p.min);
    number.max = String(p.max);
    number.step = p.integer ? "1" : "any";
    number.value = String(this.#value(p));
    number.dataset.default = String(p.default);
    const help = document.createElement("small");
    help.id = `${id}-help`;
    help.textContent = `${p.about} (default ${p.default}, from ${p.min} to ${p.max})`;
    number.setAttribute("aria-describedby", help.id);

    const scale = sliderScale(p);
    let slider = null;
    if (scale) {
      slider = document.createElement("input");
      slider.type = "range";
      slider.min = "0";
      slider.max = String(scale.steps);
      slider.value = String(scale.toPosition(this.#value(p)));
      slider.setAttribute("aria-label", `${p.name} (slider)`);
      slider.addEventListener("input", () => set(scale.toValue(Number(slider.value)), false));
    }
    const warning = document.createElement("small");
    warning.className = "range-note";
    warning.id = `${id}-range`;
    warning.setAttribute("role", "status");
    const set = (raw, fromBox) => {
      if (!Number.isFinite(raw)) return;
      let v = Math.min(p.max, Math.max(p.min, raw));
      if (p.integer) v = Math.round(v);
      // Never clamp in silence: say what the range is and what is used instead.
      const outside = fromBox && v !== raw;
      warning.textContent = outside ? `${symbol(p.name)} goes from ${p.min} to ${p.max}${p.integer ? " in whole steps" : ""}: using ${v}.` : "";
      number.toggleAttribute("aria-invalid", outside);
      number.setAttribute("aria-describedby", outside ? `${warning.id} ${help.id}` : help.id);
      this.values[p.name] = v;
      if (!fromBox) number.value = String(v); // a typed value stays as typed until the box is left
      if (slider && fromBox) slider.value = String(scale.toPosition(v));
      this.#linked(p.name, v);
      this.#changed("param");
    };
    let typed = null; // the last value typed, already applied by "input"
    number.addEventListener("input", () => number.value !== "" && set((typed = Number(number.value)), true));
    number.addEventListener("change", () => {
      const raw = number.value === "" ? p.default : Number(number.value);
      if (raw !== typed) set(raw, true);
      typed = null;
      number.value = String(this.values[p.name]); // leaving the box shows the value in use
    });

    const reset = document.createElement("button");
    reset.type = "button";
    reset.className = "reset";
    reset.textContent = "↺";
    reset.title = `back to the default, ${p.default}`;
    reset.setAttribute("aria-label", `reset ${p.name} to ${p.default}`);
    reset.addEventListener("click", () => {
      set(p.default, true);
      number.value = String(p.default);
    });

    row.append(label, ...(slider ? [slider] : []), number, reset, help, warning);
    return row;
  }

  /**
   * The method's constraints (methods()): where two parameters must differ by a fixed
   * amount (α − β = 1), moving one moves the other.
   */
  #linked(name, value) {
    for (const c of this.methodInfo.constraints) {
      if (c.kind !== "difference" || !c.params.includes(name)) continue;
      const [a, b] = c.params;
      const other = name === a ? b : a;
      const info = this.methodInfo.params.find((p) => p.name === other);
      this.values[other] = Math.min(info.max, Math.max(info.min, name === a ? value - c.value : value + c.value));
      const box = this.$(`param-${other}`);
      if (box) {
        box.value = String(Number(this.values[other].toPrecision(6)));
        const slider = box.parentElement.querySelector('input[type="range"]');
        const scale = sliderScale(info);
        if (slider && scale) slider.value = String(scale.toPosition(this.values[other]));
      }
    }
  }
}
