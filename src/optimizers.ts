/**
 * Optimizers. Each follows PyTorch's documented update rule (torch.optim) so
 * results can be checked against it. An optimizer keeps per-parameter state
 * (moment buffers) keyed by the Param object, allocated on the first step and
 * reused after.
 *
 * Notation: θ parameter, g its gradient, η the learning rate, λ weight decay.
 */
import { checkNumber, ValueError } from "./errors.js";
import type { Param } from "./layer.js";
import { allocFloat, type FloatArray } from "./tensor.js";

/** Serializable description of an optimizer. */
export interface OptimizerConfig {
  /** The optimizer's name. */
  name: "sgd" | "adam";
  /** Other options, as passed to the constructor. */
  [option: string]: unknown;
}

/**
 * An optimizer's internal state, for checkpoints: a step count and, per named
 * slot (e.g. Adam's `m` and `v`), one array per parameter (null while the
 * parameter has not been stepped yet).
 */
export interface OptimizerState {
  /** Steps taken. */
  step: number;
  /** Slot name → one array per parameter (same order as the params list). */
  slots: Record<string, (FloatArray | null)[]>;
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
  readonly name: string;
  /** The learning rate used by the next step (schedules may change it). */
  lr: number;
  /** One update of every parameter from its `grad`. */
  step(params: readonly Param[]): void;
  /** The serializable form. */
  toJSON(): OptimizerConfig;
  /** The state for `params` (copies), to save in a checkpoint. */
  getState(params: readonly Param[]): OptimizerState;
  /** Restores a state from {@link Optimizer.getState} for the same parameters. */
  setState(params: readonly Param[], state: OptimizerState): void;
}

function getSlots(maps: Record<string, Map<Param, FloatArray>>, params: readonly Param[]): OptimizerState["slots"] {
  const slots: OptimizerState["slots"] = {};
  for (const [name, map] of Object.entries(maps)) {
    slots[name] = params.map((p) => {
      const a = map.get(p);
      return a === undefined ? null : a.slice();
    });
  }
  return slots;
}

function setSlots(
  where: string,
  maps: Record<string, Map<Param, FloatArray>>,
  params: readonly Param[],
  state: OptimizerState,
): void {
  for (const [name, map] of Object.entries(maps)) {
    const arrays = state.slots[name];
    if (!Array.isArray(arrays) || arrays.length !== params.length) {
      throw new ValueError(`${where}.setState: slot '${name}' needs one entry per parameter (${params.length})`);
    }
    map.clear();
    params.forEach((p, i) => {
      const a = arrays[i];
      if (a === null || a === undefined) return;
      if (a.length !== p.value.size) {
        throw new ValueError(
          `${where}.setState: slot '${name}' of '${p.name}' has ${a.length} values, expected ${p.value.size}`,
        );
      }
      const copy = allocFloat(p.value.dtype, a.length);
      copy.set(a);
      map.set(p, copy);
    });
  }
}

