/**
 * The seed ladder: from the learner's 96% network to 98%+, one change at a time.
 *
 *   npm run ladder                      # every rung (about half an hour on 2 cores)
 *   npm run ladder -- --rungs 0,1,5     # some rungs
 *   npm run ladder -- --subset 500 --epochs-scale 0.34   # a smoke run
 *
 * Protocol: train on the first 50,000 training images, choose the epoch with
 * the best accuracy on the last 10,000 (validation), report the test accuracy
 * of that epoch's weights. Rung 0 also reproduces the original exactly (all
 * 60,000 images in file order, test accuracy after 3 epochs).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  Adam,
  type BackendName,
  Dense,
  Dropout,
  getBackend,
  type ImageDataset,
  imageSource,
  type Layer,
  type Optimizer,
  oneHot,
  Sequential,
  SGD,
  sliceDataset,
  subsetDataset,
  type Tensor,
} from "tinymlp";
import { loadSplitMnist } from "./mnist-data.js";
import { lineChart } from "./plots.js";
import { TutorialNet } from "./tutorial-net.js";

const HELP = `The seed ladder: what it takes to go from 96% to 98%+ on MNIST.

Usage: npm run ladder -- [options]
  --rungs LIST         which rungs to run, e.g. 0,1,2 (default: all)
  --seed N             seed (default 1)
  --subset N           train on N random training images (smoke run)
  --epochs-scale X     multiply every rung's epochs by X (rounded, at least 1)
  --eval-subset N      use only the first N validation and test images (smoke run)
  --out DIR            where to write the table and curves (default out/ladder)
  --backend NAME       wasm or js (default: wasm where the engine runs it)
  --help               this text

All rungs took about 100 min on the JS backend of a shared 2-core machine
(docs/mnist.md); the wasm default is several times faster (not re-timed).`;

const { values } = parseArgs({
  options: {
    rungs: { type: "string" },
    seed: { type: "string", default: "1" },
    subset: { type: "string" },
    "epochs-scale": { type: "string", default: "1" },
    "eval-subset": { type: "string" },
    out: { type: "string", default: "out/ladder" },
    backend: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const seed = Number(values.seed);
const backend = (values.backend ?? getBackend()) as BackendName;
if (backend !== "wasm" && backend !== "js") {
  console.error(`--backend must be wasm or js, got '${backend}'`);
  process.exit(2);
}
const scale = Number(values["epochs-scale"]);
const outDir = values.out as string;
const data = loadSplitMnist();
const train: ImageDataset = values.subset ? subsetDataset(data.train, Number(values.subset), seed) : data.train;
const evalN = values["eval-subset"] ? Number(values["eval-subset"]) : data.test.length;
const validation = sliceDataset(data.validation, 0, Math.min(evalN, data.validation.length));
const test = sliceDataset(data.test, 0, Math.min(evalN, data.test.length));
const epochsFor = (e: number): number => Math.max(1, Math.round(e * scale));

interface Row {
  rung: number;
  change: string;
  net: string;
  epochs: number;
  bestEpoch: number;
  val: number;
  test: number;
  seconds: number;
  curves?: { train: number[]; val: number[]; trainLoss?: number[]; valLoss?: number[] };
}
const rows: Row[] = [];
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

function report(r: Row): void {
  rows.push(r);
  console.log(
    `  → rung ${r.rung}: val ${pct(r.val)} (epoch ${r.bestEpoch}/${r.epochs}), test ${pct(r.test)}, ${r.seconds.toFixed(0)} s\n`,
  );
}

// ---------- rungs 0–2: the tutorial network, trained by its own loop ----------

function runTutorial(rung: number, change: string, activation: "sigmoid" | "relu", useBias: boolean): TutorialNet {
  const epochs = epochsFor(3);
  const net = new TutorialNet([784, 200, 80, 10], activation, useBias, seed);
  console.log(`rung ${rung}: ${change}`);
  const t0 = performance.now();
  let best = { epoch: 0, val: -1, test: 0 };
  const curve: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < train.length; s++) net.train(train.images, s * 784, train.labels[s] as number, 0.01);
    const val = net.accuracy(validation.images, validation.labels, validation.length).accuracy;
    curve.push(val);
    console.log(`  epoch ${e + 1}: val ${pct(val)}`);
    if (val > best.val)
      best = { epoch: e + 1, val, test: net.accuracy(test.images, test.labels, test.length).accuracy };
  }
  const seconds = (performance.now() - t0) / 1000;
  report({
    rung,
    change,
    net: "784-200-80-10",
    epochs,
    bestEpoch: best.epoch,
    val: best.val,
    test: best.test,
    seconds,
    curves: { train: [], val: curve },
  });
  return net;
}

const rungs: Record<number, () => Promise<void> | void> = {
  0: () => {
    // The exact original: all 60,000 training images in file order, 3 epochs, test accuracy at the end.
    const full = data.all;
    const epochs = epochsFor(3);
    const n = values.subset ? train.length : full.length;
    const src = values.subset ? train : full;
    console.log(`rung 0a: the original, exactly (${n} images in file order, ${epochs} epochs)`);
    const net = new TutorialNet([784, 200, 80, 10], "sigmoid", false, seed);
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) {
      for (let s = 0; s < n; s++) net.train(src.images, s * 784, src.labels[s] as number, 0.01);
      console.log(`  epoch ${e + 1}: test ${pct(net.accuracy(test.images, test.labels, test.length).accuracy)}`);
    }
    const acc = net.accuracy(test.images, test.labels, test.length).accuracy;
    const seconds = (performance.now() - t0) / 1000;
    rows.push({
      rung: 0,
      change: "the original, exactly (60k in file order, test after 3 epochs)",
      net: "784-200-80-10",
      epochs,
      bestEpoch: epochs,
      val: Number.NaN,
      test: acc,
      seconds,
    });
    console.log(`  → the original: test ${pct(acc)}, ${seconds.toFixed(0)} s\n`);
    runTutorial(0, "the original, under our protocol (50k train, validation-selected)", "sigmoid", false);
  },
  1: () => {
    const net = runTutorial(1, "ReLU instead of sigmoid, nothing else changed", "relu", false);
    // The evidence: what happened inside.
    const probeN = Math.min(1000, validation.length);
    const dead = net.deadFraction(validation.images, probeN);
    const { predicted } = net.accuracy(validation.images, validation.labels, probeN);
    const counts = new Array(10).fill(0);
    for (const p of predicted) counts[p]++;
    console.log("  why it fails:");
    console.log(
      `   largest |pre-activation| seen per layer: ${net.stats.maxAbsPre.map((v) => v.toExponential(2)).join(", ")}`,
    );
    console.log(`   weights finite: ${net.checkFinite()}`);
    console.log(`   hidden units dead on ${probeN} validation images (layer 1, layer 2): ${dead.map(pct).join(", ")}`);
    console.log(`   predictions per class on those images: ${counts.join(" ")}\n`);
    // A fresh net, watched during its first steps, shows how fast it happens.
    const probe = new TutorialNet([784, 200, 80, 10], "relu", false, seed);
    const x0 = probe.forward(train.images, 0, true);
    console.log(
      `   before any update: output of the first image = [${Array.from(x0, (v) => v.toFixed(0)).join(", ")}] (targets are 0 or 1)`,
    );
    for (const steps of [1, 10, 100]) {
      while (probe.stats.samples < steps) {
        const s = probe.stats.samples;
        probe.train(train.images, s * 784, train.labels[s] as number, 0.01);
      }
      const d = probe.deadFraction(validation.images, Math.min(200, validation.length));
      console.log(
        `   after ${String(steps).padStart(3)} samples: dead units ${d.map(pct).join(", ")}, weights finite: ${probe.checkFinite()}`,
      );
    }
    console.log("");
  },
  2: () => {
    runTutorial(2, "+ biases (sigmoid again, tutorial backprop)", "sigmoid", true);
  },
  // Each rung below changes one thing of the rung before it.
  3: () => libraryRung(3, "+ correct derivatives (true gradient of the squared error, per-sample SGD)", rung3),
  4: () => libraryRung(4, "+ softmax output and cross-entropy loss", rung4),
  5: () => libraryRung(5, "+ ReLU hidden layers with He initialization", rung5),
  6: () => libraryRung(6, "+ mini-batches of 128 with momentum 0.9 (10 epochs: each is ~10× cheaper)", rung6),
  7: () => libraryRung(7, "+ Adam (lr 1e-3) instead of momentum", rung7),
  8: () => libraryRung(8, "+ wider layers: [784, 400, 400, 10]", rung8),
  9: () => libraryRung(9, "+ dropout 0.2 after each hidden layer", rung9),
  10: () => libraryRung(10, "+ learning-rate decay (× 0.75 per epoch)", { ...rung9, decay: 0.75 }),
};

interface Recipe {
  hidden: number[];
  activation: "sigmoid" | "relu";
  output: "sigmoid" | "linear";
  init: "truncated" | "heNormal";
  loss: "meanSquaredError" | "sparseCategoricalCrossEntropy";
  optimizer: () => Optimizer;
  batchSize: number;
  epochs: number;
  dropout?: number;
  decay?: number;
}

const rung3: Recipe = {
  hidden: [200, 80],
  activation: "sigmoid",
  output: "sigmoid",
  init: "truncated",
  loss: "meanSquaredError",
  // lr 0.05 on our MSE (mean over 10 outputs, gradient 2(o − t)/10) equals
  // lr 0.01 on the tutorial's ½Σ(t − o)²
  optimizer: () => new SGD({ lr: 0.05 }),
  batchSize: 1,
  epochs: 3,
};
const rung4: Recipe = {
  ...rung3,
  output: "linear",
  loss: "sparseCategoricalCrossEntropy",
  optimizer: () => new SGD({ lr: 0.01 }),
};
const rung5: Recipe = { ...rung4, activation: "relu", init: "heNormal" };
const rung6: Recipe = { ...rung5, optimizer: () => new SGD({ lr: 0.05, momentum: 0.9 }), batchSize: 128, epochs: 10 };
const rung7: Recipe = { ...rung6, optimizer: () => new Adam({ lr: 1e-3 }) };
const rung8: Recipe = { ...rung7, hidden: [400, 400] };
const rung9: Recipe = { ...rung8, dropout: 0.2 };

async function libraryRung(rung: number, change: string, r: Recipe): Promise<void> {
  const epochs = epochsFor(r.epochs);
  const net = `784-${r.hidden.join("-")}-10`;
  console.log(`rung ${rung}: ${change}  [${net}, batch ${r.batchSize}, ${epochs} epochs]`);
  const model = new Sequential({ inputShape: [784], seed, backend });
  // the tutorial's init: N(0, 1) truncated to [−1, 1]; He: N(0, 2/fan_in) truncated at 2σ
  const kernelInitializer =
    r.init === "truncated" ? { name: "randomNormal" as const, mean: 0, stddev: 1 } : ("heNormal" as const);
  const layers: Layer[] = [];
  for (const units of r.hidden) {
    layers.push(new Dense({ units, activation: r.activation, kernelInitializer }));
    if (r.dropout) layers.push(new Dropout({ rate: r.dropout }));
  }
  layers.push(new Dense({ units: 10, activation: r.output, kernelInitializer }));
  for (const l of layers) model.add(l);
  if (r.init === "truncated") {
    // clip-and-redraw to [−1, 1], as the original; randomNormal has no bounds option
    const rng = model.rng;
    for (const p of model.params()) {
      if (!p.decay) continue;
      for (let i = 0; i < p.value.size; i++) p.value.data[i] = rng.truncatedNormal(0, 1, 1);
    }
  }
  const optimizer = r.optimizer();
  const y = r.loss === "meanSquaredError" ? oneHotOf(train) : train.labels;
  const yVal = r.loss === "meanSquaredError" ? oneHotOf(validation) : validation.labels;
  model.compile({ optimizer, loss: r.loss, metrics: ["accuracy"] });
  let best = { epoch: 0, val: -1, weights: [] as Float32Array[] };
  const t0 = performance.now();
  const h = await model.fit(imageSource(train), y, {
    epochs,
    batchSize: r.batchSize,
    validationData: [imageSource(validation), yVal],
    onEpochEnd: (e, logs) => {
      const val = logs.val_accuracy ?? 0;
      console.log(`  epoch ${e + 1}: loss ${logs.loss?.toFixed(4)}  train ${pct(logs.accuracy ?? 0)}  val ${pct(val)}`);
      if (val > best.val)
        best = { epoch: e + 1, val, weights: model.params().map((p) => Float32Array.from(p.value.data)) };
      if (r.decay) optimizer.lr *= r.decay;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  model.params().forEach((p, i) => {
    p.value.data.set(best.weights[i] as Float32Array);
  });
  const yTest = r.loss === "meanSquaredError" ? oneHotOf(test) : test.labels;
  const testAcc = model.evaluate(imageSource(test), yTest).accuracy ?? 0;
  report({
    rung,
    change,
    net,
    epochs,
    bestEpoch: best.epoch,
    val: best.val,
    test: testAcc,
    seconds,
    curves: {
      train: h.history.accuracy ?? [],
      val: h.history.val_accuracy ?? [],
      trainLoss: h.history.loss ?? [],
      valLoss: h.history.val_loss ?? [],
    },
  });
}

/** One-hot targets, for the squared-error rung. */
function oneHotOf(ds: ImageDataset): Tensor {
  return oneHot(ds.labels, 10);
}

