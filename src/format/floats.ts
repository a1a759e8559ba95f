/**
 * The float arrays of a `.tmlp` file: little-endian IEEE 754, 4 bytes per
 * value for float32 models and 8 for float64.
 *
 * On a little-endian host (every platform Node and the major browsers run on)
 * a typed array's bytes already are the file's bytes, and one copy writes or
 * reads a whole array. On a big-endian host each value goes through a
 * `DataView` with `littleEndian = true`. Both paths are here, side by side,
 * and the tests run the portable one on every host (`native = false`) and
 * compare it with the copy, so the path no test machine takes is still
 * tested.
 */
import type { FloatArray } from "../tensor.js";

/** Whether this host stores a typed array's numbers little-endian. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes `a` into `out` from byte `off`, little-endian, `a.BYTES_PER_ELEMENT`
 * bytes per value. `native` copies `a`'s own bytes, which is right only on a
 * little-endian host (the default there); otherwise each value is encoded.
 */
export function writeFloats(out: Uint8Array, off: number, a: FloatArray, native = HOST_LITTLE_ENDIAN): void {
  if (native) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (a.BYTES_PER_ELEMENT === 8) for (let i = 0; i < a.length; i++) view.setFloat64(off + 8 * i, a[i] as number, true);
  else for (let i = 0; i < a.length; i++) view.setFloat32(off + 4 * i, a[i] as number, true);
}

/**
 * Fills `a` from `bytes`, starting at byte `off`: the inverse of
 * {@link writeFloats}, `a.length` values of `a.BYTES_PER_ELEMENT` bytes.
 */
export function readFloats(bytes: Uint8Array, off: number, a: FloatArray, native = HOST_LITTLE_ENDIAN): void {
  if (native) {
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(bytes.subarray(off, off + a.byteLength));
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (a.BYTES_PER_ELEMENT === 8) for (let i = 0; i < a.length; i++) a[i] = view.getFloat64(off + 8 * i, true);
  else for (let i = 0; i < a.length; i++) a[i] = view.getFloat32(off + 4 * i, true);
}

/**
 * `n` values of `dtype` at byte `off` of `bytes`, for reading only: a view on
 * `bytes` where the host is little-endian and the offset is aligned (no
 * copy: a loaded file's arrays are checked, then copied into the model), a
 * decoded copy otherwise.
 */
export function floatsAt(bytes: Uint8Array, off: number, n: number, dtype: "float32" | "float64"): FloatArray {
  const width = dtype === "float64" ? 8 : 4;
  const at = bytes.byteOffset + off;
  if (HOST_LITTLE_ENDIAN && at % width === 0) {
    return dtype === "float64" ? new Float64Array(bytes.buffer, at, n) : new Float32Array(bytes.buffer, at, n);
  }
  const a = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  readFloats(bytes, off, a);
  return a;
}
