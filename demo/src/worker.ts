/**
 * The training worker: loads MNIST once, trains the net the page asked for,
 * and reports every epoch (and a few times a second, the running loss and
 * speed). The page's thread never runs a training step, so it stays
 * responsive however big the net.
 *
 * Stop sets `model.stopTraining`: fit yields to the event loop every 25 ms,
 * so the message arrives between two batches, and fit returns after the
 * current one. The worker then keeps a checkpoint (weights, optimizer slots,
 * the shuffling generator's state, the batch it stopped at) in memory;
 * Resume loads it into a fresh model and continues with `fit({ resume })`,
 * giving the same weights as a run that never stopped.
 */
import {
  type Backend,
  checkpoint,
  createWasmBackend,
  deserialize,
  type ImageDataset,
  imageSource,
  type Sequential,
  sliceDataset,
  type TrainingState,
} from "tinymlp";
import { loadTrainSplit } from "./mnist.js";
import type { FromWorker, ToWorker, TrainConfig } from "./protocol.js";
import { buildNet } from "./recipe.js";

const post = (m: FromWorker, transfer: Transferable[] = []): void => postMessage(m, { transfer });

/** Threads a backend runs its products on. */
const threadsOf = (b: object): number => (b as { threads?: number }).threads ?? 1;

/**
 * The backend a model trains on: the js reference, or wasm — on two threads
 * when the page is cross-origin isolated (the dev and preview servers send
 * COOP/COEP, so the memory is shared), else on one. Two threads give the
 * one-thread bits (the browser tests check a stopped and resumed run here
 * against a straight one-thread run in Node).
 */
function backendFor(name: "wasm" | "js"): Backend | "js" | "wasm" {
  if (name === "js" || !crossOriginIsolated) return name;
  return createWasmBackend({ threads: 2 });
}

let data: { train: ImageDataset; validation: ImageDataset } | null = null;
let config: TrainConfig | null = null;
let model: Sequential | null = null;
let saved: Uint8Array | null = null;
let running = false;

addEventListener("message", (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "stop") {
    if (model) model.stopTraining = true;
    return;
  }
  if (running) return post({ type: "error", message: "already training" });
  const job = msg.type === "train" ? start(msg.base, msg.config) : resume(msg.epochs);
  job.catch((err: unknown) => {
    running = false;
    post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  });
});

async function start(base: string, cfg: TrainConfig): Promise<void> {
  running = true;
  if (data === null) {
    post({ type: "status", text: "loading MNIST…" });
    data = await loadTrainSplit(base);
  }
  config = cfg;
  model?.dispose();
  await train(buildNet(cfg, backendFor(cfg.backend)), cfg, null);
}

async function resume(epochs: number): Promise<void> {
  if (saved === null || config === null) throw new Error("nothing to resume: train first");
  running = true;
  config = { ...config, epochs };
  model?.dispose();
  const { model: m, training } = deserialize(saved, { backend: backendFor(config.backend) });
  await train(m, config, training);
}

async function train(m: Sequential, cfg: TrainConfig, from: TrainingState | null): Promise<void> {
  if (data === null) throw new Error("MNIST is not loaded");
  model = m;
  const train = sliceDataset(data.train, 0, cfg.trainSize);
  const val = sliceDataset(data.validation, 0, cfg.valSize);
  const nBatches = Math.ceil(train.length / cfg.batchSize);
  const backend = m.backend;
  const memory =
    "memory" in backend && backend.memory instanceof WebAssembly.Memory
      ? typeof SharedArrayBuffer !== "undefined" && backend.memory.buffer instanceof SharedArrayBuffer
        ? `shared WebAssembly memory, ${threadsOf(backend)} thread${threadsOf(backend) > 1 ? "s" : ""}`
        : "WebAssembly memory"
      : "JS typed arrays";
  post({
    type: "started",
    backend: backend.name,
    memory,
    nBatches,
    params: m.countParams(),
    resumed: from !== null,
  });
  // speed: samples per second of training steps (the validation pass is not counted)
  let epochStart = performance.now();
  let stepMs = 0;
  let stepSamples = 0;
  let totalMs = 0;
  let totalSamples = 0;
  let last = performance.now();
  let lastPost = 0;
  let lossSum = 0;
  let lossN = 0;
  let at = null as TrainingState | null; // set in onTrainEnd
  const sps = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);
  await m.fit(imageSource(train), train.labels, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    validationData: [imageSource(val), val.labels],
    resume: from,
    callbacks: {
      onEpochBegin: () => {
        epochStart = performance.now();
        stepMs = 0;
        stepSamples = 0;
        lossSum = 0;
        lossN = 0;
      },
      onBatchBegin: () => {
        last = performance.now();
      },
      onBatchEnd: (batch, logs) => {
        const now = performance.now();
        stepMs += now - last;
        totalMs += now - last;
        stepSamples += logs.size ?? 0;
        totalSamples += logs.size ?? 0;
        lossSum += logs.loss ?? 0;
        lossN++;
        if (now - lastPost > 250 || batch === nBatches - 1) {
          lastPost = now;
          const epoch = m.trainingState().epoch;
          const loss = lossSum / lossN;
          post({ type: "batch", epoch, batch, nBatches, loss, samplesPerSecond: sps(stepSamples, stepMs) });
        }
      },
      onEpochEnd: (epoch, logs) => {
        post({
          type: "epoch",
          report: {
            epoch,
            loss: logs.loss ?? Number.NaN,
            accuracy: logs.accuracy ?? Number.NaN,
            valLoss: logs.val_loss ?? Number.NaN,
            valAccuracy: logs.val_accuracy ?? Number.NaN,
            seconds: (performance.now() - epochStart) / 1000,
            samplesPerSecond: sps(stepSamples, stepMs),
          },
        });
      },
      onTrainEnd: () => {
        saved = checkpoint(m); // where training stands, mid-epoch or not
        at = m.trainingState();
      },
    },
  });
  running = false;
  const bytes = Uint8Array.from(saved as Uint8Array); // a copy to hand over; the worker keeps its own
  post(
    {
      type: "ended",
      stopped: m.stopTraining,
      bytes,
      epoch: at?.epoch ?? 0,
      batch: at?.batch ?? 0,
      samplesPerSecond: sps(totalSamples, totalMs),
    },
    [bytes.buffer],
  );
}
