/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const classify: (a: any, b: number) => [number, number, number];
export const evaluate: (a: any, b: any, c: any, d: number, e: number) => [number, number, number];
export const explain: (a: any, b: any, c: number) => [number, number, number];
export const loadModel: (a: any, b: any) => [number, number, number];
export const methods: (a: number) => [number, number, number];
export const models: () => [number, number, number];
export const removal: (a: any, b: any, c: number) => [number, number, number];
export const report: (a: any, b: number) => [number, number, number];
export const start: () => void;
export const unloadModel: (a: any) => [number, number, number];
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_exn_store: (a: number) => void;
export const __externref_table_alloc: () => number;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __externref_table_dealloc: (a: number) => void;
export const __wbindgen_start: () => void;
