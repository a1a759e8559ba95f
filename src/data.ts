/**
 * Data sources: where `fit`, `evaluate` and `predict` read samples from.
 * Samples are gathered a batch at a time into a reused float buffer, so the
 * data set itself can stay compact (e.g. MNIST as bytes: 47 MB instead of
 * 188 MB as float32).
 */
import { fmtShape, ShapeError, ValueError } from "./errors.js";
import { show } from "./options.js";
import { type FloatArray, Tensor } from "./tensor.js";

/**
 * A collection of samples of one shape that can be gathered into a batch.
 * @example
 * ```ts
 * const src = new Uint8Source(pixels, [784], 1 / 255);
 * src.gather(indices, 0, 128, batchBuffer); // 128 rows of 784 floats
 * ```
 */
export interface DataSource {
  /** Number of samples. */
  readonly length: number;
  /** Shape of one sample (no batch dimension). */
  readonly sampleShape: readonly number[];
  /**
   * Copies samples `idx[start .. start+count)` into `out` (row-major,
   * `count × sampleSize` elements).
   */
  gather(idx: ArrayLike<number>, start: number, count: number, out: FloatArray): void;
}

/** Elements per sample of a source. */
export function sampleSize(src: DataSource): number {
  return src.sampleShape.reduce((a, b) => a * b, 1);
}

/**
 * Samples stored in a {@link Tensor} of shape (N, ...sampleShape).
 * @example
 * ```ts
 * new TensorSource(Tensor.from([[0, 1], [1, 0]]));
 * ```
 */
export class TensorSource implements DataSource {
  readonly length: number;
  readonly sampleShape: readonly number[];
  private readonly size: number;
  constructor(
    /** The samples, one per row of the first dimension. */
    readonly tensor: Tensor,
  ) {
    if (tensor.rank < 1) throw new ShapeError("TensorSource: expected a tensor with a batch dimension, got a scalar");
    this.length = tensor.shape[0] as number;
    this.sampleShape = tensor.shape.slice(1);
    this.size = this.sampleShape.reduce((a, b) => a * b, 1);
  }
  gather(idx: ArrayLike<number>, start: number, count: number, out: FloatArray): void {
    const d = this.tensor.data;
    const s = this.size;
    for (let r = 0; r < count; r++) {
      const i = idx[start + r] as number;
      out.set(d.subarray(i * s, i * s + s), r * s);
    }
  }
}

/**
 * Samples stored as bytes, scaled on the fly (`value · scale`) when a batch is
 * gathered. For images: `new Uint8Source(pixels, [784], 1 / 255)`.
 * @example
 * ```ts
 * const images = new Uint8Source(new Uint8Array(60000 * 784), [784], 1 / 255);
 * ```
 */
export class Uint8Source implements DataSource {
  readonly length: number;
  private readonly size: number;
  constructor(
    /** The bytes, sample after sample. */
    readonly data: Uint8Array,
    /** Shape of one sample. */
    readonly sampleShape: readonly number[],
    /** Multiplier applied when gathering (default 1). */
    readonly scale = 1,
  ) {
    this.size = sampleShape.reduce((a, b) => a * b, 1);
    if (typeof scale !== "number" || !Number.isFinite(scale)) {
      throw new ValueError(`Uint8Source: scale must be a finite number, got ${String(scale)}`);
    }
    if (this.size === 0 || data.length % this.size !== 0) {
      throw new ShapeError(
        `Uint8Source: ${data.length} bytes is not a whole number of samples of shape ${fmtShape(sampleShape)}`,
      );
    }
    this.length = data.length / this.size;
  }
  gather(idx: ArrayLike<number>, start: number, count: number, out: FloatArray): void {
    const d = this.data;
    const s = this.size;
    const k = this.scale;
    for (let r = 0; r < count; r++) {
      const src = (idx[start + r] as number) * s;
      const dst = r * s;
      for (let j = 0; j < s; j++) out[dst + j] = (d[src + j] as number) * k;
    }
  }
}

/**
 * One number per sample (class labels, regression targets): sample shape ().
 * @example
 * ```ts
 * new LabelSource(new Uint8Array([3, 1, 4]));
 * ```
 */
export class LabelSource implements DataSource {
  readonly sampleShape: readonly number[] = [];
  constructor(
    /** One label (or scalar target) per sample. */
    readonly values: ArrayLike<number>,
  ) {}
  get length(): number {
    return this.values.length;
  }
  gather(idx: ArrayLike<number>, start: number, count: number, out: FloatArray): void {
    const v = this.values;
    for (let r = 0; r < count; r++) out[r] = v[idx[start + r] as number] as number;
  }
}

/** Anything `fit`/`evaluate`/`predict` accept as inputs or targets. */
export type DataLike = Tensor | DataSource | ArrayLike<number>;

function isSource(x: unknown): x is DataSource {
  return typeof x === "object" && x !== null && typeof (x as DataSource).gather === "function";
}

/**
 * Wraps a tensor, a source, or a flat array of labels as a {@link DataSource}.
 * @example
 * ```ts
 * toSource(new Uint8Array([0, 1, 1, 0])).length; // 4
 * ```
 */
export function toSource(x: DataLike, what = "data", name = "the data"): DataSource {
  if (x instanceof Tensor) return new TensorSource(x);
  if (isSource(x)) return x;
  if (Array.isArray(x) && Array.isArray(x[0])) {
    // a nested JS array: rows of features (or one-hot targets) that were never made a tensor
    const row = x[0] as unknown[];
    throw new ShapeError(
      `${what}: ${name} is a nested array (${x.length} row${x.length === 1 ? "" : "s"}, the first of ${row.length}); make it a tensor first: Tensor.from(${name === "the data" ? "rows" : name})`,
    );
  }
  if (x !== null && typeof x === "object" && typeof (x as ArrayLike<number>).length === "number") {
    return new LabelSource(x as ArrayLike<number>);
  }
  throw new ValueError(`${what}: expected a Tensor, a DataSource or an array of numbers, got ${show(x)}`);
}
