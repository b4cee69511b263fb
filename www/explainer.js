// The explainer: wires the drawing pad, the gallery and the controls to the worker,
// and shows the answer, the heatmap, the per-layer flow, feature removal, the
// comparison grid and the evaluation. It runs on the markup of panels.js, in the page
// (root: the document) or in a widget's shadow root, and knows nothing else of where
// it is. No WebAssembly runs on this thread: every computation goes to the worker.
//
// Hooks (on `host`: the page's body, or the <lrp-explainer> element), for tests and
// embedding pages: [data-ready] once the first explanation is on screen; [data-busy]
// while what is shown lags behind the latest input or setting; [data-input] names the
// current input ("gallery:<index>", "drawing:<n>", "empty") and [data-selected] the
// gallery item; [data-group] the group of models shown (a data set, or a model of the
// user's); #prediction carries data-prediction, data-model, data-method, data-target
// and data-input of the explanation on screen. Events: lrp-prediction and
// lrp-explanation after each explanation (bubbling, composed).
import { Controls, methodNote } from "./controls.js";
import { START, groupOf, sameInputs } from "./defaults.js";
import { CATALOGUE } from "./catalogue.js";
import { groups } from "./datasets.js";
import { shippedModel } from "./assets.js";
import { GALLERY } from "./gallery.js";
import { fitPicture, mnistFromPhoto, objectFromPhoto } from "./preprocess.js";
import { DrawingPad } from "./pad.js";
import { CompareView } from "./compare-view.js";
import { ConceptsView } from "./concepts-view.js";
import { RemovalView } from "./removal-view.js";
import { EvaluateView } from "./evaluate-view.js";
import { renderLayers } from "./layers-view.js";
import { COLORMAPS, fmt, maxAbs, signed } from "./colormap.js";
import { drawColourBar, drawHeatmap, drawInput, perPixel, strip, viewOf } from "./render.js";
import { downloadCsv, downloadJson, downloadPng } from "./download.js";

/**
 * Starts an explainer on the panels in `root` (a document or a shadow root), with its
 * hooks and events on `host`. `client`: the LrpClient (shared by every explainer of a
 * page), `channel`: this explainer's name in it; `start`: { model, method, params,
 * digit } to begin with. Returns { ready: a promise of the first explanation on
 * screen, explanation(): the one on screen }.
 */
