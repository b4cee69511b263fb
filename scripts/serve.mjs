// The static file server of `make demo` and of the browser tests: the repository's
// files with their media types (application/wasm, so that browsers compile the module
// while it downloads), compressed (brotli or gzip, as the browser accepts; each file is
// compressed once and kept while it is unchanged), revalidated by ETag so that a
// reload fetches only what changed. Loopback only. Python's http.server does none of
// the compression.
//
//   node scripts/serve.mjs [--port 8000] [--root .]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml",
  ".png": "image/png", ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8", ".ts": "text/plain; charset=utf-8",
};
/** Already compressed, or not worth it. */
const STORED = new Set([".png", ".gz", ".tgz", ".zip", ".npy"]);

const ENCODERS = {
  // Quality 9: the wasm in 0.4 s, 4% larger than at 11, which takes 6.6 s.
  br: (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
  gzip: (bytes) => gzipSync(bytes, { level: 9 }),
};

/** Serves `root` on `host:port` (port 0: a free one); resolves to { url, close }. */
export async function serve({ root, port = 0, host = "127.0.0.1" }) {
  root = resolve(root);
  const cache = new Map(); // path -> { mtime, etag, bytes, encoded: { br, gzip } }

  async function load(file) {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a file");
    const known = cache.get(file);
    if (known && known.mtime === info.mtimeMs) return known;
    const entry = { mtime: info.mtimeMs, etag: `"${info.size.toString(36)}-${Math.round(info.mtimeMs).toString(36)}"`, bytes: await readFile(file), encoded: {} };
    cache.set(file, entry);
    return entry;
  }

  const server = createServer(async (request, response) => {
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    } catch {
      return response.writeHead(400).end();
    }
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    if (!file.startsWith(root)) return response.writeHead(403).end();
    if (request.method !== "GET" && request.method !== "HEAD") return response.writeHead(405, { allow: "GET, HEAD" }).end();
    let entry;
    try {
      entry = await load(file);
    } catch {
      return response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    }
    const ext = extname(file);
    const headers = {
      "content-type": TYPES[ext] ?? "application/octet-stream", etag: entry.etag,
      "cache-control": "no-cache", vary: "accept-encoding", "x-content-type-options": "nosniff",
    };
    if (request.headers["if-none-match"] === entry.etag) return response.writeHead(304, headers).end();
    const accepted = request.headers["accept-encoding"] ?? "";
    const encoding = STORED.has(ext) || entry.bytes.length < 1024 ? null : ["br", "gzip"].find((e) => new RegExp(`\\b${e}\\b`).test(accepted));
    let body = entry.bytes;
    if (encoding) {
      body = entry.encoded[encoding] ??= ENCODERS[encoding](entry.bytes);
      headers["content-encoding"] = encoding;
    }
    headers["content-length"] = body.length;
    response.writeHead(200, headers);
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise((done, fail) => server.once("error", fail).listen(port, host, done));
  const close = () => new Promise((done) => {
    server.close(done);
    server.closeAllConnections(); // a browser's keep-alive connections would hold it open
  });
  return { url: `http://${host}:${server.address().port}`, close };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const option = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const { url } = await serve({ root: option("--root", resolve(import.meta.dirname, "..")), port: Number(option("--port", 8000)) });
  console.log(`Serving ${url}/www/ (brotli or gzip; Ctrl-C to stop)`);
}
