/**
 * Regression on a table: a car's fuel economy (miles per gallon) from its
 * horsepower — TensorFlow.js's first tutorial, "Making predictions from 2D
 * data" — then from every column, on vega-datasets' cars table (406 cars,
 * 1970–1982).
 *
 *   npm run cars                          # both models, 5 seeds, SVG in out/cars
 *   npm run cars -- --sklearn             # scikit-learn on the same splits, beside
 *   npm run cars -- --predict '{"Cylinders":8,"Displacement":307,"Horsepower":130,"Weight_in_lbs":3504,"Acceleration":12,"Year":1970,"Origin":"USA"}'
 *
 * The path: records → TableEncoding (numeric columns, Origin one-hot, rows
 * with a missing value dropped) → trainTestSplit → a Normalization layer
 * adapted on the training features → an MLP trained on scaled targets → the
 * targets' inverse Normalization appended, so the saved model predicts miles
 * per gallon from a raw record (`--predict`, in a new process). Why scale:
 * MPG and the weights start at different scales (10–46 against the
 * initial outputs' ±1; features up to 5,140 lbs), and an MLP's first steps
 * then go to fixing the scale instead of the shape. docs/tabular.md has the
 * figures.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Adam,
  Dense,
  EarlyStopping,
  Normalization,
  predictRecords,
  Sequential,
  TableEncoding,
  type TableRecord,
  type Tensor,
  TinyMlpError,
  trainTestSplit,
} from "tinymlp";
import { load, save } from "tinymlp/node";
import { cli, int as intFlag } from "./cli.js";
import { scatterChart } from "./plots.js";

const HELP = `Predict a car's miles per gallon: from its horsepower, then from every column
(vega-datasets' cars table; rows with a missing value are dropped).

Usage: npm run cars -- [options]

  --seeds N          train each model with seeds 1..N, each on its own 80/20 split (default 5)
  --epochs N         at most this many passes over the training rows (default 500; early
                     stopping on a validation fifth of them ends sooner)
  --sklearn          also run scikit-learn (MLPRegressor, LinearRegression) on the same
                     splits, when /usr/bin/python3 has it (Debian: python3-sklearn)
  --predict JSON     load out/cars/model.tmlp and predict the MPG of one raw record
  --out DIR          where to write the chart, results and model (default out/cars)
  --help             this text

Takes about 20 s on a 2-core machine.`;

const values = cli(HELP, {
  seeds: { type: "string", default: "5" },
  epochs: { type: "string", default: "500" },
  sklearn: { type: "boolean", default: false },
  predict: { type: "string" },
  out: { type: "string", default: "out/cars" },
});
const outDir = values.out ?? "out/cars";

if (values.predict !== undefined) {
  // a new process, no encoding code: the model file carries its table encoding
  let record: TableRecord;
  try {
    record = JSON.parse(values.predict);
  } catch {
    console.error(`--predict needs a JSON object, got '${values.predict}'`);
    process.exit(2);
  }
  try {
    const model = load(join(outDir, "model.tmlp"));
    const [mpg] = predictRecords(model, [record]);
    console.log(`predicted: ${(mpg as number).toFixed(1)} miles per gallon`);
    process.exit(0);
  } catch (e) {
    // a missing column or an unseen category is named by a typed error; no stack for it
    if (!(e instanceof TinyMlpError)) throw e;
    console.error(`--predict: ${e.message}`);
    process.exit(2);
  }
}

const seeds = intFlag(HELP, "seeds", values.seeds);
const epochs = intFlag(HELP, "epochs", values.epochs);

// vega-datasets' JS entry fetches from a CDN; the package ships the files, read here
const dataDir = join(dirname(fileURLToPath(import.meta.resolve("vega-datasets"))), "..", "data");
const raw = JSON.parse(readFileSync(join(dataDir, "cars.json"), "utf8")) as Record<string, unknown>[];
// Year is a date ("1970-01-01"): its year as a number
const cars: TableRecord[] = raw.map((r) => ({ ...r, Year: Number(String(r.Year).slice(0, 4)) }));

const ALL = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"];
const tasks = [
  { name: "horsepower", spec: { numeric: ["Horsepower"], categorical: [] as string[] } },
  { name: "every column", spec: { numeric: ALL, categorical: ["Origin"] } },
];

/** R² and mean absolute error of predictions against targets (both (N, 1)). */
function scores(pred: Tensor, y: Tensor): { r2: number; mae: number } {
  const n = y.size;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (y.data[i] as number) / n;
  let sse = 0;
  let sst = 0;
  let sae = 0;
  for (let i = 0; i < n; i++) {
    const e = (pred.data[i] as number) - (y.data[i] as number);
    sse += e * e;
    sae += Math.abs(e);
    sst += ((y.data[i] as number) - mean) ** 2;
  }
  return { r2: 1 - sse / sst, mae: sae / n };
}

