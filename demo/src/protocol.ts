/** The messages between the page and the training worker. */

/** What the page asks the worker to train. */
export interface TrainConfig {
  /** Hidden layer sizes, e.g. [256, 256]. */
  hidden: number[];
  optimizer: "adam" | "sgd";
  lr: number;
  epochs: number;
  batchSize: number;
  /** Training images used (the first n of the 50,000). */
  trainSize: number;
  /** Validation images used (the first n of the last 10,000 training images). */
  valSize: number;
  backend: "wasm" | "js";
  seed: number;
}

/** Page → worker. */
export type ToWorker =
  | { type: "train"; base: string; config: TrainConfig }
  | { type: "stop" }
  /** Continue from the in-memory checkpoint, up to `epochs` in all. */
  | { type: "resume"; epochs: number };

/** Per-epoch figures. */
export interface EpochReport {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Worker → page. */
export type FromWorker =
  | { type: "status"; text: string }
  | { type: "started"; backend: string; memory: string; nBatches: number; params: number; resumed: boolean }
  | { type: "batch"; epoch: number; batch: number; nBatches: number; loss: number; samplesPerSecond: number }
  | { type: "epoch"; report: EpochReport }
  /** Training ended (finished or stopped): the model as a tinymlp checkpoint. */
  | { type: "ended"; stopped: boolean; bytes: Uint8Array; epoch: number; batch: number; samplesPerSecond: number }
  | { type: "error"; message: string };
