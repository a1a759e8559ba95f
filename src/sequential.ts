/**
 * Sequential: a stack of layers trained with one loss and one optimizer.
 *
 * The training step is five visible verbs (see {@link Sequential.trainStep}):
 * forward → loss → zeroGrad → backward → step.
 */
import type { BatchStep, BatchTransform } from "./augment.js";
import type { Backend } from "./backend/backend.js";
import { type BackendName, resolveBackend } from "./backend/select.js";
import { checkInputs, checkTargets } from "./checks.js";
import { type DataLike, type DataSource, toSource } from "./data.js";
import { type DivergenceInfo, DivergenceWatch, warnDivergence } from "./divergence.js";
import { fmtShape, NonFiniteLossError, NonFiniteParamError, ShapeError, ValueError } from "./errors.js";
import type { BuildContext, Layer, Mode, Param } from "./layer.js";
import { LIMITS } from "./limits.js";
import { applyOutputLink, getLoss, type Loss, type LossConfig, type LossName } from "./losses.js";
import { type Metric, type MetricName, metricFromName } from "./metrics.js";
import type { Optimizer } from "./optimizers.js";
import { checkKeys, INPUT_SHAPE_SPEC, parseOptions } from "./options.js";
import { Rng, type RngState } from "./rng.js";
import { allocFloat, type DType, shapeSize, Tensor } from "./tensor.js";

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

const SEQUENTIAL_KEYS = ["inputShape", "dtype", "seed", "layers", "backend", "initialize"];

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** The optimizer instance, e.g. `new Adam({ lr: 1e-3 })`. */
  optimizer: Optimizer;
  /** A loss name, config or instance. */
  loss: LossName | LossConfig | Loss;
  /** Metrics to report besides the loss: `"accuracy"`, `"top<k>Accuracy"`, or instances. */
  metrics?: (MetricName | `top${number}Accuracy` | Metric)[];
}

/** Logs passed to callbacks: `loss`, metric values, `val_*` values. */
export type Logs = Record<string, number>;

/**
 * Hooks called during {@link Sequential.fit}; each may be async.
 * @example
 * ```ts
 * const cb: Callback = { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) };
 * ```
 */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch (or an early stop). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each epoch, with the epoch's training and validation logs. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before each batch. */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After each batch, with that batch's `loss` and `size`. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /** Called by fit before training begins, with the model being trained. */
  setModel?(model: Sequential): void;
}

/** Options of {@link Sequential.fit}. */
export interface FitOptions {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /**
   * Check x, y and the validation data once before the first step (default
   * true): inputs finite, targets what the loss takes (integer labels in
   * range, BCE targets in [0, 1], distributions for categorical
   * cross-entropy); errors name the dataset index. `false` skips it.
   */
  checkData?: boolean;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the training samples every epoch (default true). */
  shuffle?: boolean;
  /** Fraction in [0, 1) of the samples, taken from the end, held out for validation. */
  validationSplit?: number;
  /** Explicit validation inputs and targets (overrides validationSplit). */
  validationData?: [DataLike, DataLike];
  /** Seed for shuffling; default: the model's generator. */
  seed?: number;
  /** Callbacks, called in order. */
  callbacks?: Callback | Callback[];
  /** Shorthand for a callback's onEpochEnd. */
  onEpochEnd?: Callback["onEpochEnd"];
  /** Shorthand for a callback's onBatchEnd. */
  onBatchEnd?: Callback["onBatchEnd"];
  /** Yield to the event loop at least this often, in ms (default 25), so a page stays responsive. */
  yieldEvery?: number;
  /**
   * Continue a run from a checkpoint's training state (see `deserialize` /
   * `loadCheckpoint`): same data, batch size, epochs and seed give weights
   * bit-identical to a run that was never interrupted.
   */
  resume?: TrainingState | null;
  /**
   * Changes each training batch's inputs in place before its step, e.g. an
   * `ImageAugmentation` drawing new deformations for every batch of
   * every epoch. Validation and test data are never augmented.
   */
  augment?: BatchTransform;
  /**
   * Called once per fit when the loss looks like it is diverging: its
   * smoothed value (over ~10 batches) rises above both 100× its running
   * minimum and the first batch's loss. Default: one `console.warn`; `null`
   * turns the watch off. Training goes on either way (a NaN loss or
   * parameter stops it with an error).
   */
  onDivergence?: ((info: DivergenceInfo) => void) | null;
}

