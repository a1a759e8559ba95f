import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (f: string): string => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

// npm run test:browser: the demo page and the library in a real, headless
// Chromium or Firefox (TINYMLP_BROWSER; the system's: see test/browser/harness.ts). One file at a time:
// the browser and a training worker already fill the 2 cores.
export default defineConfig({
  // "tinymlp" is the library's source here, as in the demo's Vite config (not a stale dist/)
  resolve: {
    alias: [
      { find: /^tinymlp$/, replacement: src("index.ts") },
      { find: /^tinymlp\/node$/, replacement: src("node.ts") },
    ],
  },
  test: {
    include: ["test/browser/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
