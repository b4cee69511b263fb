// What the explainer shows before anyone chooses: the CNN, with the composite that
// Zennit and the LRP literature recommend for convolutional networks. The settings
// panel starts here.
export const START = { model: "cnn", method: "epsilon-gamma-box" };

/** The group a model (an entry of models()) is shown in: its data set, or itself when it names none. */
export const groupOf = (model) => model.dataset ?? `model:${model.name}`;

/**
 * Whether two models read the same inputs: one group, one input shape and range. The
 * page offers one group's models at a time, and "every network on this input" means
 * the models that read the explained model's inputs.
 */
export function sameInputs(a, b) {
  return groupOf(a) === groupOf(b) && String(a.input_shape) === String(b.input_shape) &&
    String(a.input_range) === String(b.input_range);
}
