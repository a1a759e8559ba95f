/**
 * Optimizer update rules as pure functions over arrays (Optimisers.jl's
 * `apply!(rule, state, x, dx)`): each takes the parameter w, its gradient g,
 * its state slots and the hyperparameters of this step, and updates w and the
 * slots in place. Nothing here knows about Param objects or steps counted:
 * the optimizer classes (src/optimizers.ts) hold the hyperparameters and the
 * per-parameter state and call these through the backend.
 *
 * Notation: θ = w, η = lr, λ = wd (coupled weight decay), t the step (from 1).
 * Each loop is written exactly as torch.optim documents the rule, and the
 * order of the floating-point operations is part of the contract (the golden
 * runs pin it).
 */
import type { FloatArray } from "../tensor.js";

/**
 * SGD with momentum μ, dampening τ and optional Nesterov (torch.optim.SGD):
 * ```
 * g ← g + λθ
 * b ← g (first step)   b ← μb + (1 − τ)g (later)
 * θ ← θ − η·(nesterov ? g + μb : b)          (μ = 0: θ ← θ − ηg, no b)
 * ```
 * @param b the momentum slot (ignored when mu is 0)
 * @param first whether b holds nothing yet
 */
export function sgdRule(
  w: FloatArray,
  g: FloatArray,
  b: FloatArray | null,
  lr: number,
  wd: number,
  mu: number,
  dampening: number,
  nesterov: boolean,
  first: boolean,
): void {
  const n = w.length;
  if (mu === 0 || b === null) {
    for (let i = 0; i < n; i++) w[i] = (w[i] as number) - lr * ((g[i] as number) + wd * (w[i] as number));
    return;
  }
  const damp = 1 - dampening;
  for (let i = 0; i < n; i++) {
    const gi = (g[i] as number) + wd * (w[i] as number);
    const bi = first ? gi : mu * (b[i] as number) + damp * gi;
    b[i] = bi;
    w[i] = (w[i] as number) - lr * (nesterov ? gi + mu * bi : bi);
  }
}

/**
 * Adam / AdamW (torch.optim.Adam, torch.optim.AdamW):
 * ```
 * AdamW: θ ← θ(1 − ηλ) first, and g is the raw gradient;  Adam: g ← g + λθ
 * m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
 * θ ← θ − η·(m / bc1) / (√(v / bc2) + ε)     bc1 = 1 − β₁ᵗ, bc2 = 1 − β₂ᵗ
 * ```
 */
export function adamRule(
  w: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  lr: number,
  wd: number,
  decoupled: boolean,
  beta1: number,
  beta2: number,
  eps: number,
  bc1: number,
  bc2: number,
): void {
  const n = w.length;
  const coupled = decoupled ? 0 : wd;
  const shrink = decoupled ? 1 - lr * wd : 1;
  for (let i = 0; i < n; i++) {
    const wi = (w[i] as number) * shrink;
    const gi = (g[i] as number) + coupled * (w[i] as number);
    const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
    const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}

/**
 * RMSprop (torch.optim.RMSprop):
 * ```
 * g ← g + λθ
 * v ← αv + (1 − α)g²
 * centered: ḡ ← αḡ + (1 − α)g;  ṽ ← v − ḡ²   (else ṽ ← v)
 * momentum: b ← μb + g/(√ṽ + ε);  θ ← θ − ηb      else θ ← θ − η·g/(√ṽ + ε)
 * ```
 * @param gAvg the centered slot, or null when not centered
 * @param b the momentum slot, or null when μ = 0
 */
export function rmspropRule(
  w: FloatArray,
  g: FloatArray,
  v: FloatArray,
  gAvg: FloatArray | null,
  b: FloatArray | null,
  lr: number,
  wd: number,
  alpha: number,
  eps: number,
  mu: number,
): void {
  for (let i = 0; i < w.length; i++) {
    const gi = (g[i] as number) + wd * (w[i] as number);
    const vi = alpha * (v[i] as number) + (1 - alpha) * gi * gi;
    v[i] = vi;
    let denomSq = vi;
    if (gAvg) {
      const gai = alpha * (gAvg[i] as number) + (1 - alpha) * gi;
      gAvg[i] = gai;
      denomSq = vi - gai * gai;
    }
    const step = gi / (Math.sqrt(denomSq) + eps);
    if (b) {
      const bi = mu * (b[i] as number) + step;
      b[i] = bi;
      w[i] = (w[i] as number) - lr * bi;
    } else {
      w[i] = (w[i] as number) - lr * step;
    }
  }
}

/**
 * Adagrad (torch.optim.Adagrad), with the step's decayed rate η̃ = η/(1 + (t − 1)·lrDecay) given:
 * ```
 * g ← g + λθ
 * s ← s + g²
 * θ ← θ − η̃·g/(√s + ε)
 * ```
 */
export function adagradRule(w: FloatArray, g: FloatArray, s: FloatArray, clr: number, wd: number, eps: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = (g[i] as number) + wd * (w[i] as number);
    const si = (s[i] as number) + gi * gi;
    s[i] = si;
    w[i] = (w[i] as number) - (clr * gi) / (Math.sqrt(si) + eps);
  }
}

/**
 * Nadam (torch.optim.NAdam), with this step's coefficients given:
 * cg = η(1 − μₜ)/(1 − Πμ), cm = η·μₜ₊₁/(1 − Πμ·μₜ₊₁), bc2 = 1 − β₂ᵗ:
 * ```
 * g ← g + λθ
 * m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
 * θ ← θ − cg·g/(√(v/bc2) + ε) − cm·m/(√(v/bc2) + ε)
 * ```
 */
export function nadamRule(
  w: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  wd: number,
  beta1: number,
  beta2: number,
  eps: number,
  cg: number,
  cm: number,
  bc2: number,
): void {
  for (let i = 0; i < w.length; i++) {
    const gi = (g[i] as number) + wd * (w[i] as number);
    const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
    const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const denom = Math.sqrt(vi / bc2) + eps;
    w[i] = (w[i] as number) - (cg * gi) / denom - (cm * mi) / denom;
  }
}

/** acc + Σ aᵢ², added to `acc` in index order (global-norm clipping chains it over the parameters). */
export function sumSquares(a: FloatArray, acc: number): number {
  let ss = acc;
  for (let i = 0; i < a.length; i++) ss += (a[i] as number) * (a[i] as number);
  return ss;
}

/**
 * Whether every element of `a` is finite (no NaN, no ±Infinity): the step
 * guard's check. One pass with no branch per element: x·0 is ±0 for every
 * finite x and NaN otherwise, so Σ x·0 stays zero exactly when all are
 * finite — and, unlike Σ x, it cannot overflow.
 */
export function allFinite(a: FloatArray): boolean {
  let z = 0;
  for (let i = 0; i < a.length; i++) z += (a[i] as number) * 0;
  return z === 0;
}

/** a ← a·k in place. */
export function scaleInPlace(a: FloatArray, k: number): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * k;
}

/** a ← clamp(a, −v, v) in place. */
export function clampInPlace(a: FloatArray, v: number): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.min(v, Math.max(-v, a[i] as number));
}