/**
 * Where training stood: what a checkpoint stores (`model.trainingState()`)
 * and `fit({ resume })` continues from.
 */
export interface TrainingState {
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Batches of that epoch already done. */
  batch: number;
  /** The model Rng's state now. */
  rng: RngState;
  /** The shuffling Rng's state at the start of the epoch (re-derives its order). */
  rngEpochStart: RngState;
  /** Sum of batch losses × batch sizes so far in the epoch. */
  lossSum: number;
  /** History of completed epochs. */
  history: Record<string, number[]>;
  /** Running state of each metric in the epoch in progress (see `Metric.getState`). */
  metrics?: Record<string, number[]>;
}

/** What fit keeps while it runs (a TrainingState without the generator states it reads live). */
type FitState = Omit<TrainingState, "rng" | "metrics">;

/** Options of predict and evaluate. */
export interface BatchOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
  /**
   * Check the whole data once first (default true): inputs finite, targets
   * what the loss takes; errors name the dataset index. `false` skips the
   * pass (for data known to be clean).
   */
  checkData?: boolean;
}

/**
 * What {@link Sequential.fit} returns: per-epoch values of the loss, the
 * metrics, and their `val_` counterparts.
 * @example
 * ```ts
 * const h = await model.fit(x, y, { epochs: 3 });
 * h.history.loss; // [0.52, 0.31, 0.25]
 * ```
 */
