/**
 * Worker threads for the wasm backend. Each worker instantiates the same
 * kernels module over the same shared `WebAssembly.Memory`, so a job's
 * operands are where every thread can read them, and results are written in
 * place. Two kinds of job:
 * - a product (`gemm`, `gemm_rows`), split by columns of C into ranges of
 *   whole 8-column panels; each thread packs its own panels in its own work
 *   area. The order in which each element of C is summed depends only on K
 *   (see the kernel), so the result is bit-identical whatever the number of
 *   threads;
 * - an element-wise kernel (the optimizer rules), split into ranges of whole
 *   64-byte lines; each element's result depends on that element alone.
 *
 * Synchronisation is one Int32Array over a SharedArrayBuffer: the main thread
 * writes each worker's arguments into its slot with the job's sequence
 * number, bumps the sequence, and `Atomics.notify`s; a worker runs the job
 * when its slot carries the new number, then counts itself done. The main
 * thread computes its own range meanwhile, then `Atomics.wait`s for the
 * count. Node's workers are `unref`'d (the process may exit with them alive)
 * and terminated by `dispose()`. A browser's helpers are started once and
 * kept: `dispose()` sends them back to their event loop, idle, and the next
 * pool in the same worker reuses them (Firefox ESR 153 sometimes blocked for
 * good in `new Worker()` inside a worker that had terminated another a moment
 * before; a reused helper is never started anew).
 *
 * Where: Node, Bun and Deno, through `worker_threads` (reached with
 * `process.getBuiltinModule`, so the core imports no `node:` module); and a
 * browser's Web Worker in a cross-origin isolated page (COOP/COEP headers:
 * shared memory needs them), its helpers started from a Blob URL. A page's
 * main thread cannot block on `Atomics.wait`, so there the option is refused:
 * train in a worker, as the demo does.
 */
import { ValueError } from "../errors.js";

/** Int32 slots of the control block: sequence, done count, then SLOT per worker. */
const SEQ = 0;
const DONE = 1;
const HEADER = 4;
const SLOT = 16; // job, ready, the 12 arguments of gemm, then which kernel
const JOB = 0;
const READY = 1;
const ARGS = 2;
const KIND = 14; // 0: gemm, 1: gemm_rows (which takes no tb), 2: an element-wise kernel
/** An element-wise job's arguments: export index, pointer count, up to 8 pointers, then the count n and the scalar count. */
const ARGS_N = 10;
const ARGS_NF = 11;
/** Where the element-wise jobs' float64 scalars live (bytes / 4: after the slots of up to 63 workers), and how many. */
const SCALARS = HEADER + SLOT * 63 + 2;
const MAX_SCALARS = 16;
/**
 * Milliseconds a thread spins on the control block before it sleeps in
 * `Atomics.wait` (a worker between jobs, the caller waiting for the workers):
 * on a 2-vCPU VM a sleeping thread took ~0.3 ms to wake, as long as half a
 * product of W1 (OpenMP runtimes and OpenBLAS spin for the same reason).
 */
const SPIN_MS = 2;

