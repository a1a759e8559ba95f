/**
 * The quick-start snippet from the README, run on MNIST as written.
 * Run: npm run quickstart   (about 4 minutes on a 2-core machine; --epochs N to shorten)
 */
import { parseArgs } from "node:util";
import { Adam, Dense, imageSource, Sequential } from "../src/index.js";
import { loadSplitMnist } from "./mnist-data.js";

const { values } = parseArgs({ options: { epochs: { type: "string", default: "10" } } });
const { all, test } = loadSplitMnist();
const x = imageSource(all); // 60,000 × 784 bytes, scaled to [0, 1] a batch at a time
const y = all.labels;
const xTest = imageSource(test);

const model = new Sequential({ inputShape: [784], seed: 42 });
model.add(new Dense({ units: 256, activation: "relu", kernelInitializer: "heNormal" }));
model.add(new Dense({ units: 10 }));
model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
console.log(model.summary());

const t0 = performance.now();
const history = await model.fit(x, y, {
  epochs: Number(values.epochs),
  batchSize: 128,
  validationSplit: 0.1,
  onEpochEnd: (epoch, logs) => {
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(
      `epoch ${epoch + 1}: loss ${logs.loss?.toFixed(4)}  acc ${logs.accuracy?.toFixed(4)}  ` +
        `val_loss ${logs.val_loss?.toFixed(4)}  val_acc ${logs.val_accuracy?.toFixed(4)}  (${s} s)`,
    );
  },
});
const probs = model.predictProba(xTest);
const predicted = probs.argMax();
let correct = 0;
for (let i = 0; i < test.length; i++) if (predicted[i] === test.labels[i]) correct++;
console.log(`epochs run: ${history.epoch.length}; test accuracy: ${((100 * correct) / test.length).toFixed(2)}%`);