function checkLr(where: string, lr: unknown): number {
  // checked on every step (a schedule may have changed it): no closure here
  if (typeof lr !== "number" || !(lr >= 0) || lr === Number.POSITIVE_INFINITY) {
    throw new ValueError(`${where}: lr must be a finite number >= 0, got ${String(lr)}`);
  }
  return lr;
}

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Learning rate η (default 0.01). */
  lr?: number;
  /** Momentum μ in [0, 1) (default 0). */
  momentum?: number;
  /** Dampening τ in [0, 1] (default 0). */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient (default 0). Applies to params with `decay` (kernels). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`:
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
export class SGD implements Optimizer {
  readonly name = "sgd";
  /** Learning rate η. */
  lr: number;
  /** Momentum μ. */
  readonly momentum: number;
  /** Dampening τ. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  /** L2 penalty λ. */
  readonly weightDecay: number;
  private readonly buf = new Map<Param, FloatArray>();

  constructor(opts: SGDOptions = {}) {
    this.lr = checkLr("SGD", opts.lr ?? 0.01);
    this.momentum = checkNumber("SGD", "momentum", opts.momentum ?? 0, (v) => v >= 0 && v < 1, "in [0, 1)");
    this.dampening = checkNumber("SGD", "dampening", opts.dampening ?? 0, (v) => v >= 0 && v <= 1, "in [0, 1]");
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = checkNumber("SGD", "weightDecay", opts.weightDecay ?? 0, (v) => v >= 0, "a finite number >= 0");
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      throw new ValueError("SGD: nesterov needs momentum > 0 and dampening 0");
    }
  }

  step(params: readonly Param[]): void {
    const lr = checkLr("SGD", this.lr);
    const mu = this.momentum;
    const damp = 1 - this.dampening;
    for (const p of params) {
      const w = p.value.data;
      const g = p.grad.data;
      const wd = p.decay ? this.weightDecay : 0;
      const n = w.length;
      if (mu === 0) {
        for (let i = 0; i < n; i++) w[i] = (w[i] as number) - lr * ((g[i] as number) + wd * (w[i] as number));
        continue;
      }
      let b = this.buf.get(p);
      const first = b === undefined;
      if (b === undefined) {
        b = allocFloat(p.value.dtype, n);
        this.buf.set(p, b);
      }
      for (let i = 0; i < n; i++) {
        const gi = (g[i] as number) + wd * (w[i] as number);
        const bi = first ? gi : mu * (b[i] as number) + damp * gi;
        b[i] = bi;
        const d = this.nesterov ? gi + mu * bi : bi;
        w[i] = (w[i] as number) - lr * d;
      }
    }
  }

  getState(params: readonly Param[]): OptimizerState {
    return { step: 0, slots: getSlots({ momentum: this.buf }, params) };
  }

  setState(params: readonly Param[], state: OptimizerState): void {
    setSlots("SGD", { momentum: this.buf }, params, state);
  }

  toJSON(): OptimizerConfig {
    return {
      name: this.name,
      lr: this.lr,
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
  }
}

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Learning rate η (default 0.001). */
  lr?: number;
  /** β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε > 0 added to the denominator (default 1e-8). */
  epsilon?: number;
  /** L2 penalty λ added to the gradient (default 0; coupled, as torch.optim.Adam). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015), as `torch.optim.Adam`:
 * ```
 * t ← t + 1
 * g ← g + λθ
 * m ← β₁m + (1 − β₁)g
 * v ← β₂v + (1 − β₂)g²
 * m̂ ← m / (1 − β₁ᵗ)      v̂ ← v / (1 − β₂ᵗ)
 * θ ← θ − η·m̂ / (√v̂ + ε)
 * ```
 * (The bias corrections divide; convnetjs multiplied by them, a bug no test caught.)
 * @example
 * ```ts
 * new Adam({ lr: 1e-3 });
 * ```
 */
export class Adam implements Optimizer {
  readonly name = "adam";
  /** Learning rate η. */
  lr: number;
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly epsilon: number;
  /** L2 penalty λ. */
  readonly weightDecay: number;
  /** Steps taken so far (t). */
  t = 0;
  private readonly m = new Map<Param, FloatArray>();
  private readonly v = new Map<Param, FloatArray>();

  constructor(opts: AdamOptions = {}) {
    this.lr = checkLr("Adam", opts.lr ?? 1e-3);
    this.beta1 = checkNumber("Adam", "beta1", opts.beta1 ?? 0.9, (v) => v >= 0 && v < 1, "in [0, 1)");
    this.beta2 = checkNumber("Adam", "beta2", opts.beta2 ?? 0.999, (v) => v >= 0 && v < 1, "in [0, 1)");
    this.epsilon = checkNumber("Adam", "epsilon", opts.epsilon ?? 1e-8, (v) => v > 0, "a finite number > 0");
    this.weightDecay = checkNumber("Adam", "weightDecay", opts.weightDecay ?? 0, (v) => v >= 0, "a finite number >= 0");
  }

  step(params: readonly Param[]): void {
    const lr = checkLr("Adam", this.lr);
    this.t += 1;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const eps = this.epsilon;
    for (const p of params) {
      const w = p.value.data;
      const g = p.grad.data;
      const n = w.length;
      const wd = p.decay ? this.weightDecay : 0;
      let m = this.m.get(p);
      let v = this.v.get(p);
      if (m === undefined || v === undefined) {
        m = allocFloat(p.value.dtype, n);
        v = allocFloat(p.value.dtype, n);
        this.m.set(p, m);
        this.v.set(p, v);
      }
      for (let i = 0; i < n; i++) {
        const gi = (g[i] as number) + wd * (w[i] as number);
        const mi = b1 * (m[i] as number) + (1 - b1) * gi;
        const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = (w[i] as number) - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
    }
  }

  getState(params: readonly Param[]): OptimizerState {
    return { step: this.t, slots: getSlots({ m: this.m, v: this.v }, params) };
  }

  setState(params: readonly Param[], state: OptimizerState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new ValueError(`Adam.setState: step must be an integer >= 0, got ${String(state.step)}`);
    }
    setSlots("Adam", { m: this.m, v: this.v }, params, state);
    this.t = state.step;
  }

  toJSON(): OptimizerConfig {
    return {
      name: this.name,
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }
}

/**
 * Builds an optimizer from its config (the closed set: sgd, adam).
 * @throws ValueError for an unknown name or a bad option
 * @example
 * ```ts
 * const opt = optimizerFromConfig({ name: "adam", lr: 1e-3 });
 * ```
 */
export function optimizerFromConfig(cfg: OptimizerConfig): Optimizer {
  const { name, ...opts } = cfg;
  if (name === "sgd") return new SGD(opts as SGDOptions);
  if (name === "adam") return new Adam(opts as AdamOptions);
  throw new ValueError(`unknown optimizer '${String(name)}'; known: sgd, adam`);
}