/** The job loop, shared by both workers' sources: instantiate the module over the shared memory, then wait for jobs. */
const LOOP = `
const k = new WebAssembly.Instance(job.module, { env: { memory: job.memory } }).exports;
const g = job.gemm ? new WebAssembly.Instance(job.gemm, { env: { memory: job.memory } }).exports : k;
const c = new Int32Array(job.control);
const f = new Float64Array(job.control, ${SCALARS * 4}, ${MAX_SCALARS});
const index = job.index;
const base = ${HEADER} + index * ${SLOT};
let seen = Atomics.load(c, ${SEQ});
Atomics.store(c, base + ${READY}, 1);
for (;;) {
  // spin a little before sleeping: the next job of a training step comes within a millisecond or so, and
  // waking a sleeping thread (a halted vCPU) can cost more than the job
  let seq = Atomics.load(c, ${SEQ});
  if (seq === seen) {
    const until = performance.now() + ${SPIN_MS};
    for (let i = 0; (seq = Atomics.load(c, ${SEQ})) === seen; i++) if ((i & 1023) === 0 && performance.now() > until) break;
  }
  // (a loop: Firefox's wait can return with the value unchanged, and running a job twice would apply
  // an optimizer update twice)
  while (seq === seen) {
    Atomics.wait(c, ${SEQ}, seen);
    seq = Atomics.load(c, ${SEQ});
  }
  if (seq < 0) break;
  seen = seq;
  if (Atomics.load(c, base + ${JOB}) !== seq) continue; // not a participant of this job
  const a = base + ${ARGS};
  const kind = c[base + ${KIND}];
  if (kind === 1) g.gemm_rows(c[a], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
  else if (kind === 0) g.gemm(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
  else {
    // an element-wise kernel over a range: its pointers (already offset), the count, then the shared scalars
    const args = [];
    for (let i = 0; i < c[a + 1]; i++) args.push(c[a + 2 + i]);
    args.push(c[a + ${ARGS_N}]);
    for (let i = 0; i < c[a + ${ARGS_NF}]; i++) args.push(f[i]);
    k[job.names[c[a]]](...args);
  }
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
`;
/**
 * worker_threads: an ES module from a data: URL (Node, Bun and Deno all take
 * one; an eval'd script would be CommonJS, which Deno wraps differently), the
 * job's data as workerData.
 */
const NODE_SOURCE = `import { workerData as job } from "node:worker_threads";\n${LOOP}`;
/** A Web Worker: each pool's data comes as a message; after the pool's dispose() it waits for the next one. */
const WEB_SOURCE = `onmessage = (e) => { const job = e.data;\n${LOOP}\n};`;

/** The gemm kernel's signature (see scripts/wasm/kernels.ts). */
export type GemmKernel = (
  ta: number,
  tb: number,
  M: number,
  N: number,
  K: number,
  a: number,
  b: number,
  c: number,
  acc: number,
  work: number,
  j0: number,
  j1: number,
) => void;

/** A started helper: how to let it go when its pool is disposed (stop it, or keep it idle for the next pool). */
interface Helper {
  release(): void;
}
type Spawn = (
  data: {
    module: WebAssembly.Module;
    gemm: WebAssembly.Module | null;
    names: readonly string[];
    memory: WebAssembly.Memory;
    control: SharedArrayBuffer;
    index: number;
  },
  onError: (m: string) => void,
) => Helper;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error", listener: (e: Error) => void): void;
}
type NodeWorkerCtor = new (url: URL, opts: { workerData: unknown }) => NodeWorker;

/** The helpers' source as a Blob URL, made once per realm (never revoked: every pool's helpers start from it). */
let webUrl: string | undefined;
/** Web Worker helpers of disposed pools, idle in their event loops, for the next pool of this realm. */
const idleWebHelpers: Worker[] = [];

/** How to start a helper thread here, or the reason there is none. */
function spawner(): Spawn | string {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
    Worker?: new (url: string) => Worker;
    WorkerGlobalScope?: unknown;
    crossOriginIsolated?: boolean;
  };
  if (typeof g.process?.getBuiltinModule === "function") {
    const W = (g.process.getBuiltinModule("node:worker_threads") as { Worker?: NodeWorkerCtor } | undefined)?.Worker;
    if (W === undefined) return "worker_threads has no Worker here";
    return (data, onError) => {
      const w = new W(new URL(`data:text/javascript,${encodeURIComponent(NODE_SOURCE)}`), { workerData: data });
      w.on("error", (e) => onError(String(e?.message ?? e)));
      w.unref(); // the process may exit with the helpers waiting
      return { release: () => void w.terminate() };
    };
  }
  if (typeof g.Worker === "function" && g.WorkerGlobalScope !== undefined) {
    if (g.crossOriginIsolated !== true)
      return "threads need shared memory, which a page has only when cross-origin isolated (COOP/COEP headers)";
    webUrl ??= URL.createObjectURL(new Blob([WEB_SOURCE], { type: "text/javascript" }));
    const url = webUrl;
    const W = g.Worker;
    return (data, onError) => {
      const w = idleWebHelpers.pop() ?? new W(url);
      let failed = false;
      w.onerror = (e) => {
        failed = true;
        onError(e.message);
      };
      w.postMessage(data);
      return {
        release: () => {
          // after dispose() it leaves its job loop; a helper that failed is stopped instead
          w.onerror = null;
          if (failed) w.terminate();
          else idleWebHelpers.push(w);
        },
      };
    };
  }
  if (typeof g.Worker === "function")
    return "a page's main thread cannot block on Atomics.wait: use threads inside a Web Worker (as the demo trains)";
  return "threads need worker_threads (Node ≥ 20.16, Bun, Deno) or a Web Worker";
}

