/**
 * The small pretrained model the demo page ships (demo/public/pretrained.tmlp):
 * what the page's Train button makes with net 784-128-10, Adam, 10 epochs,
 * 50,000 training images, batch 128, seed 1 on the wasm backend (the same
 * `buildNet` and fit options), saved without optimizer state. Training is deterministic, so the file is reproducible (up to
 * the header's `createdAt` time, which the check ignores).
 *
 *   npm run demo:model             # (re)write it
 *   npm run demo:model -- --check  # fails if the committed file differs from a fresh one (CI)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Dense, imageSource, Sequential, serialize } from "tinymlp";
import { writeFileAtomic } from "tinymlp/node";
import { buildNet } from "../demo/src/recipe.js";
import { loadSplitMnist } from "../examples/mnist-data.js";

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
const target = join("demo", "public", "pretrained.tmlp");

const { train, validation, test } = loadSplitMnist();
const cfg = {
  hidden: [128],
  optimizer: "adam",
  lr: 1e-3,
  epochs: 10,
  batchSize: 128,
  trainSize: 50_000,
  valSize: 10_000,
  backend: "wasm",
  seed: 1,
} as const;
const model = buildNet({ ...cfg, hidden: [...cfg.hidden] });
await model.fit(imageSource(train), train.labels, { epochs: cfg.epochs, batchSize: cfg.batchSize, seed: cfg.seed });
const val = model.evaluate(imageSource(validation), validation.labels);
const tst = model.evaluate(imageSource(test), test.labels);
const pct = (x: number | undefined): string => `${(100 * (x ?? 0)).toFixed(2)}%`;
console.log(`784-128-10: validation ${pct(val.accuracy)}, test ${pct(tst.accuracy)}`);
// the weights and the architecture only: a page that loads it needs no optimizer slots
const plain = new Sequential({ inputShape: [784], seed: 1, backend: "js" });
for (const layer of model.layers) plain.add(Dense.fromConfig(layer.toConfig()));
plain.params().forEach((p, i) => {
  p.value.data.set(model.params()[i]!.value.data);
});
const bytes = serialize(plain);

/** The bytes with the header's `createdAt` time blanked (same length), so two builds compare equal. */
function timeless(b: Uint8Array): Buffer {
  const copy = Buffer.from(b);
  const text = copy.toString("latin1", 0, Math.min(copy.length, 4096));
  const m = /"createdAt":"([^"]*)"/.exec(text);
  if (m) copy.fill(0x30, m.index + 13, m.index + 13 + (m[1] as string).length);
  return copy;
}

if (values.check) {
  const old = existsSync(target) ? readFileSync(target) : null;
  if (old === null || Buffer.compare(timeless(old), timeless(bytes)) !== 0) {
    console.error(`${target} differs from a fresh build: run npm run demo:model and commit it`);
    process.exit(1);
  }
  console.log(`${target} matches a fresh build (${bytes.length} bytes)`);
} else {
  writeFileAtomic(target, bytes);
  console.log(`wrote ${target} (${bytes.length} bytes)`);
}
