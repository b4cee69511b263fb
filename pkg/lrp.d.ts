/* tslint:disable */
/* eslint-disable */
/**
 * A curve averaged over the inputs of a split.
 */
export interface MeanCurve {
    order: Order;
    split: ReportSplit;
    inputs: number;
    score: number[];
    probability: number[];
    confidence: number[];
    /**
     * The fraction of inputs predicted otherwise than at step 0.
     */
    flipped: number[];
    strongest: number[];
}

/**
 * A method as it applies to one model: what `methods()` and the CLI's help list.
 */
export interface MethodInfo {
    name: string;
    kind: Kind;
    about: string;
    params: ParamInfo[];
    constraints: Constraint[];
    /**
     * For LRP methods, the rule each layer gets with the default parameters (`null`
     * on layers without parameters); for `custom`, a suggested start (Montavon's).
     */
    layerRules: (RuleInfo | null)[] | null;
    /**
     * Parameter values tuned for this model by `lrp tune` (the best symmetric relevance
     * gain on MNIST test digits; data/tuned/tune.md), if any.
     */
    tuned: Record<string, number> | null;
}

/**
 * A model's decision on one input.
 */
export interface Classification {
    model: string;
    prediction: number;
    /**
     * The output scores.
     */
    logits: Float32Array;
    /**
     * Softmax of the scores.
     */
    probabilities: Float32Array;
    /**
     * The poster's (max − 2nd max) / max of the probabilities, in [0, 1].
     */
    confidence: number;
    /**
     * The same formula on the raw scores, where it is defined (top score positive).
     */
    rawConfidence: number | null;
}

/**
 * A parameter as it applies to one model: its default and range resolved.
 */
export interface ParamInfo {
    name: string;
    default: number;
    min: number;
    max: number;
    integer: boolean;
    about: string;
}

/**
 * A relation between two parameters of one method, checked after their ranges.
 */
export type Constraint = { kind: "less"; params: [string, string] } | { kind: "difference"; params: [string, string]; value: number };

/**
 * A rule as the module and the CLI report it.
 */
export interface RuleInfo {
    /**
     * The rule's name in the registry: `z-box`.
     */
    name: string;
    params: Record<string, number>;
    /**
     * How people read it: `z-box(0, 1)`.
     */
    label: string;
}

/**
 * Everything an evaluation of one model and one ranking of the pixels (a method, or
 * the random order) gathers over any number of inputs.
 */
export interface Tally {
    model: string;
    /**
     * The method's name, or `random` for the random order.
     */
    method: string;
    imputation: Imputation;
    schedule: Schedule;
    /**
     * Pixels removed at each step.
     */
    removed: number[];
    /**
     * The model's input grid.
     */
    grid: Grid;
    /**
     * One per order and split that has inputs.
     */
    curves: CurveSums[];
    /**
     * Per predicted class: the sum of the relevance maps of its inputs (empty for the
     * random order), and how many there were.
     */
    classRelevance: number[][];
    classInputs: number[];
}

/**
 * How many pixels are gone after each step: `step · step_pixels`, for steps 0 to
 * `steps` (capped at the number of pixels).
 */
export interface Schedule {
    steps: number;
    stepPixels: number;
}

/**
 * Inputs the model classifies correctly, wrongly, or without a label to tell.
 */
export type Split = "correct" | "incorrect" | "unlabelled";

/**
 * Keep only `channels` of the relevance at the output of layer `layer` (its index in
 * the model description, the `nn.Sequential` index zennit-crp names it by).
 */
export interface Condition {
    layer: number;
    /**
     * Channels of a convolution's or pooling's output, neurons of a dense layer's.
     */
    channels: number[];
}

/**
 * One input's answer as its pixels are removed.
 */
export interface RemovalCurve extends Curve {
    target: number;
    /**
     * Where the prediction first changes, if it does.
     */
    flip: Flip | null;
    /**
     * AOPC of this curve, on the target's probability.
     */
    aopc: number;
    /**
     * The mean probability over the steps (the area behind AOPC and the relevance gain).
     */
    area: number;
    /**
     * All classes' probabilities after each step, one row of `classes` per step.
     */
    probabilities: Float32Array;
    /**
     * The input after each step (if asked for), one after another.
     */
    images: Float32Array | null;
}

/**
 * One input's results: its curves (one per order) and where it first flipped.
 */
export interface InputCurves {
    /**
     * Its place in the data set.
     */
    index: number;
    label: number | undefined;
    /**
     * The class predicted and explained.
     */
    prediction: number;
    curves: [Order, Curve][];
}

/**
 * One line of the poster's table: a model × method over the inputs of a split,
 * read from the MoRF curves (the random order's own for `random`).
 */