/** Normalization, two ReLU layers of 64, one output; compiled for scaled MPG. */
function build(xTrain: Tensor, seed: number): Sequential {
  const model = new Sequential({
    inputShape: [xTrain.shape[1] as number],
    seed,
    layers: [
      new Normalization().adapt(xTrain),
      new Dense({ units: 64, activation: "relu" }),
      new Dense({ units: 64, activation: "relu" }),
      new Dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: "meanSquaredError" });
  return model;
}

/**
 * One model, trained on scaled MPG. The epoch count is chosen on validation
 * only: a first run holds out the last fifth of the (shuffled) training rows
 * and finds the epoch where their loss, averaged over 9 epochs, is lowest
 * (stopping 50 epochs after the raw minimum); a second run trains on all the training rows for that many epochs.
 */
async function train(xTrain: Tensor, yTrain: Tensor, seed: number): Promise<{ model: Sequential; chosen: number }> {
  const yNorm = new Normalization().adapt(yTrain);
  const yScaled = yNorm.apply(yTrain);
  const probe = await build(xTrain, seed).fit(xTrain, yScaled, {
    epochs,
    batchSize: 32,
    seed,
    validationSplit: 0.2,
    callbacks: [new EarlyStopping({ monitor: "val_loss", patience: 50 })],
  });
  // 63 validation rows give a noisy curve: its minimum is taken over a 9-epoch moving average
  const val = probe.history.val_loss ?? [];
  const smooth = val.map((_, i) => {
    const w = val.slice(Math.max(0, i - 4), i + 5);
    return w.reduce((a, b) => a + b, 0) / w.length;
  });
  const chosen = smooth.indexOf(Math.min(...smooth)) + 1;
  const model = build(xTrain, seed);
  await model.fit(xTrain, yScaled, { epochs: chosen, batchSize: 32, seed });
  model.add(yNorm.inverse()); // predictions in miles per gallon
  model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: "meanSquaredError", metrics: ["mae", "r2"] });
  return { model, chosen };
}