/** Products smaller than this many multiply-adds run on one thread: a job's round trip costs ~10 µs. */
export const THREAD_MIN_WORK = 2 ** 20;
/** Element-wise kernels (the optimizer rules) over fewer elements than this run on one thread. */
export const ELEMENTWISE_MIN = 2 ** 16;

/**
 * A pool of `threads − 1` workers beside the calling thread.
 * @internal
 */
export class GemmPool {
  private readonly control: Int32Array;
  private readonly scalars: Float64Array;
  private readonly workers: Helper[] = [];
  private seq = 0;
  /** Errors a worker reported (it then stops taking part). */
  readonly errors: string[] = [];

  constructor(
    readonly threads: number,
    module: WebAssembly.Module,
    /** The module whose `gemm` and `gemm_rows` the workers run (the relaxed one), or null for `module`'s. */
    gemmModule: WebAssembly.Module | null,
    /** Names of the element-wise kernels `elementwise` may be asked to run, in a fixed order. */
    private readonly names: readonly string[],
    memory: WebAssembly.Memory,
    /** One GEMM work area per worker (the calling thread keeps its own). */
    private readonly workAreas: number[],
  ) {
    const spawn = spawner();
    if (typeof spawn === "string") throw new ValueError(`createWasmBackend: threads ${threads}: ${spawn}`);
    const control = new SharedArrayBuffer(SCALARS * 4 + MAX_SCALARS * 8);
    this.control = new Int32Array(control);
    this.scalars = new Float64Array(control, SCALARS * 4, MAX_SCALARS);
    for (let i = 0; i < threads - 1; i++) {
      this.workers.push(
        spawn({ module, gemm: gemmModule, names, memory, control, index: i }, (message) => {
          this.errors.push(message);
          Atomics.store(this.control, HEADER + i * SLOT + READY, 0);
        }),
      );
    }
  }

