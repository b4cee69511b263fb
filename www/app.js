// The page: loads the wasm module, shows the gallery, classifies the chosen digit
// with every embedded model. All computation happens in the module.
import init, { models, classify } from "../pkg/lrp.js";
import { GALLERY } from "./gallery.js";

const status = document.getElementById("status");

/** Base64 MNIST bytes -> Float32Array of 784 values in [0, 1]. */
function decodePixels(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Float32Array.from(bytes, (v) => v / 255);
}

function drawDigit(canvas, pixels) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(28, 28);
  pixels.forEach((v, i) => {
    const grey = Math.round(v * 255);
    image.data.set([grey, grey, grey, 255], i * 4);
  });
  context.putImageData(image, 0, 0);
}

function showPredictions(pixels, cards) {
  const rows = cards.map((card) => {
    const result = classify(pixels, card.name);
    const probability = result.probabilities[result.prediction];
    return `<tr data-model="${card.name}"><td>${card.name}</td>` +
      `<td class="predicted">${result.prediction}</td>` +
      `<td>${(100 * probability).toFixed(1)}%</td>` +
      `<td>${(100 * card.card.test_accuracy).toFixed(2)}%</td></tr>`;
  });
  document.querySelector("#predictions tbody").innerHTML = rows.join("");
}

function select(item, button, cards) {
  document.querySelectorAll(".gallery button").forEach((b) => b.setAttribute("aria-pressed", "false"));
  button.setAttribute("aria-pressed", "true");
  const pixels = decodePixels(item.pixels);
  drawDigit(document.getElementById("digit"), pixels);
  showPredictions(pixels, cards);
  status.textContent = `Test digit #${item.index}, labelled ${item.label}.`;
  document.body.dataset.selected = String(item.index);
}

async function main() {
  await init();
  const cards = models();
  const gallery = document.getElementById("gallery");
  GALLERY.forEach((item, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.title = `test digit #${item.index}, label ${item.label}`;
    button.dataset.index = String(item.index);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 28;
    drawDigit(canvas, decodePixels(item.pixels));
    button.append(canvas);
    button.addEventListener("click", () => select(item, button, cards));
    gallery.append(button);
    if (i === 0) select(item, button, cards);
  });
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  status.textContent = `Could not start: ${error.message ?? error}`;
  status.classList.add("error");
  console.error(error);
});
