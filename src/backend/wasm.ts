/**
 * The WebAssembly SIMD backend: the same functions as the JS reference,
 * computed by the kernels of scripts/wasm/kernels.ts over float32 arrays that
 * live in one `WebAssembly.Memory` per model.
 *
 * Where tensors live. `alloc` hands out `Float32Array` views into the
 * backend's memory (64-byte aligned, from a first-fit free list), so layer
 * buffers, parameters, gradients and optimizer slots are read and written by
 * the kernels in place: nothing is copied per call. The memory is a *shared*
 * memory where the engine has one: growing a shared memory never moves it, so
 * views made before a grow stay valid. Without shared memory (a browser page
 * that is not cross-origin isolated) the memory is a plain one of a fixed
 * size chosen at creation (`maxBytes`), because growing a plain memory would
 * detach every view.
 *
 * Which arrays take the fast path. A kernel runs in wasm when its float32
 * arguments are views of this memory. float64 arrays always go to the JS
 * reference (float64 is for checks and learning, not speed). A float32 array
 * from elsewhere (a tensor the user made) is copied in and out around the
 * GEMM, so a model's products always come from the same kernel; the other
 * kernels give the reference's bits anyway, so for them the JS loop runs on
 * the foreign array directly.
 *
 * Bits. The GEMM sums in float32 in its own order: results agree with the
 * JS reference to float32 rounding (the bound is derived in
 * test/wasm.test.ts). Every other kernel reproduces the reference's
 * arithmetic exactly (see scripts/wasm/kernels.ts).
 */

import type { ActivationFunction } from "../activations.js";
import { ValueError } from "../errors.js";
import { parseOptions, type Schema } from "../options.js";
import type { DType, FloatArray } from "../tensor.js";
import type { Backend } from "./backend.js";
import { jsBackend } from "./js.js";
import * as ref from "./rules.js";
import { ELEMENTWISE_MIN, type GemmKernel, GemmPool } from "./threads.js";
import { GEMM_WORK_BYTES, KERNEL_EXPORTS, WASM_RELAXED, WASM_SHARED } from "./wasm/bytes.js";

/** Whether the wasm backend can run here, and why not if it cannot. */
export interface WasmSupport {
  /** True when the engine validates and compiles the SIMD module. */
  readonly ok: boolean;
  /** True when shared memory is available (the memory can grow). */
  readonly shared: boolean;
  /** Why `ok` or `shared` is false, or null. */
  readonly reason: string | null;
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /** Use a shared, growable memory (default: when the engine has one). */
  shared?: boolean;
  /** Size of a plain (non-shared) memory, which cannot grow (default 512 MiB); the ceiling of a shared one (default 4 GiB). */
  maxBytes?: number;
  /**
   * Threads for the matrix products (default 1): the calling thread and
   * `threads − 1` workers sharing the memory, each computing whole column
   * panels of C, so the results are bit-identical for any count. Needs shared
   * memory and `worker_threads` (Node, Bun, Deno); opt-in, since on a busy
   * machine a second thread may not pay (measure with `npm run bench -- --threads 2`).
   */
  threads?: number;
  /**
   * Use Relaxed SIMD's multiply-add in the matrix products (default false):
   * one rounding instead of two where the CPU fuses it (an FMA), so faster,
   * but the results then depend on the machine and engine, outside the
   * same-bits promise. Where the engine lacks Relaxed SIMD (Node 20 without
   * a flag, Safari), the backend falls back to SIMD128: `relaxed` on the
   * backend says which runs.
   */
  relaxed?: boolean;
}

/** A {@link Backend} whose float32 arrays live in its own `WebAssembly.Memory`. */
export interface WasmBackend extends Backend {
  readonly name: "wasm";
  /** The memory every float32 array of the backend is a view of (null after dispose). */
  readonly memory: WebAssembly.Memory | null;
  /** Whether the memory is shared (growable without moving). */
  readonly shared: boolean;
  /** Threads the matrix products may use (1: the calling thread only). */
  readonly threads: number;
  /** Whether the products run Relaxed SIMD's multiply-add (asked for, and the engine has it). */
  readonly relaxed: boolean;
  /** Worker threads started and taking part in products now (they start in the background). */
  threadsReady(): number;
  /**
   * The threads' measured worth: a dense 128×512×784 product (W1's first
   * layer's shape) timed alone and split, after a warm-up, best of five
   * each, interleaved, once the workers are ready.
   * `speedup` is null with one thread or before the workers are ready.
   */
  threadStatus(): {
    /** Threads configured. */
    threads: number;
    /** Workers ready (threads − 1 when all have started). */
    ready: number;
    /** One-thread time over split time for that product (measured once, then kept). */
    speedup: number | null;
  };
  /** Bytes handed out by `alloc` and not freed, and the memory's size. */
  usage(): {
    /** Bytes handed out and not freed. */
    allocatedBytes: number;
    /** Bytes of the WebAssembly.Memory (allocated, free and overhead). */
    memoryBytes: number;
  };
  /** Returns an array from `alloc` to the free list; arrays not from this backend are ignored. */
  free(a: FloatArray): void;
  /** Drops the memory: every later call throws. The memory goes when the last view of it does. */
  dispose(): void;
}

