/**
 * One benchmark workload in a fresh process (so peak RSS and JIT state belong
 * to it alone). Prints one line `RESULT {json}`.
 *
 *   tsx bench/workload.ts --workload w1 --dtype float32 --backend wasm
 *   tsx bench/workload.ts --workload w2 --dtype float64 --backend js --epochs 15
 *
 * W1: 784-512-256-10 ReLU, softmax cross-entropy, SGD momentum 0.9, lr 0.05,
 *     batch 128, one epoch of the 60,000 training images; then inference on the
 *     10,000 test images at batch 1000.
 * W2: the same net with Adam (lr 1e-3), batch 128: epochs (up to --epochs)
 *     until the test accuracy reaches 98.0%; training seconds exclude evaluation.
 * record: one epoch of npm run mnist:record's defaults (784-1500-1000-500-10,
 *     Adam, every batch deformed anew) over the first --limit images (default
 *     50,000, the recipe's training set).
 *
 * --threads N and --relaxed choose the wasm backend's threads and Relaxed
 * SIMD (createWasmBackend); the RESULT says whether relaxed was in use.
 */
import { parseArgs } from "node:util";
import { loadSplitMnist } from "../examples/mnist-data.js";
import { buildAugmentation, buildModel, RECORD_DEFAULTS } from "../examples/recipe.js";
import {
  Adam,
  type BackendName,
  createWasmBackend,
  Dense,
  type DType,
  imageSource,
  type Optimizer,
  Sequential,
  SGD,
} from "../src/index.js";

const { values } = parseArgs({
  options: {
    workload: { type: "string", default: "w1" },
    dtype: { type: "string", default: "float32" },
    backend: { type: "string", default: "wasm" },
    epochs: { type: "string", default: "15" },
    seed: { type: "string", default: "1" },
    limit: { type: "string" },
    threads: { type: "string", default: "1" },
    relaxed: { type: "boolean", default: false },
  },
});
const dtype = values.dtype as DType;
const backend = values.backend as BackendName;
const { all, test } = loadSplitMnist();
const n = Math.min(Number(values.limit ?? (values.workload === "record" ? 50000 : 60000)), all.length);
const train = { ...all, images: all.images.subarray(0, n * 784), labels: all.labels.subarray(0, n), length: n };

const threads = Number(values.threads);
const wasmBackend =
  backend === "wasm" && (threads > 1 || values.relaxed)
    ? createWasmBackend({ threads, relaxed: values.relaxed })
    : null;
if (wasmBackend !== null && threads > 1) {
  // the workers start in the background: wait for them, so the first products are split too
  const until = Date.now() + 20_000;
  while (wasmBackend.threadsReady() < threads - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}
const relaxed = wasmBackend?.relaxed ?? false;
// the pool's own measure of a split product's speed-up now (it varies with how the host places the two vCPUs)
const split = wasmBackend !== null && threads > 1 ? wasmBackend.threadStatus().speedup : null;

function makeModel(optimizer: Optimizer): Sequential {
  const be = wasmBackend ?? backend;
  const m = new Sequential({ inputShape: [784], dtype, backend: be, seed: Number(values.seed) });
  m.add(new Dense({ units: 512, activation: "relu", kernelInitializer: "heNormal" }));
  m.add(new Dense({ units: 256, activation: "relu", kernelInitializer: "heNormal" }));
  m.add(new Dense({ units: 10 }));
  m.compile({ optimizer, loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
  return m;
}

function testAccuracy(m: Sequential): number {
  const pred = m.predict(imageSource(test), { batchSize: 1000 }).argMax();
  let c = 0;
  for (let i = 0; i < test.length; i++) if (pred[i] === test.labels[i]) c++;
  return c / test.length;
}

const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

if (values.workload === "w1") {
  const m = makeModel(new SGD({ lr: 0.05, momentum: 0.9 }));
  const t0 = performance.now();
  const h = await m.fit(imageSource(train), train.labels, { epochs: 1, batchSize: 128 });
  const trainSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const acc = testAccuracy(m);
  const inferSeconds = (performance.now() - t1) / 1000;
  console.log(
    `RESULT ${JSON.stringify({
      workload: "w1",
      dtype,
      backend,
      threads,
      relaxed,
      split,
      trainSamples: n,
      trainSeconds,
      trainSps: n / trainSeconds,
      loss: h.history.loss?.[0],
      testAccuracy: acc,
      inferSeconds,
      inferSps: test.length / inferSeconds,
      peakRssMiB: peakRssMiB(),
    })}`,
  );
} else if (values.workload === "record") {
  const config = { ...RECORD_DEFAULTS, dtype, backend };
  const m = buildModel(config, Math.ceil(n / config.batchSize), wasmBackend ?? undefined);
  const augment = buildAugmentation(config);
  const t0 = performance.now();
  const h = await m.fit(imageSource(train), train.labels, {
    epochs: 1,
    batchSize: config.batchSize,
    ...(augment ? { augment } : {}),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(
    `RESULT ${JSON.stringify({ workload: "record", dtype, backend, threads, relaxed, split, trainSamples: n, trainSeconds, trainSps: n / trainSeconds, loss: h.history.loss?.[0], peakRssMiB: peakRssMiB() })}`,
  );
} else {
  const m = makeModel(new Adam({ lr: 1e-3 }));
  const maxEpochs = Number(values.epochs);
  let trainSeconds = 0;
  let reached: number | null = null;
  const accs: number[] = [];
  for (let e = 1; e <= maxEpochs && reached === null; e++) {
    const t0 = performance.now();
    await m.fit(imageSource(train), train.labels, { epochs: 1, batchSize: 128 });
    trainSeconds += (performance.now() - t0) / 1000;
    const acc = testAccuracy(m);
    accs.push(acc);
    console.error(
      `w2 ${backend} ${dtype} epoch ${e}: test ${(100 * acc).toFixed(2)}% after ${trainSeconds.toFixed(1)} s`,
    );
    if (acc >= 0.98) reached = e;
  }
  console.log(
    `RESULT ${JSON.stringify({ workload: "w2", dtype, backend, epochsTo98: reached, secondsTo98: reached === null ? null : trainSeconds, trainSeconds, accuracies: accs, peakRssMiB: peakRssMiB() })}`,
  );
}
