/**
 * Learning-rate schedules: objects an optimizer consults before every step,
 * `lr(step)` with `step` = updates already made (0 for the first). Each
 * follows the formula of the PyTorch scheduler or Keras schedule it is named
 * after (see each class). A schedule that yields a negative or non-finite
 * rate makes the step throw, naming the schedule and the step.
 */

import { cos, pow } from "./math.js";
import { byName, type Parsed, parseOptions } from "./options.js";

/** The built-in schedule names (a closed set). */
export type ScheduleName = "constant" | "stepDecay" | "exponentialDecay" | "cosineDecay" | "oneCycle";

/** A schedule's serializable description: its name and constructor options. */
export interface ScheduleConfig {
  /** Which schedule. */
  name: ScheduleName;
  /** Constructor options. */
  [option: string]: unknown;
}

/**
 * A learning rate as a function of the step.
 * @example
 * ```ts
 * const opt = new SGD({ lr: new CosineDecay({ lr: 0.1, decaySteps: 10_000, warmupSteps: 500 }), momentum: 0.9 });
 * ```
 */
export interface LearningRateSchedule {
  /** Its name. */
  readonly name: ScheduleName;
  /** The rate for the update after `step` updates. */
  rateAt(step: number): number;
  /** The serializable form. */
  toConfig(): ScheduleConfig;
}

const RATE = { type: "number", min: 0, required: true } as const;
const STEPS = { type: "number", integer: true, min: 1, required: true } as const;

/**
 * The same rate at every step.
 * @example
 * ```ts
 * new ConstantSchedule({ lr: 0.01 }).rateAt(1000); // 0.01
 * ```
 */
export class ConstantSchedule implements LearningRateSchedule {
  readonly name = "constant" as const;
  /** The rate. */
  readonly rate: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = { lr: RATE } as const;
  constructor(opts: Parsed<typeof ConstantSchedule.options>) {
    this.rate = parseOptions("ConstantSchedule", ConstantSchedule.options, opts).lr;
  }
  rateAt(): number {
    return this.rate;
  }
  toConfig(): ScheduleConfig {
    return { name: this.name, lr: this.rate };
  }
}

/**
 * Step decay, as `torch.optim.lr_scheduler.StepLR`: lr · gamma^⌊step / stepSize⌋.
 * @example
 * ```ts
 * const s = new StepDecay({ lr: 0.1, stepSize: 1000, gamma: 0.5 });
 * s.rateAt(2500); // 0.025
 * ```
 */
export class StepDecay implements LearningRateSchedule {
  readonly name = "stepDecay" as const;
  /** Initial rate. */
  readonly initial: number;
  /** Steps between decays. */
  readonly stepSize: number;
  /** Factor per decay. */
  readonly gamma: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = { lr: RATE, stepSize: STEPS, gamma: { type: "number", min: 0, default: 0.1 } } as const;
  constructor(opts: { lr: number; stepSize: number; gamma?: number }) {
    const o = parseOptions("StepDecay", StepDecay.options, opts);
    this.initial = o.lr;
    this.stepSize = o.stepSize;
    this.gamma = o.gamma;
  }
  rateAt(step: number): number {
    if (this.initial === 0) return 0; // 0 · γᵏ, also where γᵏ overflows to Infinity (0 · ∞ would be NaN)
    return this.initial * pow(this.gamma, Math.floor(step / this.stepSize));
  }
  toConfig(): ScheduleConfig {
    return { name: this.name, lr: this.initial, stepSize: this.stepSize, gamma: this.gamma };
  }
}

/**
 * Exponential decay, as Keras's `ExponentialDecay`:
 * lr · decayRate^(step / decaySteps), with the exponent floored when `staircase`.
 * @example
 * ```ts
 * new ExponentialDecay({ lr: 0.1, decayRate: 0.5, decaySteps: 100 }).rateAt(50); // 0.1·0.5^0.5
 * ```
 */
export class ExponentialDecay implements LearningRateSchedule {
  readonly name = "exponentialDecay" as const;
  /** Initial rate. */
  readonly initial: number;
  /** Factor per `decaySteps`. */
  readonly decayRate: number;
  /** Steps per factor. */
  readonly decaySteps: number;
  /** Decay in whole steps of decaySteps. */
  readonly staircase: boolean;
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    lr: RATE,
    decayRate: { type: "number", gt: 0, required: true },
    decaySteps: { ...STEPS, required: false, default: 1 },
    staircase: { type: "boolean", default: false },
  } as const;
  constructor(opts: { lr: number; decayRate: number; decaySteps?: number; staircase?: boolean }) {
    const o = parseOptions("ExponentialDecay", ExponentialDecay.options, opts);
    this.initial = o.lr;
    this.decayRate = o.decayRate;
    this.decaySteps = o.decaySteps;
    this.staircase = o.staircase;
  }
  rateAt(step: number): number {
    if (this.initial === 0) return 0; // as in StepDecay: never 0 · ∞
    const p = step / this.decaySteps;
    return this.initial * pow(this.decayRate, this.staircase ? Math.floor(p) : p);
  }
  toConfig(): ScheduleConfig {
    return {
      name: this.name,
      lr: this.initial,
      decayRate: this.decayRate,
      decaySteps: this.decaySteps,
      staircase: this.staircase,
    };
  }
}

/**
 * Cosine decay with an optional linear warm-up (Loshchilov & Hutter 2017;
 * Keras's `CosineDecay`): during the first `warmupSteps` steps the rate rises
 * linearly, lr·(step + 1)/warmupSteps; then, with s = step − warmupSteps,
 * lr · ((1 − alpha)·½(1 + cos(π·min(s, decaySteps)/decaySteps)) + alpha).
 * @example
 * ```ts
 * const s = new CosineDecay({ lr: 0.1, decaySteps: 1000, warmupSteps: 100 });
 * s.rateAt(99); // 0.1 (end of warm-up)
 * s.rateAt(600); // 0.05 (half-way down)
 * ```
 */
