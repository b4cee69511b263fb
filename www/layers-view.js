// "How relevance flows back": the relevance on every tensor between the layers,
// from the pixels (left) to the output (right), and the conservation books of
// each layer: how much relevance arrived from above, how much it passed down,
// and how much its biases and stabilisers (ε) absorbed.
import { fmt, maxAbs } from "./colormap.js";
import { drawBars, drawMap, sumChannels } from "./render.js";

// Layers that hand relevance through unchanged (only the shape may change).
const PASS_THROUGH = new Set(["ReLU", "Flatten"]);

// What each kind of layer does with relevance, and what its outputs are called.
const KINDS = {
  Conv2d: { noun: "conv", about: "a convolution: each output pixel gives its relevance back to the input patch it looked at" },
  Linear: { noun: "dense", about: "a dense layer: each output gives its relevance back to all of its inputs" },
  MaxPool2d: { noun: "pool", about: "max-pooling: each window's relevance goes to its strongest input" },
  AvgPool2d: { noun: "pool", about: "average pooling: each window's relevance is shared in proportion to what each input added" },
};

// The CSS size of a bar chart (style.css: .flow canvas.bars).
const BARS = { width: 100, height: 96 };

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

const explainLayer = (layer) => KINDS[layer.kind]?.about ?? layer.layer;

/** "Conv 1→12, 5×5", "Dense 384→64", "MaxPool 2×2", from the model's own description of the layer. */
function short(layer, spec) {
  const d = spec?.layers[layer.index];
  if (d?.type === "Conv2d") return `Conv ${d.in_channels}→${d.out_channels}, ${d.kernel_size.join("×")}`;
  if (d?.type === "Linear") return `Dense ${d.in_features}→${d.out_features}`;
  if (d?.kernel_size) return `${layer.kind.replace("2d", "")} ${d.kernel_size.join("×")}`;
  return layer.kind;
}

/** Groups the layers into tensors (cards) and the layers between them (edges). */
export function flow(explanation) {
  const { layers, outputRelevance } = explanation;
  const nodes = [];
  const edges = [];
  let node = { shape: layers[0].shape, relevance: layers[0].relevance, sum: layers[0].sum, via: [], index: 0 };
  nodes.push(node);
  layers.forEach((layer, i) => {
    if (PASS_THROUGH.has(layer.kind)) {
      node.via.push(layer.kind);
      return;
    }
    edges.push(layer);
    const next = layers[i + 1];
    node = next
      ? { shape: next.shape, relevance: next.relevance, sum: next.sum, via: [], index: i + 1 }
      : { shape: [outputRelevance.length], relevance: outputRelevance, sum: outputRelevance.reduce((a, b) => a + b, 0), via: [], output: true };
    nodes.push(node);
  });
  return { nodes, edges };
}

/** "conv 1 + ReLU", "pool 2", "dense 1 + ReLU": what produced the tensor, numbered by kind. */
function nodeTitles(nodes, edges) {
  const counts = {};
  return nodes.map((node, i) => {
    if (i === 0) return "pixels";
    if (node.output) return "output";
    const kind = KINDS[edges[i - 1].kind]?.noun ?? edges[i - 1].kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
    return `${kind} ${counts[kind]}`;
  });
}

/** `spec`: the model's description (models()), for the layers' names. */
export function renderLayers(container, books, explanation, cmap, spec) {
  if (!explanation.layers.length) {
    container.replaceChildren(note(`${explanation.method} is computed from many forward and backward passes, not layer by layer, so there is nothing to show here. Pick an LRP rule or composite to see relevance flow through the layers.`));
    books.querySelector("tbody").replaceChildren();
    books.querySelector("caption").textContent = "";
    return;
  }
  const { nodes, edges } = flow(explanation);
  const total = nodes[nodes.length - 1].sum;
  const strip = document.createElement("ol");
  strip.className = "flow";
  const titles = nodeTitles(nodes, edges);
  nodes.forEach((node, i) => {
    if (i > 0) strip.append(edgeItem(edges[i - 1], spec));
    strip.append(nodeItem(node, titles[i], total, explanation, cmap));
  });
  container.replaceChildren(strip);
  renderBooks(books, explanation, edges, total, spec);
}

function note(text) {
  const p = document.createElement("p");
  p.className = "note";
  p.textContent = text;
  return p;
}

