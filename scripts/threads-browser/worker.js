import { createWasmBackend, Dense, Sequential, SGD, Tensor } from "/dist/index.js";

const out = [];
function hashParams(m) {
  let h = 2166136261;
  for (const p of m.params()) {
    const d = p.value.data;
    for (const v of new Uint32Array(d.buffer, d.byteOffset, d.length)) h = Math.imul(h ^ v, 16777619) >>> 0;
  }
  return h.toString(16);
}
try {
  const N = 1024;
  const x = new Tensor(
    Float32Array.from({ length: N * 256 }, (_, i) => Math.sin(0.37 * i)),
    [N, 256],
  );
  const y = Tensor.from(Array.from({ length: N }, (_, i) => i % 10));
  const runs = Number(new URL(self.location.href).searchParams.get("runs") ?? 3);
  const many = Number(new URL(self.location.href).searchParams.get("t") ?? 2);
  for (const T of [1, ...Array(runs).fill(many)]) {
    postMessage({ progress: `  T ${T} creating` });
    const backend = createWasmBackend({ threads: T });
    postMessage({ progress: `  T ${T} created` });
    const t0 = Date.now();
    while (backend.threadsReady() < T - 1 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
    postMessage({ progress: `  T ${T} ready ${backend.threadsReady()} after ${Date.now() - t0} ms` });
    const m = new Sequential({ inputShape: [256], seed: 3, backend });
    m.add(new Dense({ units: 512, activation: "relu" }));
    m.add(new Dense({ units: 256, activation: "relu" }));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), loss: "sparseCategoricalCrossEntropy" });
    await m.fit(x, y, {
      epochs: 3,
      batchSize: 128,
      callbacks: [{ onEpochEnd: (e) => postMessage({ progress: `  T ${T} epoch ${e} ${Date.now() - t0} ms` }) }],
    });
    out.push(`threads ${T} ready ${backend.threadsReady()}: ${hashParams(m)}`);
    postMessage({ progress: out.at(-1) });
    postMessage({ progress: `  T ${T} disposing` });
    m.dispose();
    postMessage({ progress: `  T ${T} disposed` });
  }
} catch (e) {
  out.push(`error ${e.message} ${e.stack}`);
}
postMessage(out.join("\n"));
