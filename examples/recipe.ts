/**
 * The "beyond 99%" training recipe shared by mnist-record.ts and
 * mnist-committee.ts: a wide ReLU MLP trained on elastically and affinely
 * deformed digits (new deformations every batch of every epoch), dropout,
 * Adam with a cosine-decaying rate, and model selection on the validation
 * split. Resumable: a checkpoint is written every epoch and every
 * `checkpointEvery` batches, and a run that finds one continues from it
 * bit-exactly (the deformations depend only on (seed, epoch, batch)).
 *
 * Files in `dir`:
 *   config.json      the recipe (a checkpoint is only resumed with the same one)
 *   checkpoint.tmlp  weights, optimizer state and position in training
 *   best.tmlp        the weights of the best validation epoch so far
 *   epochs.json      per-epoch logs, wall time and the best epoch so far
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Adam,
  type Backend,
  type BackendName,
  CosineDecay,
  createWasmBackend,
  Dense,
  Dropout,
  type DType,
  ImageAugmentation,
  type ImageAugmentationOptions,
  type ImageDataset,
  imageSource,
  type Logs,
  Sequential,
} from "tinymlp";
import { load, loadCheckpoint, ModelCheckpoint, ProgressBar, save, writeFileAtomic } from "tinymlp/node";
import { lineChart } from "./plots.js";

/** stdout without the bar (ProgressBar draws only on a terminal): summary lines only. */
const quiet = {
  isTTY: false,
  write: (s: string) => process.stdout.write(s),
} as unknown as NodeJS.WriteStream;

/** Everything that defines a training run (and must match for a resume). */
export interface RecipeConfig {
  hidden: number[];
  /** Dropout rate after each hidden layer (0 = none). */
  dropout: number;
  /** Max-norm of each unit's incoming weights (0 = no constraint). */
  maxNorm: number;
  epochs: number;
  batchSize: number;
  /** Peak learning rate of Adam; cosine decay to lr·lrFloor over the run. */
  lr: number;
  lrFloor: number;
  seed: number;
  dtype: DType;
  /** The backend ("wasm" or "js"): a checkpoint resumes bit-exactly only on the one that wrote it. */
  backend: BackendName;
  /** Deformations, or null to train on the plain images. */
  augment: ImageAugmentationOptions | null;
  trainSize: number;
}

/** The recipe's defaults (the record run's settings; see docs/mnist.md). */
export const RECORD_DEFAULTS: RecipeConfig = {
  hidden: [1500, 1000, 500],
  dropout: 0,
  maxNorm: 0,
  epochs: 100,
  batchSize: 128,
  lr: 1e-3,
  lrFloor: 0.01,
  seed: 1,
  dtype: "float32",
  backend: "wasm",
  augment: { rotation: 10, scale: 0.1, shear: 0, translation: 0, elastic: { alpha: 36, sigma: 6 } },
  trainSize: 50000,
};