export class CosineDecay implements LearningRateSchedule {
  readonly name = "cosineDecay" as const;
  /** Peak rate (after warm-up). */
  readonly peak: number;
  /** Steps of the cosine part. */
  readonly decaySteps: number;
  /** Final rate as a fraction of the peak. */
  readonly alpha: number;
  /** Steps of linear warm-up. */
  readonly warmupSteps: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    lr: RATE,
    decaySteps: STEPS,
    alpha: { type: "number", min: 0, max: 1, default: 0 },
    warmupSteps: { type: "number", integer: true, min: 0, default: 0 },
  } as const;
  constructor(opts: { lr: number; decaySteps: number; alpha?: number; warmupSteps?: number }) {
    const o = parseOptions("CosineDecay", CosineDecay.options, opts);
    this.peak = o.lr;
    this.decaySteps = o.decaySteps;
    this.alpha = o.alpha;
    this.warmupSteps = o.warmupSteps;
  }
  rateAt(step: number): number {
    if (step < this.warmupSteps) return (this.peak * (step + 1)) / this.warmupSteps;
    const s = Math.min(step - this.warmupSteps, this.decaySteps);
    const decay = 0.5 * (1 + cos((Math.PI * s) / this.decaySteps));
    return this.peak * ((1 - this.alpha) * decay + this.alpha);
  }
  toConfig(): ScheduleConfig {
    return {
      name: this.name,
      lr: this.peak,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupSteps: this.warmupSteps,
    };
  }
}

/**
 * The one-cycle policy (Smith & Topin 2018), as `torch.optim.lr_scheduler.OneCycleLR`
 * with cosine annealing: from maxLr/divFactor up to maxLr over the first
 * pctStart of totalSteps, then down to maxLr/(divFactor·finalDivFactor).
 * @example
 * ```ts
 * const s = new OneCycle({ maxLr: 0.1, totalSteps: 1000 });
 * s.rateAt(0); // 0.004;  s.rateAt(299): 0.1;  s.rateAt(999): 4e-7
 * ```
 */
export class OneCycle implements LearningRateSchedule {
  readonly name = "oneCycle" as const;
  /** Peak rate. */
  readonly maxLr: number;
  /** Length of the cycle in steps. */
  readonly totalSteps: number;
  /** Fraction of the cycle spent rising. */
  readonly pctStart: number;
  /** maxLr / initial rate. */
  readonly divFactor: number;
  /** initial rate / final rate. */
  readonly finalDivFactor: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = {
    maxLr: RATE,
    totalSteps: { type: "number", integer: true, min: 2, required: true },
    pctStart: { type: "number", gt: 0, lt: 1, default: 0.3 },
    divFactor: { type: "number", gt: 0, default: 25 },
    finalDivFactor: { type: "number", gt: 0, default: 1e4 },
  } as const;
  constructor(opts: {
    maxLr: number;
    totalSteps: number;
    pctStart?: number;
    divFactor?: number;
    finalDivFactor?: number;
  }) {
    const o = parseOptions("OneCycle", OneCycle.options, opts);
    this.maxLr = o.maxLr;
    this.totalSteps = o.totalSteps;
    this.pctStart = o.pctStart;
    this.divFactor = o.divFactor;
    this.finalDivFactor = o.finalDivFactor;
  }
  rateAt(step: number): number {
    const initial = this.maxLr / this.divFactor;
    const final = initial / this.finalDivFactor;
    const upEnd = this.pctStart * this.totalSteps - 1;
    // PyTorch's _annealing_cos: end + (start − end)/2 · (1 + cos(π·pct))
    const anneal = (start: number, end: number, pct: number): number =>
      end + ((start - end) / 2) * (1 + cos(Math.PI * pct));
    if (step <= upEnd) return anneal(initial, this.maxLr, upEnd <= 0 ? 1 : step / upEnd);
    const downLen = this.totalSteps - 1 - upEnd;
    return anneal(this.maxLr, final, Math.min(1, (step - upEnd) / downLen));
  }
  toConfig(): ScheduleConfig {
    return {
      name: this.name,
      maxLr: this.maxLr,
      totalSteps: this.totalSteps,
      pctStart: this.pctStart,
      divFactor: this.divFactor,
      finalDivFactor: this.finalDivFactor,
    };
  }
}

const FACTORIES: Record<ScheduleName, (o: Record<string, unknown>) => LearningRateSchedule> = {
  constant: (o) => new ConstantSchedule(o as Parsed<typeof ConstantSchedule.options>),
  stepDecay: (o) => new StepDecay(o as ConstructorParameters<typeof StepDecay>[0]),
  exponentialDecay: (o) => new ExponentialDecay(o as ConstructorParameters<typeof ExponentialDecay>[0]),
  cosineDecay: (o) => new CosineDecay(o as ConstructorParameters<typeof CosineDecay>[0]),
  oneCycle: (o) => new OneCycle(o as ConstructorParameters<typeof OneCycle>[0]),
};

/** Every built-in schedule name. */
export const SCHEDULE_NAMES = /* @__PURE__ */ Object.keys(FACTORIES) as ScheduleName[];

/**
 * Builds a schedule from its config (its constructor checks the options).
 * @throws OptionError for an unknown name or a bad option
 * @example
 * ```ts
 * scheduleFromConfig({ name: "stepDecay", lr: 0.1, stepSize: 100 });
 * ```
 */
export function scheduleFromConfig(c: ScheduleConfig): LearningRateSchedule {
  return byName("schedule", FACTORIES, c);
}
