// What the page knows of each group of models (defaults.js groupOf): a data set the
// repository holds, or one model brought by the user. For each: its name in the
// switch, what one input is called, whether it can be drawn, how a picture becomes an
// input (preprocess.js), its gallery (loaded when first shown) and its test split.
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
  },
};

/**
 * The groups of `models`, in the order their first model comes: { key, label, noun,
 * draw, picture ("digit", "object" or "fit": resized to the input), gallery() (a
 * promise of the test images, [] for none), models }.
 */
export function groups(models) {
  const keys = [...new Set(models.map(groupOf))];
  return keys.map((key) => {
    const members = models.filter((m) => groupOf(m) === key);
    // Within a group, the models that read the first one's inputs (a data set's models share them).
    const usable = members.filter((m) => sameInputs(m, members[0]));
    const known = KNOWN[key];
    if (known) return { key, ...known, models: usable };
    const [model] = usable;
    return {
      key, label: `Your network: ${model.name}`, noun: "input", draw: false, picture: "fit",
      gallery: async () => [], models: usable,
    };
  });
}
