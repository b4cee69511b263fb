// What the page knows of each group of models (defaults.js groupOf): a data set the
// repository holds, or one model brought by the user. For each: its name in the
// switch, what one input is called, whether it can be drawn, how a picture becomes an
// input (preprocess.js), its gallery (loaded when first shown), and the models shipped
// as files beside the page rather than in the wasm module (assets.js shippedModel),
// which are loaded when the group is first shown.
import { groupOf, sameInputs } from "./defaults.js";
import { GALLERY } from "./gallery.js";

const KNOWN = {
  mnist: {
    label: "Digits (MNIST)", noun: "digit", draw: true, picture: "digit",
    gallery: async () => GALLERY,
  },
  "fashion-mnist": {
    label: "Clothes (Fashion-MNIST)", noun: "item", draw: false, picture: "object",
    gallery: async () => (await import("./gallery-fashion-mnist.js")).GALLERY,
    shipped: ["fashion-cnn"],
  },
};

/** The names of the models shipped as files (scripts/build-offline.mjs puts them into the one file). */
export const SHIPPED = Object.values(KNOWN).flatMap((known) => known.shipped ?? []);

/**
 * The groups of `models` (the data sets the repository holds first, then the models of
 * the user's, as they came): { key, label, noun, draw, picture ("digit", "object" or
 * "fit": resized to the input), gallery() (a promise of the test images, [] for none),
 * models, shipped (the names of the models to load before it is shown, [] once loaded) }.
 */
export function groups(models) {
  const loaded = new Set(models.map(groupOf));
  const keys = [...Object.keys(KNOWN).filter((key) => loaded.has(key) || KNOWN[key].shipped), ...loaded];
  return [...new Set(keys)].map((key) => {
    const members = models.filter((m) => groupOf(m) === key);
    // Within a group, the models that read the first one's inputs (a data set's models share them).
    const usable = members.filter((m) => sameInputs(m, members[0]));
    const known = KNOWN[key];
    const missing = (known?.shipped ?? []).filter((name) => !models.some((m) => m.name === name));
    if (known) return { key, ...known, models: usable, shipped: missing };
    const [model] = usable;
    return {
      key, label: `Your network: ${model.name}`, noun: "input", draw: false, picture: "fit",
      gallery: async () => [], models: usable, shipped: [],
    };
  });
}