/**
 * When the GEMM takes the sparse-rows kernel: B not transposed, and at most
 * this fraction of A's elements nonzero (measured: see docs/performance.md).
 * Both kernels give the same bits, so this choice changes only the time.
 */
const ROWS_MAX_DENSITY = 0.25;
/** Products smaller than this (multiply-adds) skip the count of A's nonzeros. */
const ROWS_MIN_WORK = 2 ** 16;

const PAGE = 65536;
const ALIGN = 64;
const MAX_PAGES = 65536;

/** The schema of {@link WasmBackendOptions}. */
const WASM_BACKEND_OPTIONS = {
  shared: { type: "boolean" },
  maxBytes: { type: "number", integer: true, min: PAGE, max: MAX_PAGES * PAGE },
  threads: { type: "number", integer: true, min: 1, max: 64, default: 1 },
  relaxed: { type: "boolean", default: false },
} as const satisfies Schema;

let compiled: { shared: WebAssembly.Module | null; plain: WebAssembly.Module | null } | null = null;
let support: WasmSupport | null = null;

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * The kernels module importing a plain memory, derived from the shipped one
 * (which imports a shared memory) by rewriting its import section: the two
 * differ only in the memory's limits, `03 01 80 80 04` (shared, min 1, max
 * 65536 pages) against `00 01` (min 1, no max). Saves shipping the bytes
 * twice; test/wasm.test.ts checks the result against wabt's own assembly.
 * @internal
 */
export function plainMemoryModule(shared: Uint8Array): Uint8Array<ArrayBuffer> {
  const leb = (at: number): [number, number] => {
    let v = 0;
    let shift = 0;
    let i = at;
    for (;;) {
      const b = shared[i++] as number;
      v |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return [v, i];
    }
  };
  let at = 8; // magic and version
  while (at < shared.length) {
    const id = shared[at] as number;
    const [size, start] = leb(at + 1);
    if (id === 2) {
      const section = shared.subarray(start, start + size);
      const tail = [0x03, 0x01, 0x80, 0x80, 0x04];
      const ok = tail.every((b, i) => section[section.length - tail.length + i] === b);
      if (!ok) throw new ValueError("wasm backend: unexpected memory import in the kernels module");
      const body = [...section.subarray(0, section.length - tail.length), 0x00, 0x01];
      if (body.length >= 0x80) throw new ValueError("wasm backend: import section too long to rewrite");
      const out = new Uint8Array(shared.length - (start + size - at) + 2 + body.length);
      out.set(shared.subarray(0, at));
      out.set([2, body.length, ...body], at);
      out.set(shared.subarray(start + size), at + 2 + body.length);
      return out;
    }
    at = start + size;
  }
  throw new ValueError("wasm backend: the kernels module has no import section");
}

function sharedMemoryWorks(): string | null {
  if (typeof SharedArrayBuffer === "undefined") {
    return "SharedArrayBuffer is unavailable (a browser page must be cross-origin isolated)";
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return null;
  } catch (e) {
    return `shared WebAssembly.Memory refused: ${(e as Error).message}`;
  }
}

/**
 * Whether the wasm backend runs in this engine: WebAssembly present, the
 * SIMD128 module validated and compiled; and whether shared memory is there.
 * Computed once.
 * @example
 * ```ts
 * const s = wasmSupport();
 * if (!s.ok) console.log(`using js: ${s.reason}`);
 * ```
 */
export function wasmSupport(): WasmSupport {
  if (support !== null) return support;
  if (typeof WebAssembly !== "object" || typeof WebAssembly.validate !== "function") {
    support = { ok: false, shared: false, reason: "WebAssembly is not available in this engine" };
    return support;
  }
  const sharedWhyNot = sharedMemoryWorks();
  const bytes = sharedWhyNot === null ? decode(WASM_SHARED) : plainMemoryModule(decode(WASM_SHARED));
  if (!WebAssembly.validate(bytes)) {
    support = { ok: false, shared: false, reason: "WebAssembly.validate rejects the SIMD128 module (no SIMD support)" };
    return support;
  }
  try {
    const mod = new WebAssembly.Module(bytes);
    compiled = { shared: sharedWhyNot === null ? mod : null, plain: sharedWhyNot === null ? null : mod };
  } catch (e) {
    support = { ok: false, shared: false, reason: `compiling the SIMD128 module failed: ${(e as Error).message}` };
    return support;
  }
  support = { ok: true, shared: sharedWhyNot === null, reason: sharedWhyNot };
  return support;
}