type Row = { task: string; seed: number; epochs: number; r2: number; mae: number };
const rows: Row[] = [];
const peerInput: {
  task: string;
  seed: number;
  xTrain: number[][];
  yTrain: number[];
  xTest: number[][];
  yTest: number[];
}[] = [];
const toRows = (t: Tensor): number[][] => {
  const D = t.size / (t.shape[0] as number);
  return Array.from({ length: t.shape[0] as number }, (_, r) => Array.from(t.data.subarray(r * D, (r + 1) * D)));
};
mkdirSync(outDir, { recursive: true });
const started = Date.now();
for (const task of tasks) {
  const enc = TableEncoding.fit(cars, { label: "Miles_per_Gallon", ...task.spec, missing: "drop" });
  const { x, y, kept } = enc.encode(cars);
  if (y === null) throw new Error("no label");
  for (let seed = 1; seed <= seeds; seed++) {
    const split = trainTestSplit(x, y, { testFraction: 0.2, seed });
    const { model, chosen } = await train(split.xTrain, split.yTrain, seed);
    const logs = model.evaluate(split.xTest, split.yTest);
    const s = { r2: logs.r2 as number, mae: logs.mae as number };
    // the metrics agree with a plain computation on the predictions
    const check = scores(model.predict(split.xTest), split.yTest);
    if (Math.abs(check.r2 - s.r2) > 1e-9 || Math.abs(check.mae - s.mae) > 1e-9) throw new Error("metric mismatch");
    rows.push({ task: task.name, seed, epochs: chosen, ...s });
    peerInput.push({
      task: task.name,
      seed,
      xTrain: toRows(split.xTrain),
      yTrain: Array.from(split.yTrain.data),
      xTest: toRows(split.xTest),
      yTest: Array.from(split.yTest.data),
    });
    console.log(
      `${task.name.padEnd(13)} seed ${seed}: test R² ${s.r2.toFixed(3)}, MAE ${s.mae.toFixed(2)} mpg  (${chosen} epochs chosen on validation; ${kept.length} cars, ${split.xTest.shape[0]} held out)`,
    );
    if (seed === 1 && task.name === "horsepower") {
      // the data and the model's curve over the range of horsepower
      const hp = Array.from({ length: 101 }, (_, i) => 40 + 2 * i);
      const curve = model.predict(
        enc.encode(
          hp.map((h) => ({ Horsepower: h })),
          { withLabel: false },
        ).x,
      );
      const points = (xs: Tensor, ys: Tensor) =>
        Array.from(xs.data, (h, i) => [h, ys.data[i] as number] as [number, number]);
      writeFileSync(
        join(outDir, "horsepower.svg"),
        scatterChart({
          title: `MPG from horsepower (test R² ${s.r2.toFixed(2)})`,
          xLabel: "horsepower",
          yLabel: "miles per gallon",
          points: [
            { name: "training cars", color: "#9ab", values: points(split.xTrain, split.yTrain) },
            { name: "test cars", color: "#d62728", values: points(split.xTest, split.yTest) },
          ],
          line: { name: "model", color: "#1f77b4", values: hp.map((h, i) => [h, curve.data[i] as number]) },
        }),
      );
    }
    if (seed === 1 && task.name === "every column") {
      model.table = enc.toJSON(); // raw records in, MPG out, in any process
      save(model, join(outDir, "model.tmlp"));
    }
  }
}
const seconds = (Date.now() - started) / 1000;

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
const summary: Record<string, { r2: number; r2Sd: number; mae: number }> = {};
console.log(`\ntinymlp, mean over ${seeds} seeds (± standard deviation), ${seconds.toFixed(0)} s:`);
for (const task of tasks) {
  const r = rows.filter((x) => x.task === task.name);
  summary[task.name] = { r2: mean(r.map((x) => x.r2)), r2Sd: sd(r.map((x) => x.r2)), mae: mean(r.map((x) => x.mae)) };
  const s = summary[task.name] as { r2: number; r2Sd: number; mae: number };
  console.log(
    `  ${task.name.padEnd(13)} test R² ${s.r2.toFixed(3)} ± ${s.r2Sd.toFixed(3)}, MAE ${s.mae.toFixed(2)} mpg`,
  );
}

let peers: unknown = null;
if (values.sklearn) {
  const script = join(dirname(fileURLToPath(import.meta.url)), "..", "bench", "peers", "tabular.py");
  if (!existsSync("/usr/bin/python3")) console.log("\n--sklearn: /usr/bin/python3 is not installed; skipped");
  else {
    try {
      const out = execFileSync("/usr/bin/python3", [script, "regression"], {
        input: JSON.stringify(peerInput),
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      peers = JSON.parse(out);
      console.log(`\nscikit-learn on the same splits and encodings (mean over ${seeds} seeds):`);
      for (const [task, models] of Object.entries(peers as Record<string, Record<string, { r2: number; mae: number }>>))
        for (const [name, s] of Object.entries(models))
          console.log(
            `  ${task.padEnd(13)} ${name.padEnd(34)} test R² ${s.r2.toFixed(3)}, MAE ${s.mae.toFixed(2)} mpg`,
          );
    } catch (e) {
      console.log(
        `\n--sklearn: the peer did not run (${(e as Error).message.split("\n")[0]}); is python3-sklearn installed?`,
      );
    }
  }
}
writeFileSync(
  join(outDir, "results.json"),
  `${JSON.stringify({ seeds, epochs, seconds, rows, summary, sklearn: peers }, null, 1)}\n`,
);
console.log(`\nwrote ${join(outDir, "horsepower.svg")}, ${join(outDir, "model.tmlp")} and results.json`);
console.log(
  `try: npm run cars -- --predict '{"Cylinders":4,"Displacement":97,"Horsepower":88,"Weight_in_lbs":2130,"Acceleration":14.5,"Year":1971,"Origin":"Japan"}'`,
);
