/**
 * Optimizers. Each follows PyTorch's documented update rule (torch.optim) so
 * results can be checked against it; the TSDoc of each class gives the
 * formula. The rule itself is a pure function over arrays in
 * src/backend/rules.ts, run by the model's backend; the classes here hold
 * the hyperparameters, their option schema and the per-parameter state, over
 * one shared step:
 *
 *   lr ← the schedule's rate for this step (or the constant rate)
 *   clip the gradients (global norm, then value), if asked
 *   update every trainable parameter with the rule
 *
 * Per-parameter state (moment buffers) is keyed by the Param object,
 * allocated from the backend on the first step and reused after.
 *
 * Notation: θ parameter, g its gradient, η the learning rate, λ weight decay, t the step (from 1).
 */
import type { Backend } from "./backend/backend.js";
import { jsBackend } from "./backend/js.js";
import { ValueError } from "./errors.js";
import type { Param } from "./layer.js";
import { IO, powInto } from "./math.js";
import { byName, OptionError, type Parsed, parseOptions, type Schema, show } from "./options.js";
import { type LearningRateSchedule, type ScheduleConfig, scheduleFromConfig } from "./schedules.js";
import type { FloatArray } from "./tensor.js";

/** The built-in optimizer names (a closed set). */
export type OptimizerName = "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad" | "nadam";

/** Serializable description of an optimizer. */
export interface OptimizerConfig {
  /** The optimizer's name. */
  name: OptimizerName;
  /** Other options, as passed to the constructor (`lr` may be a schedule config). */
  [option: string]: unknown;
}

/**
 * An optimizer's internal state, for checkpoints: the step count, per named
 * slot (e.g. Adam's `m` and `v`) one array per parameter (null while the
 * parameter has not been stepped yet), and any scalar state.
 */
export interface OptimizerState {
  /** Steps taken. */
  step: number;
  /** Slot name → one array per parameter (same order as the params list). */
  slots: Record<string, (FloatArray | null)[]>;
  /** Other scalar state (e.g. Nadam's running product of μ). */
  scalars?: Record<string, number>;
}

/**
 * Updates parameters from their accumulated gradients.
 *
 * @example
 * ```ts
 * const opt = new SGD({ lr: 0.1, momentum: 0.9 });
 * opt.step(model.params());
 * ```
 */
export interface Optimizer {
  /** The optimizer's name. */
  readonly name: OptimizerName;
  /** The learning rate of the next step. Setting it replaces any schedule with that constant. */
  lr: number;
  /** Steps taken so far (the schedule's clock). */
  readonly iterations: number;
  /** The slots that hold sums of squares, so can never be negative (saving and loading refuse a negative one). */
  readonly nonNegativeSlots: readonly string[];
  /** The names of the scalar state beyond the step that `getState` returns (Nadam's running momentum product). */
  readonly scalarNames: readonly string[];
  /** One update of every trainable parameter from its `grad`, run by `backend` (default: the JS reference). */
  step(params: readonly Param[], backend?: Backend): void;
  /** The serializable form. */
  toConfig(): OptimizerConfig;
  /** The state for `params` (copies), to save in a checkpoint. */
  getState(params: readonly Param[]): OptimizerState;
  /**
   * Restores a state from {@link Optimizer.getState} for the same parameters;
   * the slots are allocated from `backend` (the model's, so the next step
   * finds them where its kernels run).
   */
  setState(params: readonly Param[], state: OptimizerState, backend?: Backend): void;
}

/** Options every optimizer accepts. */
export interface BaseOptions {
  /** Learning rate η: a number or a schedule (default depends on the optimizer). */
  lr?: number | LearningRateSchedule;
  /** Rescale all gradients together so their global L2 norm is at most this (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /** Clamp every gradient element to [−clipValue, clipValue] (applied after clipNorm). */
  clipValue?: number;
  /** L2 penalty λ (coupled: added to the gradient; AdamW: decoupled). Applies to params with `decay` (kernels). */
  weightDecay?: number;
}

