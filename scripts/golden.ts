/**
 * Prints the golden runs' hashes (test/fixtures/golden.ts); with --write,
 * stores them in test/reference/golden.json, the values test/golden.test.ts
 * expects. Regenerate only for a change meant to alter the bits.
 *
 * The JS reference's hashes go to golden.json, the wasm backend's (float32)
 * to golden-wasm.json: the wasm GEMM sums in its own order, so its bits are
 * its own, and pinned separately.
 *
 *   tsx scripts/golden.ts [--write]
 */
import { writeFileSync } from "node:fs";
import { goldenRuns } from "../test/fixtures/golden.js";

for (const [backend, file] of [
  ["js", "test/reference/golden.json"],
  ["wasm", "test/reference/golden-wasm.json"],
] as const) {
  const text = `${JSON.stringify(await goldenRuns(backend), null, 2)}\n`;
  if (process.argv.includes("--write")) writeFileSync(file, text);
  process.stdout.write(`${backend}:\n${text}`);
}