// The canvases are drawn before they join the page: text on a canvas in the page
// (its font) would force a layout of the whole page.
function nodeItem(node, name, total, explanation, cmap) {
  const item = document.createElement("li");
  item.className = "node";
  item.dataset.shape = node.shape.join("x");
  const title = document.createElement("strong");
  title.textContent = name;
  const shape = document.createElement("span");
  shape.className = "shape";
  shape.textContent = node.shape.join("×") + (node.via.some((v) => v.startsWith("ReLU")) ? " · ReLU" : "");
  shape.title = node.via.length ? `then ${node.via.join(", ")}: these pass relevance through unchanged` : "";
  const canvas = document.createElement("canvas");
  const limit = maxAbs(node.relevance);
  let what;
  if (node.shape.length === 3) {
    const [c, h, w] = node.shape;
    drawMap(canvas, c > 1 ? sumChannels(node.relevance, node.shape) : node.relevance, w, h, cmap, limit);
    canvas.className = "map";
    what = c > 1 ? `${plural(c, "feature map")} of ${h}×${w}, summed` : `${h}×${w} pixels`;
  } else {
    canvas.className = node.output ? "bars output" : "bars";
    drawBars(canvas, node.relevance, cmap, {
      limit, ...BARS,
      labels: node.output ? Array.from(node.relevance, (_, k) => String(k)) : null,
      highlight: node.output ? explanation.target : -1,
    });
    what = node.output ? `relevance put on the 10 outputs: ${explanation.target} gets it all` : `${plural(node.shape[0], "neuron")}, one bar each`;
    if (node.output && explanation.outputRelevance.filter((v) => v !== 0).length !== 1) what = "relevance put on the 10 outputs";
  }
  const sum = document.createElement("span");
  sum.className = "sum";
  const share = total !== 0 ? ` · ${Math.round((100 * node.sum) / total)}%` : "";
  sum.textContent = `Σ ${fmt(node.sum)}${node.output ? "" : share}`;
  sum.title = node.output ? "the relevance that starts flowing back" : "sum of the relevance on this tensor, and its share of the output's";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${title.textContent}: ${what}; sum ${fmt(node.sum)}; strongest |R| ${fmt(limit)}`);
  const caption = document.createElement("small");
  caption.textContent = what;
  item.append(title, shape, canvas, sum, caption);
  return item;
}

function edgeItem(layer, spec) {
  const item = document.createElement("li");
  item.className = "edge";
  item.title = `${layer.layer}: ${explainLayer(layer)}`;
  const arrow = document.createElement("span");
  arrow.className = "arrow";
  arrow.setAttribute("aria-hidden", "true");
  arrow.textContent = "⟵";
  const name = document.createElement("span");
  name.textContent = short(layer, spec);
  const rule = document.createElement("span");
  rule.className = "rule";
  // A break opportunity before the parameters: "epsilon​(0.25)".
  // Layers with parameters get a rule under LRP and the plain gradient otherwise; pooling has no rule.
  const hasParameters = layer.kind === "Conv2d" || layer.kind === "Linear";
  rule.textContent = (layer.rule ?? (hasParameters ? "gradient" : "")).replace("(", "\u200b(");
  item.append(arrow, name, rule);
  return item;
}

function renderBooks(table, explanation, edges, total, spec) {
  const lrp = explanation.layers.some((l) => l.rule);
  const rows = [...edges].reverse().map((layer) => {
    const { entering, leaving, bias, stabilizer, gated } = layer.books;
    const tr = document.createElement("tr");
    const kept = entering !== 0 ? `${(100 * leaving / entering).toFixed(1)}%` : "–";
    const cells = lrp
      ? [fmt(bias), fmt(stabilizer), fmt(gated)]
      : ["–", "–", "–"]; // a gradient conserves nothing, so nothing is accounted for
    for (const [text, cls] of [[short(layer, spec), "name"], [layer.rule ?? "–", "rule"], [fmt(entering)], [fmt(leaving)],
      ...cells.map((c) => [c]), [kept]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    tr.title = `${layer.layer}: ${explainLayer(layer)}`;
    return tr;
  });
  table.querySelector("tbody").replaceChildren(...rows);
  const pixels = explanation.relevanceSum;
  const sum = (key) => edges.reduce((a, l) => a + l.books[key], 0);
  const gated = sum("gated");
  const summary = total !== 0
    ? `Of the ${fmt(total)} relevance put on the output, ${fmt(pixels)} (${(100 * pixels / total).toFixed(1)}%) reaches the pixels; ` +
      `biases absorbed ${fmt(sum("bias"))} and stabilisers ${fmt(sum("stabilizer"))} on the way` +
      (gated !== 0 ? `, and gates stopped ${fmt(gated)}.` : ".")
    : "No relevance was put on the output (its score is 0), so there is nothing to pass back.";
  table.querySelector("caption").textContent = lrp
    ? summary
    : `${summary} This is not an LRP method: nothing makes it conserve relevance, so only what enters and leaves each layer is shown.`;
}
