import { defineConfig } from "vitest/config";

// The suite as StrykerJS runs it (npm run mutation): everything but the
// examples' smoke runs and the allocation test: the first exercise scripts and
// processes rather than the numerical core, and the instrumented code allocates
// by design (the allocation test stays in npm test).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/examples.test.ts", "test/allocation.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
