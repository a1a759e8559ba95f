/**
 * Which backend a new model gets. The default is `"wasm"` when the engine
 * validates and compiles the SIMD128 module, otherwise `"js"`, with the
 * reason kept (`backendStatus()`). `setBackend` changes the default for models
 * made afterwards; `new Sequential({ backend })` chooses per model.
 */
import { ValueError } from "../errors.js";
import type { Backend } from "./backend.js";
import { jsBackend } from "./js.js";
import { createWasmBackend, wasmSupport } from "./wasm.js";

/** The built-in backends: `"js"` (plain loops, the reference) and `"wasm"` (WebAssembly SIMD128, float32). */
export type BackendName = "js" | "wasm";

let chosen: BackendName | null = null;

/**
 * Sets the backend of models made from now on.
 * @throws ValueError naming the reason when `"wasm"` cannot run in this engine.
 * @example
 * ```ts
 * setBackend("js"); // the plain-JS reference, e.g. to compare
 * ```
 */
export function setBackend(name: BackendName): void {
  if (name !== "js" && name !== "wasm") {
    throw new ValueError(`setBackend: expected "js" or "wasm", got ${JSON.stringify(name)}`);
  }
  if (name === "wasm") {
    const s = wasmSupport();
    if (!s.ok) throw new ValueError(`setBackend: the wasm backend is not available: ${s.reason}`);
  }
  chosen = name;
}

/**
 * The backend new models get: what `setBackend` set, else `"wasm"` where it
 * runs, else `"js"`.
 * @example
 * ```ts
 * console.log(getBackend()); // "wasm"
 * ```
 */
export function getBackend(): BackendName {
  return chosen ?? (wasmSupport().ok ? "wasm" : "js");
}

/**
 * The default backend and why: `reason` says why wasm is not the default
 * (or why its memory is not shared), null when nothing is missing.
 * @example
 * ```ts
 * const { name, reason } = backendStatus();
 * ```
 */
export function backendStatus(): {
  /** The backend new models get. */
  name: BackendName;
  /** Whether it was chosen with setBackend (false: the default). */
  chosen: boolean;
  /** Why wasm is unavailable here, or null when it is available. */
  reason: string | null;
} {
  const s = wasmSupport();
  return { name: getBackend(), chosen: chosen !== null, reason: s.reason };
}

/**
 * The backend object for a model: a name (`"wasm"` makes a new wasm backend
 * with its own memory), a Backend object as is, or the default.
 * @throws ValueError naming the backend that cannot be had.
 * @example
 * ```ts
 * const be = resolveBackend("js");
 * ```
 */
export function resolveBackend(b: BackendName | Backend | undefined, where = "Sequential"): Backend {
  if (b === undefined) return getBackend() === "wasm" ? createWasmBackend() : jsBackend;
  if (b === "js") return jsBackend;
  if (b === "wasm") {
    const s = wasmSupport();
    if (!s.ok) throw new ValueError(`${where}: backend "wasm" is not available: ${s.reason}`);
    return createWasmBackend();
  }
  if (typeof b === "object" && b !== null && typeof (b as Backend).gemm === "function") return b;
  throw new ValueError(`${where}: backend must be "js", "wasm" or a Backend object, got ${JSON.stringify(b)}`);
}
