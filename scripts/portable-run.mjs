// The same seeded training on any engine (Node, Bun, Deno): prints a hash of the weights, the
// predictions and the reported losses and metrics, for each backend and dtype. scripts/engines.sh
// runs it under Node 20, 22 and 24, Bun and Deno and fails unless every engine prints the same.
const lib = await import(new URL("../dist/index.js", import.meta.url).href);
const { Sequential, Dense, Dropout, Activation, Adam, CosineDecay, Tensor } = lib;
function fnv(h, bytes) {
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
async function run(backend, dtype) {
  const n = 128,
    d = 6;
  const x = new Float64Array(n * d),
    y = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = ((i * 37 + j * 11) % 29) / 14.5 - 1;
    y.push((x[i * d] + x[i * d + 1] > 0 ? 1 : 0) + (x[i * d + 2] > 0.4 ? 1 : 0));
  }
  const m = new Sequential({ inputShape: [d], seed: 11, backend, dtype });
  m.add(new Dense({ units: 16, activation: "tanh" }));
  m.add(new Dense({ units: 16, activation: "sigmoid" }));
  m.add(new Dropout({ rate: 0.2 }));
  m.add(new Dense({ units: 12, activation: "gelu" }));
  m.add(new Dense({ units: 12, activation: "elu" }));
  m.add(new Activation({ activation: "softplus" }));
  m.add(new Dense({ units: 3 }));
  m.compile({
    optimizer: new Adam({ lr: new CosineDecay({ lr: 0.01, decaySteps: 40, warmupSteps: 3 }) }),
    loss: "sparseCategoricalCrossEntropy",
    metrics: ["accuracy"],
  });
  const xt = new Tensor(dtype === "float64" ? x : Float32Array.from(x), [n, d]);
  const h = await m.fit(xt, y, { epochs: 6, batchSize: 16, validationSplit: 0.25 });
  let hash = 0x811c9dc5;
  for (const p of m.params())
    hash = fnv(hash, new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
  const pred = m.predictProba(xt).data;
  hash = fnv(hash, new Uint8Array(pred.buffer, pred.byteOffset, pred.byteLength));
  const losses = Float64Array.from(Object.values(h.history).flat());
  hash = fnv(hash, new Uint8Array(losses.buffer));
  m.dispose();
  return hash.toString(16).padStart(8, "0");
}
/** A model whose products are split over threads (128×512×256); the same hash for any thread count. */
async function runThreads(threads) {
  const be = lib.createWasmBackend({ threads });
  const until = Date.now() + 20000;
  while (be.threadsReady() < threads - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (be.threadsReady() < threads - 1) return `no-threads-${threads}`;
  const n = 256;
  const x = Float32Array.from({ length: n * 256 }, (_, i) => ((i * 37) % 29) / 14.5 - 1);
  const y = Array.from({ length: n }, (_, i) => i % 10);
  const m = new Sequential({ inputShape: [256], seed: 5, backend: be });
  m.add(new Dense({ units: 512, activation: "relu" }));
  m.add(new Dense({ units: 10 }));
  m.compile({ optimizer: new Adam(), loss: "sparseCategoricalCrossEntropy" });
  await m.fit(new Tensor(x, [n, 256]), y, { epochs: 2, batchSize: 128 });
  let hash = 0x811c9dc5;
  for (const p of m.params())
    hash = fnv(hash, new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
  m.dispose();
  return hash.toString(16).padStart(8, "0");
}
const out = [];
for (const [b, t] of [
  ["js", "float64"],
  ["js", "float32"],
  ["wasm", "float32"],
])
  out.push(`${b}/${t} ${await run(b, t)}`);
const threaded = [await runThreads(1), await runThreads(2), await runThreads(3)];
out.push(`wasm/threads ${threaded.every((h) => h === threaded[0]) ? threaded[0] : threaded.join("≠")}`);
console.log(out.join("  "));
