/**
 * The documented results are the measured ones: the headline figures in the
 * README and docs/mnist.md must match the JSON the runs wrote
 * (docs/results/*.json, copied from `npm run mnist`'s results.json). A change
 * that alters the bits of a documented run must update both.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assemble, readMembers } from "../examples/committee-assemble.js";
import { loadSplitMnist } from "../examples/mnist-data.js";
import { docsPictures, MEMBERS_DIR } from "../scripts/docs-pictures.js";

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

interface Record2 {
  command: string;
  testAccuracy: number;
  validationAccuracy: number;
  epochs: number | number[];
  seconds: number;
  bestEpoch?: number;
  testErrors?: number;
  growth?: number[];
  growthValidation?: number[];
}
const record = [1, 2, 3].map((s) => JSON.parse(readFileSync(`docs/results/record-seed${s}.json`, "utf8")) as Record2);
const committees = [2, 3, 4, 5].map(
  (k) => JSON.parse(readFileSync(`docs/results/committee-${k}.json`, "utf8")) as Record2,
);
const committee = committees.at(-1) as Record2; // the one docs/mnist.md and the README report

const tuning = ["alpha36-sigma6", "alpha34-sigma4", "rotation15-scale15"].map(
  (name) => [name, JSON.parse(readFileSync(`docs/results/tuning-${name}.json`, "utf8")) as Record2] as const,
);

describe("the records' figures match their recorded runs", () => {
  it("the A/B rows of docs/mnist.md's table of everything tried are the tuning runs", () => {
    const doc = readFileSync("docs/mnist.md", "utf8").split("\n");
    const rowOf: Record<string, RegExp> = {
      "alpha36-sigma6": /^\| \*\*A\/B, 20 epochs/,
      "alpha34-sigma4": /^\| the same with Simard's α 34, σ 4 /,
      "rotation15-scale15": /^\| the same \(α 36, σ 6\) with rotation ±15°/,
    };
    for (const [name, r] of tuning) {
      const row = doc.find((l) => (rowOf[name] as RegExp).test(l));
      expect(row, name).toBeDefined();
      const cells = (row as string).split("|").map((c) => c.trim());
      expect(cells.slice(2, 5), name).toEqual([
        String(r.epochs),
        `${pct(r.validationAccuracy)} (epoch ${r.bestEpoch})`,
        pct(r.testAccuracy),
      ]);
    }
  });

  it("every result file holds what the issue asks: command, test and validation accuracy, epochs, seconds", () => {
    for (const r of [...record, ...committees, ...tuning.map(([, t]) => t)]) {
      expect(r.command).toMatch(/^npm run mnist:(record|committee) -- /);
      for (const k of ["testAccuracy", "validationAccuracy", "seconds"] as const) expect(r[k]).toBeTypeOf("number");
      expect(r.epochs).toBeDefined();
    }
  });

  it("docs/mnist.md: the step-2 table, the committee table, and the README headline", () => {
    const doc = readFileSync("docs/mnist.md", "utf8");
    record.forEach((r, i) => {
      const row = doc
        .split("\n")
        .find((l) => new RegExp(`^\\| ${i + 1}( \\(50 ep\\.\\)²)? +\\| ${r.bestEpoch} `).test(l));
      expect(row, `row of seed ${i + 1}`).toBeDefined();
      const cells = (row as string).split("|").map((c) => c.trim());
      expect(cells[3]).toBe(pct(r.validationAccuracy));
      expect(cells[4]).toBe(`**${pct(r.testAccuracy)}**`);
      expect(cells[5]).toBe(String(r.testErrors));
      expect(cells[6]).toBe(`${(r.seconds / 60).toFixed(1)} min`);
    });
    const mean = (record[0] as Record2).testAccuracy / 2 + (record[1] as Record2).testAccuracy / 2;
    expect(doc).toContain(`Mean **${pct(mean)}** over the two seeds`);
    // the k = 1…N table: every stage of the committee's growth, test and validation
    const cells = (label: string) =>
      doc
        .split("\n")
        .find((l) => new RegExp(`^\\| ${label} +\\| 99`).test(l))
        ?.split("|")
        .slice(2, -1)
        .map((c) => c.trim().replaceAll("**", ""));
    expect(cells("test")).toEqual((committee.growth ?? []).map(pct));
    expect(cells("validation")).toEqual((committee.growthValidation ?? []).map(pct));
    expect(committee.testAccuracy).toBe(committee.growth?.at(-1));
  });

  it("README's headline: the committed members and the committee npm run mnist:committee rebuilds from them", () => {
    // the same computation as `npm run mnist:committee` (no flags): every committed
    // member's test accuracy, and the committee chosen on validation
    const { validation, test } = loadSplitMnist();
    const a = assemble(readMembers(MEMBERS_DIR), { validation: validation.labels, test: test.labels });
    const tests = a.members.map((m) => m.test);
    const mean = tests.reduce((s, v) => s + v, 0) / tests.length;
    const words = [
      "",
      "one",
      "two",
      "three",
      "four",
      "five",
      "six",
      "seven",
      "eight",
      "nine",
      "ten",
      "eleven",
      "twelve",
      "thirteen",
      "fourteen",
      "fifteen",
    ];
    const readme = readFileSync("README.md", "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(
      `reaches ${(100 * Math.min(...tests)).toFixed(2)}–${pct(Math.max(...tests))} on the test set (${words[tests.length]} members, mean ${pct(mean)})`,
    );
    expect(readme).toContain(
      `a committee of ${words[a.chosen.k]} of them, chosen on validation, **${pct(a.chosen.test)}**`,
    );
    const doc = readFileSync("docs/mnist.md", "utf8").replace(/\s+/g, " ");
    expect(doc).toContain(`chosen on validation: **${pct(a.chosen.test)}** on test`);
  });
});

describe("documented figures match the recorded runs", () => {
  it("the record runs' pictures in docs/images are what the charts draw from their committed histories", () => {
    for (const [name, svg] of Object.entries(docsPictures())) {
      expect(readFileSync(`docs/images/${name}`, "utf8") === svg, `${name}: run npx tsx scripts/docs-pictures.ts`).toBe(
        true,
      );
    }
  });

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

describe("docs/tabular.md and the README quote what npm run cars -- --sklearn wrote (docs/results/cars.json)", () => {
  type Summary = Record<string, { r2: number; r2Sd: number; mae: number }>;
  type Peers = Record<string, Record<string, { r2: number; mae: number }>>;
  const cars = JSON.parse(readFileSync("docs/results/cars.json", "utf8")) as { summary: Summary; sklearn: Peers };
  const tabular = readFileSync("docs/tabular.md", "utf8");
  const readme = readFileSync("README.md", "utf8");

  it("tinymlp's mean R² ± sd and MAE, and scikit-learn's, on both tasks", () => {
    for (const task of ["horsepower", "every column"]) {
      const s = cars.summary[task] as Summary[string];
      expect(tabular).toContain(`${s.r2.toFixed(3)} ± ${s.r2Sd.toFixed(3)}`);
      expect(tabular).toContain(`${s.mae.toFixed(2)} mpg`);
      for (const peer of Object.values(cars.sklearn[task] ?? {})) {
        expect(tabular).toContain(`| ${peer.r2.toFixed(3)} `);
        expect(tabular).toContain(`${peer.mae.toFixed(2)} mpg`);
      }
    }
    const hp = cars.summary.horsepower as Summary[string];
    const all = cars.summary["every column"] as Summary[string];
    expect(readme.replace(/\s+/g, " ")).toContain(
      `test R² ${hp.r2.toFixed(3)} and ${all.r2.toFixed(3)}, MAE ${hp.mae.toFixed(2)} and ${all.mae.toFixed(2)} mpg`,
    );
  });
});
