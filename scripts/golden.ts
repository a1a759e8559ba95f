/**
 * Prints the golden runs' hashes (test/fixtures/golden.ts); with --write,
 * stores them in test/reference/golden.json, the values test/golden.test.ts
 * expects. Regenerate only for a change meant to alter the bits.
 *
 *   tsx scripts/golden.ts [--write]
 */
import { writeFileSync } from "node:fs";
import { goldenRuns } from "../test/fixtures/golden.js";

const hashes = await goldenRuns();
const text = `${JSON.stringify(hashes, null, 2)}\n`;
if (process.argv.includes("--write")) writeFileSync("test/reference/golden.json", text);
process.stdout.write(text);
