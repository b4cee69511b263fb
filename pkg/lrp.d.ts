/* tslint:disable */
/* eslint-disable */

/** An embedded model: its layers (PyTorch names and arguments) and its card. */
export interface ModelInfo {
    name: string;
    input_shape: number[];
    input_range: [number, number];
    classes: string[];
    layers: Array<{ type: string; [argument: string]: unknown }>;
    card: { parameters: number; test_correct: number; test_total: number; test_accuracy: number; training: Record<string, unknown> };
}
/** A rule, composite or baseline, with its parameters. */
export interface MethodInfo {
    name: string;
    kind: "rule" | "composite" | "baseline";
    about: string;
    params: Array<{ name: string; default: number; min: number; max: number; integer: boolean; about: string }>;
}
/** Options of `explain`: the model, the target, the output relevance, per-layer rules, and the rule's parameters by name. */
export interface ExplainParams {
    model?: string;
    target?: "predicted" | number;
    output?: "score" | "one-hot";
    zeroBias?: boolean;
    layers?: string[];
    [parameter: string]: unknown;
}
export interface Books { entering: number; leaving: number; bias: number; stabilizer: number }
export interface LayerRelevance {
    layer: string;
    rule: string | null;
    shape: number[];
    relevance: Float32Array;
    sum: number;
    books: Books;
}
export interface Classification {
    model: string;
    prediction: number;
    logits: Float32Array;
    probabilities: Float32Array;
    confidence: number;
}
export interface Explanation extends Classification {
    method: string;
    target: number;
    outputRelevance: Float32Array;
    relevance: Float32Array;
    relevanceSum: number;
    layers: LayerRelevance[];
}



/**
 * Classifies one image: `pixels` holds 784 values in [0, 1] (row-major 28×28,
 * white digit on black); `model` names an embedded model (default `cnn`).
 */
export function classify(pixels: Float32Array | number[], model?: string | null): Classification;

/**
 * Explains one image: `pixels` as for `classify`, `rule` a name from `methods()`,
 * `params` the model, target, output relevance, per-layer rules and the rule's parameters.
 */
export function explain(pixels: Float32Array | number[], rule: string, params: ExplainParams): Explanation;

/**
 * Every rule, composite and baseline with its parameters, ranges and defaults.
 */
export function methods(): MethodInfo[];

/**
 * The embedded models: name, input shape, classes, layers and model card.
 */
export function models(): ModelInfo[];

export function start(): void;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly classify: (a: any, b: number, c: number) => [number, number, number];
    readonly explain: (a: any, b: any, c: any) => [number, number, number];
    readonly methods: () => [number, number, number];
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
