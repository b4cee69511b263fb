// Shared set-up for the browser tests: a static file server for the repository
// (the same files `make demo` serves) and a headless Debian Chromium.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { chromium } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "../..");
const TYPES = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml",
};

/** Serves ROOT on a free loopback port; resolves to { url, close }. */
export async function serve() {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    const file = join(ROOT, path.endsWith("/") ? path + "index.html" : path);
    if (!file.startsWith(ROOT)) return response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic"],
  });
}

/** A new page that records console errors, page errors and every request URL. */
export async function openPage(browser) {
  const context = await browser.newContext({ userDataDir: mkdtempSync(join(tmpdir(), "lrp-chromium-")) });
  const page = await context.newPage();
  const log = { errors: [], requests: [] };
  page.on("console", (m) => m.type() === "error" && log.errors.push(m.text()));
  page.on("pageerror", (e) => log.errors.push(e.message));
  page.on("request", (r) => log.requests.push(r.url()));
  return { page, log, context };
}

/** Runs `fn(module, arg)` with the module loaded in the page itself (main thread), as a check on what the worker computed. */
export function viaModule(page, fn, arg) {
  return page.evaluate(async ({ source, arg }) => {
    const m = await import("/pkg/lrp.js");
    await m.default();
    return (0, eval)(source)(m, arg);
  }, { source: fn.toString(), arg });
}
