import { defineConfig } from "vitest/config";

// The suite as StrykerJS runs it (npm run mutation): everything but
// - the examples' smoke runs, which exercise scripts and processes rather than
//   the numerical core;
// - the allocation test: instrumented code allocates by design;
// - the golden runs: under instrumentation their MNIST-sized GEMMs take minutes
//   per mutant. They pin bits, not behaviour, so leaving them out can only
//   lower the score: every mutant must be killed by a test of behaviour.
// - the fuzz suites (10,500 hostile model files; 2,000 CSV and IDX files, whose
//   readers are outside the numerical core): the first loads models, so it covers nearly
//   every mutant and would run for each; like the golden runs, leaving it out
//   can only lower the score.
// - the round-trip property (1,000 random models, ~30 s) and the exporters'
//   checks by onnxruntime and tfjs-layers: each covers most of the loader and
//   would run for every mutant;
// - the writers' memory (children building 100 MB and 2.2 GB models) and
//   the hostile-header stress cases: they time the loader and spawn a child
//   with a 64 MB heap, neither of which measures a mutant.
// All of them stay in npm test.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [
      "test/examples.test.ts",
      "test/allocation.test.ts",
      "test/golden.test.ts",
      "test/fuzz.test.ts",
      "test/mnist-backends.test.ts",
      "test/roundtrip.test.ts",
      "test/onnx.test.ts",
      "test/tfjs.test.ts",
      "test/header-stress.test.ts",
      "test/fuzz-foreign.test.ts",
      "test/writer-memory.test.ts",
      "test/browser/**",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
