/**
 * The documented results are the measured ones: the headline figures in the
 * README and docs/mnist.md must match the JSON the runs wrote
 * (docs/results/*.json, copied from `npm run mnist`'s results.json). A change
 * that alters the bits of a documented run must update both.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Result {
  command: string;
  seed: number;
  bestEpoch: number;
  bestValAccuracy: number;
  testAccuracy: number;
  trainSeconds: number;
}
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const results = [1, 2, 3].map((s) => JSON.parse(readFileSync(`docs/results/mnist-seed${s}.json`, "utf8")) as Result);

describe("documented figures match the recorded runs", () => {
  it("README: the main job's test accuracy", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme).toContain(`reaches ${pct((results[0] as Result).testAccuracy)} test`);
  });

  it("docs/mnist.md: the seed table and the short answer", () => {
    const doc = readFileSync("docs/mnist.md", "utf8");
    for (const r of results) {
      const row = doc.split("\n").find((l) => new RegExp(`^\\| ${r.seed}( \\(default\\))? +\\|`).test(l));
      expect(row, `row of seed ${r.seed}`).toBeDefined();
      const cells = (row as string).split("|").map((c) => c.trim());
      expect(cells[2]).toBe(String(r.bestEpoch));
      expect(cells[3]).toBe(pct(r.bestValAccuracy));
      expect(cells[4]).toBe(`**${pct(r.testAccuracy)}**`);
      expect(cells[5]).toBe(`${r.trainSeconds.toFixed(1)} s`);
    }
    const all = results.map((r) => (100 * r.testAccuracy).toFixed(2)).join(" / ");
    expect(doc).toContain(`seeds 1, 2, 3: ${all}%`);
    expect(doc).toContain(`reaches **${pct((results[0] as Result).testAccuracy)}**`);
  });
});
