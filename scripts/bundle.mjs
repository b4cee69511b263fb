// esbuild, as the page builds use it: one script with everything `entry` imports.
import { build } from "esbuild";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");

/**
 * `entry` (a path in the repository) and what it imports, as one minified script: an ES
 * module ("esm") or a classic script ("iife"). `external`: imports left as they are
 * (loaded when needed, beside the bundle).
 */
export async function bundle(entry, { format = "esm", external = [] } = {}) {
  const result = await build({
    entryPoints: [join(ROOT, entry)], bundle: true, format, write: false, minify: true,
    legalComments: "none", target: "es2022", logLevel: "error", external,
    // pkg/lrp.js finds lrp_bg.wasm beside itself (import.meta.url) only if not given the bytes, as in the one-file build.
    define: format === "iife" ? { "import.meta.url": "undefined" } : {},
  });
  return result.outputFiles[0].text;
}