/** A rate: a number >= 0, a schedule, or a schedule's config. */
function parseLr(v: unknown): number | LearningRateSchedule {
  if (typeof v === "number") {
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
      throw new OptionError("lr", "", `must be a finite number >= 0 or a schedule, got ${show(v)}`);
    }
    return v;
  }
  if (typeof v === "object" && v !== null) {
    if (typeof (v as LearningRateSchedule).rateAt === "function") return v as LearningRateSchedule;
    return scheduleFromConfig(v as ScheduleConfig);
  }
  throw new OptionError("lr", "", `must be a finite number >= 0 or a schedule, got ${show(v)}`);
}

const FRACTION = (dflt: number) => ({ type: "number", min: 0, lt: 1, default: dflt }) as const;
const POSITIVE = (dflt: number) => ({ type: "number", gt: 0, default: dflt }) as const;
const NON_NEGATIVE = (dflt: number) => ({ type: "number", min: 0, default: dflt }) as const;

/** The options every optimizer has, with its own default rate and weight decay. */
function baseSchema(lr: number, weightDecay = 0) {
  return {
    lr: { type: "custom", parse: parseLr, default: lr },
    clipNorm: { type: "number", gt: 0 },
    clipValue: { type: "number", gt: 0 },
    weightDecay: NON_NEGATIVE(weightDecay),
  } as const satisfies Schema;
}

function checkLr(where: string, lr: unknown, step: number, schedule: LearningRateSchedule | null): number {
  // checked every step (a schedule may produce anything): no closure allocation here
  if (typeof lr !== "number" || !(lr >= 0) || lr === Number.POSITIVE_INFINITY) {
    const src = schedule ? `schedule '${schedule.name}' gave lr ${String(lr)} at step ${step}` : `got ${String(lr)}`;
    throw new ValueError(`${where}: lr must be a finite number >= 0; ${src}`);
  }
  return lr;
}