export class History {
  /** Epoch numbers (0-based). */
  readonly epoch: number[] = [];
  /** Values per key, one per epoch. */
  readonly history: Record<string, number[]> = {};
  /** Appends one epoch's logs. */
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      const arr = this.history[k] ?? [];
      arr.push(v);
      this.history[k] = arr;
    }
  }
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

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

  private inputShape: readonly number[] | null;
  private shapes: (readonly number[])[] = []; // per-sample output shape of each layer
  private lastOutput: Tensor | null = null;
  private dOut: Tensor | null = null; // dL/doutput buffer
  private readonly ioBufs = { x: new Map<number, Tensor>(), y: new Map<number, Tensor>() };
  private paramCache: Param[] | null = null;
  private fitState: FitState | null = null;

  private readonly initialize: boolean;

  constructor(opts: SequentialOptions = {}) {
    checkKeys("Sequential", opts, SEQUENTIAL_KEYS);
    this.backend = resolveBackend(opts.backend);
    this.initialize = opts.initialize ?? true;
    this.dtype = opts.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ValueError(`Sequential: dtype must be "float32" or "float64", got ${String(this.dtype)}`);
    }
    this.rng = new Rng(opts.seed ?? 0);
    this.inputShape = opts.inputShape ? checkInputShape("Sequential", opts.inputShape) : null;
    for (const l of opts.layers ?? []) this.add(l);
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
    const f = this.fitState;
    if (f === null) {
      return {
        epoch: 0,
        batch: 0,
        rng: this.rng.getState(),
        rngEpochStart: this.rng.getState(),
        lossSum: 0,
        history: {},
      };
    }
    return {
      epoch: f.epoch,
      batch: f.batch,
      rng: this.rng.getState(),
      rngEpochStart: f.rngEpochStart,
      lossSum: f.lossSum,
      history: Object.fromEntries(Object.entries(f.history).map(([k, v]) => [k, [...v]])),
      // Mid-epoch only: at an epoch boundary (batch 0) the metrics still hold
      // the finished epoch's counts, which the next epoch must not inherit.
      ...(f.batch > 0
        ? { metrics: Object.fromEntries(this.metrics.flatMap((m) => (m.getState ? [[m.name, m.getState()]] : []))) }
        : {}),
    };
  }

  /** Appends a layer (built at once if the input shape is known). */
  add(layer: Layer): this {
    if (this.layers.includes(layer)) throw new ValueError(`Sequential: layer '${layer.name}' was already added`);
    const count = this.layers.filter((l) => l.kind === layer.kind).length;
    if (!layer.name) layer.name = `${layer.kind}_${count + 1}`;
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new ValueError(`Sequential: a layer named '${layer.name}' already exists`);
    }
    if (this.layers.length === 0 && this.inputShape === null) {
      const s = (layer as { inputShape?: readonly number[] }).inputShape;
      if (s) this.inputShape = checkInputShape(`${layer.kind} layer '${layer.name}'`, s);
    }
    this.layers.push(layer);
    this.paramCache = null;
    if (this.inputShape !== null) {
      const prev =
        this.shapes.length === 0 ? this.inputShape : (this.shapes[this.shapes.length - 1] as readonly number[]);
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
    const bad = this.firstNonFinite(layer.params());
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
    return { dtype: this.dtype, rng: this.rng, backend: this.backend, initialize: this.initialize };
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

  /** Elements of one output sample (K for a classifier). */
  private outputSize(): number {
    return this.outputShape.reduce((a, b) => a * b, 1);
  }

  /** Per-sample output shape. */
  get outputShape(): readonly number[] {
    this.requireBuilt();
    return this.shapes[this.shapes.length - 1] as readonly number[];
  }

  /** Every trainable parameter, layer by layer. */
  params(): Param[] {
    // cached: the training step asks for it every batch
    if (this.paramCache === null) this.paramCache = this.layers.flatMap((l) => l.params());
    return this.paramCache;
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
    this.backend.dispose?.();
  }

  /** Bytes the model's backend holds for it (arrays handed out and not freed), when the backend counts them. */
  memoryBytes(): number | null {
    return this.backend.usage?.().allocatedBytes ?? null;
  }

  private disposed = false;

  /** Total number of trainable scalars. */
  countParams(): number {
    return this.params().reduce((s, p) => s + p.value.size, 0);
  }

  /** Sum of the layers' penalties (L1/L2 regularizers), included in the reported loss. */
  regularizationLoss(): number {
    let s = 0;
    for (const l of this.layers) if (l.regularizationLoss) s += l.regularizationLoss();
    return s;
  }

  /** Clears every parameter gradient. */
  zeroGrad(): void {
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
    this.requireBuilt();
    const rows: [string, string, string][] = [["Layer (kind)", "Output shape", "Params"]];
    this.layers.forEach((l, i) => {
      const n = l.params().reduce((s, p) => s + p.value.size, 0);
      rows.push([`${l.name} (${l.kind})`, fmtShape(["B", ...(this.shapes[i] as number[])]), String(n)]);
    });
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
    const line = (r: [string, string, string]): string =>
      `${r[0].padEnd(w[0] as number)}  ${r[1].padEnd(w[1] as number)}  ${r[2].padStart(w[2] as number)}`;
    const rule = "─".repeat((w[0] as number) + (w[1] as number) + (w[2] as number) + 4);
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
    checkKeys("compile", opts ?? {}, ["optimizer", "loss", "metrics"]);
    if (typeof opts?.optimizer?.step !== "function") {
      throw new ValueError("compile: optimizer must be an Optimizer instance, e.g. new Adam({ lr: 1e-3 })");
    }
    this.optimizer = opts.optimizer;
    this.loss = getLoss(opts.loss);
    const link = this.loss.outputLink;
    this.metrics = (opts.metrics ?? []).map((m) => {
      if (typeof m === "object") return m;
      const metric = metricFromName(String(m), link);
      if (metric === null)
        throw new ValueError(`compile: unknown metric '${String(m)}'; known: accuracy, top<k>Accuracy`);
      return metric;
    });
  }

  /** Runs every layer forward. Returns the last layer's buffer (valid until the next forward). */
  forward(x: Tensor, mode: Mode = "eval"): Tensor {
    if (this.disposed) throw new ValueError("Sequential: the model was disposed");
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
    let g: Tensor | null = dOut;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const need = i > 0 || needInputGrad;
      g = (this.layers[i] as Layer).backward(g as Tensor, need);
    }
    return g;
  }

  private requireCompiled(where: string): [Loss, Optimizer] {
    if (this.loss === null || this.optimizer === null) {
      throw new ValueError(`${where}: call compile({ optimizer, loss }) first`);
    }
    return [this.loss, this.optimizer];
  }

  /**
   * One gradient step on one batch; returns the batch's mean loss (before the
   * step). When the loss is NaN or ±Infinity, no update is made and that value
   * is returned (fit turns it into a NonFiniteLossError).
   * @throws NonFiniteParamError if the step made a parameter NaN or ±Infinity
   * (the update overflowed although the loss was finite)
   * @example
   * ```ts
   * const loss = model.trainStep(xBatch, yBatch);
   * ```
   */
  trainStep(x: Tensor, y: Tensor): number {
    const [lossFn, optimizer] = this.requireCompiled("trainStep");
    const out = this.forward(x, "train"); //            forward
    const dOut = this.outputGradBuffer(out);
    const loss = lossFn.compute(out, y, dOut.data) + this.regularizationLoss(); // loss (and dL/dout)
    this.lastOutput = out;
    if (!Number.isFinite(loss)) {
      this.guardParams(); // the forward pass may have put ±Infinity in a running statistic (BatchNormalization's)
      return loss; //                                    never step on NaN/Infinity: keep the last good weights
    }
    this.zeroGrad(); //                                  zero grad
    this.backward(dOut); //                              backward
    optimizer.step(this.params(), this.backend); //      step
    for (const l of this.layers) l.applyConstraints?.(); // e.g. max-norm, after the step
    this.guardParams(); //                               no step may leave a NaN/Infinity behind
    return loss;
  }

  /**
   * The step guard: a finite loss does not make a finite update (a huge
   * learning rate overflows float range), so after every step each parameter
   * is checked with one branch-free pass (`allFinite`; ~1% of a W1 step on
   * wasm, docs/persistence.md). The rare failure then finds the element.
   */
  private guardParams(): void {
    const bad = this.firstNonFinite(this.params());
    if (bad) throw new NonFiniteParamError(bad.param.name, bad.index, bad.value);
  }

  /** The first parameter with a NaN or ±Infinity, and where: one branch-free pass per parameter, then a search in the rare bad one. */
  private firstNonFinite(params: readonly Param[]): { param: Param; index: number; value: number } | null {
    const rules = this.backend.rules;
    for (const param of params) {
      const a = param.value.data;
      if (rules.allFinite(a)) continue;
      const index = a.findIndex((v) => !Number.isFinite(v));
      return { param, index, value: a[index] as number };
    }
    return null;
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
    const [lossFn] = this.requireCompiled("trainOnBatch");
    const xs = toSource(x);
    this.checkInputSource(xs, "trainOnBatch");
    checkInputs("trainOnBatch", xs);
    checkTargets("trainOnBatch", lossFn, this.outputSize(), toSource(y)); // as given, before any conversion
    const yt = y instanceof Tensor ? y : Tensor.from(Array.from(y), { dtype: this.dtype });
    if ((yt.shape[0] ?? 0) !== x.shape[0]) {
      throw new ShapeError(`trainOnBatch: x has ${x.shape[0]} samples but y has ${yt.shape[0]}`);
    }
    return this.trainStep(x, yt);
  }

  private outputGradBuffer(out: Tensor): Tensor {
    if (this.dOut === null || this.dOut.size !== out.size) {
      if (this.dOut !== null) this.backend.free?.(this.dOut.data);
      this.dOut = new Tensor(this.backend.alloc(this.dtype, out.size), out.shape);
    }
    return this.dOut;
  }

  /** A reused (B, ...shape) buffer, by purpose and batch size. */
  private ioBuffer(key: "x" | "y", batch: number, shape: readonly number[]): Tensor {
    if (this.disposed) throw new ValueError("Sequential: the model was disposed");
    const byBatch = this.ioBufs[key];
    let t = byBatch.get(batch);
    const size = batch * shapeSize(shape);
    if (t === undefined || t.size !== size) {
      if (t !== undefined) this.backend.free?.(t.data);
      if (byBatch.size >= 4) {
        const oldest = byBatch.keys().next().value as number;
        this.backend.free?.((byBatch.get(oldest) as Tensor).data);
        byBatch.delete(oldest);
      }
      t = new Tensor(this.backend.alloc(this.dtype, size), [batch, ...shape]);
      byBatch.set(batch, t);
    }
    return t;
  }

  private checkInputSource(src: DataSource, where: string): void {
    const want = this.inputShapePerSample;
    const got = src.sampleShape;
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ShapeError(
        `${where}: the model expects input of shape ${fmtShape(["N", ...want])}, got ${fmtShape([src.length, ...got])}`,
      );
    }
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
    const src = toSource(x, "predict");
    this.checkInputSource(src, "predict");
    checkKeys("predict", opts, ["batchSize", "checkData"]);
    if (opts.checkData !== false) checkInputs("predict", src);
    const bs = checkBatchSize(opts.batchSize ?? 256, "predict");
    const N = src.length;
    const outShape = this.outputShape;
    const outSize = outShape.reduce((a, b) => a * b, 1);
    const result = new Tensor(allocFloat(this.dtype, N * outSize), [N, ...outShape]);
    const idx = identity(N);
    for (let s = 0; s < N; s += bs) {
      const n = Math.min(bs, N - s);
      const xb = this.ioBuffer("x", n, src.sampleShape);
      src.gather(idx, s, n, xb.data);
      const out = this.forward(xb, "eval");
      result.data.set(out.data.subarray(0, n * outSize), s * outSize);
    }
    return result;
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
    const [lossFn] = this.requireCompiled("predictProba");
    return applyOutputLink(lossFn.outputLink, this.predict(x, opts));
  }

  /**
   * Mean loss and metrics over a data set, in eval mode.
   * @example
   * ```ts
   * const { loss, accuracy } = model.evaluate(xTest, yTest);
   * ```
   */
  evaluate(x: DataLike, y: DataLike, opts: BatchOptions = {}): Logs {
    const [lossFn] = this.requireCompiled("evaluate");
    checkKeys("evaluate", opts, ["batchSize", "checkData"]);
    const xs = toSource(x, "evaluate");
    const ys = toSource(y, "evaluate");
    this.checkInputSource(xs, "evaluate");
    if (xs.length !== ys.length) {
      throw new ShapeError(`evaluate: x has ${xs.length} samples but y has ${ys.length}`);
    }
    if (opts.checkData !== false) {
      checkInputs("evaluate", xs);
      checkTargets("evaluate", lossFn, this.outputSize(), ys);
    }
    return this.evaluateRange(
      lossFn,
      xs,
      ys,
      identity(xs.length),
      0,
      xs.length,
      checkBatchSize(opts.batchSize ?? 256, "evaluate"),
    );
  }

  private evaluateRange(
    lossFn: Loss,
    xs: DataSource,
    ys: DataSource,
    idx: ArrayLike<number>,
    from: number,
    to: number,
    bs: number,
  ): Logs {
    for (const m of this.metrics) m.reset();
    let total = 0;
    for (let s = from; s < to; s += bs) {
      const n = Math.min(bs, to - s);
      const xb = this.ioBuffer("x", n, xs.sampleShape);
      const yb = this.ioBuffer("y", n, ys.sampleShape);
      xs.gather(idx, s, n, xb.data);
      ys.gather(idx, s, n, yb.data);
      const out = this.forward(xb, "eval");
      total += lossFn.compute(out, yb) * n;
      for (const m of this.metrics) m.update(out, yb);
    }
    const logs: Logs = { loss: total / Math.max(1, to - from) + this.regularizationLoss() };
    for (const m of this.metrics) logs[m.name] = m.result();
    return logs;
  }

  /**
   * Trains for a number of epochs of shuffled mini-batches.
   *
   * @throws NonFiniteLossError if the loss becomes NaN or ±Infinity (naming the epoch and batch)
   * @throws NonFiniteParamError if a step makes a parameter NaN or ±Infinity (naming it, the epoch and batch)
   * @example
   * ```ts
   * const history = await model.fit(x, y, { epochs: 10, batchSize: 128, validationSplit: 0.1 });
   * ```
   */
  async fit(x: DataLike, y: DataLike, opts: FitOptions = {}): Promise<History> {
    const [lossFn] = this.requireCompiled("fit");
    const xs = toSource(x, "fit");
    const ys = toSource(y, "fit");
    this.checkInputSource(xs, "fit");
    if (xs.length !== ys.length) throw new ShapeError(`fit: x has ${xs.length} samples but y has ${ys.length}`);
    const o = checkFitOptions(opts);
    if (opts.checkData !== false) {
      checkInputs("fit", xs);
      checkTargets("fit", lossFn, this.outputSize(), ys);
      const vd = opts.validationData;
      if (vd) {
        checkInputs("fit", toSource(vd[0], "fit"), "validationData[0]");
        checkTargets("fit", lossFn, this.outputSize(), toSource(vd[1], "fit"), "validationData[1]");
      }
    }
    const { nTrain, val } = this.validationSplit(xs, ys, opts.validationData, o.validationSplit);
    const callbacks = callbackList(opts);
    const shuffleRng = opts.seed === undefined ? this.rng : new Rng(opts.seed);
    const nBatches = Math.ceil(nTrain / o.batchSize);
    const history = new History();
    const resume = opts.resume ?? null;
    if (resume) restoreHistory(history, resume, o.epochs, nBatches);
    const run: EpochRun = {
      xs,
      ys,
      nTrain,
      nBatches,
      batchSize: o.batchSize,
      order: new Uint32Array(nTrain),
      shuffle: opts.shuffle ?? true,
      shuffleRng,
      callbacks,
      augment: o.augment,
      step: { epoch: 0, batch: 0 },
      yieldEvery: o.yieldEvery,
      lastYield: Date.now(),
      divergence: o.onDivergence === null ? null : new DivergenceWatch(o.onDivergence),
    };
    this.stopTraining = false;
    const state: FitState = {
      epoch: resume?.epoch ?? 0,
      batch: 0,
      rngEpochStart: shuffleRng.getState(),
      lossSum: 0,
      history: history.history,
    };
    this.fitState = state;
    try {
      for (const cb of callbacks) cb.setModel?.(this);
      for (const cb of callbacks) await cb.onTrainBegin?.({});
      for (let epoch = state.epoch; epoch < o.epochs && !this.stopTraining; epoch++) {
        const from = resume !== null && epoch === resume.epoch ? resume : null;
        const logs = await this.trainEpoch(run, state, epoch, from);
        if (logs === null) break; // stopped mid-epoch
        if (val !== null) {
          const v = this.evaluateRange(lossFn, val.xs, val.ys, val.idx, val.from, val.to, Math.max(o.batchSize, 256));
          for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
        }
        history.record(epoch, logs);
        // A checkpoint taken now starts the next epoch.
        state.epoch = epoch + 1;
        state.batch = 0;
        state.lossSum = 0;
        state.rngEpochStart = shuffleRng.getState();
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      }
      for (const cb of callbacks) await cb.onTrainEnd?.({});
    } finally {
      this.fitState = null;
    }
    return history;
  }

  /**
   * The training samples and the validation data: explicit data, or the last
   * `split` fraction of the samples (taken before shuffling, as Keras does).
   */
  private validationSplit(
    xs: DataSource,
    ys: DataSource,
    data: FitOptions["validationData"],
    split: number,
  ): { nTrain: number; val: ValidationRange | null } {
    let nTrain = xs.length;
    let val: ValidationRange | null = null;
    if (data) {
      const vx = toSource(data[0], "fit validationData");
      const vy = toSource(data[1], "fit validationData");
      this.checkInputSource(vx, "fit validationData");
      if (vx.length !== vy.length) {
        throw new ShapeError(`fit: validation x has ${vx.length} samples but y has ${vy.length}`);
      }
      val = { xs: vx, ys: vy, idx: identity(vx.length), from: 0, to: vx.length };
    } else if (split > 0) {
      nTrain = Math.floor(xs.length * (1 - split));
      val = { xs, ys, idx: identity(xs.length), from: nTrain, to: xs.length };
    }
    if (nTrain === 0) throw new ValueError("fit: no training samples");
    return { nTrain, val };
  }

  /**
   * One epoch: shuffle, then every batch; returns the epoch's training logs.
   * `from` is the checkpoint when this epoch resumes one. Null when
   * `stopTraining` ended the epoch before its last batch.
   */
  private async trainEpoch(
    run: EpochRun,
    state: FitState,
    epoch: number,
    from: TrainingState | null,
  ): Promise<Logs | null> {
    const rng = run.shuffleRng;
    // The epoch's order depends only on the shuffling generator's state at
    // its start, so a checkpoint can re-derive it exactly.
    if (from) rng.setState(from.rngEpochStart);
    state.epoch = epoch;
    state.rngEpochStart = rng.getState();
    for (let i = 0; i < run.nTrain; i++) run.order[i] = i;
    if (run.shuffle) rng.shuffle(run.order);
    // Dropout continues where it stopped. (With one generator for both, a
    // checkpoint at an epoch boundary holds the pre-shuffle state, which
    // the shuffle just advanced exactly as the uninterrupted run did.)
    if (from && (rng !== this.rng || from.batch > 0)) this.rng.setState(from.rng);
    for (const cb of run.callbacks) await cb.onEpochBegin?.(epoch, {});
    for (const m of this.metrics) m.reset();
    // mid-epoch: the metrics continue from their counts at the checkpoint, as the loss sum does
    if (from?.metrics) {
      for (const m of this.metrics) {
        const s = from.metrics[m.name];
        if (s && m.setState) m.setState(s);
      }
    }
    state.lossSum = from ? from.lossSum : 0;
    for (let b = from ? from.batch : 0; b < run.nBatches; b++) {
      await this.trainBatch(run, state, epoch, b);
      if (this.stopTraining && b < run.nBatches - 1) return null;
    }
    const logs: Logs = { loss: state.lossSum / run.nTrain };
    for (const m of this.metrics) logs[m.name] = m.result();
    return logs;
  }

  /** One batch: gather, augment, train step, metrics, callbacks, and a yield to the event loop now and then. */
  private async trainBatch(run: EpochRun, state: FitState, epoch: number, b: number): Promise<void> {
    const start = b * run.batchSize;
    const n = Math.min(run.batchSize, run.nTrain - start);
    const callbacks = run.callbacks;
    if (callbacks.length > 0) for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size: n });
    const xb = this.ioBuffer("x", n, run.xs.sampleShape);
    const yb = this.ioBuffer("y", n, run.ys.sampleShape);
    run.xs.gather(run.order, start, n, xb.data);
    run.ys.gather(run.order, start, n, yb.data);
    if (run.augment !== null) {
      run.step.epoch = epoch;
      run.step.batch = b;
      run.augment.transformBatch(xb, run.step);
    }
    let loss: number;
    try {
      loss = this.trainStep(xb, yb);
    } catch (e) {
      if (e instanceof NonFiniteParamError) throw new NonFiniteParamError(e.param, e.index, e.value, epoch, b);
      throw e;
    }
    // trainStep leaves the weights untouched on a non-finite loss
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(epoch, b, loss);
    run.divergence?.update(epoch, b, loss);
    state.lossSum += loss * n;
    state.batch = b + 1;
    for (const m of this.metrics) m.update(this.lastOutput as Tensor, yb);
    if (callbacks.length > 0) {
      const logs: Logs = { batch: b, size: n, loss };
      for (const cb of callbacks) await cb.onBatchEnd?.(b, logs);
    }
    if (Date.now() - run.lastYield >= run.yieldEvery) {
      await yieldToEventLoop();
      run.lastYield = Date.now();
    }
  }
}

