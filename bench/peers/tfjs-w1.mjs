// The TensorFlow.js peer of `npm run bench`: W1 written the way a TF.js user
// writes it (tf.sequential, tf.layers.dense, model.fit), on TF.js's WASM
// backend (SIMD, one thread under Node) or its plain-JS CPU backend.
//
// W1: 784-512-256-10 ReLU, softmax + categorical cross-entropy, biases,
// TF.js's default initializers, SGD momentum (lr 0.05, μ 0.9), batch 128, one
// epoch over the first --limit training images in a fixed shuffled order
// (shuffling is outside the clock); then predict on the 10,000 test images
// at batch 1000. Prints one line `RESULT {json}` (samples/s), as
// bench/workload.ts does for tinymlp.
//
//   node tfjs-w1.mjs --backend wasm --mnist DIR [--limit 60000]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    mnist: { type: "string" },
    limit: { type: "string", default: "60000" },
  },
});
if (!values.mnist) throw new Error("--mnist DIR: the folder with the four MNIST IDX files");

/** An IDX file's payload: images (magic 2051, 16-byte header) or labels (2049, 8 bytes). */
function idx(name) {
  const b = readFileSync(join(values.mnist, name));
  const magic = b.readUInt32BE(0);
  return b.subarray(magic === 2051 ? 16 : 8);
}

const require = createRequire(import.meta.url);
if (values.backend === "wasm") {
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"))}/dist/`);
}
await tf.setBackend(values.backend);
await tf.ready();

const n = Math.min(Number(values.limit), 60000);
const pixels = idx("train-images-idx3-ubyte");
const labels = idx("train-labels-idx1-ubyte");
// a fixed order (xorshift32 Fisher–Yates), gathered before the clock starts
const order = Int32Array.from({ length: 60000 }, (_, i) => i);
let s = 12345;
for (let i = order.length - 1; i > 0; i--) {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  const j = (s >>> 0) % (i + 1);
  [order[i], order[j]] = [order[j], order[i]];
}
const x = new Float32Array(n * 784);
const y = new Float32Array(n * 10);
for (let r = 0; r < n; r++) {
  const k = order[r];
  for (let c = 0; c < 784; c++) x[r * 784 + c] = pixels[k * 784 + c] / 255;
  y[r * 10 + labels[k]] = 1;
}
const testPixels = idx("t10k-images-idx3-ubyte");
const testLabels = idx("t10k-labels-idx1-ubyte");
const tx = Float32Array.from(testPixels, (v) => v / 255);

const model = tfl.sequential();
model.add(tfl.layers.dense({ inputShape: [784], units: 512, activation: "relu" }));
model.add(tfl.layers.dense({ units: 256, activation: "relu" }));
model.add(tfl.layers.dense({ units: 10, activation: "softmax" }));
model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: "categoricalCrossentropy" });

const xs = tf.tensor2d(x, [n, 784]);
const ys = tf.tensor2d(y, [n, 10]);
const t0 = performance.now();
const h = await model.fit(xs, ys, { batchSize: 128, epochs: 1, shuffle: false, verbose: 0 });
const trainSeconds = (performance.now() - t0) / 1000;

const txs = tf.tensor2d(tx, [10000, 784]);
const t1 = performance.now();
const predicted = await tf.argMax(model.predict(txs, { batchSize: 1000 }), -1).data();
const inferSeconds = (performance.now() - t1) / 1000;
let correct = 0;
for (let i = 0; i < 10000; i++) if (predicted[i] === testLabels[i]) correct++;

console.log(
  `RESULT ${JSON.stringify({
    peer: `tfjs-${values.backend}`,
    tfjs: tf.version_core,
    trainSamples: n,
    trainSeconds,
    trainSps: n / trainSeconds,
    loss: h.history.loss[0],
    testAccuracy: correct / 10000,
    inferSeconds,
    inferSps: 10000 / inferSeconds,
  })}`,
);