abstract class BaseOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  /** Slots that are sums of squares (none unless a subclass says so). */
  readonly nonNegativeSlots: readonly string[] = [];
  /** Scalar state beyond the step (none unless a subclass says so). */
  readonly scalarNames: readonly string[] = [];
  /** Steps taken so far. */
  iterations = 0;
  /** The schedule, if the rate is not constant. */
  schedule: LearningRateSchedule | null = null;
  /** Global-norm clipping threshold, or null. */
  readonly clipNorm: number | null;
  /** Value clipping threshold, or null. */
  readonly clipValue: number | null;
  /** L2 penalty λ. */
  readonly weightDecay: number;
  private constantLr: number;
  /** Per-slot state arrays, keyed by parameter. */
  protected readonly slots: Record<string, Map<Param, FloatArray>>;
  /** The class's name for error messages (not constructor.name, which bundlers may rename). */
  private readonly where: string;

  protected constructor(where: string, o: Parsed<ReturnType<typeof baseSchema>>, slotNames: string[]) {
    this.where = where;
    if (typeof o.lr === "number") {
      this.constantLr = o.lr;
    } else {
      this.schedule = o.lr;
      this.constantLr = 0;
    }
    this.clipNorm = o.clipNorm ?? null;
    this.clipValue = o.clipValue ?? null;
    this.weightDecay = o.weightDecay;
    this.slots = Object.fromEntries(slotNames.map((s) => [s, new Map<Param, FloatArray>()]));
  }

  get lr(): number {
    return this.schedule ? this.schedule.rateAt(this.iterations) : this.constantLr;
  }

  set lr(v: number) {
    this.constantLr = checkLr(this.where, v, this.iterations, null);
    this.schedule = null;
  }

  step(params: readonly Param[], backend: Backend = jsBackend): void {
    const lr = checkLr(this.where, this.lr, this.iterations, this.schedule);
    if (this.clipNorm !== null) clipByGlobalNorm(params, this.clipNorm, backend);
    if (this.clipValue !== null) clipByValue(params, this.clipValue, backend);
    this.iterations++;
    this.backend = backend;
    for (const p of params) if (p.trainable !== false) this.update(p, lr, p.decay ? this.weightDecay : 0);
  }

  /** The backend of the step in progress: it runs the rule, and slots are allocated from it. */
  protected backend: Backend = jsBackend;

  /** One update of one parameter: fetches its slots and calls the rule. */
  protected abstract update(p: Param, lr: number, wd: number): void;

  /** The state array of `slot` for `p`, zero-filled on first use. */
  protected slot(name: string, p: Param): FloatArray {
    const map = this.slots[name] as Map<Param, FloatArray>;
    let a = map.get(p);
    if (a === undefined) {
      a = this.backend.alloc(p.value.dtype, p.value.size);
      map.set(p, a);
    }
    return a;
  }

  /** Whether `p` has been stepped (its slot exists). */
  protected has(name: string, p: Param): boolean {
    return (this.slots[name] as Map<Param, FloatArray>).has(p);
  }

  protected scalars(): Record<string, number> {
    return {};
  }

  protected setScalars(_s: Record<string, number>): void {}

  getState(params: readonly Param[]): OptimizerState {
    const slots: OptimizerState["slots"] = {};
    for (const [name, map] of Object.entries(this.slots)) {
      slots[name] = params.map((p) => map.get(p)?.slice() ?? null);
    }
    return { step: this.iterations, slots, scalars: this.scalars() };
  }

  setState(params: readonly Param[], state: OptimizerState, backend?: Backend): void {
    if (backend !== undefined) this.backend = backend;
    const where = `${this.where}.setState`;
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new ValueError(`${where}: step must be an integer >= 0, got ${String(state.step)}`);
    for (const [name, map] of Object.entries(this.slots)) {
      const arrays = state.slots[name];
      if (!Array.isArray(arrays) || arrays.length !== params.length) {
        throw new ValueError(`${where}: slot '${name}' needs one entry per parameter (${params.length})`);
      }
      map.clear();
      params.forEach((p, i) => {
        const a = arrays[i];
        if (a === null || a === undefined) return;
        if (a.length !== p.value.size)
          throw new ValueError(
            `${where}: slot '${name}' of '${p.name}' has ${a.length} values, expected ${p.value.size}`,
          );
        const copy = this.backend.alloc(p.value.dtype, a.length);
        copy.set(a);
        map.set(p, copy);
      });
    }
    this.iterations = state.step;
    this.setScalars(state.scalars ?? {});
  }

  protected baseConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      lr: this.schedule ? this.schedule.toConfig() : this.constantLr,
      weightDecay: this.weightDecay,
    };
    if (this.clipNorm !== null) c.clipNorm = this.clipNorm;
    if (this.clipValue !== null) c.clipValue = this.clipValue;
    return c;
  }

  abstract toConfig(): OptimizerConfig;
}

/**
 * Scales every trainable gradient by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the
 * L2 norm of all of them together (as torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping.
 * @example
 * ```ts
 * clipByGlobalNorm(model.params(), 1.0);
 * ```
 */
export function clipByGlobalNorm(params: readonly Param[], maxNorm: number, backend: Backend = jsBackend): number {
  let ss = 0;
  for (const p of params) if (p.trainable !== false) ss = backend.rules.sumSquares(p.grad.data, ss);
  const norm = Math.sqrt(ss);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const p of params) if (p.trainable !== false) backend.rules.scaleInPlace(p.grad.data, coef);
  return norm;
}

/**
 * Clamps every trainable gradient element to [−v, v].
 * @example
 * ```ts
 * clipByValue(model.params(), 0.5);
 * ```
 */
export function clipByValue(params: readonly Param[], v: number, backend: Backend = jsBackend): void {
  for (const p of params) if (p.trainable !== false) backend.rules.clampInPlace(p.grad.data, v);
}

