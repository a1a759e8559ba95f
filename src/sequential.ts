/**
 * Sequential: a stack of layers, trained with one loss and one optimizer.
 *
 * This file is the model: add, build, forward, backward, params, zeroGrad,
 * summary, compile, weights. The training run (fit, the step, evaluate and
 * predict's batching, callbacks, the run's state) lives in `train/`; the
 * methods here that start one are one-line delegations to it.
 */
import type { Backend } from "./backend/backend.js";
import { type BackendName, resolveBackend } from "./backend/select.js";
import type { DataLike } from "./data.js";
import { DisposedError, fmtShape, ValueError } from "./errors.js";
import { BatchBuffers, type BuildContext, type Layer, type Mode, type Param } from "./layer.js";
import { applyOutputLink, type Loss } from "./losses.js";
import type { Metric } from "./metrics.js";
import type { Optimizer } from "./optimizers.js";
import { INPUT_SHAPE_SPEC, listOf, parseInputShape, parseOptions, type Schema } from "./options.js";
import { Rng } from "./rng.js";
import type { TableEncodingJSON } from "./table.js";
import type { DType, FloatArray, Tensor } from "./tensor.js";
import { type CompileOptions, parseCompileOptions } from "./train/compile.js";
import { type BatchOptions, evaluate, type Logs, predict } from "./train/evaluate.js";
import { type FitOptions, fit as fitModel } from "./train/fit.js";
import type { ModelBuffers } from "./train/model.js";
import { requireCompiled } from "./train/model.js";
import { type History, RunSlot, type TrainingState, trainingStateOf } from "./train/state.js";
import { firstNonFinite, trainOnBatch, trainStep } from "./train/step.js";

export type { CompileOptions } from "./train/compile.js";
export type { BatchOptions, Logs } from "./train/evaluate.js";
export { History, type TrainingState } from "./train/state.js";

/** Options of {@link Sequential}. */
export interface SequentialOptions {
  /** Per-sample input shape, e.g. `[784]` or `[28, 28]`. Or give it to the first layer. */
  inputShape?: readonly number[];
  /** Element type of weights and activations (default `"float32"`). */
  dtype?: DType;
  /** Seed of the model's {@link Rng} (initializers, dropout, shuffling). Default 0. */
  seed?: number;
  /** Layers to add right away. */
  layers?: Layer[];
  /**
   * Runs the hot loops and allocates every buffer: `"wasm"` (WebAssembly
   * SIMD128, a memory of the model's own), `"js"` (the plain-JS reference),
   * or a Backend object. Default: {@link getBackend}, which is `"wasm"` where
   * the engine runs it.
   */
  backend?: BackendName | Backend;
  /**
   * Run the layers' initializers when they are built (default true). A loader
   * that overwrites every weight passes false, so it never pays for an
   * initializer (an orthogonal one is O(n³)) or draws from the generator.
   */
  initialize?: boolean;
}

const SEQUENTIAL_BRAND: unique symbol = Symbol.for("tinymlp.Sequential");

/** The schema of {@link SequentialOptions}. */
const SEQUENTIAL_OPTIONS = {
  inputShape: INPUT_SHAPE_SPEC,
  dtype: { type: "enum", values: ["float32", "float64"], default: "float32" },
  seed: { type: "number", default: 0 },
  layers: { type: "custom", parse: (v: unknown): Layer[] => listOf("layers", v), default: [] },
  backend: { type: "custom", parse: (v: unknown): Backend => resolveBackend(v as BackendName | Backend) },
  initialize: { type: "boolean", default: true },
} as const satisfies Schema;

/**
 * A linear stack of layers.
 *
 * @example
 * ```ts
 * const model = new Sequential({ inputShape: [784], seed: 42 });
 * model.add(new Dense({ units: 256, activation: "relu", kernelInitializer: "heNormal" }));
 * model.add(new Dense({ units: 10 }));
 * model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
 * const history = await model.fit(x, y, { epochs: 10, batchSize: 128, validationSplit: 0.1 });
 * const logits = model.predict(xTest);
 * ```
 */