export interface Row {
    split: ReportSplit;
    inputs: number;
    /**
     * Mean confidence on the inputs themselves.
     */
    confidenceStart: number;
    /**
     * Mean confidence after the table's k pixels are removed.
     */
    confidenceK: number;
    /**
     * The highest confidence of any input after k pixels (the poster's "strongest").
     */
    strongestK: number;
    /**
     * The fraction of inputs whose prediction has changed after k pixels.
     */
    flippedK: number;
    /**
     * AOPC on the target's probability (higher: the first pixels matter more).
     */
    aopc: number;
    /**
     * LeRF area − MoRF area (0 for the random order; none without both curves).
     */
    relevanceGain: number | undefined;
    /**
     * The fraction of inputs whose prediction changes within the schedule, and the
     * mean pixels removed at their first change.
     */
    flipRate: number;
    flipPixels: number | undefined;
    /**
     * Mean confidence after each step.
     */
    confidenceSweep: number[];
}

/**
 * Options of `evaluate` beyond the method's own parameters.
 */
export interface EvaluationSettings extends RemovalSettings {
    /**
     * The first input's place in its data set (default 0): the random streams depend
     * on it, so that slices evaluated apart add up to the evaluation of the whole.
     */
    firstIndex?: number;
}

/**
 * Options of `report`.
 */
export interface ReportSettings {
    /**
     * Pixels removed when the table is read (default 50; a step of the schedule).
     */
    k?: number;
}

/**
 * Sums over the inputs of one split of their curves under one order.
 */
export interface CurveSums {
    order: Order | undefined;
    split: Split | undefined;
    inputs: number;
    /**
     * Per step: the sums of the target's score, probability and the confidence.
     */
    score: number[];
    probability: number[];
    confidence: number[];
    /**
     * Per step: how many inputs are predicted otherwise than at step 0.
     */
    flipped: number[];
    /**
     * Per step: the highest confidence of any input (the poster's "strongest").
     */
    strongest: number[];
    /**
     * Inputs whose prediction changes within the schedule, and the pixels removed at
     * each one's first change, summed.
     */
    flips: number;
    flip_pixels: number;
}

/**
 * The figures of one model × method.
 */
export interface Report {
    model: string;
    method: string;
    imputation: Imputation;
    /**
     * Pixels removed at each step, of `pixels`.
     */
    removed: number[];
    pixels: number;
    /**
     * The step the rows' "after k" figures are read at.
     */
    kStep: number;
    curves: MeanCurve[];
    rows: Row[];
}

/**
 * The inputs a figure is over.
 */
export type ReportSplit = "all" | "correct" | "incorrect";

/**
 * The model card: what the model is and how well it does, as measured by the
 * export script on the official test split with the shipped weights.
 */
export interface Card {
    parameters: number;
    test_correct: number;
    test_total: number;
    test_accuracy: number;
    /**
     * How the weights are stored (int8 with scales, float16, ...), when the card says.
     */
    storage?: string;
    /**
     * How it was trained (optimiser, epochs, ...), as the training script recorded it.
     */
    training?: Record<string, unknown>;
}

/**
 * The model's answer after each step of removal, for the class explained (the
 * target): step 0 is the input itself.
 */
export interface Curve {
    /**
     * Pixels removed at each step.
     */
    removed: number[];
    /**
     * The target's output score.
     */
    score: number[];
    /**
     * The target's softmax probability.
     */
    probability: number[];
    /**
     * The poster's confidence, (max − 2nd max) / max of the probabilities.
     */
    confidence: number[];
    /**
     * The predicted class.
     */
    prediction: number[];
}

/**
 * The options of `explain`: the model, the target, the output relevance, the
 * per-layer rules of `custom`, CRP's conditions, whether to give every layer's
 * relevance, and the method's parameters by name.
 */
export type ExplainParams = { model?: string; target?: "predicted" | number; output?: OutputRelevance; zeroBias?: boolean; layers?: string[]; conditions?: Condition[]; perLayer?: boolean } & ParameterValues & {};

/**
 * The options of `removal` and `evaluate`: what replaces a removed pixel, how many
 * go per step, and the seed of the random order, the tie-breaking and the noise.
 */
export interface RemovalSettings {
    /**
     * `zero` (default), `road` or `blur`.
     */
    removal?: Imputation;
    /**
     * Steps of removal (default 20).
     */
    steps?: number;
    /**
     * Pixels removed per step (default 10).
     */
    stepPixels?: number;
    seed?: number;
}

/**
 * The options of `removal`.
 */
