// The npm package: `npm pack` of pkg/ gives a tarball that installs into an empty
// project (offline: it has no dependencies) and works from Node (initSync with the wasm
// bytes) and from a page (init(), with an import map for the bare name).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, browserSession, openPage, serve } from "./harness.mjs";
import { GALLERY } from "../../www/gallery.js";

const env = browserSession();
const npm = (args, cwd) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });

/** An empty project with the packed package installed; its path. */
function installedProject() {
  const dir = mkdtempSync(join(tmpdir(), "lrp-package-"));
  const packed = npm(["pack", "--json", "--pack-destination", dir], join(ROOT, "pkg"));
  const [{ filename, files }] = JSON.parse(packed);
  const names = files.map((f) => f.path).sort();
  assert.deepEqual(names, ["README.md", "lrp.d.ts", "lrp.js", "lrp_bg.wasm", "lrp_bg.wasm.d.ts", "package.json"]);
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "an-empty-project", private: true, type: "module" }));
  npm(["install", "--offline", join(dir, filename)], app);
  return app;
}

test("the packed package installs into an empty project and works from Node and from a page", async () => {
  const app = installedProject();
  const manifest = JSON.parse(readFileSync(join(app, "node_modules/lrp-explainer/package.json"), "utf8"));
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8").match(/^version = "(.+)"$/m)[1];
  assert.equal(manifest.version, cargo, "the package's version is the crate's");
  assert.equal(manifest.types, "./lrp.d.ts");
  assert.ok(existsSync(join(app, "node_modules/lrp-explainer/lrp.d.ts")));
  const digit = GALLERY[0];
  const pixels = Array.from(digit.pixels, (v) => v / 255);

  // Node, by the package's name.
  writeFileSync(join(app, "use.mjs"), `
    import { initSync, classify, explain } from "lrp-explainer";
    import { readFileSync } from "node:fs";
    import { createRequire } from "node:module";
    initSync({ module: readFileSync(createRequire(import.meta.url).resolve("lrp-explainer/lrp_bg.wasm")) });
    const pixels = Float32Array.from(JSON.parse(process.argv[2]));
    const e = explain(pixels, "epsilon", { model: "cnn" });
    console.log(JSON.stringify({ prediction: classify(pixels, "mlp-wide").prediction, explained: e.prediction, sum: e.relevanceSum }));
  `);
  const fromNode = JSON.parse(execFileSync(process.execPath, ["use.mjs", JSON.stringify(pixels)], { cwd: app, encoding: "utf8" }));
  assert.equal(fromNode.prediction, digit.label);
  assert.equal(fromNode.explained, digit.label);

  // A page, by the package's name through an import map.
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8"><title>package</title><link rel="icon" href="data:,">
    <script type="importmap">{ "imports": { "lrp-explainer": "./node_modules/lrp-explainer/lrp.js" } }</script>
    <script type="module">
      import init, { explain } from "lrp-explainer";
      await init();
      const e = explain(Float32Array.from(${JSON.stringify(pixels)}), "epsilon", { model: "cnn" });
      document.body.dataset.result = JSON.stringify({ explained: e.prediction, sum: e.relevanceSum });
    </script>`);
  const server = await serve(app);
  const { page, log, context } = await openPage(env.browser);
  try {
    await page.goto(`${server.url}/index.html`);
    await page.waitForSelector("body[data-result]", { state: "attached", timeout: 30_000 });
    const fromPage = JSON.parse(await page.getAttribute("body", "data-result"));
    assert.equal(fromPage.explained, digit.label);
    assert.ok(Math.abs(fromPage.sum - fromNode.sum) < 1e-5, `the same relevance in Node and in the page: ${fromPage.sum} vs ${fromNode.sum}`);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