/** Options of {@link SGD}. */
export interface SGDOptions extends BaseOptions {
  /** Momentum μ in [0, 1) (default 0). */
  momentum?: number;
  /** Dampening τ in [0, 1] (default 0). */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD` (default lr 0.01):
 * ```
 * g ← g + λθ
 * b ← g                      (first step)
 * b ← μb + (1 − τ)g          (later steps)
 * g ← g + μb  (nesterov)  or  g ← b
 * θ ← θ − ηg
 * ```
 * @example
 * ```ts
 * new SGD({ lr: 0.05, momentum: 0.9, nesterov: true });
 * ```
 */
export class SGD extends BaseOptimizer {
  /** The optimizer's name in configs and saved files. */
  readonly name = "sgd" as const;
  /** Momentum μ. */
  readonly momentum: number;
  /** Dampening τ. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;

  /** Options: their types, ranges and defaults. */
  static readonly options = {
    ...baseSchema(0.01),
    momentum: FRACTION(0),
    dampening: { type: "number", min: 0, max: 1, default: 0 },
    nesterov: { type: "boolean", default: false },
  } as const satisfies Schema;

  constructor(opts: SGDOptions = {}) {
    const o = parseOptions("SGD", SGD.options, opts);
    super("SGD", o, ["momentum"]);
    this.momentum = o.momentum;
    this.dampening = o.dampening;
    this.nesterov = o.nesterov;
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      throw new OptionError("SGD", "nesterov", "needs momentum > 0 and dampening 0");
    }
  }

  protected update(p: Param, lr: number, wd: number): void {
    const mu = this.momentum;
    const first = mu !== 0 && !this.has("momentum", p);
    const b = mu === 0 ? null : this.slot("momentum", p);
    this.backend.rules.sgdRule(p.value.data, p.grad.data, b, lr, wd, mu, this.dampening, this.nesterov, first);
  }

  /** The serializable form: the name and every hyperparameter (what a saved file stores). */
  toConfig(): OptimizerConfig {
    return {
      name: this.name,
      ...this.baseConfig(),
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
    };
  }
}

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions extends BaseOptions {
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε > 0 added to the denominator (default 1e-8). */
  epsilon?: number;
}

/** Adam's moment options, shared by Adam, AdamW and Nadam. */
const MOMENTS = { beta1: FRACTION(0.9), beta2: FRACTION(0.999), epsilon: POSITIVE(1e-8) } as const;

/**
 * Adam (Kingma & Ba 2015), as `torch.optim.Adam` (default lr 1e-3):
 * ```
 * g ← g + λθ
 * m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
 * m̂ ← m / (1 − β₁ᵗ)            v̂ ← v / (1 − β₂ᵗ)
 * θ ← θ − η·m̂ / (√v̂ + ε)
 * ```
 * (The bias corrections divide; convnetjs multiplied by them, a bug no test caught.)
 * @example
 * ```ts
 * new Adam({ lr: 1e-3 });
 * ```
 */
export class Adam extends BaseOptimizer {
  /** v: a sum of squares. */
  override readonly nonNegativeSlots: readonly string[] = ["v"];
  /** The optimizer's name in configs and saved files. */
  readonly name: "adam" | "adamw" = "adam";
  /** Decay of the first-moment average m (β₁). */
  readonly beta1: number;
  /** Decay of the second-moment average v (β₂). */
  readonly beta2: number;
  /** Added to the denominator's square root, so a zero second moment does not divide by zero (ε). */
  readonly epsilon: number;
  /** Whether weight decay is decoupled (AdamW). */
  protected readonly decoupled: boolean = false;

  /** Options: their types, ranges and defaults. */
  static readonly options = { ...baseSchema(1e-3), ...MOMENTS } as const satisfies Schema;

  constructor(opts: AdamOptions = {}, where = "Adam", schema: typeof Adam.options = Adam.options) {
    const o = parseOptions(where, schema, opts);
    super(where, o, ["m", "v"]);
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.epsilon = o.epsilon;
  }

  protected update(p: Param, lr: number, wd: number): void {
    const t = this.iterations;
    // β^t through math.ts's slots (the same bits everywhere, no allocation: see IO there)
    IO[0] = this.beta1;
    IO[1] = t;
    powInto();
    const bc1 = 1 - (IO[0] as number);
    IO[0] = this.beta2;
    IO[1] = t;
    powInto();
    const bc2 = 1 - (IO[0] as number);
    const m = this.slot("m", p);
    const v = this.slot("v", p);
    this.backend.rules.adamRule(
      p.value.data,
      p.grad.data,
      m,
      v,
      lr,
      wd,
      this.decoupled,
      this.beta1,
      this.beta2,
      this.epsilon,
      bc1,
      bc2,
    );
  }

  /** The serializable form: the name and every hyperparameter (what a saved file stores). */
  toConfig(): OptimizerConfig {
    return { name: this.name, ...this.baseConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019), as `torch.optim.AdamW`: Adam with
 * decoupled weight decay (default lr 1e-3, weightDecay 0.01):
 * ```
 * θ ← θ − ηλθ
 * then Adam's update with the raw gradient g
 * ```
 * @example
 * ```ts
 * new AdamW({ lr: 1e-3, weightDecay: 0.05 });
 * ```
 */
export class AdamW extends Adam {
  /** The optimizer's name in configs and saved files. */
  override readonly name = "adamw" as const;
  protected override readonly decoupled = true;
  /** Options: Adam's, with weight decay 0.01 by default. */
  static override readonly options = { ...baseSchema(1e-3, 0.01), ...MOMENTS } as const satisfies Schema;
  constructor(opts: AdamOptions = {}) {
    super(opts, "AdamW", AdamW.options);
  }
}

/** Options of {@link RMSprop}. */
export interface RMSpropOptions extends BaseOptions {
  /** Smoothing constant α (default 0.99). */
  alpha?: number;
  /** ε (default 1e-8). */
  epsilon?: number;
  /** Momentum μ in [0, 1) (default 0). */
  momentum?: number;
  /** Normalize by the centered second moment (an estimate of the variance). */
  centered?: boolean;
}

/**
 * RMSprop (Hinton 2012), as `torch.optim.RMSprop` (default lr 0.01):
 * ```
 * g ← g + λθ
 * v ← αv + (1 − α)g²
 * centered: ḡ ← αḡ + (1 − α)g;  ṽ ← v − ḡ²   (else ṽ ← v)
 * momentum: b ← μb + g / (√ṽ + ε);  θ ← θ − ηb
 * else:     θ ← θ − η·g / (√ṽ + ε)
 * ```
 * @example
 * ```ts
 * new RMSprop({ lr: 1e-3, momentum: 0.9, centered: true });
 * ```
 */
export class RMSprop extends BaseOptimizer {
  /** v: a sum of squares. */
  override readonly nonNegativeSlots: readonly string[] = ["v"];
  /** The optimizer's name in configs and saved files. */
  readonly name = "rmsprop" as const;
  /** Decay of the squared-gradient average v (α). */
  readonly alpha: number;
  /** Added to the denominator's square root, so a zero second moment does not divide by zero (ε). */
  readonly epsilon: number;
  /** Momentum on the normalized step (μ; 0 for none). */
  readonly momentum: number;
  /** Whether centered. */
  readonly centered: boolean;
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    ...baseSchema(0.01),
    alpha: FRACTION(0.99),
    epsilon: POSITIVE(1e-8),
    momentum: FRACTION(0),
    centered: { type: "boolean", default: false },
  } as const satisfies Schema;
  constructor(opts: RMSpropOptions = {}) {
    const o = parseOptions("RMSprop", RMSprop.options, opts);
    super("RMSprop", o, ["v", "gAvg", "momentum"]);
    this.alpha = o.alpha;
    this.epsilon = o.epsilon;
    this.momentum = o.momentum;
    this.centered = o.centered;
  }
  protected update(p: Param, lr: number, wd: number): void {
    const v = this.slot("v", p);
    const ga = this.centered ? this.slot("gAvg", p) : null;
    const b = this.momentum > 0 ? this.slot("momentum", p) : null;
    this.backend.rules.rmspropRule(
      p.value.data,
      p.grad.data,
      v,
      ga,
      b,
      lr,
      wd,
      this.alpha,
      this.epsilon,
      this.momentum,
    );
  }
  /** The serializable form: the name and every hyperparameter (what a saved file stores). */
  toConfig(): OptimizerConfig {
    return {
      name: this.name,
      ...this.baseConfig(),
      alpha: this.alpha,
      epsilon: this.epsilon,
      momentum: this.momentum,
      centered: this.centered,
    };
  }
}

/** Options of {@link Adagrad}. */
export interface AdagradOptions extends BaseOptions {
  /** Decay of the rate with the step (default 0). */
  lrDecay?: number;
  /** ε (default 1e-10). */
  epsilon?: number;
  /** Starting value of the sum of squares (default 0). */
  initialAccumulatorValue?: number;
}

/**
 * Adagrad (Duchi et al. 2011), as `torch.optim.Adagrad` (default lr 0.01):
 * ```
 * η̃ ← η / (1 + (t − 1)·lrDecay)
 * g ← g + λθ
 * s ← s + g²
 * θ ← θ − η̃·g / (√s + ε)
 * ```
 * @example
 * ```ts
 * new Adagrad({ lr: 0.05 });
 * ```
 */
export class Adagrad extends BaseOptimizer {
  /** sum: a sum of squares. */
  override readonly nonNegativeSlots: readonly string[] = ["sum"];
  /** The optimizer's name in configs and saved files. */
  readonly name = "adagrad" as const;
  /** The rate at step t is η/(1 + (t − 1)·lrDecay). */
  readonly lrDecay: number;
  /** Added to the denominator's square root, so a zero second moment does not divide by zero (ε). */
  readonly epsilon: number;
  /** Initial accumulator value. */
  readonly initialAccumulatorValue: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    ...baseSchema(0.01),
    lrDecay: NON_NEGATIVE(0),
    epsilon: POSITIVE(1e-10),
    initialAccumulatorValue: NON_NEGATIVE(0),
  } as const satisfies Schema;
  constructor(opts: AdagradOptions = {}) {
    const o = parseOptions("Adagrad", Adagrad.options, opts);
    super("Adagrad", o, ["sum"]);
    this.lrDecay = o.lrDecay;
    this.epsilon = o.epsilon;
    this.initialAccumulatorValue = o.initialAccumulatorValue;
  }
  protected update(p: Param, lr: number, wd: number): void {
    const fresh = !this.has("sum", p);
    const s = this.slot("sum", p);
    if (fresh) s.fill(this.initialAccumulatorValue);
    const clr = lr / (1 + (this.iterations - 1) * this.lrDecay); // η̃, the decayed rate of this step
    this.backend.rules.adagradRule(p.value.data, p.grad.data, s, clr, wd, this.epsilon);
  }
  /** The serializable form: the name and every hyperparameter (what a saved file stores). */
  toConfig(): OptimizerConfig {
    return {
      name: this.name,
      ...this.baseConfig(),
      lrDecay: this.lrDecay,
      epsilon: this.epsilon,
      initialAccumulatorValue: this.initialAccumulatorValue,
    };
  }
}

/** Options of {@link Nadam}. */
export interface NadamOptions extends AdamOptions {
  /** ψ, the momentum schedule's decay (default 0.004). */
  momentumDecay?: number;
}

/**
 * Nadam (Dozat 2016), as `torch.optim.NAdam` (default lr 2e-3):
 * ```
 * g ← g + λθ
 * μₜ ← β₁(1 − ½·0.96^(tψ))      μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ))
 * m ← β₁m + (1 − β₁)g            v ← β₂v + (1 − β₂)g²      v̂ ← v / (1 − β₂ᵗ)
 * θ ← θ − η(1 − μₜ)/(1 − Πᵢ₌₁ᵗ μᵢ) · g/(√v̂ + ε) − η·μₜ₊₁/(1 − Πᵢ₌₁ᵗ⁺¹ μᵢ) · m/(√v̂ + ε)
 * ```
 * @example
 * ```ts
 * new Nadam({ lr: 2e-3 });
 * ```
 */
export class Nadam extends BaseOptimizer {
  /** v: a sum of squares. */
  override readonly nonNegativeSlots: readonly string[] = ["v"];
  /** The running product of the momentum coefficients, and the step it was last advanced for. */
  override readonly scalarNames: readonly string[] = ["muProduct", "muProductStep"];
  /** The optimizer's name in configs and saved files. */
  readonly name = "nadam" as const;
  /** Decay of the first-moment average m (β₁). */
  readonly beta1: number;
  /** Decay of the second-moment average v (β₂). */
  readonly beta2: number;
  /** Added to the denominator's square root, so a zero second moment does not divide by zero (ε). */
  readonly epsilon: number;
  /** How fast the momentum schedule μₜ approaches β₁ (ψ). */
  readonly momentumDecay: number;
  private muProduct = 1;
  private muProductStep = 0; // the step muProduct was last advanced for
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    ...baseSchema(2e-3),
    ...MOMENTS,
    momentumDecay: NON_NEGATIVE(0.004),
  } as const satisfies Schema;
  constructor(opts: NadamOptions = {}) {
    const o = parseOptions("Nadam", Nadam.options, opts);
    super("Nadam", o, ["m", "v"]);
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.epsilon = o.epsilon;
    this.momentumDecay = o.momentumDecay;
  }
  protected update(p: Param, lr: number, wd: number): void {
    const t = this.iterations;
    const b1 = this.beta1;
    const b2 = this.beta2;
    // 0.96^… and β₂^t through math.ts's slots (the same bits everywhere, no allocation: see IO there)
    IO[0] = 0.96;
    IO[1] = t * this.momentumDecay;
    powInto();
    const mu = b1 * (1 - 0.5 * (IO[0] as number));
    IO[0] = 0.96;
    IO[1] = (t + 1) * this.momentumDecay;
    powInto();
    const muNext = b1 * (1 - 0.5 * (IO[0] as number));
    if (this.muProductStep !== t) {
      // one shared product for all parameters, advanced once per step
      this.muProduct *= mu;
      this.muProductStep = t;
    }
    const prod = this.muProduct;
    const prodNext = prod * muNext;
    IO[0] = b2;
    IO[1] = t;
    powInto();
    const bc2 = 1 - (IO[0] as number);
    const m = this.slot("m", p);
    const v = this.slot("v", p);
    const cg = (lr * (1 - mu)) / (1 - prod);
    const cm = (lr * muNext) / (1 - prodNext);
    this.backend.rules.nadamRule(p.value.data, p.grad.data, m, v, wd, b1, b2, this.epsilon, cg, cm, bc2);
  }
  protected override scalars(): Record<string, number> {
    return { muProduct: this.muProduct, muProductStep: this.muProductStep };
  }
  protected override setScalars(s: Record<string, number>): void {
    this.muProduct = s.muProduct ?? 1;
    this.muProductStep = s.muProductStep ?? 0;
  }
  /** The serializable form: the name and every hyperparameter (what a saved file stores). */
  toConfig(): OptimizerConfig {
    return {
      name: this.name,
      ...this.baseConfig(),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      momentumDecay: this.momentumDecay,
    };
  }
}

const FACTORIES: Record<OptimizerName, (o: Record<string, unknown>) => Optimizer> = {
  sgd: (o) => new SGD(o as SGDOptions),
  adam: (o) => new Adam(o as AdamOptions),
  adamw: (o) => new AdamW(o as AdamOptions),
  rmsprop: (o) => new RMSprop(o as RMSpropOptions),
  adagrad: (o) => new Adagrad(o as AdagradOptions),
  nadam: (o) => new Nadam(o as NadamOptions),
};

/** Every built-in optimizer name. */
export const OPTIMIZER_NAMES = /* @__PURE__ */ Object.keys(FACTORIES) as OptimizerName[];

/**
 * Builds an optimizer from its config (the closed set of OPTIMIZER_NAMES);
 * `lr` may be a schedule config. The constructor checks every option.
 * @throws OptionError for an unknown name or a bad option
 * @example
 * ```ts
 * const opt = optimizerFromConfig({ name: "adam", lr: 1e-3 });
 * ```
 */
export function optimizerFromConfig(cfg: OptimizerConfig): Optimizer {
  return byName("optimizer", FACTORIES, cfg);
}
