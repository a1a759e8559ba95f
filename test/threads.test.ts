/**
 * The wasm backend's threads: products split by columns over 1, 2 and 3
 * threads give the same bits (each element is summed in the same order, see
 * scripts/wasm/kernels.ts), so a training run's weights hash the same for
 * any thread count. Workers start in the background; the test waits until
 * they take part, so the split is really exercised.
 */
import { describe, expect, it } from "vitest";
import { ELEMENTWISE_MIN } from "../src/backend/threads.js";
import {
  createWasmBackend,
  Dense,
  jsBackend,
  type OptimizerName,
  OptionError,
  optimizerFromConfig,
  type Param,
  Sequential,
  SGD,
  Tensor,
  ValueError,
} from "../src/index.js";

/** FNV-1a over the float32 bits of every parameter. */
function hashParams(m: Sequential): string {
  let h = 2166136261;
  for (const p of m.params()) {
    const d = p.value.data as Float32Array;
    const u = new Uint32Array(d.buffer, d.byteOffset, d.length);
    for (let i = 0; i < u.length; i++) h = Math.imul(h ^ (u[i] as number), 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

async function waitReady(be: ReturnType<typeof createWasmBackend>): Promise<void> {
  const until = Date.now() + 20_000;
  while (be.threadsReady() < be.threads - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(be.threadsReady()).toBe(be.threads - 1);
}

describe("wasm backend threads", () => {
  it("the same weights, bit for bit, with 1, 2 and 3 threads (products of 128×512×256, split by columns)", async () => {
    const N = 512;
    const x = new Tensor(
      Float32Array.from({ length: N * 256 }, (_, i) => Math.sin(0.37 * i)),
      [N, 256],
    );
    const y = Tensor.from(Array.from({ length: N }, (_, i) => i % 10));
    const hashes: string[] = [];
    for (const threads of [1, 2, 3]) {
      const backend = createWasmBackend({ threads });
      await waitReady(backend);
      const m = new Sequential({ inputShape: [256], seed: 3, backend });
      m.add(new Dense({ units: 512, activation: "relu" }));
      m.add(new Dense({ units: 10 }));
      m.compile({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), loss: "sparseCategoricalCrossEntropy" });
      await m.fit(x, y, { epochs: 2, batchSize: 128 });
      hashes.push(hashParams(m));
      m.dispose();
    }
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).toBe(hashes[0]);
  }, 120_000);

  it("every transpose layout and ragged widths agree with one thread", async () => {
    const one = createWasmBackend();
    const two = createWasmBackend({ threads: 2 });
    await waitReady(two);
    for (const [M, N, K] of [
      [37, 133, 300],
      [128, 1030, 20],
      [300, 17, 260],
    ] as const)
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const sparse of [false, true]) {
            const run = (be: typeof one) => {
              const A = be.alloc("float32", M * K) as Float32Array;
              const B = be.alloc("float32", K * N) as Float32Array;
              const C = be.alloc("float32", M * N) as Float32Array;
              // sparse A (a fifth nonzero, as MNIST's pixels) takes the sparse-rows kernel where N ≥ 32
              for (let i = 0; i < A.length; i++) A[i] = sparse && i % 5 !== 2 ? 0 : Math.sin(0.31 * i);
              for (let i = 0; i < B.length; i++) B[i] = Math.cos(0.17 * i);
              C.fill(0.5);
              be.gemm(ta, tb, M, N, K, A, B, C, true);
              return Array.from(C);
            };
            expect(run(two), `${M}×${N}×${K} ${ta} ${tb} ${sparse}`).toEqual(run(one));
          }
    // the pool's own measure of its worth: a ratio of two timings (its size depends on the machine's load)
    const s = two.threadStatus();
    expect([s.threads, s.ready]).toEqual([2, 1]);
    expect(s.speedup).toBeGreaterThan(0);
    expect(Number.isFinite(s.speedup)).toBe(true);
    expect(one.threadStatus()).toEqual({ threads: 1, ready: 0, speedup: null });
    two.dispose();
  }, 60_000);

  it("every optimizer rule split over 2 and 3 threads: the reference's trajectory, bit for bit", async () => {
    // n past the split threshold and not a multiple of the 16-element ranges, so the last range is ragged
    const n = ELEMENTWISE_MIN * 2 + 37;
    const configs: [OptimizerName, Record<string, unknown>][] = [
      ["sgd", { lr: 0.1 }],
      ["sgd", { lr: 0.1, momentum: 0.9 }],
      ["sgd", { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
      ["adam", { lr: 0.01, weightDecay: 0.01 }],
      ["adamw", { lr: 0.01, weightDecay: 0.1 }],
      ["rmsprop", { lr: 0.01 }],
      ["rmsprop", { lr: 0.01, momentum: 0.5 }],
      ["rmsprop", { lr: 0.01, centered: true }],
      ["rmsprop", { lr: 0.01, centered: true, momentum: 0.5 }],
      ["adagrad", { lr: 0.1, lrDecay: 0.01 }],
      ["nadam", { lr: 0.01 }],
    ];
    const backends = [createWasmBackend({ threads: 2 }), createWasmBackend({ threads: 3 })];
    for (const b of backends) await waitReady(b);
    for (const [name, options] of configs) {
      const run = (backend: (typeof backends)[number] | typeof jsBackend): Uint32Array => {
        const p: Param = {
          name: "w",
          value: new Tensor(backend.alloc("float32", n), [n]),
          grad: new Tensor(backend.alloc("float32", n), [n]),
          decay: true,
        };
        for (let i = 0; i < n; i++) p.value.data[i] = Math.sin(0.013 * i);
        const opt = optimizerFromConfig({ name, ...options } as never);
        for (let t = 0; t < 4; t++) {
          for (let i = 0; i < n; i++) p.grad.data[i] = Math.cos(0.7 * i + t);
          opt.step([p], backend);
        }
        return new Uint32Array(Float32Array.from(p.value.data).buffer);
      };
      const want = run(jsBackend);
      for (const b of backends)
        expect({ name, options, threads: b.threads, w: run(b) }).toEqual({
          name,
          options,
          threads: b.threads,
          w: want,
        });
    }
    for (const b of backends) b.dispose();
  }, 60_000);

  it("refuses a thread count out of range, and threads without a shared memory", () => {
    expect(() => createWasmBackend({ threads: 0 })).toThrow(OptionError);
    expect(() => createWasmBackend({ threads: 2, shared: false })).toThrow(ValueError);
  });
});