export function startExplainer(root, host, { client, channel = "main", start = {} }) {
  const $ = (id) => root.getElementById(id);

  const state = {
    input: null, // Float32Array of the model's input, or null
    inputId: "empty",
    group: null, // datasets.js groups(): the models offered, their gallery, how inputs are made
    gallery: [], // the group's test images
    view: viewOf(null), // how the group's inputs are drawn (render.js)
    drawings: 0,
    shown: null, // { explanation, input, params } on screen
    requested: 0,
    displayed: 0,
    settingsProblem: null, // what of `start` could not be used
    penDown: false, // while drawing, only what follows the pen is redrawn (slow machines)
  };

  /**
   * Sets an element's text only when it changes: while the pen moves, every new text
   * node is laid out again, and the frame that shows an explanation has little time.
   */
  const setText = (element, text) => {
    if (element.textContent !== text) element.textContent = text;
  };

  /** A gallery image's grey levels (0–255) -> Float32Array of values in [0, 1]. */
  const toPixels = (bytes) => Float32Array.from(bytes, (v) => v / 255);
  /** What a class is called: "7" for a digit, "Ankle boot". */
  const className = (i) => controls?.classes[i] ?? String(i);
  const noun = () => state.group?.noun ?? "digit";

  let controls, pad, compare, removal, evaluate, concepts;
  let firstShown;
  const ready = new Promise((resolve) => { firstShown = resolve; });
  let firstAnswered;
  const answered = new Promise((resolve) => { firstAnswered = resolve; }); // the first request, whatever its answer
  const visible = (panel) => !root.querySelector(`[data-panel="${panel}"]`).hidden;

  // ---------------------------------------------------------------- input

  function setInput(pixels, id) {
    state.input = pixels;
    state.inputId = id;
    host.dataset.input = id;
    drawInput($("input"), pixels, state.view);
    const { c, h, w } = state.view;
    $("input").setAttribute("aria-label", pixels ? `the network's input: ${h}×${w} ${c === 3 ? "colour pixels" : "grey levels"}` : "the network's input: empty");
    $("undo").disabled = pad.strokes.length === 0;
    $("clear").disabled = pad.empty;
    padHint();
    if (!controls) return; // still loading: main() explains the input once the networks are there
    explainNow();
    compare?.refresh(); // not yet built when the first input is set
  }

  /** What the pad does now, in one sentence under it. */
  function padHint() {
    const item = state.gallery.find((g) => `gallery:${g.index}` === state.inputId);
    if (!state.group?.draw) {
      $("pad-hint").textContent = state.gallery.length
        ? `Pick a test ${noun()} below, or open a picture of your own.`
        : "Open a picture: it is resized to the network's input.";
      return;
    }
    $("pad-hint").textContent = pad.base
      ? `${item ? `Test digit #${item.index} (a ${item.label}). ` : ""}Draw on it to change it, or Clear to draw your own.`
      : pad.empty
        ? "Draw one digit here with the mouse, a finger or a pen, or pick a test digit below."
        : "Undo removes the last stroke; Clear starts again.";
  }

  function selectGallery(item, button, { byUser = false } = {}) {
    for (const b of root.querySelectorAll(".gallery button")) {
      b.setAttribute("aria-pressed", String(b === button));
      b.tabIndex = b === button ? 0 : -1; // the gallery is one Tab stop, at the digit picked
    }
    host.dataset.selected = String(item.index);
    const pixels = toPixels(item.pixels);
    if (state.group.draw) pad.load(pixels);
    setInput(pixels, `gallery:${item.index}`);
    status(state.group.draw
      ? `Test digit #${item.index}, labelled ${item.label} by the person who wrote it.` +
        (item.misclassified ? " At least one network gets it wrong." : "")
      : `Test ${noun()} #${item.index}, labelled ${className(item.label)}.` +
        (item.misclassified ? " At least one network gets it wrong." : ""));
    if (byUser) showResults();
  }

  /** Brings the pad, the heatmap and the answer into view if the heatmap is off screen (a tap far below, on a phone). */
  function showResults() {
    const box = $("heatmap").getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= innerHeight) return;
    const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
    $("stage").scrollIntoView({ behavior: smooth ? "smooth" : "instant", block: "start" });
  }

  function unselectGallery() {
    if (!host.dataset.selected) return;
    host.dataset.selected = "";
    for (const b of root.querySelectorAll(".gallery button")) b.setAttribute("aria-pressed", "false");
  }

  // While the pen moves, the drawing is turned into an input at most once per frame, and
  // less often where that work is slow (a school laptop): the pen itself stays smooth.
  let pending = 0;
  let cost = 0; // ms the last input took on this thread, explanation on screen included
  function fromPad() {
    clearTimeout(pending);
    pending = 0;
    const start = performance.now();
    const pixels = pad.input();
    setInput(pixels, pixels ? `drawing:${++state.drawings}` : "empty");
    cost = performance.now() - start;
  }
  function fromPadSoon() {
    if (!pending) pending = setTimeout(fromPad, Math.min(250, Math.max(16, 4 * cost)));
  }

  // ---------------------------------------------------------------- explaining

  /** Asks the worker for the current input and settings; only the newest request is computed. */
  function explainNow() {
    const seq = ++state.requested;
    host.dataset.busy = "true";
    const pixels = state.input;
    if (!pixels) {
      showEmpty();
      done(seq);
      return;
    }
    const params = controls.params();
    const method = controls.method;
    const inputId = state.inputId;
    const { view } = state;
    // While the pen is down only the heatmap and the answer follow it: every layer's
    // relevance (a fifth to a third of an explanation) is asked for when it lifts.
    const partial = state.penDown;
    const job = { pixels, method, params: partial ? { ...params, perLayer: false } : params, everyModel: peersOf(params.model) };
    client.latest(job, channel).then(
      (result) => {
        // null: a newer request took its place before it started; an older seq: something
        // newer is already on screen (e.g. the pad was cleared while this was computed).
        if (result === null) return;
        if (seq < state.displayed) return done(seq);
        try {
          const start = performance.now();
          show({ explanation: result, input: pixels, params, inputId, view, partial });
          cost = Math.max(cost, performance.now() - start);
        } finally {
          done(seq);
        }
      },
      (error) => {
        if (seq < state.displayed) return done(seq);
        showError(error);
        done(seq);
      },
    );
  }

  /** The models that read the inputs `model` reads: "every network on this input". */
  function peersOf(model) {
    const spec = state.models.find((m) => m.name === model);
    return spec ? state.models.filter((other) => sameInputs(spec, other)).map((other) => other.name) : [model];
  }

  function done(seq) {
    firstAnswered();
    state.displayed = Math.max(state.displayed, seq);
    markBusy();
  }

  function markBusy() {
    host.dataset.busy = String(state.displayed !== state.requested || client.pending(channel) || layersTimer !== 0);
  }

  // The layer view is the costliest redraw: it never follows the pen, and it is drawn in a
  // task of its own, after the heatmap and the answer are on screen.
  let layersTimer = 0;
  function drawLayersSoon() {
    clearTimeout(layersTimer);
    layersTimer = setTimeout(() => {
      layersTimer = 0;
      const e = state.shown?.partial ? null : state.shown?.explanation;
      if (e) renderLayers($("flow"), $("books"), e, $("cmap").value, controls.models.find((m) => m.name === e.model));
      markBusy();
    });
  }

  function status(text) {
    setText($("status"), text);
  }

  function showError(error) {
    const box = $("error");
    box.textContent = [state.settingsProblem, `The module refused: ${error.message}`].filter(Boolean).join(" ");
    box.hidden = false;
  }

  const colours = () => COLORMAPS[$("cmap").value];

  function show(shown) {
    state.shown = shown;
    $("error").textContent = state.settingsProblem ?? "";
    $("error").hidden = !state.settingsProblem;
    const e = shown.explanation;
    const prediction = $("prediction");
    Object.assign(prediction.dataset, {
      prediction: String(e.prediction), model: e.model, method: e.method, target: String(e.target), input: shown.inputId,
    });
    const said = className(e.prediction);
    setText(prediction.querySelector(".digit"), said);
    prediction.querySelector(".digit").classList.toggle("word", said.length > 2);
    setText(prediction.querySelector(".words"), `${e.model} says`);
    prediction.setAttribute("aria-label", `${e.model} says ${said}`);
    const [top, runnerUp] = [...e.probabilities].sort((a, b) => b - a);
    const confidence = $("confidence");
    if (confidence.children.length !== 2) confidence.replaceChildren(document.createElement("span"), document.createElement("small"));
    setText(confidence.firstChild, `Confidence ${Math.round(100 * e.confidence)}%: `);
    setText(confidence.lastChild, `(top probability − runner-up) ÷ top = (${fmt(top)} − ${fmt(runnerUp)}) ÷ ${fmt(top)}` +
      (e.rawConfidence === null ? "; on the raw scores it is undefined (the top score is negative)." :
        `; on the raw scores, ${fmt(e.rawConfidence)}.`));
    showProbabilities(e);
    showOthers(e);
    for (const id of ["download-png", "download-csv", "download-json"]) $(id).disabled = false;
    drawExplanation();
    // What never follows the pen waits for an explanation with every layer: the one asked for when it lifts.
    const settled = !state.penDown && !shown.partial;
    if (settled && visible("removal")) removal?.show(shown); // not yet built for the first explanation
    if (settled && visible("concepts")) concepts?.show(shown);
    announce(shown);
    if (host.dataset.ready !== "true") {
      host.dataset.ready = "true";
      (globalThis.requestIdleCallback ?? setTimeout)(() => pad.warmUp(), { timeout: 2000 });
      performance.mark("lrp:first-heatmap"); // benches/first-load.mjs
      firstShown();
      status(!state.group.draw ? `Ready. Pick a test ${noun()}, or open a picture.`
        : visible("gallery") ? "Ready. Draw a digit, or pick one below." : "Ready. Draw a digit.");
    }
  }

  /** The ten probability bars: built once, then updated in place, so that a click is never lost to a redraw. */
  function showProbabilities(e) {
    const list = $("probabilities");
    list.hidden = false;
    list.classList.toggle("names", controls.classes.some((c) => c.length > 2));
    if (list.children.length !== e.probabilities.length) {
      list.replaceChildren(...Array.from(e.probabilities, (_, digit) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.digit = String(digit);
        const part = (className) => Object.assign(document.createElement("span"), { className });
        const track = part("track");
        track.append(part("bar"));
        const about = Object.assign(part("about"), { id: `probability-about-${digit}`, hidden: true });
        button.setAttribute("aria-describedby", about.id);
        button.append(Object.assign(part("label"), { textContent: className(digit) }), track, part("value"), part("score"), about);
        button.addEventListener("click", () => controls.setTarget(digit === state.shown?.explanation.prediction ? "predicted" : digit));
        li.append(button);
        return li;
      }));
    }
    Array.from(e.probabilities, (p, digit) => {
      const button = list.children[digit].firstChild;
      button.classList.toggle("predicted", digit === e.prediction);
      button.classList.toggle("target", digit === e.target);
      const percent = 100 * p;
      const shownPercent = percent >= 99.95 ? "100%" : percent < 0.05 ? (percent > 0 ? "<0.1%" : "0%") : `${percent.toFixed(1)}%`;
      // The accessible name is the visible text ("3 12.5% score 1.23"); the rest is its description.
      setText(button.querySelector(".label"), className(digit));
      setText(button.querySelector(".about"), `${noun() === "digit" ? "digit " : ""}${className(digit)}: probability ${shownPercent}` +
        `${digit === e.target ? ", explained now" : ""}. Choose it to explain this ${noun() === "digit" ? "digit" : "class"}.`);
      button.querySelector(".bar").style.width = `${Math.max(0, Math.min(100, percent))}%`;
      setText(button.querySelector(".value"), shownPercent);
      setText(button.querySelector(".score"), `score ${fmt(e.logits[digit], 2)}`);
    });
    $("back-to-predicted").hidden = controls.target === "predicted";
  }

  /** "mlp-narrow says 3 · …": every network on this input; built once per model list, then updated in place. */
  function showOthers(e) {
    const box = $("others");
    const models = e.everyModel.map((o) => o.model).join(" ");
    if (box.dataset.models !== models) {
      box.dataset.models = models;
      const heading = document.createElement("p");
      heading.textContent = e.everyModel.length === 1 ? "The one network for these inputs:" : `All ${e.everyModel.length} networks on this input:`;
      const list = document.createElement("ul");
      list.append(...e.everyModel.map((other) => {
        const li = document.createElement("li");
        li.dataset.model = other.model;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.addEventListener("click", () => controls.setModel(other.model));
        li.append(button);
        return li;
      }));
      box.replaceChildren(heading, list);
    }
    e.everyModel.forEach((other, i) => {
      const li = box.lastChild.children[i];
      const button = li.firstChild;
      li.dataset.prediction = String(other.prediction);
      setText(button, `${other.model} says ${className(other.prediction)}`);
      button.title = `${Math.round(100 * other.probability)}% probability; show this network`;
      if (other.model === e.model) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  }

  /** Heatmap, colour bar, captions and the layer flow, from the explanation on screen. */
  function drawExplanation() {
    const shown = state.shown;
    const cmap = $("cmap").value;
    const map = colours();
    // What depends only on the colour map, and the caption, are redrawn only when they change (not at every move of the pen).
    if (state.drawnCmap !== cmap) {
      state.drawnCmap = cmap;
      host.style.setProperty("--for", map.text.for);
      host.style.setProperty("--against", map.text.against);
      $("word-for").textContent = `${map.positive}: for`;
      $("word-against").textContent = `against: ${map.negative}`;
      drawColourBar($("colourbar"), cmap);
    }
    if (!shown) return;
    const e = shown.explanation;
    const view = shown.view ?? state.view;
    const limit = maxAbs(perPixel(e.relevance, view));
    shown.limit = limit;
    drawHeatmap($("heatmap"), { input: shown.input, relevance: e.relevance, cmap, opacity: Number($("opacity").value), limit, view });
    setText($("bar-min"), limit ? signed(-limit) : "0");
    setText($("bar-max"), limit ? signed(limit) : "0");
    const caption = $("heat-caption");
    const captionKey = `${cmap} ${e.model} ${e.prediction} ${e.target}`;
    if (caption.dataset.key !== captionKey) {
      caption.dataset.key = captionKey;
      const strong = (t, className = "") => Object.assign(document.createElement("strong"), { textContent: t, className });
      caption.replaceChildren(...(e.target === e.prediction
        ? ["Pixels in ", strong(map.positive, "for"), " speak for ", strong(className(e.target)), ", in ",
          strong(map.negative, "against"), " against it."]
        : [`The network says ${className(e.prediction)}, but why would it say `, strong(className(e.target)), "? ",
          strong(cap(map.positive), "for"), `: for ${className(e.target)}, `, strong(map.negative, "against"), ": against."]));
    }
    const note = methodNote(controls.methodsOf[e.model].find((m) => m.name === e.method), controls.models.find((m) => m.name === e.model));
    setText($("heat-note"), note ?? "");
    $("heat-note").hidden = !note;
    // Where the evidence is (a text alternative) is worked out when the pen lifts.
    const text = `Heatmap of ${e.method} on ${e.model} for ${noun() === "digit" ? "digit " : ""}${className(e.target)}: ` +
      `relevance from ${signed(-limit)} to ${signed(limit)}, total ${fmt(e.relevanceSum)}.` +
      `${state.penDown ? "" : ` ${whereIs(perPixel(e.relevance, view), view)}`}`;
    $("heatmap").setAttribute("aria-label", text);
    setText($("bar-text"), `Colour scale from ${signed(-limit)} (${map.negative}, against) through 0 (white) to ${signed(limit)} (${map.positive}, for).`);
    if (!state.penDown && !shown.partial && visible("layers")) drawLayersSoon();
  }

  const cap = (s) => s[0].toUpperCase() + s.slice(1);

  /** A sentence on where the evidence is, for the heatmap's text alternative. */
  function whereIs(relevance, { h, w }) {
    const region = (predicate) => {
      const sums = new Float32Array(9);
      relevance.forEach((v, i) => { if (predicate(v)) sums[Math.floor(Math.floor(i / w) / h * 3) * 3 + Math.floor((i % w) / w * 3)] += Math.abs(v); });
      const best = sums.indexOf(Math.max(...sums));
      if (sums[best] === 0) return null;
      return `${["top", "middle", "bottom"][Math.floor(best / 3)]} ${["left", "centre", "right"][best % 3]}`.replace("middle centre", "centre");
    };
    const pos = region((v) => v > 0), neg = region((v) => v < 0);
    return [pos && `Most evidence for it is in the ${pos}.`, neg && `Most evidence against it is in the ${neg}.`].filter(Boolean).join(" ");
  }

  function showEmpty() {
    state.shown = null;
    $("heat-note").hidden = true;
    const prediction = $("prediction");
    Object.assign(prediction.dataset, { prediction: "", input: "empty", target: "" });
    prediction.querySelector(".digit").textContent = "–";
    prediction.querySelector(".words").textContent = state.group?.draw === false ? `pick or open a ${noun() === "input" ? "picture" : noun()}` : "draw a digit";
    prediction.setAttribute("aria-label", `no ${noun()} yet`);
    $("confidence").textContent = "";
    $("probabilities").hidden = true; // kept, so that the next digit does not rebuild them
    removal?.show(null); // not yet built if the first input is empty
    concepts?.show(null);
    $("others").replaceChildren();
    delete $("others").dataset.models;
    drawHeatmap($("heatmap"), { input: null, relevance: null });
    $("heatmap").setAttribute("aria-label", "relevance heatmap: nothing to show yet");
    $("heat-caption").textContent = "Nothing to explain yet.";
    delete $("heat-caption").dataset.key;
    $("bar-min").textContent = $("bar-max").textContent = "0";
    $("flow").replaceChildren(Object.assign(document.createElement("p"), { className: "note", textContent: `Give the network an input to see its relevance flow through the layers.` }));
    $("books").querySelector("tbody").replaceChildren();
    $("books").querySelector("caption").textContent = "";
    for (const id of ["download-png", "download-csv", "download-json"]) $(id).disabled = true;
  }

  // ---------------------------------------------------------------- start

  /** The gallery's buttons for `items` (test images of the group shown), which replace any before. */
  function buildGallery(items) {
    const gallery = $("gallery");
    state.gallery = items;
    gallery.style.removeProperty("--strip");
    if (items.length) strip(items.map((item) => item.pixels)).then((url) => items === state.gallery && gallery.style.setProperty("--strip", `url(${url})`));
    gallery.style.setProperty("--count", String(items.length));
    const what = noun() === "digit" ? "digit" : noun();
    const label = (item) => (noun() === "digit" ? String(item.label) : className(item.label));
    const buttons = items.map((item, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.tabIndex = i === 0 ? 0 : -1;
      button.dataset.index = String(item.index);
      button.setAttribute("aria-pressed", "false");
      const flag = item.misclassified ? ", which fools at least one network" : "";
      button.setAttribute("aria-label", `test ${what} #${item.index}, labelled ${label(item)}${flag}`);
      button.title = `test ${what} #${item.index}: ${noun() === "digit" ? "a " : ""}${label(item)}${flag}`;
      if (item.misclassified) button.classList.add("fools");
      button.style.setProperty("--at", String(i));
      button.addEventListener("click", () => selectGallery(item, button, { byUser: true }));
      return button;
    });
    gallery.replaceChildren(...buttons);
    gallery.onkeydown = (event) => moveInGallery(event, buttons);
    return buttons;
  }

  /** Arrow keys, Home and End move the focus through the gallery, a grid of one Tab stop. */
  function moveInGallery(event, buttons) {
    const from = buttons.indexOf(root.activeElement);
    if (from < 0) return;
    const columns = Math.max(1, buttons.filter((b) => b.offsetTop === buttons[0].offsetTop).length);
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns, Home: -from, End: buttons.length - 1 - from };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const to = Math.max(0, Math.min(buttons.length - 1, from + moves[event.key]));
    buttons[from].tabIndex = -1;
    buttons[to].tabIndex = 0;
    buttons[to].focus();
  }

  function wire() {
    $("cmap").replaceChildren(...Object.entries(COLORMAPS).map(([name, m]) => new Option(m.label, name)));
    $("cmap").addEventListener("change", () => { drawExplanation(); compare?.redraw(); });
    $("opacity").addEventListener("input", () => drawExplanation());
    $("opacity").setAttribute("aria-valuetext", "85%");
    $("opacity").addEventListener("input", (e) => e.target.setAttribute("aria-valuetext", `${Math.round(100 * e.target.value)}%`));

    controls.addEventListener("change", ({ detail }) => {
      explainNow();
      if (["target", "output", "zero-bias", "layers"].includes(detail.what)) compare?.refresh();
    });
    $("back-to-predicted").addEventListener("click", () => controls.setTarget("predicted"));
    $("dataset").addEventListener("change", () => switchGroup($("dataset").value));
    $("picture-file").addEventListener("change", (event) => {
      const [file] = event.target.files;
      if (file) usePicture(file, file.name);
      event.target.value = ""; // the same file again is a new choice
    });
    $("camera").hidden = !navigator.mediaDevices?.getUserMedia;
    $("camera").addEventListener("click", openCamera);
    $("camera-shoot").addEventListener("click", shoot);
    $("camera-stop").addEventListener("click", closeCamera);
    $("model-files").addEventListener("change", (event) => {
      useModelFiles([...event.target.files]);
      event.target.value = "";
    });
    host.addEventListener("dragover", (event) => {
      if ([...(event.dataTransfer?.items ?? [])].some((item) => item.kind === "file")) event.preventDefault();
    });
    host.addEventListener("drop", onDrop);

    pad.addEventListener("change", ({ detail }) => {
      state.penDown = detail.phase === "start" || detail.phase === "move";
      if (detail.phase === "start") {
        unselectGallery();
        status("");
        client.pause(true, channel); // the comparison grid waits while the pen is down
      }
      if (detail.phase === "move" || detail.phase === "start") {
        fromPadSoon();
      } else {
        fromPad();
      }
      if (detail.phase === "end") client.pause(false, channel);
      if (detail.phase === "clear") status("Cleared. Draw a digit: it is cropped, scaled and centred like MNIST.");
    });
    $("undo").addEventListener("click", () => pad.undo());
    $("clear").addEventListener("click", () => { unselectGallery(); pad.clear(); });
    host.addEventListener("keydown", (event) => {
      const typing = event.target.closest?.("input, select, textarea");
      if (!typing && (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        if (pad.undo()) event.preventDefault();
      }
    });

    const snapshot = () => state.shown && { ...state.shown, cmap: $("cmap").value, opacity: Number($("opacity").value) };
    $("download-png").addEventListener("click", () => state.shown && downloadPng(snapshot()));
    $("download-csv").addEventListener("click", () => state.shown && downloadCsv(snapshot()));
    $("download-json").addEventListener("click", () => state.shown && downloadJson(snapshot()));
  }

  /** Tells the page what is on screen: `lrp-prediction` and `lrp-explanation`, bubbling out of a shadow root too. */
  function announce({ explanation: e, input, inputId }) {
    const prediction = { model: e.model, prediction: e.prediction, probabilities: e.probabilities, confidence: e.confidence, input: inputId };
    const explanation = { ...prediction, method: e.method, target: e.target, relevance: e.relevance, relevanceSum: e.relevanceSum, pixels: input };
    host.dispatchEvent(new CustomEvent("lrp-prediction", { bubbles: true, composed: true, detail: prediction }));
    host.dispatchEvent(new CustomEvent("lrp-explanation", { bubbles: true, composed: true, detail: explanation }));
  }

  // ---------------------------------------------------------------- groups of models

  /** The group switch: shown when there is more than one group to choose from. */
  function fillGroups() {
    const select = $("dataset");
    select.replaceChildren(...state.groups.map((g) => new Option(g.label, g.key)));
    select.value = state.group.key;
    $("dataset-field").hidden = state.groups.length < 2;
  }

  /** The words and panels that depend on the group: drawing for digits, pictures for the rest. */
  function lookOfGroup() {
    const group = state.group;
    host.dataset.group = group.key;
    $("pad-box").hidden = !group.draw;
    $("draw-words").textContent = group.draw ? "Draw a digit" : group.noun === "input" ? "Give it a picture" : `Pick or photograph an ${group.noun}`;
    $("picture-words").textContent = group.picture === "digit" ? "Photo of a digit on paper…"
      : group.picture === "object" ? "Photo of one garment on a plain background…" : "A picture…";
    const { c, h, w } = state.view;
    const size = `${h}×${w} ${c === 3 ? "colour pixels (RGB)" : "grey levels"}`;
    $("seen-caption").innerHTML = group.picture === "digit"
      ? "<strong>What the network sees:</strong> 28×28 grey levels. As in MNIST, your ink is cropped, scaled to fit 20×20 and centred by its mass."
      : group.picture === "object"
        ? "<strong>What the network sees:</strong> 28×28 grey levels, light on black. As in Fashion-MNIST, a photo is cropped to the object, its longer side fitted to 28 and centred."
        : `<strong>What the network sees:</strong> ${size}; a picture is resized to that.`;
    const gallery = root.querySelector('[data-panel="gallery"]');
    $("gallery-title").textContent = group.key === "mnist" ? "Real test digits" : group.key === "fashion-mnist" ? "Real test images" : "Test images";
    $("gallery-hint").textContent = group.key === "fashion-mnist"
      ? "100 photos of clothes from the Fashion-MNIST test set, which the network never saw while it learned. " +
        "Those with a red corner fool it."
      : group.key === "mnist"
        ? "100 handwritten digits from the MNIST test set, which the networks never saw while they learned. " +
          "Those with a red corner fool at least one of the three networks."
        : "This network came with no test images: open a picture above.";
    gallery.classList.toggle("empty", state.gallery.length === 0);
    const what = group.noun === "digit" ? "digit" : "class";
    $("bars-hint").innerHTML = `Bars: how likely each ${what} is (softmax of the scores). The framed ${what} is the one ` +
      `explained; <strong>click a ${what}</strong> to ask why the network would (not) say it.`;
  }

  /**
   * Loads into the worker the models `group` ships as files (datasets.js `shipped`), once:
   * resolves to [{ model, methods }] of those it loaded.
   */
  async function loadShipped(group) {
    const loaded = [];
    for (const name of group.shipped) {
      const { description, weights } = await shippedModel(name);
      loaded.push(await client.loadModel(description, weights));
    }
    return loaded;
  }

  /** Models now in the worker (shipped or the user's): in the catalogue, the controls and the group switch. */
  function addModels(loaded) {
    for (const { model, methods } of loaded) {
      state.models = [...state.models.filter((m) => m.name !== model.name), model];
      Object.assign(controls.methodsOf, { [model.name]: methods });
    }
    state.groups = groups(state.models);
    fillGroups();
  }

  /** Shows another group of models: its networks in the controls, its gallery, its way of making inputs. */
  async function switchGroup(key, model) {
    let group = state.groups.find((g) => g.key === key);
    if (!group) return;
    if (group.shipped.length) {
      const before = state.group;
      status(`Loading the networks of ${group.label}…`);
      try {
        addModels(await loadShipped(group));
      } catch (error) {
        status(`Could not load the networks of ${group.label}: ${error.message ?? error}`);
        $("dataset").value = before.key;
        return;
      }
      if (state.group !== before) return; // switched again meanwhile
      group = state.groups.find((g) => g.key === key);
    }
    state.group = group;
    state.view = viewOf(group.models[0]);
    $("dataset").value = key;
    unselectGallery();
    if (!pad.empty) pad.clear(); // its "clear" empties the input
    else setInput(null, "empty");
    const preferred = group.models.find((m) => m.name === (model ?? START.model)) ?? group.models[0];
    controls.setModels(group.models, { noun: group.noun, model: preferred.name });
    const items = await group.gallery();
    if (state.group !== group) return; // switched again meanwhile
    const buttons = buildGallery(items);
    lookOfGroup();
    padHint();
    compare?.rebuild(); // built after the first explanation
    evaluate?.offer(group);
    if (items.length) selectGallery(items[0], buttons[0]);
    else status(`Showing ${group.models[0].name}. Open a picture of its input size to explain it.`);
  }

  // ---------------------------------------------------------------- pictures and models of the user's

  /** A picture file (or the camera's frame) -> the group's kind of input, shown, then explained. */
  async function usePicture(source, name = "your picture") {
    const note = $("picture-status");
    try {
      const bitmap = source instanceof Blob ? await createImageBitmap(source) : source;
      // At most 400 pixels a side: enough for 28×28, and fast to level and crop.
      const scale = Math.min(1, 400 / Math.max(bitmap.width, bitmap.height));
      const [w, h] = [Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale))];
      const canvas = new OffscreenCanvas(w, h);
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(bitmap, 0, 0, w, h);
      const { data } = context.getImageData(0, 0, w, h);
      const { picture } = state.group;
      const pixels = picture === "digit" ? mnistFromPhoto(data, w, h)
        : picture === "object" ? objectFromPhoto(data, w, h) : fitPicture(data, w, h, state.view);
      if (!pixels) throw new Error(picture === "digit" ? "no ink found on it" : "nothing stands out from its background");
      unselectGallery();
      if (state.group.draw) pad.load(pixels); // strokes may then be added to it
      setInput(pixels, `picture:${++state.drawings}`);
      note.textContent = "";
      note.classList.remove("error");
      status(`Explaining ${name}, made into the network's input (shown under “What the network sees”).`);
    } catch (error) {
      note.textContent = `Could not use ${name}: ${error.message ?? error}`;
      note.classList.add("error");
    }
  }

  let camera = null; // the open MediaStream
  async function openCamera() {
    const note = $("picture-status");
    try {
      camera = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      const video = $("camera-view");
      video.srcObject = camera;
      await video.play();
      $("camera-box").hidden = false;
      note.textContent = "The camera's picture stays on this device. Hold the paper flat and fill the frame.";
      note.classList.remove("error");
    } catch (error) {
      note.textContent = `No camera: ${error.message ?? error}`;
      note.classList.add("error");
    }
  }
  function closeCamera() {
    camera?.getTracks().forEach((track) => track.stop());
    camera = null;
    $("camera-view").srcObject = null;
    $("camera-box").hidden = true;
  }
  async function shoot() {
    const video = $("camera-view");
    if (!video.videoWidth) return;
    const bitmap = await createImageBitmap(video);
    closeCamera();
    await usePicture(bitmap, "the camera's picture");
  }

  /** A model's two files (its .json and .safetensors), read here and registered in the worker. */
  async function useModelFiles(files) {
    const note = $("model-files-status");
    const json = files.find((f) => f.name.toLowerCase().endsWith(".json"));
    const weights = files.find((f) => f.name.toLowerCase().endsWith(".safetensors"));
    note.classList.remove("error");
    try {
      if (!json || !weights) throw new Error("choose both files: the .json description and the .safetensors weights");
      // The module refuses larger ones too; this spares reading them.
      if (json.size > 1 << 20 || weights.size > 64 << 20) throw new Error("files over 1 MiB (.json) or 64 MiB (.safetensors) are refused");
      note.textContent = `Reading ${json.name} and ${weights.name}…`;
      const [description, bytes] = await Promise.all([json.text(), weights.arrayBuffer()]);
      const { model, methods } = await client.loadModel(description, new Uint8Array(bytes));
      addModels([{ model, methods }]);
      note.textContent = `Loaded ${model.name}: ${model.layers.length} layers, input ${model.input_shape.join("×")}, ` +
        `${model.classes.length} classes. It runs here, in this page.`;
      await switchGroup(groupOf(model), model.name);
    } catch (error) {
      note.textContent = `Could not load your network: ${error.message ?? error}`;
      note.classList.add("error");
    }
  }

  /** Files dropped on the explainer: a model's two files, or a picture. */
  function onDrop(event) {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    if (files.some((f) => /\.(json|safetensors)$/i.test(f.name))) useModelFiles(files);
    else if (files[0].type.startsWith("image/")) usePicture(files[0], files[0].name);
  }

  async function main() {
    state.group = { key: "mnist", noun: "digit", draw: true, picture: "digit" }; // until the group asked for is known
    let buttons = buildGallery(GALLERY);
    pad = new DrawingPad($("pad"));
    // The embedded models and their methods are known without the worker (catalogue.js,
    // generated from the module): the controls and the first request are made at once,
    // while the worker is still loading the module. This explainer's own copy: it grows.
    const info = structuredClone(CATALOGUE);
    // One group of models at a time (a data set, or a model of the user's): the one of
    // the model asked for, else of the start model.
    state.models = info.models;
    state.groups = groups(info.models);
    // A start model shipped as a file (the widget's model="fashion-cnn") is loaded first.
    const shipped = state.groups.find((g) => g.shipped.includes(start.model));
    const notLoaded = [];
    if (shipped) {
      try {
        for (const { model, methods } of await loadShipped(shipped)) {
          state.models.push(model);
          info.methods[model.name] = methods;
        }
      } catch (error) {
        notLoaded.push(`${start.model} could not be loaded (${error.message ?? error})`);
      }
      state.groups = groups(state.models);
    }
    const asked = state.models.find((m) => m.name === start.model) ?? state.models.find((m) => m.name === START.model) ?? state.models[0];
    state.group = state.groups.find((g) => g.key === groupOf(asked));
    state.view = viewOf(state.group.models[0]);
    controls = new Controls({ models: state.group.models, methods: info.methods, noun: state.group.noun }, root);
    const problems = [...(start.problems ?? []), ...notLoaded, ...controls.apply(start)];
    // An embedding page's mistake: said until the page is reloaded, next to any later error.
    if (problems.length) state.settingsProblem = `The settings asked for do not fit: ${problems.join("; ")}. Using the defaults there.`;
    fillGroups();
    if (state.group.key !== "mnist") buttons = buildGallery(await state.group.gallery());
    lookOfGroup();
    // The first explanation is asked for at once: it is computed as soon as the worker is ready.
    if (state.group.draw && pad.strokes.length > 0) {
      fromPad(); // someone drew while the networks were loading
    } else if (state.input) {
      explainNow(); // a test digit picked while the networks were loading
    } else if (state.gallery.length) {
      const first = Math.max(0, state.gallery.findIndex((item) => item.label === start.digit));
      status(`Explaining a first test ${noun()}…`);
      selectGallery(state.gallery[first], buttons[first]);
    }
    wire();
    await client.ready; // or "Could not start", below
    performance.mark("lrp:ready"); // benches/first-load.mjs
    $("loading").hidden = true;
    // The panels that the first screen does not need are built once the first explanation is
    // on screen (or has failed): until then the page's thread does only what it shows.
    if (state.requested > 0) await answered;
    compare = new CompareView($("compare"), {
      client, controls, queue: `compare:${channel}`,
      input: () => state.input,
      cmap: () => $("cmap").value,
      pick: (model, method) => {
        controls.showDefaults(model, method); // the parameters of the cell, so that the big map is the cell's
        status(`Showing ${method} on ${model} at its default parameters, as in the comparison grid.`);
        $("heat-title").scrollIntoView({ behavior: "smooth", block: "start" });
      },
    });
    compare.refresh();
    removal = new RemovalView($("removal"), { client, queue: `removal:${channel}` });
    concepts = new ConceptsView($("concepts"), { client, controls, cmap: () => $("cmap").value, queue: `concepts:${channel}` });
    if (state.shown && !state.penDown && !state.shown.partial) {
      if (visible("removal")) removal.show(state.shown);
      if (visible("concepts")) concepts.show(state.shown);
    }
    evaluate = new EvaluateView($("evaluate"), { controls, cmap: () => $("cmap").value });
    evaluate.offer(state.group);
  }

  main().catch((error) => {
    const text = `Could not start: ${error.message ?? error}`;
    status(text);
    $("status").classList.add("error");
    $("loading").textContent = text;
    $("loading").classList.add("error");
    console.error(error);
  });
  return { ready, explanation: () => state.shown?.explanation ?? null };
}
