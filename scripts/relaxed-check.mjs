// Relaxed SIMD on an engine that has it (Node ≥ 22, Bun, Deno): createWasmBackend({ relaxed: true })
// must take the relaxed module (`relaxed` true), and its products, which may fuse each multiply-add,
// must stay within the float32 bound of the plain products: each element's terms are the same, each
// rounded at most once more or less, so the two differ by at most 2·γ_(K+2)·Σ|a||b| (γ_n = n·u/(1 − n·u),
// u = 2⁻²⁴; Higham, Accuracy and Stability of Numerical Algorithms, §3.1). Prints "relaxed ok" and the
// share of elements whose bits differ (0 where the engine does not fuse), or fails. Two threads must give
// the relaxed one-thread bits (the same kernels on the same machine). scripts/engines.sh
// runs it; on an engine without Relaxed SIMD it checks the fallback instead.
const { createWasmBackend } = await import(new URL("../dist/index.js", import.meta.url).href);
const expectRelaxed = process.argv[2] !== "--fallback";
const plain = createWasmBackend();
const relaxed = createWasmBackend({ relaxed: true });
const relaxed2 = createWasmBackend({ relaxed: true, threads: 2 }); // the workers run the relaxed module too
const until = Date.now() + 20000;
while (relaxed2.threadsReady() < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
if (relaxed.relaxed !== expectRelaxed) {
  console.log(`relaxed FAILED: relaxed is ${relaxed.relaxed}, expected ${expectRelaxed}`);
  process.exit(1);
}
const U = 2 ** -24;
let differ = 0;
let total = 0;
for (const [ta, tb, M, N, K, sparse] of [
  [false, false, 128, 64, 300, false],
  [true, false, 70, 40, 128, false],
  [false, true, 33, 45, 77, false],
  [false, false, 128, 64, 300, true],
]) {
  const run = (be) => {
    const a = be.alloc("float32", M * K);
    const b = be.alloc("float32", K * N);
    const c = be.alloc("float32", M * N);
    for (let i = 0; i < a.length; i++) a[i] = sparse && i % 5 ? 0 : Math.sin(0.7 * i);
    for (let i = 0; i < b.length; i++) b[i] = Math.cos(0.3 * i);
    be.gemm(ta, tb, M, N, K, a, b, c, false);
    return { a: Array.from(a), b: Array.from(b), c: Array.from(c) };
  };
  const p = run(plain);
  const r = run(relaxed);
  const r2 = run(relaxed2);
  if (r2.c.some((v, i) => !Object.is(v, r.c[i]))) {
    console.log(`relaxed FAILED: ${M}×${N}×${K} on two threads differs from one thread`);
    process.exit(1);
  }
  const g = ((K + 2) * U) / (1 - (K + 2) * U);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(p.a[ta ? k * M + i : i * K + k] * p.b[tb ? j * K + k : k * N + j]);
      const d = Math.abs(p.c[i * N + j] - r.c[i * N + j]);
      if (!(d <= 2 * g * s)) {
        console.log(`relaxed FAILED: C[${i},${j}] of ${M}×${N}×${K}: |relaxed − plain| ${d} > ${2 * g * s}`);
        process.exit(1);
      }
      if (d !== 0) differ++;
      total++;
    }
}
if (!expectRelaxed && differ !== 0) {
  console.log(`relaxed FAILED: the fallback differs from the plain products in ${differ} elements`);
  process.exit(1);
}
relaxed2.dispose();
console.log(
  `relaxed ok (${expectRelaxed ? "in use" : "fallback"}; ${((100 * differ) / total).toFixed(0)}% of elements differ in bits)`,
);
