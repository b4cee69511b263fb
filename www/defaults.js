// What the explainer shows before anyone chooses: the CNN, with the composite that
// Zennit and the LRP literature recommend for convolutional networks. The settings
// panel starts here, and the worker prepares this explanation while the page loads.
export const START = { model: "cnn", method: "epsilon-gamma-box" };
