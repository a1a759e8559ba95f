/**
 * A committee of MLPs on MNIST: `npm run mnist:committee`.
 *
 * By default it trains nothing: it assembles the committee from the members
 * whose outputs are committed under docs/results/members (see
 * committee-assemble.ts), in seconds. With `--train` it
 * trains several nets with the deformation recipe of mnist-record.ts (by
 * default 784-800-10, Simard's net, as in Meier et al. 2011's committee of
 * 25), each with its own seed — so its own initialization, batch order and
 * deformations — and optionally its own preprocessing (width normalization:
 * every digit's ink stretched or squeezed to the same width). The committee
 * averages the members' softmax probabilities and predicts the largest.
 *
 * Why it helps: members make partly different mistakes (different
 * initializations land in different minima, different preprocessing shows
 * the digits differently), and averaging cancels the uncorrelated part of
 * their errors. The gain is largest when members are individually good but
 * diverse.
 *
 * Each member trains in its own folder (out/mnist-committee/member-K) and is
 * resumable like the record run: run the same command again after a stop.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { deslant, type ImageDataset, imageSource, normalizeWidth, subsetDataset, Tensor } from "tinymlp";
import { cli, num, usage } from "./cli.js";
import { assemble, readMembers } from "./committee-assemble.js";
import { loadSplitMnist } from "./mnist-data.js";
import { digitGridSvg, misclassified } from "./plots.js";
import { RECORD_DEFAULTS, type RecipeConfig, trainRecipe } from "./recipe.js";

const MEMBERS_DIR = "docs/results/members";
const HELP = `A committee of MLPs on deformed MNIST digits.

Usage: npm run mnist:committee                      assemble the committed members (seconds)
       npm run mnist:committee -- --from DIR        assemble the members saved in DIR
       npm run mnist:committee -- --train [options] train members and average them (resumable)

  --from DIR         train nothing: assemble a committee from the members saved in
                     DIR (default ${MEMBERS_DIR}, the committed ones), choosing the
                     members and how to combine them (mean of probabilities or of
                     logits) on validation only; prints the test accuracy of the
                     committee validation chose
  --out DIR          assembled.json (assembling), or the members' folders and
                     results (training) (default out/mnist-committee)
  --help             this text

Training (with --train):
  --members N        number of nets (default 3); member K uses seed (--seed + K − 1)
  --hidden LIST      hidden layer sizes of every member (default 800)
  --epochs LIST      epochs per member, cycled like --widths, e.g. 100,100,50 (default 8)
  --dropout X        dropout after each hidden layer (default 0)
  --max-norm X       max-norm constraint on each hidden unit's incoming weights,
                     0 = none (default 0)
  --lr X             peak learning rate of Adam, cosine decay (default ${RECORD_DEFAULTS.lr})
  --batch-size N     (default ${RECORD_DEFAULTS.batchSize})
  --widths LIST      width normalization per member, cycled: 0 = none, else the
                     ink width in pixels, e.g. 0,20,16 (default 0: seeds only)
  --deslant          deslant every member's digits (a shear that stands the ink's
                     second moment upright), before any width normalization
  --seed N           seed of member 1 (default 1)
  --subset N         train each member on N random training images (a smoke run)
  --backend NAME     wasm or js (default wasm)
  --threads N        threads for the wasm backend (default 1; the same bits for any N)
  --save-members DIR also write each member's validation and test logits (float32,
                     gzip) and recipe to DIR/<name>/, to commit: they outlive the
                     machine (docs/results/members/)
  --fresh            ignore checkpoints in --out and start over
  --no-progress      no progress bar

Run time: each member costs what its mnist:record run would (the defaults,
three 8-epoch 784-800-10 nets: 10–20 min each on a 2-core machine); members
already trained in --out are only evaluated, in seconds.`;

/** The training options and their defaults (given only with --train). */
const TRAIN_DEFAULTS = {
  members: "3",
  hidden: "800",
  epochs: "8",
  dropout: "0",
  "max-norm": "0",
  lr: String(RECORD_DEFAULTS.lr),
  "batch-size": String(RECORD_DEFAULTS.batchSize),
  widths: "0",
  seed: "1",
  threads: "1",
  backend: RECORD_DEFAULTS.backend,
};
const given = cli(HELP, {
  train: { type: "boolean", default: false },
  members: { type: "string" },
  hidden: { type: "string" },
  epochs: { type: "string" },
  dropout: { type: "string" },
  "max-norm": { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  widths: { type: "string" },
  deslant: { type: "boolean" },
  seed: { type: "string" },
  subset: { type: "string" },
  out: { type: "string", default: "out/mnist-committee" },
  fresh: { type: "boolean" },
  threads: { type: "string" },
  "save-members": { type: "string" },
  from: { type: "string" },
  backend: { type: "string" },
  "no-progress": { type: "boolean" },
});
if (!given.train) {
  const stray = Object.keys(given).filter((k) => !["train", "out", "from", "help"].includes(k));
  if (stray.length > 0)
    usage(
      HELP,
      `--${stray.join(", --")} ${stray.length === 1 ? "is a training option" : "are training options"}: add --train`,
    );
} else if (given.from !== undefined) {
  usage(HELP, "--from assembles saved members and --train trains new ones: give one of them");
}
const values = { ...TRAIN_DEFAULTS, ...given };
if (!values.train) {
  // ---- assemble from saved members: no training, no weights ----
  const from = values.from ?? MEMBERS_DIR;
  const { validation, test } = loadSplitMnist();
  const a = assemble(readMembers(from), { validation: validation.labels, test: test.labels });
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  console.log(`${a.members.length} members in ${from}:`);
  console.log(`${"member".padEnd(36)} ${"validation".padStart(10)} ${"test".padStart(7)} ${"minutes".padStart(8)}`);
  for (const m of a.members) {
    const min = typeof m.info.trainMinutes === "number" ? m.info.trainMinutes.toFixed(1) : "–";
    console.log(`${m.name.padEnd(36)} ${pct(m.validation).padStart(10)} ${pct(m.test).padStart(7)} ${min.padStart(8)}`);
  }
  for (const how of ["probabilities", "logits"] as const) {
    console.log(`\ncommittees by forward selection on validation, mean of ${how}:`);
    for (const s of a.selections[how])
      console.log(
        `  k = ${String(s.k).padStart(2)}: validation ${pct(s.validation)}, test ${pct(s.test)}  (+ ${s.members[s.k - 1]})`,
      );
  }
  const c = a.chosen;
  console.log(
    `\nchosen on validation: the mean of ${c.combination} of ${c.k} member${c.k === 1 ? "" : "s"} (${c.members.join(", ")}): ` +
      `validation ${pct(c.validation)}; test accuracy ${pct(c.test)}`,
  );
  mkdirSync(values.out as string, { recursive: true });
  writeFileSync(
    join(values.out as string, "assembled.json"),
    `${JSON.stringify({ command: `npm run mnist:committee -- ${process.argv.slice(2).join(" ")}`.trim(), ...a, members: a.members.map(({ info: _, ...m }) => m) }, null, 1)}\n`,
  );
  process.exit(0);
}
function int(name: string, v: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer in [${min}, ${max}], got '${v}'\n\n${HELP}`);
    process.exit(2);
  }
  return n;
}
const members = int("members", values.members);
const epochList = (values.epochs ?? "").split(",").map((s) => int("epochs", s.trim()));
const seed0 = int("seed", values.seed, 0);
const hidden = (values.hidden ?? "").split(",").map((s) => int("hidden", s.trim()));
const widths = (values.widths ?? "").split(",").map((s) => int("widths", s.trim(), 0, 28));
const dropout = Number(values.dropout);
if (!(dropout >= 0 && dropout < 1)) {
  console.error(`--dropout must be in [0, 1), got '${values.dropout}'`);
  process.exit(2);
}
const maxNorm = num(HELP, "max-norm", values["max-norm"], (x) => x >= 0, ">= 0");
const lr = Number(values.lr);
if (!(lr > 0 && Number.isFinite(lr))) {
  console.error(`--lr must be > 0, got '${values.lr}'`);
  process.exit(2);
}
const batchSize = int("batch-size", values["batch-size"]);
const backend = values.backend;
if (backend !== "wasm" && backend !== "js") {
  console.error(`--backend must be wasm or js, got '${backend}'`);
  process.exit(2);
}
const outDir = values.out as string;
mkdirSync(outDir, { recursive: true });

const data = loadSplitMnist();
const { test } = data;

/** The data set deslanted (with --deslant), then every digit's width normalized (0 = unchanged). */
function preprocess(ds: ImageDataset, width: number): ImageDataset {
  const images = values.deslant ? deslant(ds.images, 28, 28) : ds.images;
  return { ...ds, images: width === 0 ? images : normalizeWidth(images, 28, 28, width) };
}
/** What preprocess does, in words. */
function preprocessing(width: number): string {
  const w = width === 0 ? "" : `width normalized to ${width} px`;
  if (!values.deslant) return w === "" ? "none" : w;
  return w === "" ? "deslanted" : `deslanted, ${w}`;
}

const progress = !values["no-progress"] && process.stdout.isTTY === true;
const probs: Float64Array[] = []; // per member: [10000 × 10] test probabilities
const valProbs: Float64Array[] = []; // per member: [10000 × 10] validation probabilities
const rows: {
  member: number;
  seed: number;
  width: number;
  epochs: number;
  bestEpoch: number;
  val: number;
  test: number;
  minutes: number;
}[] = [];
const t0 = performance.now();
for (let k = 0; k < members; k++) {
  const seed = seed0 + k;
  const width = widths[k % widths.length] as number;
  const epochs = epochList[k % epochList.length] as number;
  const train0 = values.subset ? subsetDataset(data.train, int("subset", values.subset), seed) : data.train;
  const train = preprocess(train0, width);
  const validation = preprocess(data.validation, width);
  const memberTest = preprocess(test, width);
  const config: RecipeConfig = {
    ...RECORD_DEFAULTS,
    hidden,
    dropout,
    maxNorm,
    epochs,
    lr,
    batchSize,
    seed,
    backend,
    trainSize: train.length,
  };
  console.log(
    `\n== member ${k + 1}/${members}: ${[784, ...hidden, 10].join("-")}, seed ${seed}, ` +
      `preprocessing: ${preprocessing(width)}, ${epochs} epochs`,
  );
  if (k === 0 || width !== 0 || values.deslant) {
    // what this member's preprocessing does to the first training digits
    const items = Array.from({ length: 10 }, (_, i) => ({
      pixels: train.images.subarray(i * 784, (i + 1) * 784),
      caption: String(train.labels[i]),
    }));
    writeFileSync(
      join(outDir, `member-${k + 1}-inputs.svg`),
      digitGridSvg(
        items,
        28,
        28,
        width === 0 && !values.deslant ? "Inputs (unchanged)" : `Inputs, ${preprocessing(width)}`,
      ),
    );
  }
  const r = await trainRecipe(config, { train, validation }, join(outDir, `member-${k + 1}`), {
    progress,
    fresh: values.fresh === true,
    threads: int("threads", values.threads),
  });
  const p = Float64Array.from(r.model.predictProba(imageSource(memberTest), { batchSize: 1000 }).data);
  const pv = Float64Array.from(r.model.predictProba(imageSource(validation), { batchSize: 1000 }).data);
  probs.push(p);
  valProbs.push(pv);
  const acc = accuracy(p, test.labels);
  rows.push({
    member: k + 1,
    seed,
    width,
    epochs,
    bestEpoch: r.bestEpoch + 1,
    val: r.bestValAccuracy,
    test: acc,
    minutes: r.trainSeconds / 60,
  });
  console.log(`member ${k + 1}: validation ${pct(r.bestValAccuracy)} (epoch ${r.bestEpoch + 1}), test ${pct(acc)}`);
  if (values["save-members"] !== undefined) {
    // the member's outputs, so that a committee can be assembled on another machine without training
    // e.g. 1500-1000-500_s16_deslant_w0_e100; dropout and max-norm, when used: …_e100_drop0.2_mn3
    const regularized = `${dropout > 0 ? `_drop${dropout}` : ""}${maxNorm > 0 ? `_mn${maxNorm}` : ""}`;
    const name = `${hidden.join("-")}_s${seed}${values.deslant ? "_deslant" : ""}_w${width}_e${epochs}${regularized}`;
    const dir = join(values["save-members"], name);
    mkdirSync(dir, { recursive: true });
    const logits = (ds: ImageDataset): Buffer => {
      const out = Float32Array.from(r.model.predict(imageSource(ds), { batchSize: 1000 }).data);
      return gzipSync(Buffer.from(out.buffer), { level: 9 });
    };
    writeFileSync(join(dir, "validation.f32.gz"), logits(validation));
    writeFileSync(join(dir, "test.f32.gz"), logits(memberTest));
    const member = {
      name,
      command: `npm run mnist:committee -- ${process.argv.slice(2).join(" ")}`.trim(),
      recipe: config,
      preprocessing: preprocessing(width),
      width,
      deslant: values.deslant === true,
      bestEpoch: r.bestEpoch + 1,
      validationAccuracy: r.bestValAccuracy,
      testAccuracy: acc,
      trainMinutes: r.trainSeconds / 60,
      logits:
        "10,000 × 10 float32 little-endian, row-major, gzip: validation = the last 10,000 training images, test = t10k",
      date: new Date().toISOString().slice(0, 10),
    };
    writeFileSync(join(dir, "member.json"), `${JSON.stringify(member, null, 1)}\n`);
    // its per-epoch logs and wall time: the validation-vs-hours chart of docs/mnist.md
    writeFileSync(join(dir, "epochs.json"), `${JSON.stringify(r.epochs, null, 1)}\n`);
    console.log(`member ${k + 1}: outputs in ${dir}/`);
  }
}

// ---- the committee: average of the members' probabilities ----
function average(ps: Float64Array[]): Float64Array {
  const avg = new Float64Array((ps[0] as Float64Array).length);
  for (const p of ps) for (let i = 0; i < avg.length; i++) avg[i] = (avg[i] as number) + (p[i] as number) / ps.length;
  return avg;
}
function accuracy(p: Float64Array, labels: Uint8Array): number {
  const predicted = new Tensor(p, [labels.length, 10]).argMax();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}
const committeeTest = accuracy(average(probs), test.labels);
const committeePredicted = new Tensor(average(probs), [test.length, 10]).argMax();
const wrong = misclassified(committeePredicted, test, 100);
writeFileSync(
  join(outDir, "misclassified.svg"),
  digitGridSvg(
    wrong,
    28,
    28,
    `The ${Math.round((1 - committeeTest) * test.length)} test digits the committee of ${members} gets wrong` +
      `${wrong.length < Math.round((1 - committeeTest) * test.length) ? ` (the first ${wrong.length})` : ""} (true → predicted)`,
  ),
);
const committeeVal = accuracy(average(valProbs), data.validation.labels);
const growth = probs.map((_, k) => accuracy(average(probs.slice(0, k + 1)), test.labels));
const growthValidation = valProbs.map((_, k) => accuracy(average(valProbs.slice(0, k + 1)), data.validation.labels));

console.log("\nmember  seed  width  best epoch  validation  test     minutes");
for (const r of rows) {
  console.log(
    `${String(r.member).padStart(6)}  ${String(r.seed).padStart(4)}  ${String(r.width || "-").padStart(5)}  ` +
      `${String(r.bestEpoch).padStart(10)}  ${pct(r.val).padStart(10)}  ${pct(r.test).padStart(6)}  ${r.minutes.toFixed(1).padStart(7)}`,
  );
}
const mean = rows.reduce((s, r) => s + r.test, 0) / rows.length;
console.log(`\nmembers' mean test accuracy: ${pct(mean)} (best ${pct(Math.max(...rows.map((r) => r.test)))})`);
console.log(`committee of ${members}: validation ${pct(committeeVal)}, test ${pct(committeeTest)}`);
console.log(`committee with the first k members, k = 1…${members}:`);
console.log(`  validation: ${growthValidation.map(pct).join(", ")}`);
console.log(`  test:       ${growth.map(pct).join(", ")}`);
const trainMinutes = rows.reduce((s, r) => s + r.minutes, 0);
console.log(
  `training time: ${trainMinutes.toFixed(1)} min in all; this session ${((performance.now() - t0) / 60000).toFixed(1)} min`,
);
writeFileSync(
  join(outDir, "results.json"),
  `${JSON.stringify(
    {
      command: `npm run mnist:committee -- ${process.argv.slice(2).join(" ")}`.trim(),
      testAccuracy: committeeTest,
      validationAccuracy: committeeVal,
      epochs:
        epochList.length === 1
          ? epochList[0]
          : Array.from({ length: members }, (_, k) => epochList[k % epochList.length]),
      seconds: trainMinutes * 60,
      members: rows,
      growth,
      growthValidation,
      hidden,
      dropout,
      maxNorm,
      widths,
    },
    null,
    1,
  )}\n`,
);

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}
