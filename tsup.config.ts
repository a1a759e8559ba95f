import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", node: "src/node.ts" },
  format: ["esm", "cjs"],
  dts: true,
  // no source maps in the package: they held absolute build paths and were 60% of its size
  sourcemap: false,
  clean: true,
  // one copy of each class shared by both entries, in CJS too (instanceof across "tinymlp" and "tinymlp/node")
  splitting: true,
  target: "es2022",
  platform: "neutral",
  external: [/^node:/],
});
