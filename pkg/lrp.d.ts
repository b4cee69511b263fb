/* tslint:disable */
/* eslint-disable */
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
     * The poster's (top score − runner-up) / top score.
     */
    confidence: number;
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
 * The model card: what the model is and how well it does, as measured by the
 * export script on the official test split with the shipped (float16) weights.
 */
export interface Card {
    parameters: number;
    test_correct: number;
    test_total: number;
    test_accuracy: number;
    /**
     * How it was trained (optimiser, epochs, ...), as the training script recorded it.
     */
    training?: Record<string, unknown>;
}

/**
 * The options of `explain`: the model, the target, the output relevance, the
 * per-layer rules of `custom`, and the method's parameters by name.
 */
export type ExplainParams = { model?: string; target?: "predicted" | number; output?: OutputRelevance; zeroBias?: boolean; layers?: string[] } & ParameterValues & {};

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
    relevance: Float32Array;
    sum: number;
    books: Books;
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
}

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
     * One value per input value (row-major).
     */
    relevance: Float32Array;
    relevanceSum: number;
    /**
     * From the input up (LRP, gradient and gradient × input; empty for the sampling baselines).
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
     * File name of the safetensors file, relative to the description.
     */
    weights: string;
    layers: LayerSpec[];
    card: Card;
}

export interface TensorRef {
    name: string;
    shape: number[];
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
 * Explains one input: `pixels` as for `classify`, `method` a name from `methods()`,
 * `params` the model, target, output relevance, per-layer rules and the method's parameters.
 */
export function explain(pixels: Float32Array | Float64Array | number[], method: string, params: ExplainParams): Explanation;

/**
 * Every rule, composite and baseline with its parameters (defaults and ranges as they
 * apply to `model`, default `cnn`) and, for LRP, the rule each layer gets.
 */
export function methods(model: string): MethodInfo[];

/**
 * The embedded models: name, input shape and range, classes, layers and model card.
 */
export function models(): ModelSpec[];

export function start(): void;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly classify: (a: any, b: number) => [number, number, number];
    readonly explain: (a: any, b: any, c: number) => [number, number, number];
    readonly methods: (a: number) => [number, number, number];
    readonly models: () => [number, number, number];
    readonly start: () => void;
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