export class Sequential {
  /** The layers, in order. */
  readonly layers: Layer[] = [];
  /** Element type of weights and activations. */
  readonly dtype: DType;
  /**
   * `m instanceof Sequential` by brand, not by prototype, so a model from the
   * CommonJS build (`require("tinymlp/node").load(…)`) passes for the ESM
   * class and the other way round.
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[SEQUENTIAL_BRAND] === true;
  }
  /** The brand `instanceof` checks. @internal */
  get [SEQUENTIAL_BRAND](): true {
    return true;
  }
  /** The model's seeded generator. */
  readonly rng: Rng;
  /** The optimizer set by compile. */
  optimizer: Optimizer | null = null;
  /** The loss set by compile. */
  loss: Loss | null = null;
  /** Metrics set by compile. */
  metrics: Metric[] = [];
  /** How raw table rows become its inputs (a `TableEncoding`'s JSON), saved with it; see `predictRecords`. */
  table: TableEncodingJSON | null = null;
  /**
   * Set to true (e.g. from a callback) to end fit: set in `onEpochEnd` it ends
   * after that epoch; set in `onBatchEnd` (or from outside while fit yields)
   * it ends after the current batch, leaving the epoch unfinished and out of
   * the history. A checkpoint taken then (in that `onBatchEnd`, or in
   * `onTrainEnd`) resumes mid-epoch exactly.
   */
  stopTraining = false;
  /** Runs the hot loops and allocates every buffer of the model. */
  readonly backend: Backend;
  /** The model's one run slot: the run in progress and its position, and whether a step poisoned the weights. @internal */
  readonly run = new RunSlot();
  /** Reused input, target and dL/doutput batches, allocated from the backend. @internal */
  readonly buffers: ModelBuffers;

  private inputShape: readonly number[] | null;
  private shapes: (readonly number[])[] = []; // per-sample output shape of each layer
  private paramCache: Param[] | null = null;
  private disposed = false;
  private readonly initialize: boolean;
  private ctx: BuildContext | null = null;

  constructor(opts: SequentialOptions = {}) {
    const o = parseOptions("Sequential", SEQUENTIAL_OPTIONS, opts);
    this.backend = o.backend ?? resolveBackend(undefined);
    this.initialize = o.initialize;
    this.dtype = o.dtype;
    this.rng = new Rng(o.seed);
    this.inputShape = o.inputShape ? parseInputShape("Sequential", o.inputShape) : null;
    const ctx = (): BuildContext => {
      this.requireLive("Sequential");
      return this.buildContext();
    };
    this.buffers = {
      x: new BatchBuffers(ctx, () => this.inputShapePerSample),
      y: new BatchBuffers(ctx, () => this.outputShape),
      dOut: new BatchBuffers(ctx, () => this.outputShape),
    };
    for (const l of o.layers) this.add(l);
  }

  /**
   * Where training stands: during fit, the position in the epoch, the loss
   * sum, the metrics' counts and the history; outside fit, the start of a
   * run. What `checkpoint(model)` stores.
   * @example
   * ```ts
   * const bytes = serialize(model, model.trainingState());
   * ```
   */
  trainingState(): TrainingState {
    this.requireLive("trainingState");
    return trainingStateOf(this.run, this.rng, this.metrics);
  }

