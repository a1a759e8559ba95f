/**
 * Bit-exact regression pins: the golden runs (test/fixtures/golden.ts) must
 * hash as recorded in test/reference/golden.json, which
 * `tsx scripts/golden.ts --write` produced. A change meant to alter the
 * numbers regenerates the file and says so; any other change that moves a
 * hash has changed behaviour.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { goldenRuns } from "./fixtures/golden.js";

describe("golden runs", () => {
  it("every run's weights, losses and predictions hash as recorded", async () => {
    const want = JSON.parse(readFileSync("test/reference/golden.json", "utf8")) as Record<string, string>;
    expect(await goldenRuns("js")).toEqual(want);
  }, 60_000);

  it("on the wasm backend, every float32 run hashes as recorded for it", async () => {
    const want = JSON.parse(readFileSync("test/reference/golden-wasm.json", "utf8")) as Record<string, string>;
    expect(await goldenRuns("wasm")).toEqual(want);
  }, 60_000);
});