// ---------- run ----------
const chosen = values.rungs ? values.rungs.split(",").map(Number) : Object.keys(rungs).map(Number);
console.log(`MNIST: ${train.length} train / ${validation.length} validation / ${test.length} test; seed ${seed}\n`);
for (const r of chosen) {
  const run = rungs[r];
  if (!run) {
    console.error(`no rung ${r}; rungs are 0–${Object.keys(rungs).length - 1}`);
    process.exit(2);
  }
  await run();
}

const header = "| rung | change | net | epochs | best epoch | val acc | test acc | time |";
const table = [
  header,
  "|---|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.rung} | ${r.change} | ${r.net} | ${r.epochs} | ${r.bestEpoch} | ${Number.isNaN(r.val) ? "–" : pct(r.val)} | **${pct(r.test)}** | ${r.seconds.toFixed(0)} s |`,
  ),
].join("\n");
console.log(`${table}\n`);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "ladder.md"), `${table}\n`);
writeFileSync(join(outDir, "ladder.json"), `${JSON.stringify({ seed, trainSize: train.length, rows }, null, 1)}\n`);
const wide = rows.find((r) => r.rung === 8);
if (wide?.curves?.trainLoss) {
  writeFileSync(
    join(outDir, "wide-400-400-accuracy.svg"),
    lineChart({
      title: "[784, 400, 400, 10], Adam, no regularization",
      yLabel: "accuracy",
      series: [
        { name: "train", values: wide.curves.train, color: "#1f77b4" },
        { name: "validation", values: wide.curves.val, color: "#d62728" },
      ],
    }),
  );
  writeFileSync(
    join(outDir, "wide-400-400-loss.svg"),
    lineChart({
      title: "[784, 400, 400, 10], Adam, no regularization",
      yLabel: "cross-entropy",
      series: [
        { name: "train", values: wide.curves.trainLoss, color: "#1f77b4" },
        { name: "validation", values: wide.curves.valLoss ?? [], color: "#d62728" },
      ],
    }),
  );
}
console.log(`table: ${outDir}/ladder.md, numbers: ladder.json`);
