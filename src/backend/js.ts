/**
 * The plain-JS backend: the blocked GEMM of src/backend/gemm.ts, the
 * activations' own loops, the optimizer rules of src/backend/rules.ts, and
 * ordinary typed arrays.
 */
import { allocFloat } from "../tensor.js";
import type { Backend } from "./backend.js";
import { gemm } from "./gemm.js";
import * as rules from "./rules.js";

/**
 * The reference backend, used by every model unless it is given another.
 * @example
 * ```ts
 * const model = new Sequential({ inputShape: [784], backend: jsBackend });
 * ```
 */
export const jsBackend: Backend = {
  name: "js",
  alloc: allocFloat,
  gemm,
  broadcastRows(b, z, rows) {
    const O = b.length;
    for (let r = 0; r < rows; r++) z.set(b, r * O);
  },
  addColumnSums(dz, db, rows) {
    const O = db.length;
    for (let r = 0; r < rows; r++) {
      const o = r * O;
      for (let j = 0; j < O; j++) db[j] = (db[j] as number) + (dz[o + j] as number);
    }
  },
  activationForward(f, x, y, rows, cols) {
    f.forward(x, y, rows, cols);
  },
  activationBackward(f, x, y, dy, dx, rows, cols) {
    f.backward(x, y, dy, dx, rows, cols);
  },
  multiply(x, m, y, n) {
    for (let i = 0; i < n; i++) y[i] = (x[i] as number) * (m[i] as number);
  },
  rules,
};
