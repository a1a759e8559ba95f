/**
 * Worker threads for the wasm backend's GEMM. Each worker instantiates the
 * same kernels module over the same shared `WebAssembly.Memory`, so a
 * product's operands are where every thread can read them, and C is written
 * in place. A product is split by columns of C into ranges of whole 8-column
 * panels; each thread packs its own panels in its own work area. The order
 * in which each element of C is summed depends only on K (see the kernel), so
 * the result is bit-identical whatever the number of threads.
 *
 * Synchronisation is one Int32Array over a SharedArrayBuffer: the main thread
 * writes each worker's arguments into its slot with the job's sequence
 * number, bumps the sequence, and `Atomics.notify`s; a worker runs the job
 * when its slot carries the new number, then counts itself done. The main
 * thread computes its own range meanwhile, then `Atomics.wait`s for the
 * count. Workers are `unref`'d (the process may exit with them alive) and
 * terminated by `dispose()`.
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
const KIND = 14; // 0: gemm, 1: gemm_rows (which takes no tb)

/** The job loop, shared by both workers' sources: instantiate the module over the shared memory, then wait for jobs. */
const LOOP = `
const k = new WebAssembly.Instance(job.module, { env: { memory: job.memory } }).exports;
const c = new Int32Array(job.control);
const index = job.index;
const base = ${HEADER} + index * ${SLOT};
let seen = Atomics.load(c, ${SEQ});
Atomics.store(c, base + ${READY}, 1);
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  const seq = Atomics.load(c, ${SEQ});
  if (seq < 0) break;
  seen = seq;
  if (Atomics.load(c, base + ${JOB}) !== seq) continue; // not a participant of this job
  const a = base + ${ARGS};
  if (c[base + ${KIND}] === 1) k.gemm_rows(c[a], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
  else k.gemm(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
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
/** A Web Worker: the data comes as the first message. */
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

/** A started helper: how to stop it. */
interface Helper {
  terminate(): void;
}
type Spawn = (
  data: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; index: number },
  onError: (m: string) => void,
) => Helper;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error", listener: (e: Error) => void): void;
}
type NodeWorkerCtor = new (url: URL, opts: { workerData: unknown }) => NodeWorker;

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
      return { terminate: () => void w.terminate() };
    };
  }
  if (typeof g.Worker === "function" && g.WorkerGlobalScope !== undefined) {
    if (g.crossOriginIsolated !== true)
      return "threads need shared memory, which a page has only when cross-origin isolated (COOP/COEP headers)";
    const url = URL.createObjectURL(new Blob([WEB_SOURCE], { type: "text/javascript" }));
    const W = g.Worker;
    return (data, onError) => {
      const w = new W(url);
      w.onerror = (e) => onError(e.message);
      w.postMessage(data);
      return { terminate: () => w.terminate() };
    };
  }
  if (typeof g.Worker === "function")
    return "a page's main thread cannot block on Atomics.wait: use threads inside a Web Worker (as the demo trains)";
  return "threads need worker_threads (Node ≥ 20.16, Bun, Deno) or a Web Worker";
}

/** Products smaller than this many multiply-adds run on one thread: a job's round trip costs ~10 µs. */
export const THREAD_MIN_WORK = 2 ** 20;

/**
 * A pool of `threads − 1` workers beside the calling thread.
 * @internal
 */
export class GemmPool {
  private readonly control: Int32Array;
  private readonly workers: Helper[] = [];
  private seq = 0;
  /** Errors a worker reported (it then stops taking part). */
  readonly errors: string[] = [];

  constructor(
    readonly threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    /** One GEMM work area per worker (the calling thread keeps its own). */
    private readonly workAreas: number[],
  ) {
    const spawn = spawner();
    if (typeof spawn === "string") throw new ValueError(`createWasmBackend: threads ${threads}: ${spawn}`);
    const control = new SharedArrayBuffer((HEADER + SLOT * (threads - 1)) * 4);
    this.control = new Int32Array(control);
    for (let i = 0; i < threads - 1; i++) {
      this.workers.push(
        spawn({ module, memory, control, index: i }, (message) => {
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
    Atomics.store(c, DONE, 0);
    this.seq = seq;
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    kernel(...args, work, 0, Math.min(N, per));
    for (let done = Atomics.load(c, DONE); done < expected; done = Atomics.load(c, DONE)) {
      if (Atomics.wait(c, DONE, done, 1000) === "timed-out" && this.errors.length > 0)
        throw new ValueError(`wasm backend: a GEMM worker thread failed: ${this.errors.join("; ")}`);
    }
    return true;
  }

  /** Stops the workers. */
  dispose(): void {
    Atomics.store(this.control, SEQ, -1);
    Atomics.notify(this.control, SEQ);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