export interface RemovalParams extends RemovalSettings {
    /**
     * A model of `models()`; default `cnn`.
     */
    model?: string;
    /**
     * The class whose answer is followed; default `"predicted"`.
     */
    target?: "predicted" | number;
    /**
     * `morf` (default), `lerf` or `random`.
     */
    order?: Order;
    /**
     * The input's place in its data set (the random streams depend on it); default 0.
     */
    index?: number;
    /**
     * Also return the input after each step.
     */
    images?: boolean;
}

/**
 * The order in which pixels are removed.
 */
export type Order = "morf" | "lerf" | "random";

/**
 * The pixel grid of an input shape: `[C, H, W]`, `[H, W]` or `[D]` (one row).
 */
export interface Grid {
    channels: number;
    height: number;
    width: number;
}

/**
 * The relevance at the input of one layer.
 */
export interface LayerRelevance {
    /**
     * The layer's index in the model (as in `ModelSpec.layers`).
     */
    index: number;
    /**
     * PyTorch's name of its type: `Conv2d`, `Linear`, `ReLU`, `MaxPool2d`, ...
     */
    kind: string;
    /**
     * `Conv2d(1→12, 5×5, stride 1, padding 0)`.
     */
    layer: string;
    /**
     * The rule it was given, as people read it (`epsilon(0.25)`); null without one.
     */
    rule: string | null;
    /**
     * The shape of the layer's input, and of `relevance`.
     */
    shape: number[];
    /**
     * The relevance at the layer's input (row-major). A layer that passes relevance on
     * unchanged (ReLU and Flatten under LRP) shares this array with the layer above.
     */
    relevance: Float32Array;
    sum: number;
    books: Books;
    /**
     * The relevance at the layer's output, summed per channel (per neuron for a dense
     * layer): CRP's concept relevance, which ranks the channels that carry the decision.
     * With one value per channel it is the array of that relevance itself (the layer
     * above's `relevance`, or `outputRelevance` for the top layer).
     */
    channels: Float32Array;
}

/**
 * The relevance put on the target output before it is propagated back.
 */
export type OutputRelevance = "score" | "one-hot";

/**
 * Values for any of the parameters, by name, as a caller gives them: the CLI's
 * `--param name=value` and the module's `params` object are read into this.
 */
export interface ParameterValues {
    /**
     *
     */
    epsilon?: number;
    /**
     *
     */
    gamma?: number;
    /**
     *
     */
    alpha?: number;
    /**
     *
     */
    beta?: number;
    /**
     *
     */
    low?: number;
    /**
     *
     */
    high?: number;
    /**
     *
     */
    noise?: number;
    /**
     *
     */
    samples?: number;
    /**
     *
     */
    seed?: number;
    /**
     *
     */
    steps?: number;
    /**
     *
     */
    window?: number;
    /**
     *
     */
    stride?: number;
    /**
     *
     */
    fill?: number;
}

/**
 * What replaces a removed pixel.
 */
export type Imputation = "zero" | "road" | "blur";

/**
 * Where one sample's relevance went at one layer:
 * `entering = leaving + bias + stabilizer + gated`, up to rounding.
 */
export interface Books {
    /**
     * Relevance arriving from the layer above.
     */
    entering: number;
    /**
     * Relevance passed to the layer below.
     */
    leaving: number;
    /**
     * Absorbed by the biases (as the rule modified them).
     */
    bias: number;
    /**
     * Absorbed by the stabilisers of the denominators (ε, or 1e-6).
     */
    stabilizer: number;
    /**
     * Stopped by the rule's gates: outputs that no group of the rule passes on
     * (γ on an output of exactly 0).
     */
    gated: number;
}

/**
 * Where the prediction first changes.
 */
export interface Flip {
    step: number;
    /**
     * Pixels removed by then.
     */
    pixels: number;
    /**
     * The class predicted then.
     */
    to: number;
}

/**
 * `explain`'s answer: the decision, the relevance of every input value and of every layer.
 */
export interface Explanation extends Classification {
    method: string;
    target: number;
    /**
     * The relevance put on the outputs.
     */
    outputRelevance: Float32Array;
    /**
     * One value per input value (row-major); with `layers`, the array of `layers[0].relevance`.
     * The answer's relevance arrays are views on one ArrayBuffer.
     */
    relevance: Float32Array;
    relevanceSum: number;
    /**
     * From the input up (LRP, gradient and gradient × input; empty for the sampling
     * baselines, and when `perLayer` is false).
     */
    layers: LayerRelevance[];
}

