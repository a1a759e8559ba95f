import { fmtShape, ShapeError, ValueError } from "./errors.js";
import { checkKeys, show } from "./options.js";

/** The element types a tensor can hold. `float32` is the default. */
export type DType = "float32" | "float64";

/** The typed array behind a tensor of either dtype. */
export type FloatArray = Float32Array | Float64Array;

/** A nested array of numbers, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = number | readonly NestedArray[];

const TENSOR_BRAND: unique symbol = Symbol.for("tinymlp.Tensor");

/** Allocates a zeroed typed array of `n` elements of `dtype`. */
export function allocFloat(dtype: DType, n: number): FloatArray {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/** The dtype of a typed array. */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? "float64" : "float32";
}

/** Validates a shape and returns its element count. */
export function shapeSize(shape: readonly number[], where = "Tensor"): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${where}: dimension ${i} of shape ${fmtShape(shape)} must be a non-negative integer, got ${d}`,
      );
    }
    n *= d;
  }
  return n;
}

/**
 * A dense, row-major array of numbers with a shape: the one data type that
 * flows between layers. `data` is a `Float32Array` (dtype `"float32"`, the
 * default) or a `Float64Array` (`"float64"`); element `(i, j)` of a 2-D tensor
 * of shape `(R, C)` is `data[i * C + j]`.
 *
 * Tensors returned by a layer's `forward`/`backward` are that layer's own
 * buffers, valid until its next call; `Sequential.predict` returns a fresh one.
 *
 * @example
 * ```ts
 * const a = Tensor.from([[1, 2, 3], [4, 5, 6]]);       // shape (2, 3), float32
 * const b = new Tensor(new Float64Array(6), [3, 2]);    // shape (3, 2), float64
 * a.get(1, 2); // 6
 * ```
 */
export class Tensor {
  /**
   * `x instanceof Tensor` by brand, not by prototype: a process that loads
   * both the ESM and the CommonJS build (say `import "tinymlp"` and
   * `require("tinymlp/node")`) holds two copies of the class, and a tensor
   * of one must still pass for the other. (A subclass of Tensor gets the
   * same test: every tensor passes.)
   */
  static [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[TENSOR_BRAND] === true;
  }
  /** The brand `instanceof` checks. @internal */
  get [TENSOR_BRAND](): true {
    return true;
  }
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Row-major elements; `data.length` equals the product of `shape`. */
  readonly data: FloatArray;

  /**
   * Wraps a typed array (not copied) with a shape.
   * @throws ShapeError if a dimension is not a non-negative integer or
   *   `data.length` does not match the shape.
   */
  constructor(data: FloatArray, shape: readonly number[]) {
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      throw new ValueError("Tensor: data must be a Float32Array or a Float64Array");
    }
    const n = shapeSize(shape);
    if (n !== data.length) {
      throw new ShapeError(`Tensor: shape ${fmtShape(shape)} holds ${n} elements but data has ${data.length}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** `"float32"` or `"float64"`. */
  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * Builds a tensor from a nested array (rectangular) or a flat number array
   * with an explicit shape.
   * @throws ShapeError on ragged arrays; ValueError on non-numbers.
   * @example
   * ```ts
   * Tensor.from([[0, 1], [1, 0]]);            // (2, 2)
   * Tensor.from([1, 2, 3, 4], { shape: [2, 2], dtype: "float64" });
   * ```
   */
  static from(values: NestedArray, opts: { shape?: readonly number[]; dtype?: DType } = {}): Tensor {
    checkKeys("Tensor.from", opts, ["shape", "dtype"]);
    const dtype = opts.dtype ?? "float32";
    const inferred = inferShape(values);
    const flat: number[] = [];
    flatten(values, inferred, 0, flat);
    const shape = opts.shape ?? inferred;
    const data = allocFloat(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) data[i] = flat[i] as number;
    return new Tensor(data, shape);
  }

  /**
   * A zero-filled tensor.
   * @example
   * ```ts
   * Tensor.zeros([2, 3]);
   * ```
   */
  static zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
    return new Tensor(allocFloat(dtype, shapeSize(shape)), shape);
  }

  /** Element at the given indices (one per dimension). */
  get(...idx: number[]): number {
    return this.data[this.offset(idx)] as number;
  }

  /** Sets the element at the given indices: `t.set(value, i, j)`. */
  set(value: number, ...idx: number[]): void {
    this.data[this.offset(idx)] = value;
  }

  private offset(idx: number[]): number {
    if (idx.length !== this.shape.length) {
      throw new ShapeError(`Tensor: ${idx.length} indices for a tensor of shape ${fmtShape(this.shape)}`);
    }
    let off = 0;
    for (let i = 0; i < idx.length; i++) {
      const d = this.shape[i] as number;
      const k = idx[i] as number;
      if (!Number.isInteger(k) || k < 0 || k >= d) {
        throw new ShapeError(`Tensor: index ${k} out of range for dimension ${i} of ${fmtShape(this.shape)}`);
      }
      off = off * d + k;
    }
    return off;
  }

  /** A copy with its own data buffer (optionally converted to another dtype). */
  clone(dtype: DType = this.dtype): Tensor {
    const out = allocFloat(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  /** The same data viewed with another shape of equal size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows `start` (inclusive) to `end` (exclusive) along the first axis, copied. */
  sliceRows(start: number, end: number): Tensor {
    const rowSize = this.shape.length === 0 ? 1 : this.size / (this.shape[0] as number);
    const out = this.data.slice(start * rowSize, end * rowSize);
    return new Tensor(out, [end - start, ...this.shape.slice(1)]);
  }

  /** The elements as a nested JS array. */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0] as number;
    const build = (dim: number, off: number): NestedArray => {
      const n = this.shape[dim] as number;
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.shape.length - 1 ? (this.data[off + i] as number) : build(dim + 1, off + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  /** Index of the largest element of each row of a 2-D tensor. */
  argMax(): Int32Array {
    const [rows, cols] = as2d(this, "Tensor.argMax");
    const out = new Int32Array(rows);
    const d = this.data;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bv = d[i * cols] as number;
      for (let j = 1; j < cols; j++) {
        const v = d[i * cols + j] as number;
        if (v > bv) {
          bv = v;
          best = j;
        }
      }
      out[i] = best;
    }
    return out;
  }
}

/** Returns `[rows, cols]` of a tensor seen as a batch of flat rows. */
export function as2d(t: Tensor, where: string): [number, number] {
  if (t.shape.length < 1) throw new ShapeError(`${where}: expected a batch, got a scalar`);
  const rows = t.shape[0] as number;
  const cols = rows === 0 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : t.size / rows;
  return [rows, cols];
}

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flatten(v: NestedArray, shape: number[], dim: number, out: number[], at = ""): void {
  if (dim === shape.length) {
    if (typeof v !== "number") {
      throw new ShapeError(
        Array.isArray(v)
          ? `Tensor.from: ragged nested array: element ${at} is a list of ${v.length}; expected a number there (the shape of the first elements is (${shape.join(", ")}))`
          : `Tensor.from: element ${at} is ${typeof v === "string" ? `the string ${show(v)}` : show(v)}; expected a number`,
      );
    }
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new ShapeError(
      `Tensor.from: ragged nested array: element ${at === "" ? "(the whole)" : at} is ${
        Array.isArray(v) ? `a list of ${v.length}` : typeof v === "number" ? `the number ${v}` : show(v)
      }; expected a list of ${shape[dim]} (the shape of the first elements is (${shape.join(", ")}))`,
    );
  }
  const list = v as readonly NestedArray[];
  for (let i = 0; i < list.length; i++) flatten(list[i] as NestedArray, shape, dim + 1, out, `${at}[${i}]`);
}