  /** Workers that have started and can take part. */
  ready(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.workers.length; i++)
      if (Atomics.load(this.control, HEADER + i * SLOT + READY) === 1) out.push(i);
    return out;
  }

  /**
   * C = op(A)·op(B) (or +=), split by columns over the calling thread and the
   * ready workers. Returns false (and does nothing) when the product is too
   * small to gain or no worker is ready: the caller runs it alone.
   */
  gemm(
    kernel: GemmKernel,
    args: [number, number, number, number, number, number, number, number, number],
    work: number,
    /** 1 when `kernel` is `gemm_rows` (the workers then call it too). */
    kind: 0 | 1 = 0,
  ): boolean {
    const [, , M, N, K] = args;
    if (K === 0 || M * N * K < THREAD_MIN_WORK || N < 16) return false;
    const helpers = this.ready();
    if (helpers.length === 0) return false;
    const panels = Math.ceil(N / 8);
    const parts = Math.min(helpers.length + 1, panels);
    const per = Math.ceil(panels / parts) * 8;
    const c = this.control;
    const seq = this.seq + 1;
    let expected = 0;
    for (let p = 1; p < parts; p++) {
      const w = helpers[p - 1] as number;
      const j0 = Math.min(N, p * per);
      const j1 = Math.min(N, (p + 1) * per);
      if (j0 >= j1) continue;
      const a = HEADER + w * SLOT + ARGS;
      for (let i = 0; i < 9; i++) c[a + i] = args[i] as number;
      c[a + 9] = this.workAreas[w] as number;
      c[a + 10] = j0;
      c[a + 11] = j1;
      c[HEADER + w * SLOT + KIND] = kind;
      Atomics.store(c, HEADER + w * SLOT + JOB, seq);
      expected++;
    }
    this.post(seq);
    kernel(...args, work, 0, Math.min(N, per));
    this.join(expected);
    return true;
  }

  /**
   * An element-wise kernel `name` (one of `names`) over n elements, split in
   * ranges of whole 64-byte lines: each thread runs it on its range, with
   * every pointer offset to the range's start. Each element's result depends
   * on that element only, so the bits do not depend on the split. Returns
   * false (and does nothing) when n is too small to gain or no worker is
   * ready: the caller runs it alone.
   */
  elementwise(
    kernel: (...args: number[]) => void,
    name: string,
    ptrs: readonly number[],
    n: number,
    scalars: readonly number[],
  ): boolean {
    if (n < ELEMENTWISE_MIN) return false;
    return this.split(
      kernel,
      name,
      ptrs,
      ptrs.map(() => 4),
      n,
      scalars,
      16,
      -1,
    );
  }

  /**
   * A kernel `name` (one of `names`) called as `f(...ptrs, n, ...scalars)`
   * over n independent items, split in ranges of whole multiples of `align`
   * items: each thread's call has every pointer advanced by its first item
   * times that pointer's stride in bytes (0 for a constant), and, when
   * `workAt` ≥ 0, its own work area in `ptrs[workAt]`. False (nothing done)
   * when no worker is ready.
   */
  split(
    kernel: (...args: number[]) => void,
    name: string,
    ptrs: readonly number[],
    strides: readonly number[],
    n: number,
    scalars: readonly number[],
    align: number,
    workAt: number,
  ): boolean {
    const helpers = this.ready();
    if (helpers.length === 0) return false;
    const index = this.names.indexOf(name);
    if (index < 0 || ptrs.length > 8 || scalars.length > MAX_SCALARS)
      throw new ValueError(`wasm backend: no split job '${name}' with ${ptrs.length} arguments`);
    const parts = helpers.length + 1;
    const per = Math.ceil(n / parts / align) * align;
    const c = this.control;
    const seq = this.seq + 1;
    let expected = 0;
    for (let i = 0; i < scalars.length; i++) this.scalars[i] = scalars[i] as number;
    for (let p = 1; p < parts; p++) {
      const w = helpers[p - 1] as number;
      const i0 = Math.min(n, p * per);
      const i1 = Math.min(n, (p + 1) * per);
      if (i0 >= i1) continue;
      const a = HEADER + w * SLOT + ARGS;
      c[a] = index;
      c[a + 1] = ptrs.length;
      for (let i = 0; i < ptrs.length; i++)
        c[a + 2 + i] = i === workAt ? (this.workAreas[w] as number) : (ptrs[i] as number) + i0 * (strides[i] as number);
      c[a + ARGS_N] = i1 - i0;
      c[a + ARGS_NF] = scalars.length;
      c[HEADER + w * SLOT + KIND] = 2;
      Atomics.store(c, HEADER + w * SLOT + JOB, seq);
      expected++;
    }
    this.post(seq);
    kernel(...ptrs, Math.min(n, per), ...scalars);
    this.join(expected);
    return true;
  }

  /** Starts job `seq` on the workers whose slots carry it. */
  private post(seq: number): void {
    const c = this.control;
    Atomics.store(c, DONE, 0);
    this.seq = seq;
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
  }

  /** Waits until `expected` workers have finished the job. */
  private join(expected: number): void {
    const c = this.control;
    const until = performance.now() + SPIN_MS;
    for (let i = 0; Atomics.load(c, DONE) < expected; i++) if ((i & 1023) === 0 && performance.now() > until) break;
    for (let done = Atomics.load(c, DONE); done < expected; done = Atomics.load(c, DONE)) {
      if (Atomics.wait(c, DONE, done, 1000) === "timed-out" && this.errors.length > 0)
        throw new ValueError(`wasm backend: a worker thread failed: ${this.errors.join("; ")}`);
    }
  }

  /** Ends the pool: its helpers leave their job loop (Node's are terminated, a browser's kept idle for the next pool). */ /** Stops the workers. */
  dispose(): void {
    Atomics.store(this.control, SEQ, -1);
    Atomics.notify(this.control, SEQ);
    for (const w of this.workers) w.release();
    this.workers.length = 0;
  }
}
