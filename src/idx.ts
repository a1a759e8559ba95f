/**
 * The IDX file format of MNIST (LeCun et al.): a pure parser over bytes,
 * browser-safe. Layout: two zero bytes, a type byte, a dimension count n,
 * n big-endian uint32 dimensions, then the elements, big-endian, row-major.
 */
import { TinyMlpError } from "./errors.js";

/** An IDX file's contents. Unsigned bytes stay a Uint8Array (compact). */
export interface IdxArray {
  /** Dimensions, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The elements, in the narrowest typed array that holds them. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  /** The IDX element type. */
  type: "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
}

/**
 * A malformed IDX file: bad magic number, unknown element type, a length that
 * does not match the dimensions. The message names the source and the fault.
 * @example
 * ```ts
 * try { parseIdx(bytes, "labels.idx"); } catch (e) { if (e instanceof IdxFormatError) console.error(e.message); }
 * ```
 */
export class IdxFormatError extends TinyMlpError {}

const TYPES: Record<number, { type: IdxArray["type"]; size: number }> = {
  8: { type: "uint8", size: 1 },
  9: { type: "int8", size: 1 },
  11: { type: "int16", size: 2 },
  12: { type: "int32", size: 4 },
  13: { type: "float32", size: 4 },
  14: { type: "float64", size: 8 },
};

/**
 * Parses the bytes of an (uncompressed) IDX file.
 *
 * @param name used in error messages (e.g. the file name)
 * @throws IdxFormatError when the bytes are not a well-formed IDX file
 * @example
 * ```ts
 * const { shape, data } = parseIdx(bytes, "train-images-idx3-ubyte"); // [60000, 28, 28], Uint8Array
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = "IDX data"): IdxArray {
  return decodeIdx(bytes, name, false);
}

/**
 * {@link parseIdx}, optionally sharing `bytes` (byte data is then a view on
 * them, not a copy): for a buffer the caller owns and hands over.
 * @internal
 */
export function decodeIdx(bytes: Uint8Array, name: string, share: boolean): IdxArray {
  const fail = (msg: string): never => {
    throw new IdxFormatError(`${name}: ${msg}`);
  };
  if (bytes.length < 4) fail(`too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      `bad magic number 0x${[0, 1, 2, 3].map((i) => (bytes[i] as number).toString(16).padStart(2, "0")).join("")}: an IDX file starts with two zero bytes${
        bytes[0] === 0x1f && bytes[1] === 0x8b ? " (this looks gzip-compressed: use the .gz loader)" : ""
      }`,
    );
  }
  const t = TYPES[bytes[2] as number];
  if (t === undefined) fail(`unknown element type 0x${(bytes[2] as number).toString(16).padStart(2, "0")}`);
  const { type, size } = t as { type: IdxArray["type"]; size: number };
  const ndim = bytes[3] as number;
  if (ndim === 0) fail("zero dimensions");
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen)
    fail(`truncated header: ${ndim} dimensions need ${headerLen} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const expected = headerLen + count * size;
  if (bytes.length !== expected) {
    fail(
      `dimensions [${shape.join(", ")}] of ${type} need ${expected} bytes, got ${bytes.length} (${
        bytes.length < expected ? "truncated" : "trailing bytes"
      })`,
    );
  }
  let data: IdxArray["data"];
  switch (type) {
    case "uint8":
      // a view when the caller handed its buffer over (loadIdx: no second copy of a 47 MB file)
      data = share ? bytes.subarray(headerLen, expected) : bytes.slice(headerLen, expected);
      break;
    case "int8":
      data = share
        ? new Int8Array(bytes.buffer, bytes.byteOffset + headerLen, count)
        : new Int8Array(bytes.slice(headerLen, expected).buffer);
      break;
    default: {
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[type];
      const out = new Ctor(count);
      for (let i = 0; i < count; i++) {
        const o = headerLen + i * size;
        out[i] =
          type === "int16"
            ? view.getInt16(o, false)
            : type === "int32"
              ? view.getInt32(o, false)
              : type === "float32"
                ? view.getFloat32(o, false)
                : view.getFloat64(o, false);
      }
      if (type === "float32" || type === "float64") {
        // data, like a model's weights, must be finite (the loader and the CSV reader refuse NaN and ±∞ too)
        for (let i = 0; i < count; i++) {
          const v = out[i] as number;
          if (!Number.isFinite(v)) fail(`element ${i} is ${v}; an IDX file of ${type} data must hold finite numbers`);
        }
      }
      data = out;
    }
  }
  return { shape, data, type };
}

/**
 * Encodes an array as IDX bytes (the inverse of {@link parseIdx}), e.g. to
 * write test fixtures or export a data set.
 * @example
 * ```ts
 * const bytes = encodeIdx({ shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]), type: "uint8" });
 * ```
 */
export function encodeIdx(a: IdxArray): Uint8Array {
  const code = Number(Object.entries(TYPES).find(([, v]) => v.type === a.type)?.[0]);
  const size = (TYPES[code] as { size: number }).size;
  const headerLen = 4 + 4 * a.shape.length;
  const out = new Uint8Array(headerLen + a.data.length * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = a.shape.length;
  a.shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < a.data.length; i++) {
    const o = headerLen + i * size;
    const v = a.data[i] as number;
    if (a.type === "uint8") view.setUint8(o, v);
    else if (a.type === "int8") view.setInt8(o, v);
    else if (a.type === "int16") view.setInt16(o, v, false);
    else if (a.type === "int32") view.setInt32(o, v, false);
    else if (a.type === "float32") view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return out;
}