export interface ModelSpec {
    format: string;
    name: string;
    /**
     * Shape of one input without the batch dimension, e.g. `[1, 28, 28]`.
     */
    input_shape: number[];
    /**
     * The pixel range the model was trained on; z^B uses it as its bounds.
     */
    input_range: [number, number];
    classes: string[];
    /**
     * The data set the model was trained on (`mnist`, `fashion-mnist`), when known:
     * its test split is what `test` means for this model, and the page groups its
     * models by it.
     */
    dataset?: string;
    /**
     * File name of the safetensors file, relative to the description.
     */
    weights: string;
    layers: LayerSpec[];
    card: Card;
}

export interface TensorRef {
    name: string;
    shape: number[];
    /**
     * For an int8 tensor: the name of its float scales, one per output (the first
     * axis). Element `[o, ...]` stands for `q[o, ...] · scale[o]`, computed in float32.
     */
    scale?: string;
}

export interface Tensors {
    weight: TensorRef;
    bias?: TensorRef;
}

export type Kind = "rule" | "composite" | "baseline";

export type LayerSpec = { type: "Linear"; in_features: number; out_features: number; tensors: Tensors } | { type: "Conv2d"; in_channels: number; out_channels: number; kernel_size: [number, number]; stride: [number, number]; padding: [number, number]; tensors: Tensors } | { type: "MaxPool2d"; kernel_size: [number, number]; stride: [number, number]; padding: [number, number] } | { type: "AvgPool2d"; kernel_size: [number, number]; stride: [number, number]; padding: [number, number] } | { type: "ReLU" } | { type: "Flatten" };


/**
 * Classifies one input: `pixels` holds the model's input (784 values in [0, 1] for
 * MNIST: row-major 28×28, white digit on black); `model` names an embedded model.
 */
export function classify(pixels: Float32Array | Float64Array | number[], model: string): Classification;

/**
 * The poster's evaluation of `method` (or `"random"`, the random order) on a batch:
 * `pixels` holds the inputs one after another, `labels` one class per input (or
 * null); `params` are as for `explain` (the predicted class is explained, from its
 * score). Returns a tally to add to others with `report`.
 */
export function evaluate(pixels: Float32Array, labels: Uint8Array | null, method: string, params: ExplainParams, settings: EvaluationSettings): Tally;

/**
 * Explains one input: `pixels` as for `classify`, `method` a name from `methods()`,
 * `params` the model, target, output relevance, per-layer rules and the method's parameters.
 */
export function explain(pixels: Float32Array | Float64Array | number[], method: string, params: ExplainParams): Explanation;

/**
 * Registers a model of your own (written by `export/lrp_export.py`) for `classify`,
 * `explain`, `methods`, `removal` and `evaluate`, under the name in its description:
 * `description` is the JSON text, `weights` the safetensors bytes (at most 1 MiB
 * and 64 MiB). Every name, shape, dtype and value is checked; a bad file is an error
 * and changes nothing. A model loaded again under the same name replaces the
 * earlier one; the embedded models' names are taken. Returns its description.
 */
export function loadModel(description: string, weights: Uint8Array): ModelSpec;

/**
 * Every rule, composite and baseline with its parameters (defaults and ranges as they
 * apply to `model`, default `cnn`) and, for LRP, the rule each layer gets.
 */
export function methods(model: string): MethodInfo[];

/**
 * Every model: the embedded ones, then those loaded by `loadModel`; each with its
 * name, input shape and range, classes, data set, layers and model card.
 */
export function models(): ModelSpec[];

/**
 * Removes the pixels of one input step by step, in the order `relevance` (one value
 * per input value, e.g. `explain(...).relevance`) ranks them, and follows the
 * model's answer: the poster's feature removal for one digit.
 */
export function removal(pixels: Float32Array | Float64Array | number[], relevance: Float32Array | Float64Array | number[], params: RemovalParams): RemovalCurve;

/**
 * Adds up tallies of one model × method × removal (from `evaluate`, on different
 * inputs) and reads the figures off them: mean curves, the poster's table by split,
 * AOPC and the symmetric relevance gain, and the class-mean relevance maps.
 */
export function report(tallies: Tally[], settings: ReportSettings): Report & { classMeans: Float32Array[] };

export function start(): void;

/**
 * Forgets a model registered by `loadModel`; returns whether there was one of that name.
 */
export function unloadModel(name: string): boolean;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly classify: (a: any, b: number) => [number, number, number];
    readonly evaluate: (a: any, b: any, c: any, d: number, e: number) => [number, number, number];
    readonly explain: (a: any, b: any, c: number) => [number, number, number];
    readonly loadModel: (a: any, b: any) => [number, number, number];
    readonly methods: (a: number) => [number, number, number];
    readonly models: () => [number, number, number];
    readonly removal: (a: any, b: any, c: number) => [number, number, number];
    readonly report: (a: any, b: number) => [number, number, number];
    readonly start: () => void;
    readonly unloadModel: (a: any) => [number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
