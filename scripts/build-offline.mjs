// Builds dist/lrp-explainer.html: one self-contained file for a classroom without a
// server or a network. It holds the page (www/index.html with its style sheet), the
// page's modules and the worker bundled by esbuild, the wasm module (base64, in the
// source of the worker, a classic script started from a Blob URL) and the first TEST_DIGITS digits of
// the MNIST test split for the evaluation panel. Opened from disk, it requests nothing.
//
//   node scripts/build-offline.mjs [output]      (after scripts/build-wasm.sh)
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "..");
const OUTPUT = resolve(process.argv[2] ?? join(ROOT, "dist/lrp-explainer.html"));
const TEST_DIGITS = 1000;
const read = (path) => readFileSync(join(ROOT, path));

/** One script with everything `entry` imports, minified: an ES module, or a classic script ("iife"). */
async function bundle(entry, format = "esm") {
  const result = await build({
    entryPoints: [join(ROOT, entry)], bundle: true, format, write: false, minify: true,
    legalComments: "none", target: "es2022", logLevel: "error",
    // pkg/lrp.js finds lrp_bg.wasm beside itself (import.meta.url) only if not given the bytes, as here.
    define: format === "iife" ? { "import.meta.url": "undefined" } : {},
  });
  return result.outputFiles[0].text;
}

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
const worker = `globalThis.LRP_WASM = ${bytesFrom(wasm)};\n${await bundle("www/worker.js", "iife")}`;
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
