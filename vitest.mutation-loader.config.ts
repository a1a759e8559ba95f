import { defineConfig } from "vitest/config";

// The loader's mutation run (src/format/tmlp.ts): the suite of
// vitest.mutation.config.ts plus the fuzz suite of hostile files, which is
// where the loader's checks are exercised.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [
      "test/examples.test.ts",
      "test/allocation.test.ts",
      "test/golden.test.ts",
      "test/mnist-backends.test.ts",
      // ~30 s per run, and it covers every line of the loader: it would run for each mutant
      "test/roundtrip.test.ts",
      "test/browser/**",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
