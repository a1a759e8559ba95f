/**
 * The quick-start snippet from the README, run on MNIST as written.
 * Run: npm run quickstart   (about 40 s on a 2-core machine; --epochs N to shorten)
 */
import { Adam, Dense, imageSource, Sequential } from "tinymlp";
import { cli, int } from "./cli.js";
import { loadSplitMnist } from "./mnist-data.js";

const HELP = `The README's quick-start snippet, run on MNIST.

Usage: npm run quickstart -- [--epochs N]

  --epochs N   passes over the 60,000 training images (default 10)
  --help       this text

Takes about 40 s on a 2-core machine with the wasm backend.`;
const values = cli(HELP, { epochs: { type: "string", default: "10" } });
const epochs = int(HELP, "epochs", values.epochs);
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
  epochs,
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
