// The drawing pad: pointer events (mouse, finger, pen), a thick round white stroke
// with soft edges on black, like the pens MNIST was written with. Strokes are kept
// as point lists (in [0, 1] coordinates) so that Undo can redraw without the last.
//
// Two ways to make the network input:
// - on an empty pad, the drawing is preprocessed like MNIST (crop, fit 20×20,
//   centre of mass in the middle): see preprocess.js;
// - on a test digit loaded from the gallery, new strokes are added in place, so a
//   student can edit a real digit (turn a 1 into a 7) and watch the heatmap change.
import { mnistFromInk, downsample, overlay } from "./preprocess.js";
import { greyData } from "./render.js";

const INK_SIDE = 280; // the resolution the drawing is preprocessed from (10× MNIST)
const PEN = 0.08; // stroke width, as a fraction of the pad's side
const SOFT = 0.025; // blur of the stroke's edge, as a fraction of the pad's side

export class DrawingPad extends EventTarget {
  strokes = [];
  base = null; // Float32Array(784) of a gallery digit being edited, or null
  #active = null; // pointer id of the stroke in progress
  #drawn = 0; // how many points of the stroke in progress are on the canvases

  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.ink = document.createElement("canvas");
    this.ink.width = this.ink.height = INK_SIDE;
    this.ink.getContext("2d", { willReadFrequently: true });
    this.#redraw();
    // Sized when it is first laid out (and at every change): reading its size now would
    // force a layout of the whole page while it is being built.
    new ResizeObserver(([entry]) => this.#resize(entry.contentRect.width)).observe(canvas);
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    canvas.addEventListener("lostpointercapture", (e) => this.#up(e));
  }

  /**
   * Runs the preprocessing once on a made-up stroke, when the page is idle: its first
   * run is slow (the engine has not compiled it yet: about 55 ms with the CPU throttled
   * 4×), and it should not be the first stroke that pays for it.
   */
  warmUp() {
    const ink = new Float32Array(INK_SIDE * INK_SIDE);
    for (let y = 100; y < 180; y++) ink.fill(1, y * INK_SIDE + 130, y * INK_SIDE + 150);
    for (let i = 0; i < 3; i++) {
      mnistFromInk(ink, INK_SIDE, INK_SIDE);
      overlay(new Float32Array(784), downsample(ink, INK_SIDE));
    }
  }

  get empty() {
    return this.strokes.length === 0 && !this.base;
  }

  /** The network input: Float32Array(784) in [0, 1], or null for an empty pad. */
  input() {
    if (this.strokes.length === 0) return this.base ? Float32Array.from(this.base) : null;
    const data = this.ink.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, INK_SIDE, INK_SIDE).data;
    const ink = new Float32Array(INK_SIDE * INK_SIDE);
    for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4] / 255;
    return this.base ? overlay(this.base, downsample(ink, INK_SIDE)) : mnistFromInk(ink, INK_SIDE, INK_SIDE);
  }

  /** Shows a 28×28 digit to draw on (or nothing), and forgets the strokes. */
  load(pixels) {
    this.base = pixels ? Float32Array.from(pixels) : null;
    this.strokes = [];
    this.#redraw();
  }

  clear() {
    this.load(null);
    this.#emit("clear");
  }

  undo() {
    if (this.strokes.length === 0) return false;
    this.strokes.pop();
    this.#redraw();
    this.#emit("undo");
    return true;
  }

  #emit(phase) {
    this.dispatchEvent(new CustomEvent("change", { detail: { phase } }));
  }

  #point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
  }

  #down(event) {
    if (this.#active !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.#active = event.pointerId;
    const p = this.#point(event);
    this.strokes.push([p]);
    this.#drawn = 1;
    this.#path([p]);
    this.#emit("start");
  }

  #move(event) {
    if (event.pointerId !== this.#active) return;
    event.preventDefault();
    const stroke = this.strokes[this.strokes.length - 1];
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) stroke.push(this.#point(e));
    // The points of one event (several when the browser coalesced them) are drawn as one
    // path: the soft edge (a shadow blur) is the costly part, paid once per event. It is
    // drawn here, not in the next animation frame, which has the page to lay out and paint.
    this.#path(stroke.slice(this.#drawn - 1));
    this.#drawn = stroke.length;
    this.#emit("move");
  }

  #up(event) {
    if (event.pointerId !== this.#active) return;
    this.#active = null;
    this.#emit("end");
  }

  #style(context, side) {
    context.strokeStyle = "#fff";
    context.lineCap = context.lineJoin = "round";
    context.lineWidth = PEN * side;
    context.shadowColor = "#fff";
    context.shadowBlur = SOFT * side;
  }

  /** Draws a piece of a stroke (a list of points; one point is a dot) on the pad and on the ink canvas. */
  #path(points) {
    for (const [canvas, side] of [[this.canvas, this.canvas.width], [this.ink, INK_SIDE]]) {
      const context = canvas.getContext("2d");
      this.#style(context, side);
      this.#trace(context, points, side);
    }
  }

  #trace(context, points, side) {
    context.beginPath();
    context.moveTo(points[0][0] * side, points[0][1] * side);
    for (const [x, y] of points) context.lineTo(x * side, y * side);
    if (points.length === 1) context.lineTo(points[0][0] * side + 0.01, points[0][1] * side);
    context.stroke();
  }

  #redraw() {
    this.#drawn = this.strokes.at(-1)?.length ?? 0;
    for (const [canvas, side, withBase] of [[this.canvas, this.canvas.width, true], [this.ink, INK_SIDE, false]]) {
      const context = canvas.getContext("2d");
      context.shadowBlur = 0;
      context.fillStyle = "#000";
      context.fillRect(0, 0, side, side);
      if (withBase && this.base) {
        const small = document.createElement("canvas");
        small.width = small.height = 28;
        small.getContext("2d").putImageData(greyData(this.base), 0, 0);
        context.imageSmoothingEnabled = true;
        context.imageSmoothingQuality = "high";
        context.drawImage(small, 0, 0, side, side);
      }
      this.#style(context, side);
      for (const stroke of this.strokes) this.#trace(context, stroke, side);
    }
  }

  #resize(width) {
    const side = Math.round((width || 280) * (window.devicePixelRatio || 1));
    if (side !== this.canvas.width) {
      this.canvas.width = this.canvas.height = side;
      this.#redraw();
    }
  }
}