/** Validation data as a range of a source. */
interface ValidationRange {
  xs: DataSource;
  ys: DataSource;
  idx: ArrayLike<number>;
  from: number;
  to: number;
}

/** What one fit call keeps across its epochs and batches. */
interface EpochRun {
  xs: DataSource;
  ys: DataSource;
  nTrain: number;
  nBatches: number;
  batchSize: number;
  order: Uint32Array;
  shuffle: boolean;
  shuffleRng: Rng;
  callbacks: Callback[];
  augment: BatchTransform | null;
  step: BatchStep;
  yieldEvery: number;
  lastYield: number;
  divergence: DivergenceWatch | null;
}

const FIT_KEYS = [
  "epochs",
  "batchSize",
  "shuffle",
  "validationSplit",
  "validationData",
  "seed",
  "callbacks",
  "onEpochEnd",
  "onBatchEnd",
  "yieldEvery",
  "resume",
  "augment",
  "checkData",
  "onDivergence",
];

/** fit's options checked (unknown keys refused), with their defaults. */
function checkFitOptions(opts: FitOptions): {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  yieldEvery: number;
  augment: BatchTransform | null;
  onDivergence: ((info: DivergenceInfo) => void) | null;
} {
  checkKeys("fit", opts, FIT_KEYS);
  const epochs = opts.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new ValueError(`fit: epochs must be an integer >= 0, got ${epochs}`);
  const batchSize = checkBatchSize(opts.batchSize ?? 32, "fit");
  const split = opts.validationSplit ?? 0;
  if (typeof split !== "number" || !(split >= 0 && split < 1)) {
    throw new ValueError(`fit: validationSplit must be in [0, 1), got ${String(split)}`);
  }
  const augment = opts.augment ?? null;
  if (augment !== null && typeof augment.transformBatch !== "function") {
    throw new ValueError("fit: augment must have a transformBatch(x, step) method");
  }
  const onDivergence = opts.onDivergence === undefined ? warnDivergence : opts.onDivergence;
  if (onDivergence !== null && typeof onDivergence !== "function") {
    throw new ValueError(`fit: onDivergence must be a function or null, got ${typeof onDivergence}`);
  }
  return { epochs, batchSize, validationSplit: split, yieldEvery: opts.yieldEvery ?? 25, augment, onDivergence };
}

