// What the explainer shows before anyone chooses: the CNN, with the composite that
// Zennit and the LRP literature recommend for convolutional networks. The settings
// panel starts here, and the worker prepares this explanation while the page loads.
export const START = { model: "cnn", method: "epsilon-gamma-box" };

/**
 * Whether two models (entries of models()) read the same inputs: one data set, one
 * input shape and range. The page offers the models that read the start model's, and
 * "every network on this input" means the models that read the explained model's.
 */
export function sameInputs(a, b) {
  return a.dataset === b.dataset && String(a.input_shape) === String(b.input_shape) && String(a.input_range) === String(b.input_range);
}
