/**
 * The learner's original network, exactly as tutorial-style numpy code writes
 * it ("Make Your Own Neural Network", python-course.eu): weights (out, in),
 * no biases (unless asked), sigmoid on every layer, one sample at a time, and
 * this backward loop:
 *
 *   err = target − output
 *   for each layer k from the last:  W_k += lr · (err ⊙ out_k ⊙ (1 − out_k)) · in_kᵀ
 *                                    err  = W_kᵀ · err          (with the *updated* W_k)
 *
 * Note what it is not: the hidden "errors" are Wᵀ·err without the derivative
 * factor of the layer above, and each W is used after its own update. It is
 * not the gradient of anything, which is why docs/mnist.md has a rung for
 * "correct derivatives".
 */
import { Rng } from "tinymlp";

export type TutorialActivation = "sigmoid" | "relu";

/** Activation statistics gathered while training, the evidence for why ReLU fails here. */
export interface TutorialStats {
  /** Largest |pre-activation| seen, per layer. */
  maxAbsPre: number[];
  /** Samples seen. */
  samples: number;
  /** Whether any weight became NaN or ±Infinity. */
  nonFinite: boolean;
}

export class TutorialNet {
  readonly W: Float64Array[]; // W[k]: (sizes[k+1], sizes[k]), row-major
  readonly b: Float64Array[] | null;
  private readonly outs: Float64Array[];
  private readonly pres: Float64Array[];
  private readonly errs: Float64Array[];
  private readonly nz = new Int32Array(784); // indices of non-zero inputs
  readonly stats: TutorialStats;

  constructor(
    readonly sizes: number[],
    readonly activation: TutorialActivation,
    readonly useBias: boolean,
    seed: number,
  ) {
    const rng = new Rng(seed);
    // weights ~ N(0, 1) truncated to [−1, 1], as scipy's truncnorm(−1, 1)
    this.W = sizes.slice(1).map((o, k) => {
      const w = new Float64Array(o * (sizes[k] as number));
      for (let i = 0; i < w.length; i++) w[i] = rng.truncatedNormal(0, 1, 1);
      return w;
    });
    this.b = useBias ? sizes.slice(1).map((o) => new Float64Array(o)) : null;
    this.outs = sizes.map((n) => new Float64Array(n));
    this.pres = sizes.map((n) => new Float64Array(n));
    this.errs = sizes.map((n) => new Float64Array(n));
    this.stats = { maxAbsPre: sizes.slice(1).map(() => 0), samples: 0, nonFinite: false };
  }

  private f(z: number): number {
    return this.activation === "sigmoid" ? 1 / (1 + Math.exp(-z)) : Math.max(z, 0);
  }

  /** f'(z) written in terms of the output, as the tutorial does: o(1 − o) for sigmoid. */
  private df(o: number): number {
    return this.activation === "sigmoid" ? o * (1 - o) : o > 0 ? 1 : 0;
  }

  /** Forward pass of one image (784 bytes scaled by 1/255); returns the output vector. */
  forward(pixels: Uint8Array, offset: number, track = false): Float64Array {
    const x = this.outs[0] as Float64Array;
    let nnz = 0;
    for (let i = 0; i < 784; i++) {
      const v = (pixels[offset + i] as number) / 255;
      x[i] = v;
      if (v !== 0) this.nz[nnz++] = i;
    }
    for (let k = 0; k < this.W.length; k++) {
      const W = this.W[k] as Float64Array;
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const inp = this.outs[k] as Float64Array;
      const out = this.outs[k + 1] as Float64Array;
      const pre = this.pres[k + 1] as Float64Array;
      for (let o = 0; o < nOut; o++) {
        let s = this.b ? ((this.b[k] as Float64Array)[o] as number) : 0;
        const row = o * nIn;
        if (k === 0) {
          // skipping blank pixels changes nothing: they add 0·w
          for (let t = 0; t < nnz; t++) {
            const i = this.nz[t] as number;
            s += (W[row + i] as number) * (inp[i] as number);
          }
        } else {
          for (let i = 0; i < nIn; i++) s += (W[row + i] as number) * (inp[i] as number);
        }
        pre[o] = s;
        out[o] = this.f(s);
        if (track) this.stats.maxAbsPre[k] = Math.max(this.stats.maxAbsPre[k] as number, Math.abs(s));
      }
    }
    return this.outs[this.outs.length - 1] as Float64Array;
  }

  /** One tutorial-style update on one sample. */
  train(pixels: Uint8Array, offset: number, label: number, lr: number): void {
    const L = this.W.length;
    const out = this.forward(pixels, offset, true);
    let err = this.errs[L] as Float64Array;
    for (let j = 0; j < out.length; j++) err[j] = (j === label ? 1 : 0) - (out[j] as number);
    for (let k = L - 1; k >= 0; k--) {
      const W = this.W[k] as Float64Array;
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const inp = this.outs[k] as Float64Array;
      const o = this.outs[k + 1] as Float64Array;
      // W_k += lr · (err ⊙ f'(out)) · inᵀ
      for (let r = 0; r < nOut; r++) {
        const d = lr * (err[r] as number) * this.df(o[r] as number);
        if (d === 0) continue;
        const row = r * nIn;
        for (let i = 0; i < nIn; i++) W[row + i] = (W[row + i] as number) + d * (inp[i] as number);
        if (this.b) (this.b[k] as Float64Array)[r] = ((this.b[k] as Float64Array)[r] as number) + d;
      }
      if (k === 0) break;
      // err = W_kᵀ · err, with the updated W_k
      const next = this.errs[k] as Float64Array;
      next.fill(0);
      for (let r = 0; r < nOut; r++) {
        const e = err[r] as number;
        const row = r * nIn;
        for (let i = 0; i < nIn; i++) next[i] = (next[i] as number) + (W[row + i] as number) * e;
      }
      err = next;
    }
    this.stats.samples++;
  }

  /** Checks every weight for NaN/Infinity. */
  checkFinite(): boolean {
    const ok = this.W.every((w) => w.every(Number.isFinite));
    if (!ok) this.stats.nonFinite = true;
    return ok;
  }

  /** Accuracy on images [from, to) of a byte array with labels. */
  accuracy(pixels: Uint8Array, labels: Uint8Array, n: number): { accuracy: number; predicted: Int32Array } {
    const predicted = new Int32Array(n);
    let correct = 0;
    for (let s = 0; s < n; s++) {
      const out = this.forward(pixels, s * 784);
      let best = 0;
      for (let j = 1; j < out.length; j++) if ((out[j] as number) > (out[best] as number)) best = j;
      predicted[s] = best;
      if (best === labels[s]) correct++;
    }
    return { accuracy: correct / n, predicted };
  }

  /** Fraction of hidden units that output 0 for every one of the first n images. */
  deadFraction(pixels: Uint8Array, n: number): number[] {
    const alive = this.sizes.slice(1, -1).map((m) => new Uint8Array(m));
    for (let s = 0; s < n; s++) {
      this.forward(pixels, s * 784);
      alive.forEach((a, k) => {
        const o = this.outs[k + 1] as Float64Array;
        for (let j = 0; j < a.length; j++) if ((o[j] as number) > 0) a[j] = 1;
      });
    }
    return alive.map((a) => 1 - a.reduce((x, y) => x + y, 0) / a.length);
  }
}
