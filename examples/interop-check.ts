/**
 * A saved model, exported, run by the other runtimes on the whole MNIST test
 * set: `npm run interop -- out/mnist/model.tmlp`.
 *
 * Exports the model to ONNX (run by onnxruntime-web) and to the TensorFlow.js
 * Layers format (run by tfjs-layers on its CPU backend), predicts the 10,000
 * test images with each, and reports the test accuracy of each runtime and
 * how many images' predicted class differs from tinymlp's own — the check
 * that an exported model is the same model, image by image.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { parseArgs } from "node:util";
import * as tfl from "@tensorflow/tfjs-layers";
import * as ort from "onnxruntime-web";
import { imageSource, toOnnx, toTfjs } from "tinymlp";
import { load } from "tinymlp/node";
import { loadSplitMnist } from "./mnist-data.js";

const HELP = `Run a saved model's ONNX and TensorFlow.js exports on the MNIST test set.

Usage: npm run interop -- MODEL.tmlp   (e.g. out/mnist/model.tmlp from npm run mnist)

Takes about a minute (tfjs-layers' CPU backend is the slow part).`;
const { values, positionals } = parseArgs({
  options: { help: { type: "boolean", default: false } },
  allowPositionals: true,
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length !== 1) {
  console.error(`expected one model file, got ${positionals.length}\n\n${HELP}`);
  process.exit(2);
}
const model = load(positionals[0] as string);
const { test } = loadSplitMnist();
const n = test.length;
const x = new Float32Array(n * 784);
for (let i = 0; i < x.length; i++) x[i] = (test.images[i] as number) / 255;

const argmax = (p: ArrayLike<number>, i: number, k: number): number => {
  let best = 0;
  for (let j = 1; j < k; j++) if ((p[i * k + j] as number) > (p[i * k + best] as number)) best = j;
  return best;
};
const ours = model.predict(imageSource(test), { batchSize: 1000 }).argMax();
const K = 10;
function report(name: string, p: ArrayLike<number>, seconds: number): void {
  let correct = 0;
  let differ = 0;
  for (let i = 0; i < n; i++) {
    const c = argmax(p, i, K);
    if (c === test.labels[i]) correct++;
    if (c !== ours[i]) differ++;
  }
  console.log(
    `${name.padEnd(22)} test accuracy ${((100 * correct) / n).toFixed(2)}%   images whose class differs from tinymlp's: ${differ}   (${seconds.toFixed(1)} s)`,
  );
}
let ourCorrect = 0;
for (let i = 0; i < n; i++) if (ours[i] === test.labels[i]) ourCorrect++;
console.log(`${"tinymlp".padEnd(22)} test accuracy ${((100 * ourCorrect) / n).toFixed(2)}%`);

ort.env.wasm.numThreads = 1;
let t0 = performance.now();
const session = await ort.InferenceSession.create(toOnnx(model));
const out = await session.run({ input: new ort.Tensor("float32", x, [n, 784]) });
report("onnxruntime-web", out.output?.data as Float32Array, (performance.now() - t0) / 1000);

await tf.setBackend("cpu");
t0 = performance.now();
const m = await tfl.loadLayersModel(tf.io.fromMemory(toTfjs(model) as never));
const y = m.predict(tf.tensor2d(x, [n, 784]), { batchSize: 1000 }) as tf.Tensor;
report("tfjs-layers (cpu)", (await y.data()) as Float32Array, (performance.now() - t0) / 1000);
