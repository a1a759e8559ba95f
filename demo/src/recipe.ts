/**
 * The net the Train button builds, in one place: the worker trains it, and
 * the browser tests rebuild it in Node to check that a run stopped and
 * resumed in the page lands on the same weights as a straight run.
 */
import { Adam, type Backend, Dense, ExponentialDecay, type Optimizer, Sequential, SGD } from "tinymlp";
import type { TrainConfig } from "./protocol.js";

/**
 * ReLU hidden layers with He initialization, linear outputs (logits: the
 * loss applies softmax), Adam or SGD + momentum 0.9 with the learning rate
 * × 0.85 after every epoch, as `npm run mnist` trains.
 */
export function buildNet(cfg: TrainConfig, backend: Backend | "wasm" | "js" = cfg.backend): Sequential {
  const nBatches = Math.ceil(cfg.trainSize / cfg.batchSize);
  const m = new Sequential({ inputShape: [784], seed: cfg.seed, backend });
  for (const units of cfg.hidden) m.add(new Dense({ units, activation: "relu", kernelInitializer: "heNormal" }));
  m.add(new Dense({ units: 10 }));
  const lr = new ExponentialDecay({ lr: cfg.lr, decayRate: 0.85, decaySteps: nBatches, staircase: true });
  const optimizer: Optimizer = cfg.optimizer === "adam" ? new Adam({ lr }) : new SGD({ lr, momentum: 0.9 });
  m.compile({ optimizer, loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
  return m;
}