function moduleFor(shared: boolean): WebAssembly.Module {
  const s = wasmSupport();
  if (!s.ok) throw new ValueError(`the wasm backend is not available: ${s.reason}`);
  const c = compiled as { shared: WebAssembly.Module | null; plain: WebAssembly.Module | null };
  if (shared) {
    if (!s.shared) throw new ValueError(`the wasm backend cannot use a shared memory: ${s.reason}`);
    c.shared ??= new WebAssembly.Module(decode(WASM_SHARED));
    return c.shared;
  }
  c.plain ??= new WebAssembly.Module(plainMemoryModule(decode(WASM_SHARED)));
  return c.plain;
}

const relaxedCompiled: { shared?: WebAssembly.Module | null; plain?: WebAssembly.Module | null } = {};
/** The relaxed GEMM module for this memory kind, or null when the engine lacks Relaxed SIMD. */
function relaxedModule(shared: boolean): WebAssembly.Module | null {
  const key = shared ? "shared" : "plain";
  if (relaxedCompiled[key] === undefined) {
    const bytes = shared ? decode(WASM_RELAXED) : plainMemoryModule(decode(WASM_RELAXED));
    relaxedCompiled[key] = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return relaxedCompiled[key] ?? null;
}

type Ptr = number;
/**
 * The kernels the threads may split over independent items: the optimizer
 * rules (elements) and the image deformation (images).
 */
const SPLIT_KERNELS = [
  "deform_images",
  "sgd",
  "sgd_momentum",
  "sgd_momentum_nesterov",
  "sgd_momentum_first",
  "sgd_momentum_first_nesterov",
  "adam",
  "rmsprop",
  "rmsprop_momentum",
  "rmsprop_centered",
  "rmsprop_centered_momentum",
  "adagrad",
  "nadam",
] as const;
type ElementwiseKernel = Exclude<(typeof SPLIT_KERNELS)[number], "deform_images">;
type SgdMomentum = (w: Ptr, g: Ptr, b: Ptr, n: number, lr: number, wd: number, mu: number, damp: number) => void;
interface Kernels {
  gemm(
    ta: number,
    tb: number,
    M: number,
    N: number,
    K: number,
    a: Ptr,
    b: Ptr,
    c: Ptr,
    acc: number,
    work: Ptr,
    j0: number,
    j1: number,
  ): void;
  gemm_rows(
    ta: number,
    M: number,
    N: number,
    K: number,
    a: Ptr,
    b: Ptr,
    c: Ptr,
    acc: number,
    work: Ptr,
    j0: number,
    j1: number,
  ): void;
  count_nonzero(a: Ptr, n: number): number;
  deform_images(
    img: Ptr,
    fields: Ptr,
    params: Ptr,
    k: Ptr,
    h: number,
    w: number,
    taps: number,
    work: Ptr,
    n: number,
    alpha: number,
  ): void;
  exp_many(x: Ptr, y: Ptr, n: number): void;
  sigmoid_forward(x: Ptr, y: Ptr, n: number): void;
  sigmoid_backward(y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  tanh_forward(x: Ptr, y: Ptr, n: number): void;
  tanh_backward(y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  leaky_relu_forward(x: Ptr, y: Ptr, n: number, a: number): void;
  leaky_relu_backward(x: Ptr, dy: Ptr, dx: Ptr, n: number, a: number): void;
  elu_forward(x: Ptr, y: Ptr, n: number, a: number): void;
  elu_backward(x: Ptr, dy: Ptr, dx: Ptr, n: number, a: number): void;
  selu_forward(x: Ptr, y: Ptr, n: number): void;
  selu_backward(x: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  hard_sigmoid_forward(x: Ptr, y: Ptr, n: number, a: number, b: number): void;
  hard_sigmoid_backward(x: Ptr, dy: Ptr, dx: Ptr, n: number, a: number, b: number): void;
  relu_forward(x: Ptr, y: Ptr, n: number): void;
  relu_backward(x: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  multiply(x: Ptr, m: Ptr, y: Ptr, n: number): void;
  add_column_sums(dz: Ptr, db: Ptr, rows: number, cols: number): void;
  broadcast_rows(b: Ptr, z: Ptr, rows: number, cols: number): void;
  sum_squares(a: Ptr, n: number, acc: number): number;
  all_finite(a: Ptr, n: number): number;
  sgd(w: Ptr, g: Ptr, n: number, lr: number, wd: number): void;
  sgd_momentum: SgdMomentum;
  sgd_momentum_nesterov: SgdMomentum;
  sgd_momentum_first: SgdMomentum;
  sgd_momentum_first_nesterov: SgdMomentum;
  adam(w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, ...hyper: number[]): void;
  rmsprop(w: Ptr, g: Ptr, v: Ptr, n: number, ...hyper: number[]): void;
  rmsprop_centered(w: Ptr, g: Ptr, v: Ptr, gavg: Ptr, n: number, ...hyper: number[]): void;
  rmsprop_momentum(w: Ptr, g: Ptr, v: Ptr, b: Ptr, n: number, ...hyper: number[]): void;
  rmsprop_centered_momentum(w: Ptr, g: Ptr, v: Ptr, gavg: Ptr, b: Ptr, n: number, ...hyper: number[]): void;
  adagrad(w: Ptr, g: Ptr, s: Ptr, n: number, clr: number, wd: number, eps: number): void;
  nadam(w: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, ...hyper: number[]): void;
  scale(a: Ptr, n: number, k: number): void;
  clamp(a: Ptr, n: number, v: number, nv: number): void;
}

/**
 * A new wasm backend with its own memory; `Sequential` makes one per model
 * when its backend is `"wasm"`.
 * @throws ValueError naming the reason when the engine cannot run it.
 * @example
 * ```ts
 * const model = new Sequential({ inputShape: [784], backend: createWasmBackend() });
 * ```
 */
export function createWasmBackend(opts: WasmBackendOptions = {}): WasmBackend {
  const o = parseOptions("createWasmBackend", WASM_BACKEND_OPTIONS, opts);
  const s = wasmSupport();
  if (!s.ok) throw new ValueError(`the wasm backend is not available: ${s.reason}`);
  const shared = o.shared ?? s.shared;
  if (o.threads > 1 && !shared)
    throw new ValueError(
      `createWasmBackend: threads ${o.threads} need a shared memory: ${s.reason ?? "shared is false"}`,
    );
  const maxBytes = o.maxBytes ?? (shared ? MAX_PAGES * PAGE : 512 * 1024 * 1024);
  const maxPages = Math.floor(maxBytes / PAGE);
  let memory: WebAssembly.Memory | null = shared
    ? new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true })
    : new WebAssembly.Memory({ initial: maxPages });
  const k = new WebAssembly.Instance(moduleFor(shared), { env: { memory } }).exports as unknown as Kernels;
  for (const name of KERNEL_EXPORTS) {
    if (typeof (k as unknown as Record<string, unknown>)[name] !== "function") {
      throw new ValueError(`the wasm module lacks the kernel '${name}' (rebuild it: npm run build:wasm)`);
    }
  }
  // the opt-in products with Relaxed SIMD's multiply-add, where the engine has it
  const relaxedMod = o.relaxed ? relaxedModule(shared) : null;
  const g = (relaxedMod === null ? k : new WebAssembly.Instance(relaxedMod, { env: { memory } }).exports) as Pick<
    Kernels,
    "gemm" | "gemm_rows"
  >;

  // ---- the allocator: a bump pointer with a first-fit, coalescing free list
  const buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);
  const sizes = new Map<number, number>(); // offset → bytes of each live block
  const freeList: { off: number; size: number }[] = []; // sorted by offset
  let top = ALIGN; // offset 0 stays unused, so no array starts at the null pointer
  let allocated = 0;

  const live = (): WebAssembly.Memory => {
    if (memory === null) throw new ValueError("wasm backend: used after dispose()");
    return memory;
  };
  function reserve(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < freeList.length; i++) {
      const f = freeList[i] as { off: number; size: number };
      if (f.size >= size) {
        const off = f.off;
        if (f.size === size) freeList.splice(i, 1);
        else {
          f.off += size;
          f.size -= size;
        }
        sizes.set(off, size);
        allocated += size;
        return off;
      }
    }
    const mem = live();
    const off = top;
    const end = off + size;
    const have = mem.buffer.byteLength;
    if (end > have) {
      if (!shared || end > maxPages * PAGE) {
        throw new ValueError(
          `wasm backend: out of memory: ${end} bytes needed, ${shared ? maxPages * PAGE : have} available` +
            (shared ? "" : " (a plain memory cannot grow: pass a larger maxBytes to createWasmBackend)"),
        );
      }
      const pages = Math.ceil((end - have) / PAGE);
      // grow by at least a quarter of the memory, so many small allocations grow it rarely
      const grow = Math.min(maxPages - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 4)));
      mem.grow(grow);
      buffers.add(mem.buffer);
    }
    top = end;
    sizes.set(off, size);
    allocated += size;
    return off;
  }
  function release(off: number): void {
    const size = sizes.get(off);
    if (size === undefined) return;
    sizes.delete(off);
    allocated -= size;
    let i = 0;
    while (i < freeList.length && (freeList[i] as { off: number }).off < off) i++;
    freeList.splice(i, 0, { off, size });
    // coalesce with the next and the previous block
    const next = freeList[i + 1];
    const cur = freeList[i] as { off: number; size: number };
    if (next && cur.off + cur.size === next.off) {
      cur.size += next.size;
      freeList.splice(i + 1, 1);
    }
    const prev = freeList[i - 1];
    if (prev && prev.off + prev.size === cur.off) {
      prev.size += cur.size;
      freeList.splice(i, 1);
    }
    const last = freeList[freeList.length - 1];
    if (last && last.off + last.size === top) {
      top = last.off;
      freeList.pop();
    }
  }
  const view = (off: number, n: number): Float32Array => {
    const buf = live().buffer;
    buffers.add(buf); // the same object until the next grow; registered in case another party grew it
    return new Float32Array(buf, off, n);
  };

  /** Whether `a` is a float32 view of this memory (the fast path). */
  const ours = (a: FloatArray): boolean => a instanceof Float32Array && buffers.has(a.buffer);
  const ptr = (a: FloatArray): number => a.byteOffset;

  const gemmRows: GemmKernel = (ta, _tb, M, N, K, a, b, c, acc, w, j0, j1) =>
    g.gemm_rows(ta, M, N, K, a, b, c, acc, w, j0, j1);
  let work = 0; // the GEMM's packing area, reserved on first use
  let deformArea = 0; // deformImages' float64 inputs, reserved on first use and grown
  let deformBytes = 0;
  let pool: GemmPool | null = null; // the worker threads, started with the backend when threads > 1
  let speedup: number | null = null;
  /** Times W1's first product alone and split (best of 5 each), in a scratch block freed after. */
  const measureSpeedup = (p: GemmPool): number => {
    const [M, N, K] = [128, 512, 784];
    const a = reserve(M * K * 4);
    const b = reserve(K * N * 4);
    const c = reserve(M * N * 4);
    if (work === 0) work = reserve(GEMM_WORK_BYTES);
    // dense operands (a zero A would skip the work and time only the packing)
    const h = heapNow();
    for (let i = 0; i < M * K; i++) h[(a >>> 2) + i] = 1 + (i % 7);
    for (let i = 0; i < K * N; i++) h[(b >>> 2) + i] = 1 - (i % 5) / 4;
    const one = (): void => g.gemm(0, 0, M, N, K, a, b, c, 0, work, 0, N);
    const split = (): void => {
      if (!p.gemm(g.gemm, [0, 0, M, N, K, a, b, c, 0], work)) one();
    };
    const time = (f: () => void): number => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    };
    // warm-up: the engine optimizes both paths first
    for (let r = 0; r < 3; r++) {
      one();
      split();
    }
    let tOne = Number.POSITIVE_INFINITY;
    let tSplit = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      tOne = Math.min(tOne, time(one));
      tSplit = Math.min(tSplit, time(split));
    }
    for (const off of [a, b, c]) release(off);
    return tOne / tSplit;
  };
  // One staging area for foreign float32 operands of the GEMM, kept and
  // enlarged when a call needs more, so a call allocates nothing.
  let staging = 0;
  let stagingBytes = 0;
  let stageTop = 0;

  // One view of the whole memory, remade after a grow: copies in and out go
  // through it, so a call with foreign operands creates no typed array.
  let heap = new Float32Array(memory.buffer);
  const heapNow = (): Float32Array => {
    const buf = live().buffer;
    if (heap.buffer !== buf) heap = new Float32Array(buf);
    return heap;
  };

  /** Makes room for `bytes` of staged operands. */
  function ensureStaging(bytes: number): void {
    if (bytes <= stagingBytes) return;
    if (staging !== 0) release(staging);
    staging = reserve(bytes);
    stagingBytes = bytes;
  }

  /** Bytes of n floats, rounded up to the alignment: one array's share of the staging area. */
  const padded = (n: number): number => Math.ceil((n * 4) / ALIGN) * ALIGN;

  /** A foreign float32 array copied into the staging area (C: copied in only when accumulating). */
  function stage(a: FloatArray, n: number, copyIn: boolean): number {
    const off = stageTop;
    stageTop += padded(n);
    if (copyIn) {
      const h = heapNow();
      const o = off >>> 2;
      for (let i = 0; i < n; i++) h[o + i] = a[i] as number;
    }
    return off;
  }

  /**
   * Whether an element-wise kernel over n elements is split over the threads
   * (each element's result is its own, so the bits do not depend on it).
   * Else the rules call their kernel directly: one thread allocates nothing.
   */
  const threaded = (n: number): boolean => pool !== null && n >= ELEMENTWISE_MIN;
  const each = (name: ElementwiseKernel, ptrs: number[], n: number, scalars: number[]): void => {
    const f = k[name] as (...a: number[]) => void;
    if (!pool?.elementwise(f, name, ptrs, n, scalars)) f(...ptrs, n, ...scalars);
  };
  const sgdMomentum = [
    [k.sgd_momentum, k.sgd_momentum_nesterov],
    [k.sgd_momentum_first, k.sgd_momentum_first_nesterov],
  ] as const;
  const sgdMomentumNames = [
    ["sgd_momentum", "sgd_momentum_nesterov"],
    ["sgd_momentum_first", "sgd_momentum_first_nesterov"],
  ] as const;

  const rules: typeof ref = {
    sgdRule(w, g, b, lr, wd, mu, dampening, nesterov, first) {
      if (!(ours(w) && ours(g) && (b === null || ours(b)))) {
        return ref.sgdRule(w, g, b, lr, wd, mu, dampening, nesterov, first);
      }
      const n = w.length;
      if (mu === 0 || b === null) {
        if (threaded(n)) each("sgd", [ptr(w), ptr(g)], n, [lr, wd]);
        else k.sgd(ptr(w), ptr(g), n, lr, wd);
        return;
      }
      const i = first ? 1 : 0;
      const j = nesterov ? 1 : 0;
      if (threaded(n)) each(sgdMomentumNames[i][j], [ptr(w), ptr(g), ptr(b)], n, [lr, wd, mu, 1 - dampening]);
      else sgdMomentum[i][j](ptr(w), ptr(g), ptr(b), n, lr, wd, mu, 1 - dampening);
    },
    adamRule(w, g, m, v, lr, wd, decoupled, beta1, beta2, eps, bc1, bc2) {
      if (!(ours(w) && ours(g) && ours(m) && ours(v))) {
        return ref.adamRule(w, g, m, v, lr, wd, decoupled, beta1, beta2, eps, bc1, bc2);
      }
      const n = w.length;
      const coupled = decoupled ? 0 : wd;
      const shrink = decoupled ? 1 - lr * wd : 1;
      const b1 = 1 - beta1;
      const b2 = 1 - beta2;
      if (threaded(n))
        each("adam", [ptr(w), ptr(g), ptr(m), ptr(v)], n, [lr, coupled, shrink, beta1, b1, beta2, b2, eps, bc1, bc2]);
      else k.adam(ptr(w), ptr(g), ptr(m), ptr(v), n, lr, coupled, shrink, beta1, b1, beta2, b2, eps, bc1, bc2);
    },
    rmspropRule(w, g, v, gAvg, b, lr, wd, alpha, eps, mu) {
      if (!(ours(w) && ours(g) && ours(v) && (gAvg === null || ours(gAvg)) && (b === null || ours(b)))) {
        return ref.rmspropRule(w, g, v, gAvg, b, lr, wd, alpha, eps, mu);
      }
      const n = w.length;
      const oma = 1 - alpha;
      if (threaded(n)) {
        const h = [lr, wd, alpha, oma, eps, mu];
        if (gAvg && b) each("rmsprop_centered_momentum", [ptr(w), ptr(g), ptr(v), ptr(gAvg), ptr(b)], n, h);
        else if (gAvg) each("rmsprop_centered", [ptr(w), ptr(g), ptr(v), ptr(gAvg)], n, h);
        else if (b) each("rmsprop_momentum", [ptr(w), ptr(g), ptr(v), ptr(b)], n, h);
        else each("rmsprop", [ptr(w), ptr(g), ptr(v)], n, h);
      } else if (gAvg && b)
        k.rmsprop_centered_momentum(ptr(w), ptr(g), ptr(v), ptr(gAvg), ptr(b), n, lr, wd, alpha, oma, eps, mu);
      else if (gAvg) k.rmsprop_centered(ptr(w), ptr(g), ptr(v), ptr(gAvg), n, lr, wd, alpha, oma, eps, mu);
      else if (b) k.rmsprop_momentum(ptr(w), ptr(g), ptr(v), ptr(b), n, lr, wd, alpha, oma, eps, mu);
      else k.rmsprop(ptr(w), ptr(g), ptr(v), n, lr, wd, alpha, oma, eps, mu);
    },
    adagradRule(w, g, s, clr, wd, eps) {
      if (!(ours(w) && ours(g) && ours(s))) return ref.adagradRule(w, g, s, clr, wd, eps);
      const n = w.length;
      if (threaded(n)) each("adagrad", [ptr(w), ptr(g), ptr(s)], n, [clr, wd, eps]);
      else k.adagrad(ptr(w), ptr(g), ptr(s), n, clr, wd, eps);
    },
    nadamRule(w, g, m, v, wd, beta1, beta2, eps, cg, cm, bc2) {
      if (!(ours(w) && ours(g) && ours(m) && ours(v)))
        return ref.nadamRule(w, g, m, v, wd, beta1, beta2, eps, cg, cm, bc2);
      const n = w.length;
      const b1 = 1 - beta1;
      const b2 = 1 - beta2;
      if (threaded(n)) each("nadam", [ptr(w), ptr(g), ptr(m), ptr(v)], n, [wd, beta1, b1, beta2, b2, eps, cg, cm, bc2]);
      else k.nadam(ptr(w), ptr(g), ptr(m), ptr(v), n, wd, beta1, b1, beta2, b2, eps, cg, cm, bc2);
    },
    sumSquares(a, acc) {
      return ours(a) ? k.sum_squares(ptr(a), a.length, acc) : ref.sumSquares(a, acc);
    },
    allFinite(a) {
      return ours(a) ? k.all_finite(ptr(a), a.length) === 1 : ref.allFinite(a);
    },
    scaleInPlace(a, s) {
      if (ours(a)) k.scale(ptr(a), a.length, s);
      else ref.scaleInPlace(a, s);
    },
    clampInPlace(a, v) {
      if (ours(a)) k.clamp(ptr(a), a.length, v, -v);
      else ref.clampInPlace(a, v);
    },
  };

  /**
   * The activations with a kernel (the reference's bits); false for the
   * others, which run their JS loops over the views.
   */
  const activationForward = (f: ActivationFunction, x: Ptr, y: Ptr, n: number): boolean => {
    const p = f as unknown as { alpha: number; beta: number };
    switch (f.name) {
      case "relu":
        k.relu_forward(x, y, n);
        break;
      case "sigmoid":
        k.sigmoid_forward(x, y, n);
        break;
      case "tanh":
        k.tanh_forward(x, y, n);
        break;
      case "leakyRelu":
        k.leaky_relu_forward(x, y, n, p.alpha);
        break;
      case "elu":
        k.elu_forward(x, y, n, p.alpha);
        break;
      case "selu":
        k.selu_forward(x, y, n);
        break;
      case "hardSigmoid":
        k.hard_sigmoid_forward(x, y, n, p.alpha, p.beta);
        break;
      default:
        return false;
    }
    return true;
  };
  const activationBackward = (f: ActivationFunction, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number): boolean => {
    const p = f as unknown as { alpha: number; beta: number };
    switch (f.name) {
      case "relu":
        k.relu_backward(x, dy, dx, n);
        break;
      case "sigmoid":
        k.sigmoid_backward(y, dy, dx, n);
        break;
      case "tanh":
        k.tanh_backward(y, dy, dx, n);
        break;
      case "leakyRelu":
        k.leaky_relu_backward(x, dy, dx, n, p.alpha);
        break;
      case "elu":
        k.elu_backward(x, dy, dx, n, p.alpha);
        break;
      case "selu":
        k.selu_backward(x, dy, dx, n);
        break;
      case "hardSigmoid":
        k.hard_sigmoid_backward(x, dy, dx, n, p.alpha, p.beta);
        break;
      default:
        return false;
    }
    return true;
  };

  const backend: WasmBackend = {
    name: "wasm",
    get memory() {
      return memory;
    },
    shared,
    threads: o.threads,
    relaxed: relaxedMod !== null,
    threadsReady() {
      return pool?.ready().length ?? 0;
    },
    threadStatus() {
      const ready = pool?.ready().length ?? 0;
      if (speedup === null && pool !== null && ready === o.threads - 1) speedup = measureSpeedup(pool);
      return { threads: o.threads, ready, speedup };
    },
    alloc(dtype: DType, n: number): FloatArray {
      if (dtype === "float64") return new Float64Array(n);
      const off = reserve(n * 4);
      const a = view(off, n);
      a.fill(0); // a reused block holds old values
      return a;
    },
    free(a) {
      if (ours(a) && memory !== null) release(a.byteOffset);
    },
    usage() {
      return { allocatedBytes: allocated, memoryBytes: memory === null ? 0 : memory.buffer.byteLength };
    },
    dispose() {
      pool?.dispose();
      pool = null;
      memory = null;
      sizes.clear();
      freeList.length = 0;
      allocated = 0; // nothing is held any more: memoryBytes() says 0
    },
    gemm(transA, transB, M, N, K, A, B, C, accumulate) {
      if (!(C instanceof Float32Array) || !(A instanceof Float32Array) || !(B instanceof Float32Array)) {
        return jsBackend.gemm(transA, transB, M, N, K, A, B, C, accumulate);
      }
      if (work === 0) work = reserve(GEMM_WORK_BYTES);
      const aOurs = ours(A);
      const bOurs = ours(B);
      const cOurs = ours(C);
      if (!(aOurs && bOurs && cOurs)) {
        ensureStaging((aOurs ? 0 : padded(M * K)) + (bOurs ? 0 : padded(K * N)) + (cOurs ? 0 : padded(M * N)));
        stageTop = staging;
      }
      const pa = aOurs ? ptr(A) : stage(A, M * K, true);
      const pb = bOurs ? ptr(B) : stage(B, K * N, true);
      const pc = cOurs ? ptr(C) : stage(C, M * N, accumulate);
      const ta = transA ? 1 : 0;
      const tb = transB ? 1 : 0;
      const acc = accumulate ? 1 : 0;
      // A mostly zeros (MNIST's pixels, a ReLU's outputs): the kernel that keeps each row's own nonzeros
      const rows =
        tb === 0 && N >= 32 && M * N * K >= ROWS_MIN_WORK && k.count_nonzero(pa, M * K) <= ROWS_MAX_DENSITY * M * K;
      const kernel = rows ? gemmRows : g.gemm;
      if (!pool?.gemm(kernel, [ta, tb, M, N, K, pa, pb, pc, acc], work, rows ? 1 : 0))
        kernel(ta, tb, M, N, K, pa, pb, pc, acc, work, 0, N);
      if (!cOurs) {
        const h = heapNow();
        const o = pc >>> 2;
        for (let i = 0; i < M * N; i++) C[i] = h[o + i] as number;
      }
    },
    broadcastRows(b, z, rows) {
      if (ours(b) && ours(z)) k.broadcast_rows(ptr(b), ptr(z), rows, b.length);
      else jsBackend.broadcastRows(b, z, rows);
    },
    addColumnSums(dz, db, rows) {
      if (ours(dz) && ours(db)) k.add_column_sums(ptr(dz), ptr(db), rows, db.length);
      else jsBackend.addColumnSums(dz, db, rows);
    },
    activationForward(f: ActivationFunction, x, y, rows, cols) {
      if (!(ours(x) && ours(y) && activationForward(f, ptr(x), ptr(y), rows * cols))) f.forward(x, y, rows, cols);
    },
    activationBackward(f: ActivationFunction, x, y, dy, dx, rows, cols) {
      const mine = ours(x) && ours(y) && ours(dy) && ours(dx);
      if (!(mine && activationBackward(f, ptr(x), ptr(y), ptr(dy), ptr(dx), rows * cols)))
        f.backward(x, y, dy, dx, rows, cols);
    },
    multiply(x, m, y, n) {
      if (ours(x) && ours(m) && ours(y)) k.multiply(ptr(x), ptr(m), ptr(y), n);
      else jsBackend.multiply(x, m, y, n);
    },
    deformImages(images, count, height, width, params, fields, kernel, alpha) {
      const np = height * width;
      const taps = kernel?.length ?? 0;
      // the work area of each thread: a copy of the image (f32), the blur's intermediate and padded line (f64)
      // and the two reflection tables (i32)
      const need =
        Math.ceil((np * 4) / 16) * 16 + np * 8 + (Math.max(height, width) + taps) * 8 + (height + width + 2 * taps) * 4;
      if (!ours(images) || need > GEMM_WORK_BYTES || count === 0) return false;
      if (work === 0) work = reserve(GEMM_WORK_BYTES);
      // the float64 inputs, copied into one block of the memory, kept for the next batch
      const pBytes = 48 * count;
      const fBytes = fields === null ? 0 : 16 * np * count;
      const bytes = pBytes + fBytes + taps * 8;
      if (deformBytes < bytes) {
        if (deformArea !== 0) release(deformArea);
        deformArea = reserve(bytes);
        deformBytes = bytes;
      }
      const buf = live().buffer;
      new Float64Array(buf, deformArea, 6 * count).set(params.subarray(0, 6 * count));
      const pf = deformArea + pBytes;
      if (fields !== null) new Float64Array(buf, pf, 2 * np * count).set(fields.subarray(0, 2 * np * count));
      const pk = pf + fBytes;
      if (kernel !== null) new Float64Array(buf, pk, taps).set(kernel);
      const f = fields === null ? 0 : pf;
      const args = [ptr(images), f, deformArea, pk, height, width, taps, work];
      const strides = [np * 4, f === 0 ? 0 : 16 * np, 48, 0, 0, 0, 0, 0];
      if (count < 2 || !pool?.split(k.deform_images, "deform_images", args, strides, count, [alpha], 1, 7))
        k.deform_images(ptr(images), f, deformArea, pk, height, width, taps, work, count, alpha);
      return true;
    },
    rules,
  };
  if (o.threads > 1) {
    // started now, so the workers compile and wait while the model is built
    const areas = Array.from({ length: o.threads - 1 }, () => reserve(GEMM_WORK_BYTES));
    pool = new GemmPool(o.threads, moduleFor(true), relaxedMod, SPLIT_KERNELS, memory as WebAssembly.Memory, areas);
  }
  return backend;
}
