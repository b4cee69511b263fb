// Builds dist/lrp-explainer.html: one self-contained file for a classroom without a
// server or a network. It holds the page (www/index.html with its style sheet), the
// page's modules and the worker bundled by esbuild, the wasm module (base64, in the
// source of the worker, a classic script started from a Blob URL), the models shipped as files
// (datasets.js SHIPPED), and the first TEST_DIGITS digits of the MNIST test split for the
// evaluation panel. Opened from disk, it requests nothing.
//
//   node scripts/build-offline.mjs [output]      (after scripts/build-wasm.sh)
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { SHIPPED } from "../www/datasets.js";
import { ROOT, bundle } from "./bundle.mjs";

const OUTPUT = resolve(process.argv[2] ?? join(ROOT, "dist/lrp-explainer.html"));
const TEST_DIGITS = 1000;
const read = (path) => readFileSync(join(ROOT, path));

/** The first `count` items of a gzipped IDX file, as a gzipped IDX file. */
function firstItems(path, count) {
  const bytes = gunzipSync(read(path));
  const dims = bytes[3];
  const header = Buffer.from(bytes.subarray(0, 4 + 4 * dims));
  const itemSize = Array.from({ length: dims - 1 }, (_, i) => header.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
  if (header.readUInt32BE(4) < count) throw new Error(`${path}: fewer than ${count} items`);
  header.writeUInt32BE(count, 4);
  return gzipSync(Buffer.concat([header, bytes.subarray(header.length, header.length + count * itemSize)]), { level: 9 });
}

/** A JavaScript expression for a string, safe inside an inline <script>. */
const literal = (text) => JSON.stringify(text).replace(/<\//g, "<\\/").replace(/<!--/g, "<\\!--");
/** A JavaScript expression for bytes: a Uint8Array decoded from base64. */
const bytesFrom = (buffer) => `Uint8Array.from(atob(${literal(buffer.toString("base64"))}), (c) => c.charCodeAt(0))`;

const wasm = read("pkg/lrp_bg.wasm");
const worker = `globalThis.LRP_WASM = ${bytesFrom(wasm)};\n${await bundle("www/worker.js", { format: "iife" })}`;
const page = await bundle("www/app.js");
// The digit models' reference inputs (lrp concepts, over the first 1,000 test digits: the ones carried here).
const concepts = Object.fromEntries(readdirSync(join(ROOT, "data/concepts")).map((f) => JSON.parse(read(`data/concepts/${f}`)))
  .filter((c) => c.dataset === "mnist" && c.n <= TEST_DIGITS).map((c) => [c.model, c]));
const prelude = `globalThis.LRP_OFFLINE = {
  worker: URL.createObjectURL(new Blob([${literal(worker)}], { type: "text/javascript" })),
  testSplit: { images: ${bytesFrom(firstItems("data/mnist/t10k-images-idx3-ubyte.gz", TEST_DIGITS))},
    labels: ${bytesFrom(firstItems("data/mnist/t10k-labels-idx1-ubyte.gz", TEST_DIGITS))} },
  testSplitDigits: ${TEST_DIGITS},
  concepts: JSON.parse(${literal(JSON.stringify(concepts))}),
  models: { ${SHIPPED.map((name) => `${literal(name)}: { description: ${literal(read(`weights/${name}.json`).toString())}, ` +
    `weights: ${bytesFrom(read(`weights/${name}.safetensors`))} }`).join(",\n    ")} },
};`;

let html = read("www/index.html").toString();
const replace = (pattern, by) => {
  if (!pattern.test(html)) throw new Error(`www/index.html: ${pattern} not found`);
  html = html.replace(pattern, by);
};
replace(/<link rel="stylesheet" href="([\w-]+\.css)">/g, (_, file) => `<style>\n${read(`www/${file}`)}</style>`);
replace(/ *<!-- served:early[^]*?<!-- :served -->\n/, () => "");
replace(/ *<!-- served:[^]*?<!-- :served -->/, () => `  <script type="module">\n${prelude}\n${page}</script>`);
if (/<script[^>]+src=|<link[^>]+href="(?!data:)/.test(html)) throw new Error("the one file still refers to another file");

mkdirSync(dirname(OUTPUT), { recursive: true });
writeFileSync(OUTPUT, html);
const kB = (n) => `${(n / 1000).toFixed(0)} kB`;
console.log(`${OUTPUT}: ${kB(statSync(OUTPUT).size)} (${kB(gzipSync(html).length)} gzipped; the wasm ${kB(wasm.length)}, ` +
  `${TEST_DIGITS} test digits)`);