/** The network of a recipe, compiled with its optimizer and schedule. */
export function buildModel(c: RecipeConfig, batchesPerEpoch: number, backend?: Backend): Sequential {
  const model = new Sequential({ inputShape: [784], seed: c.seed, dtype: c.dtype, backend: backend ?? c.backend });
  for (const units of c.hidden) {
    model.add(
      new Dense({
        units,
        activation: "relu",
        kernelInitializer: "heNormal",
        ...(c.maxNorm > 0 ? { kernelConstraint: { maxNorm: c.maxNorm } } : {}),
      }),
    );
    if (c.dropout > 0) model.add(new Dropout({ rate: c.dropout }));
  }
  model.add(new Dense({ units: 10 }));
  const lr = new CosineDecay({ lr: c.lr, decaySteps: c.epochs * batchesPerEpoch, alpha: c.lrFloor });
  model.compile({ optimizer: new Adam({ lr }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
  return model;
}

/** The augmentation of a recipe (seeded from the recipe's seed), or null. */
export function buildAugmentation(c: RecipeConfig): ImageAugmentation | null {
  return c.augment ? new ImageAugmentation({ ...c.augment, imageShape: [28, 28], seed: c.seed }) : null;
}

/** One epoch's record in epochs.json. */
export interface EpochRecord {
  epoch: number;
  logs: Logs;
  /** Wall-clock seconds of this epoch (training + validation). */
  seconds: number;
}

/** What {@link trainRecipe} returns. */
export interface RecipeResult {
  /** The weights of the best validation epoch. */
  model: Sequential;
  bestEpoch: number;
  bestValAccuracy: number;
  epochs: EpochRecord[];
  /** Sum of the epochs' wall-clock seconds, over all sessions of a resumed run. */
  trainSeconds: number;
  resumedFrom: number | null;
}

/**
 * Trains (or continues) the recipe in `dir`; returns the best-validation model.
 * A run already finished is not trained again.
 */
export async function trainRecipe(
  c: RecipeConfig,
  data: { train: ImageDataset; validation: ImageDataset },
  dir: string,
  opts: { progress: boolean; fresh: boolean; checkpointEvery?: number; log?: (s: string) => void; threads?: number },
): Promise<RecipeResult> {
  // threads change the time, not the bits: they are not part of the recipe (a run may resume with another count)
  const threads = opts.threads ?? 1;
  if (threads > 1 && c.backend !== "wasm")
    throw new Error(`threads ${threads} need the wasm backend, not ${c.backend}`);
  const backend: Backend | BackendName = threads > 1 ? createWasmBackend({ threads }) : c.backend;
  const log = opts.log ?? ((s: string) => console.log(s));
  const nBatches = Math.ceil(data.train.length / c.batchSize);
  const paths = {
    config: join(dir, "config.json"),
    ckpt: join(dir, "checkpoint.tmlp"),
    best: join(dir, "best.tmlp"),
    epochs: join(dir, "epochs.json"),
  };
  const configText = `${JSON.stringify(c, null, 1)}\n`;

  // ---- resume if this directory holds a checkpoint of the same recipe ----
  let model = buildModel(c, nBatches, typeof backend === "string" ? undefined : backend);
  let resume = null;
  let records: EpochRecord[] = [];
  let resumedFrom: number | null = null;
  if (!opts.fresh && existsSync(paths.ckpt) && existsSync(paths.config)) {
    const old = readFileSync(paths.config, "utf8");
    if (old !== configText) {
      throw new Error(
        `${dir} holds a checkpoint of a different recipe (see ${paths.config}); pass --fresh to start over or use another --out`,
      );
    }
    const loaded = loadCheckpoint(paths.ckpt, { backend }); // (the model built above shares the backend: not disposed)
    model = loaded.model;
    resume = loaded.training;
    records = existsSync(paths.epochs) ? (JSON.parse(readFileSync(paths.epochs, "utf8")) as EpochRecord[]) : [];
    const at = resume?.epoch ?? 0;
    records = records.filter((r) => r.epoch < at); // epochs after the checkpoint are replayed
    resumedFrom = at;
    if (at < c.epochs) log(`resuming from ${paths.ckpt}: epoch ${at + 1}, batch ${resume?.batch ?? 0} of ${nBatches}`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(paths.config, configText);

  let best = records.reduce(
    (b, r) => ((r.logs.val_accuracy ?? -1) > b.acc ? { epoch: r.epoch, acc: r.logs.val_accuracy ?? -1 } : b),
    { epoch: -1, acc: -1 },
  );
  if (best.epoch >= 0 && !existsSync(paths.best)) best = { epoch: -1, acc: -1 };

  const done = resume !== null && resume.epoch >= c.epochs;
  if (!done) {
    let t0 = performance.now();
    const tracker = {
      onEpochBegin: () => {
        t0 = performance.now();
      },
      onEpochEnd: (epoch: number, logs: Logs) => {
        const acc = logs.val_accuracy ?? -1;
        if (acc > best.acc) {
          best = { epoch, acc };
          save(model, paths.best);
        }
        records.push({
          epoch,
          logs: { ...logs, lr: model.optimizer?.lr ?? 0 },
          seconds: (performance.now() - t0) / 1000,
        });
        writeFileAtomic(paths.epochs, new TextEncoder().encode(`${JSON.stringify(records, null, 1)}\n`));
        log(`  best so far: epoch ${best.epoch + 1}, validation ${(best.acc * 100).toFixed(2)}%`);
      },
    };
    const callbacks = [
      new ProgressBar({ epochs: c.epochs, batchesPerEpoch: nBatches, stream: opts.progress ? process.stdout : quiet }),
      tracker, // before the checkpoint: a resumed run replays any epoch whose checkpoint was not written
      new ModelCheckpoint({ path: paths.ckpt, everyEpochs: 1, everyBatches: opts.checkpointEvery ?? 100 }),
    ];
    const augment = buildAugmentation(c);
    await model.fit(imageSource(data.train), data.train.labels, {
      epochs: c.epochs,
      batchSize: c.batchSize,
      validationData: [imageSource(data.validation), data.validation.labels],
      callbacks,
      resume,
      ...(augment ? { augment } : {}),
    });
  } else {
    log(`${dir}: this run already finished (${c.epochs} epochs); evaluating its best epoch`);
  }
  return {
    model: load(paths.best, { backend: c.backend }),
    bestEpoch: best.epoch,
    bestValAccuracy: best.acc,
    epochs: records,
    trainSeconds: records.reduce((s, r) => s + r.seconds, 0),
    resumedFrom,
  };
}

/**
 * The run's curves: training accuracy (on deformed digits) against
 * validation accuracy, and the validation accuracy alone on its own scale.
 */
export function recordCharts(ep: EpochRecord[]): { accuracy: string; validation: string; validationByTime: string } {
  const val = ep.map((r) => r.logs.val_accuracy ?? 0);
  // hours, or minutes for a run shorter than one hour
  const total = ep.reduce((t, r) => t + r.seconds, 0);
  const [unit, per] = total >= 3600 ? ["hours", 3600] : ["minutes", 60];
  let sum = 0;
  const elapsed = ep.map((r) => {
    sum += r.seconds / per;
    return sum;
  });
  return {
    validationByTime: lineChart({
      title: "Validation accuracy against training time",
      yLabel: "validation accuracy",
      x: { values: elapsed, label: `${unit} of training (this machine, 2 vCPUs)` },
      series: [{ name: "validation", values: val, color: "#d62728" }],
    }),
    accuracy: lineChart({
      title: "Accuracy (train: deformed digits)",
      yLabel: "accuracy",
      series: [
        { name: "train", values: ep.map((r) => r.logs.accuracy ?? 0), color: "#1f77b4" },
        { name: "validation", values: val, color: "#d62728" },
      ],
    }),
    validation: lineChart({
      title: "Validation accuracy",
      yLabel: "accuracy",
      series: [{ name: "validation", values: val, color: "#d62728" }],
    }),
  };
}