  /** Appends a layer (built at once if the input shape is known). */
  add(layer: Layer): this {
    this.requireLive("add");
    if (this.layers.includes(layer)) throw new ValueError(`Sequential: layer '${layer.name}' was already added`);
    const count = this.layers.filter((l) => l.kind === layer.kind).length;
    if (!layer.name) layer.name = `${layer.kind}_${count + 1}`;
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new ValueError(`Sequential: a layer named '${layer.name}' already exists`);
    }
    if (this.layers.length === 0 && this.inputShape === null) {
      const s = (layer as { inputShape?: readonly number[] }).inputShape;
      if (s) this.inputShape = parseInputShape(`${layer.kind} layer '${layer.name}'`, s);
    }
    this.layers.push(layer);
    this.paramCache = null;
    if (this.inputShape !== null) {
      const prev = this.shapes.length === 0 ? this.inputShape : (this.shapes.at(-1) as readonly number[]);
      this.shapes.push(layer.build(prev, this.buildContext()));
      if (this.initialize) this.checkInitialized(layer);
    }
    return this;
  }

  /**
   * An initializer option beyond the dtype's range (`constant` value 1e39,
   * `randomUniform` minval −1e308 in a float32 model) would start training
   * from ±Infinity, and such a model could never be saved: refuse it here,
   * naming the parameter, and leave the model as it was.
   */
  private checkInitialized(layer: Layer): void {
    const bad = firstNonFinite(this, layer.params());
    if (bad === null) return;
    this.layers.pop();
    this.shapes.pop();
    this.paramCache = null;
    throw new ValueError(
      `Sequential: layer '${layer.name}' initialized '${bad.param.name}' with ${bad.value} (element ${bad.index}): ` +
        `an initializer option is beyond ${this.dtype}'s range`,
    );
  }

  private buildContext(): BuildContext {
    // one object for the model's life: the batch buffers ask for it every batch
    this.ctx ??= { dtype: this.dtype, rng: this.rng, backend: this.backend, initialize: this.initialize };
    return this.ctx;
  }

  private requireBuilt(): void {
    if (this.inputShape === null) {
      throw new ValueError("Sequential: the input shape is unknown; pass inputShape to the model or its first layer");
    }
    if (this.layers.length === 0) throw new ValueError("Sequential: the model has no layers");
  }

  /** Per-sample input shape. */
  get inputShapePerSample(): readonly number[] {
    this.requireBuilt();
    return this.inputShape as readonly number[];
  }

  /** Per-sample output shape. */
  get outputShape(): readonly number[] {
    this.requireBuilt();
    return this.shapes.at(-1) as readonly number[];
  }

  /**
   * The model in one line for messages: its input and each layer's output size.
   * @example
   * ```ts
   * model.describe(); // "Sequential (784 → 256 → 10)"
   * ```
   */
  describe(): string {
    if (this.inputShape === null) return `Sequential (${this.layers.length} layers, input shape unknown)`;
    const size = (s: readonly number[]): string => s.join("×");
    return `Sequential (${[this.inputShape, ...this.shapes].map(size).join(" → ")})`;
  }

  /** Every parameter, layer by layer (trainable ones and saved state such as running statistics). */
  params(): Param[] {
    // cached: the training step asks for it every batch
    // (dispose clears the cache, so a disposed model ends up here and throws)
    if (this.paramCache === null) {
      this.requireLive("params");
      this.paramCache = this.layers.flatMap((l) => l.params());
    }
    return this.paramCache;
  }

  /**
   * Copies of every parameter's values, in {@link Sequential.params} order.
   * @example
   * ```ts
   * const saved = model.getWeights();
   * // … train …
   * model.setWeights(saved);
   * ```
   */
  getWeights(): FloatArray[] {
    this.requireLive("getWeights");
    return this.params().map((p) => p.value.data.slice());
  }

  /**
   * Replaces every parameter's values, in {@link Sequential.params} order
   * (as {@link Sequential.getWeights} gives them). Checks the count, each
   * length and that every value is finite before writing anything. A model
   * whose weights a step left non-finite is usable again afterwards.
   * @example
   * ```ts
   * model.setWeights(other.getWeights());
   * ```
   */
  setWeights(weights: readonly ArrayLike<number>[]): void {
    this.requireLive("setWeights");
    this.run.replaceWeights(this.params(), weights);
  }

  /**
   * Frees what the model holds in its backend (the wasm backend's memory:
   * parameters, gradients, optimizer state and buffers). The model cannot be
   * used afterwards. On the JS backend the garbage collector does this anyway.
   * @example
   * ```ts
   * const m = new Sequential({ inputShape: [784], backend: "wasm" });
   * // … train, save …
   * m.dispose();
   * ```
   */
  dispose(): void {
    this.disposed = true;
    this.paramCache = null;
    this.backend.dispose?.();
  }

  /** True after {@link Sequential.dispose}: every method but `dispose`, `memoryBytes` and `describe` then throws {@link DisposedError}. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws {@link DisposedError} naming `where` after {@link Sequential.dispose} (the exporters call it too). @internal */
  requireLive(where: string): void {
    if (this.disposed) throw new DisposedError(where, this.describe());
  }

  /** Bytes the model's backend holds for it (arrays handed out and not freed), when the backend counts them. */
  memoryBytes(): number | null {
    return this.backend.usage?.().allocatedBytes ?? null;
  }

  /** Total number of trainable scalars. */
  countParams(): number {
    this.requireLive("countParams");
    return this.params().reduce((s, p) => s + p.value.size, 0);
  }

  /** Sum of the layers' penalties (L1/L2 regularizers), included in the reported loss. */
  regularizationLoss(): number {
    this.requireLive("regularizationLoss");
    let s = 0;
    for (const l of this.layers) if (l.regularizationLoss) s += l.regularizationLoss();
    return s;
  }

  /** Clears every parameter gradient. */
  zeroGrad(): void {
    this.requireLive("zeroGrad");
    for (const l of this.layers) l.zeroGrad();
  }

  /**
   * A table of the layers, their output shapes and parameter counts.
   * @example
   * ```ts
   * console.log(model.summary());
   * ```
   */
  summary(): string {
    this.requireLive("summary");
    this.requireBuilt();
    const rows: [string, string, string][] = [["Layer (kind)", "Output shape", "Params"]];
    this.layers.forEach((l, i) => {
      const n = l.params().reduce((s, p) => s + p.value.size, 0);
      rows.push([`${l.name} (${l.kind})`, fmtShape(["B", ...(this.shapes[i] as number[])]), String(n)]);
    });
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0))) as [number, number, number];
    const line = (r: [string, string, string]): string =>
      `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
    const rule = "─".repeat(w[0] + w[1] + w[2] + 4);
    const total = this.countParams();
    return [
      `Sequential (input ${fmtShape(["B", ...(this.inputShape as number[])])}, ${this.dtype}, backend ${this.backend.name})`,
      rule,
      line(rows[0] as [string, string, string]),
      rule,
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total.toLocaleString("en-US")}`,
    ].join("\n");
  }

  /**
   * Sets the optimizer, the loss and the metrics for training.
   * @example
   * ```ts
   * model.compile({ optimizer: new SGD({ lr: 0.1, momentum: 0.9 }), loss: "meanSquaredError" });
   * ```
   */
  compile(opts: CompileOptions): void {
    this.requireLive("compile");
    const { optimizer, loss, metrics } = parseCompileOptions(opts);
    this.optimizer = optimizer;
    this.loss = loss;
    this.metrics = metrics;
  }

  /** Runs every layer forward. Returns the last layer's buffer (valid until the next forward). */
  forward(x: Tensor, mode: Mode = "eval"): Tensor {
    this.requireLive("forward");
    this.requireBuilt();
    let h = x;
    for (const l of this.layers) h = l.forward(h, mode);
    return h;
  }

  /**
   * Runs every layer backward from dL/doutput; accumulates parameter
   * gradients and returns dL/dx (or null when `needInputGrad` is false).
   */
  backward(dOut: Tensor, needInputGrad = false): Tensor | null {
    this.requireLive("backward");
    let g: Tensor | null = dOut;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const need = i > 0 || needInputGrad;
      g = (this.layers[i] as Layer).backward(g as Tensor, need);
    }
    return g;
  }

  /**
   * One gradient step on one batch: forward → loss → zeroGrad → backward →
   * step (src/train/step.ts). Returns the batch's mean loss (before the
   * step). When the loss is NaN or ±Infinity, no update is made and that
   * value is returned (fit turns it into a NonFiniteLossError).
   * @throws NonFiniteParamError if the step made a parameter NaN or ±Infinity
   * (the update overflowed although the loss was finite); the model then
   * refuses to predict, evaluate, train or save until its weights are replaced
   * @example
   * ```ts
   * const loss = model.trainStep(xBatch, yBatch);
   * ```
   */
  trainStep(x: Tensor, y: Tensor): number {
    this.requireLive("trainStep");
    this.run.requireIdle("trainStep", this);
    return trainStep(this, x, y).loss;
  }

  /**
   * Like trainStep, but takes any tensor or label array as target and checks
   * shapes; returns the loss.
   * @example
   * ```ts
   * model.trainOnBatch(xBatch, new Uint8Array([3, 1, 4]));
   * ```
   */
  trainOnBatch(x: Tensor, y: Tensor | ArrayLike<number>): number {
    this.requireLive("trainOnBatch");
    return trainOnBatch(this, x, y);
  }

  /**
   * Runs the model on every sample (in eval mode) and returns a fresh tensor
   * of the raw outputs (N, ...outputShape): logits when the last layer is linear.
   * @example
   * ```ts
   * const logits = model.predict(xTest);
   * const classes = logits.argMax();
   * ```
   */
  predict(x: DataLike, opts: BatchOptions = {}): Tensor {
    this.requireLive("predict");
    return predict(this, x, opts);
  }

  /**
   * predict, then the compiled loss's output link (softmax for logit
   * cross-entropies, sigmoid for binary logits): class probabilities.
   * @example
   * ```ts
   * const probs = model.predictProba(xTest); // rows sum to 1
   * ```
   */
  predictProba(x: DataLike, opts: BatchOptions = {}): Tensor {
    this.requireLive("predictProba");
    const [lossFn] = requireCompiled(this, "predictProba");
    return applyOutputLink(lossFn.outputLink, predict(this, x, opts, "predictProba"));
  }

  /**
   * Mean loss and metrics over a data set, in eval mode.
   * @example
   * ```ts
   * const { loss, accuracy } = model.evaluate(xTest, yTest);
   * ```
   */
  evaluate(x: DataLike, y: DataLike, opts: BatchOptions = {}): Logs {
    this.requireLive("evaluate");
    return evaluate(this, x, y, opts);
  }

  /**
   * Trains for a number of epochs of shuffled mini-batches (src/train/fit.ts).
   * One run at a time: a second fit (or trainOnBatch) while this one runs is
   * refused with a ModelBusyError.
   *
   * @throws NonFiniteLossError if the loss becomes NaN or ±Infinity (naming the epoch and batch)
   * @throws NonFiniteParamError if a step makes a parameter NaN or ±Infinity (naming it, the epoch and batch)
   * @example
   * ```ts
   * const history = await model.fit(x, y, { epochs: 10, batchSize: 128, validationSplit: 0.1 });
   * ```
   */
  fit(x: DataLike, y: DataLike, opts: FitOptions<Sequential> = {}): Promise<History> {
    if (this.disposed) return Promise.reject(new DisposedError("fit", this.describe()));
    return fitModel(this, x, y, opts);
  }
}