/** The callbacks list, with the onEpochEnd/onBatchEnd shorthands as one more callback. */
function callbackList(opts: FitOptions): Callback[] {
  const callbacks: Callback[] = [];
  if (opts.callbacks) callbacks.push(...(Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks]));
  if (opts.onEpochEnd || opts.onBatchEnd) {
    const cb: Callback = {};
    if (opts.onEpochEnd) cb.onEpochEnd = opts.onEpochEnd;
    if (opts.onBatchEnd) cb.onBatchEnd = opts.onBatchEnd;
    callbacks.push(cb);
  }
  return callbacks;
}

/** Checks a checkpoint against this run and restores its history of finished epochs. */
function restoreHistory(history: History, resume: TrainingState, epochs: number, nBatches: number): void {
  if (!(resume.epoch <= epochs))
    throw new ValueError(`fit: the checkpoint is at epoch ${resume.epoch + 1}, beyond epochs = ${epochs}`);
  if (resume.batch > nBatches) {
    throw new ValueError(
      `fit: the checkpoint is at batch ${resume.batch}, but an epoch here has ${nBatches} batches (other data or batch size?)`,
    );
  }
  for (const k of Object.keys(resume.history)) history.history[k] = [...(resume.history[k] as number[])];
  for (let e = 0; e < (resume.history.loss?.length ?? 0); e++) history.epoch.push(e);
}

/** A per-sample input shape within LIMITS (the loader's bounds, so every model built can be saved and loaded). */
function checkInputShape(where: string, shape: readonly number[]): number[] {
  const { inputShape } = parseOptions(where, { inputShape: INPUT_SHAPE_SPEC }, { inputShape: shape });
  const size = (inputShape as number[]).reduce((a, b) => a * b, 1);
  if (size > LIMITS.inputSize) {
    throw new ValueError(
      `${where}: inputShape has ${size} elements per sample, more than the limit of ${LIMITS.inputSize}`,
    );
  }
  return inputShape as number[];
}

function checkBatchSize(bs: unknown, where: string): number {
  if (typeof bs !== "number" || !Number.isInteger(bs) || bs < 1) {
    throw new ValueError(`${where}: batchSize must be a positive integer, got ${String(bs)}`);
  }
  return bs;
}

function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
