/**
 * The WebAssembly kernels of the `wasm` backend, as a generator of WAT text.
 * `npm run build:wasm` assembles its output with wabt into
 * src/backend/wasm/bytes.ts (and writes the text beside it, for reading);
 * CI rebuilds both and fails on any difference.
 *
 * Why a generator and not hand-written WAT: the 4×8 micro-kernel has eight
 * accumulators and the optimizer rules come in scalar and two-lane forms of
 * the same formula; writing each once, in TypeScript, keeps them readable.
 *
 * Conventions. Every pointer is a byte offset into the one imported memory;
 * every array is row-major float32. Nothing here allocates: the JS side
 * (src/backend/wasm.ts) owns the allocator and passes a work area.
 *
 * Two families of kernels:
 * - GEMM in float32 (`gemm`): C (M, N) (+)= op(A) (M, K) · op(B) (K, N), the
 *   GotoBLAS loop nest with packed panels and a 4×8 register tile of eight
 *   f32x4 accumulators (XNNPACK's `f32-gemm 4x8 wasmsimd splat` shape). Its
 *   sums run in float32 in a different order from the JS reference, so its
 *   results agree with it to rounding, not bit for bit.
 * - Everything else mirrors the JS reference's arithmetic exactly: the
 *   optimizer rules compute in float64 (f64x2, two lanes at a time) and round
 *   to float32 on store, as `Float32Array` assignment does in JS; ReLU, the
 *   bias broadcast, the column sums and the dropout product are exact in
 *   float32 either way. So these kernels return the reference's bits.
 */

/** Blocking of the GEMM: KC rows of B per packed panel, MC rows of A per packed block, NC columns of B per block. */
export const GEMM_BLOCKS = { MR: 4, NR: 8, KC: 256, MC: 128, NC: 1024 } as const;

/**
 * Bytes of work area `gemm` needs: packed A (MC×KC floats), packed B (KC×NC),
 * one 4×8 tile, the kept-k offsets of each A panel (MC/4 × KC i32), each
 * panel's count (MC/4 i32) and 16 zero bytes.
 */
export const GEMM_WORK_BYTES =
  (GEMM_BLOCKS.MC * GEMM_BLOCKS.KC + GEMM_BLOCKS.KC * GEMM_BLOCKS.NC + 32) * 4 +
  (GEMM_BLOCKS.MC / 4) * GEMM_BLOCKS.KC * 4 +
  (GEMM_BLOCKS.MC / 4) * 4 +
  16;

const { KC, MC, NC } = GEMM_BLOCKS;

// ---------------------------------------------------------------- helpers
const get = (n: string): string => `(local.get $${n})`;
const set = (n: string, v: string): string => `(local.set $${n} ${v})`;
const i32 = (v: number): string => `(i32.const ${v})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
const minU = (a: string, b: string): string => `(select ${a} ${b} (i32.lt_u ${a} ${b}))`;

/** `for (v = from; v < to; v += step) body` over unsigned i32. */
function forLoop(v: string, from: string, to: string, step: string, body: string[]): string {
  const id = `${v}_${forLoop.count++}`;
  return [
    set(v, from),
    `(block $done_${id} (loop $next_${id}`,
    `  (br_if $done_${id} (i32.ge_u ${get(v)} ${to}))`,
    ...body.map((l) => `  ${l}`),
    `  ${set(v, add(get(v), step))}`,
    `  (br $next_${id})))`,
  ].join("\n");
}
forLoop.count = 0;

const indent = (s: string, n = 2): string =>
  s
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");

// ---------------------------------------------------------------- GEMM
/**
 * pack_a: rows ic … ic+mc of op(A), columns pc … pc+kc, into panels of 4 rows,
 * k-major, keeping only the k where one of the 4 values is not zero. Panel
 * r0 (rows ic + r0 …, at dst + r0·kc·4) holds its kept columns' 4 values one
 * after the other; `idx` + r0·kc holds the byte offset k·32 of each kept k
 * within a packed B panel; `cnt` + r0 how many were kept.
 * Why: a term a·b with a = 0 adds ±0, which leaves a float sum unchanged, so
 * dropping it changes no bit of the result (unless b is ±∞ or NaN, whose
 * 0·b = NaN is dropped too, as in the JS kernel's small-shape paths). Inputs
 * like MNIST's digits, about 80% blank, skip most of the first layer's work.
 * op(A)(i, k) is A[i·K + k], or A[k·M + i] when transposed: the transpose is
 * only a stride here. Rows past M read the zero word `zero` with stride 0.
 */
const packA = `
(func $pack_a (param $ta i32) (param $pA i32) (param $M i32) (param $K i32)
              (param $ic i32) (param $mc i32) (param $pc i32) (param $kc i32) (param $dst i32)
              (param $idx i32) (param $cnt i32) (param $zero i32)
  (local $r0 i32) (local $k i32) (local $i i32) (local $stride i32) (local $d i32) (local $q i32) (local $n i32)
  (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
  (local $v0 f32) (local $v1 f32) (local $v2 f32) (local $v3 f32)
  (if ${get("ta")} (then ${set("stride", mul(get("M"), i32(4)))}) (else ${set("stride", i32(4))}))
${indent(
  forLoop("r0", i32(0), get("mc"), i32(4), [
    ...[0, 1, 2, 3].flatMap((r) => [
      set("i", add(add(get("ic"), get("r0")), i32(r))),
      `(if (i32.lt_u ${get("i")} ${get("M")})
  (then
    (if ${get("ta")}
      (then ${set(`s${r}`, add(get("pA"), mul(add(mul(get("pc"), get("M")), get("i")), i32(4))))})
      (else ${set(`s${r}`, add(get("pA"), mul(add(mul(get("i"), get("K")), get("pc")), i32(4))))}))
    ${set(`t${r}`, get("stride"))})
  (else ${set(`s${r}`, get("zero"))} ${set(`t${r}`, i32(0))}))`,
    ]),
    set("d", add(get("dst"), mul(mul(get("r0"), get("kc")), i32(4)))),
    set("q", add(get("idx"), mul(mul(get("r0"), get("kc")), i32(1)))),
    set("n", i32(0)),
    forLoop("k", i32(0), get("kc"), i32(1), [
      ...[0, 1, 2, 3].map((r) => set(`v${r}`, `(f32.load ${get(`s${r}`)})`)),
      ...[0, 1, 2, 3].map((r) => set(`s${r}`, add(get(`s${r}`), get(`t${r}`)))),
      `(if (i32.or (i32.or (f32.ne ${get("v0")} (f32.const 0)) (f32.ne ${get("v1")} (f32.const 0)))
             (i32.or (f32.ne ${get("v2")} (f32.const 0)) (f32.ne ${get("v3")} (f32.const 0))))
  (then
    ${[0, 1, 2, 3].map((r) => `(f32.store offset=${r * 4} ${get("d")} ${get(`v${r}`)})`).join(" ")}
    ${set("d", add(get("d"), i32(16)))}
    (i32.store ${get("q")} ${mul(get("k"), i32(32))})
    ${set("q", add(get("q"), i32(4)))}
    ${set("n", add(get("n"), i32(1)))}))`,
    ]),
    `(i32.store ${add(get("cnt"), get("r0"))} ${get("n")})`,
  ]),
)})`;

/**
 * pack_b: rows pc … pc+kc of op(B), columns jc … jc+nc, into panels of 8
 * columns, k-major: dst[(c0·kc + k)·8 + c] = op(B)(pc + k, jc + c0 + c), zero
 * past nc. op(B)(k, j) is B[k·N + j], or B[j·K + k] when transposed. Full
 * panels move by v128: untransposed, each k's 8 floats are contiguous (two
 * copies); transposed, each column is contiguous along k, so 4×4 blocks are
 * loaded and transposed with shuffles. Edge panels go one float at a time.
 */
// i8x16.shuffle byte patterns of a 4×4 transpose of 32-bit lanes (lanes 0–3 of
// the first operand, 4–7 of the second): interleave the low or high halves of
// two rows, then take the low or high 64-bit halves of two interleaved pairs.
const lanes = (...l: number[]): string => l.flatMap((i) => [0, 1, 2, 3].map((b) => 4 * i + b)).join(" ");
const SHUF_LO = lanes(0, 4, 1, 5);
const SHUF_HI = lanes(2, 6, 3, 7);
const SHUF_A = lanes(0, 1, 4, 5);
const SHUF_B = lanes(2, 3, 6, 7);

const packB = `
(func $pack_b (param $tb i32) (param $pB i32) (param $N i32) (param $K i32)
              (param $pc i32) (param $kc i32) (param $jc i32) (param $nc i32) (param $dst i32)
  (local $c0 i32) (local $c i32) (local $k i32) (local $j i32) (local $src i32) (local $stride i32) (local $d i32)
  (local $k4 i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
  (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
${indent(
  forLoop("c0", i32(0), get("nc"), i32(8), [
    // a full panel of an untransposed B is 8 contiguous floats per k: two v128 copies
    `(if (i32.and (i32.eqz ${get("tb")}) (i32.le_u (i32.add ${get("c0")} ${i32(8)}) ${get("nc")}))
  (then
    ${set("src", add(get("pB"), mul(add(mul(get("pc"), get("N")), add(get("jc"), get("c0"))), i32(4))))}
    ${set("stride", mul(get("N"), i32(4)))}
    ${set("d", add(get("dst"), mul(mul(get("c0"), get("kc")), i32(4))))}
${indent(
  forLoop("k", i32(0), get("kc"), i32(1), [
    `(v128.store ${get("d")} (v128.load ${get("src")}))`,
    `(v128.store offset=16 ${get("d")} (v128.load offset=16 ${get("src")}))`,
    set("d", add(get("d"), i32(32))),
    set("src", add(get("src"), get("stride"))),
  ]),
  4,
)})
  (else`,
    // a full panel of a transposed B is 8 contiguous runs along k: 4×4 transposes by shuffles
    `(if (i32.and ${get("tb")} (i32.le_u (i32.add ${get("c0")} ${i32(8)}) ${get("nc")}))
  (then
    ${set("k4", `(i32.and ${get("kc")} (i32.const -4))`)}
${indent(
  forLoop("k", i32(0), get("k4"), i32(4), [
    ...[0, 1].flatMap((h) => [
      ...[0, 1, 2, 3].map((r) =>
        set(
          `r${r}`,
          `(v128.load ${add(get("pB"), mul(add(mul(add(add(get("jc"), get("c0")), i32(h * 4 + r)), get("K")), add(get("pc"), get("k"))), i32(4)))})`,
        ),
      ),
      set("x0", `(i8x16.shuffle ${SHUF_LO} ${get("r0")} ${get("r1")})`),
      set("x1", `(i8x16.shuffle ${SHUF_LO} ${get("r2")} ${get("r3")})`),
      set("x2", `(i8x16.shuffle ${SHUF_HI} ${get("r0")} ${get("r1")})`),
      set("x3", `(i8x16.shuffle ${SHUF_HI} ${get("r2")} ${get("r3")})`),
      set("d", add(get("dst"), mul(add(mul(get("c0"), get("kc")), mul(get("k"), i32(8))), i32(4)))),
      `(v128.store offset=${h * 16} ${get("d")} (i8x16.shuffle ${SHUF_A} ${get("x0")} ${get("x1")}))`,
      `(v128.store offset=${32 + h * 16} ${get("d")} (i8x16.shuffle ${SHUF_B} ${get("x0")} ${get("x1")}))`,
      `(v128.store offset=${64 + h * 16} ${get("d")} (i8x16.shuffle ${SHUF_A} ${get("x2")} ${get("x3")}))`,
      `(v128.store offset=${96 + h * 16} ${get("d")} (i8x16.shuffle ${SHUF_B} ${get("x2")} ${get("x3")}))`,
    ]),
  ]),
  4,
)}
${indent(
  forLoop("k", get("k4"), get("kc"), i32(1), [
    forLoop("c", i32(0), i32(8), i32(1), [
      `(f32.store ${add(get("dst"), mul(add(add(mul(get("c0"), get("kc")), mul(get("k"), i32(8))), get("c")), i32(4)))}
  (f32.load ${add(get("pB"), mul(add(mul(add(add(get("jc"), get("c0")), get("c")), get("K")), add(get("pc"), get("k"))), i32(4)))}))`,
    ]),
  ]),
  4,
)})
  (else`,
    forLoop("c", i32(0), i32(8), i32(1), [
      set("j", add(add(get("jc"), get("c0")), get("c"))),
      set("d", add(get("dst"), mul(add(mul(get("c0"), get("kc")), get("c")), i32(4)))),
      `(if (i32.lt_u (i32.add ${get("c0")} ${get("c")}) ${get("nc")})
  (then
    (if ${get("tb")}
      (then ${set("src", add(get("pB"), mul(add(mul(get("j"), get("K")), get("pc")), i32(4))))} ${set("stride", i32(4))})
      (else ${set("src", add(get("pB"), mul(add(mul(get("pc"), get("N")), get("j")), i32(4))))} ${set("stride", mul(get("N"), i32(4)))}))
${indent(
  forLoop("k", i32(0), get("kc"), i32(1), [
    `(f32.store ${get("d")} (f32.load ${get("src")}))`,
    set("d", add(get("d"), i32(32))),
    set("src", add(get("src"), get("stride"))),
  ]),
  4,
)})
  (else
${indent(forLoop("k", i32(0), get("kc"), i32(1), [`(f32.store ${get("d")} (f32.const 0))`, set("d", add(get("d"), i32(32)))]), 4)}))`,
    ]),
    "))))",
  ]),
)})`;

/**
 * c + a·b over four lanes: a multiply then an add, each rounded (the default,
 * the same bits everywhere); or, in the opt-in relaxed module, Relaxed SIMD's
 * `f32x4.relaxed_madd`, which the engine may fuse into one rounding (an FMA
 * where the CPU has one), so its bits depend on the machine.
 */
const madd = (a: string, b: string, c: string, relaxed: boolean): string =>
  relaxed ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add ${c} (f32x4.mul ${a} ${b}))`;

/**
 * gemm_4x8: one 4×8 tile of C from a packed 4-row panel of A (pa) and a packed
 * 8-column panel of B (pb), kc deep. Each k: splat the four a's, load the
 * eight b's as two f32x4, and add the 4×2 products into the accumulators.
 * Then C = tile (add = 0) or C += tile (add = 1); a partial tile (mr < 4 or
 * nr < 8, at the edges of C) goes through the 32-float scratch `tile`.
 * 4×8 because V8 keeps ~15 SIMD registers: 8 accumulators + 2 b's + 1 a fit,
 * and a 6×8 or 8×8 tile spills.
 */
function microKernel(sparse: boolean, relaxed = false): string {
  const acc: string[] = [];
  for (let r = 0; r < 4; r++) for (let h = 0; h < 2; h++) acc.push(`c${r}${h}`);
  // sparse: the packed A panel holds only the kept k; the B row of each is at pb + idx[k]
  const bAt = sparse ? get("pbk") : get("pb");
  const kBody: string[] = [set("b0", `(v128.load ${bAt})`), set("b1", `(v128.load offset=16 ${bAt})`)];
  if (sparse) kBody.unshift(set("pbk", `(i32.add ${get("pb")} (i32.load ${get("pidx")}))`));
  for (let r = 0; r < 4; r++) {
    kBody.push(set("a", `(v128.load32_splat offset=${r * 4} ${get("pa")})`));
    for (let h = 0; h < 2; h++) {
      kBody.push(set(`c${r}${h}`, madd(get("a"), get(`b${h}`), get(`c${r}${h}`), relaxed)));
    }
  }
  kBody.push(
    set("pa", add(get("pa"), i32(16))),
    sparse ? set("pidx", add(get("pidx"), i32(4))) : set("pb", add(get("pb"), i32(32))),
  );
  const fullStore: string[] = [];
  for (let r = 0; r < 4; r++) {
    const row = r === 0 ? get("pc") : add(get("pc"), mul(get("ldc"), i32(r)));
    fullStore.push(set("p", row));
    for (let h = 0; h < 2; h++) {
      const off = h === 0 ? "" : "offset=16 ";
      const v = get(`c${r}${h}`);
      fullStore.push(
        `(if ${get("add")} (then (v128.store ${off}${get("p")} (f32x4.add (v128.load ${off}${get("p")}) ${v}))) (else (v128.store ${off}${get("p")} ${v})))`,
      );
    }
  }
  const tileStore: string[] = [];
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++)
      tileStore.push(`(v128.store offset=${(r * 8 + h * 4) * 4} ${get("tile")} ${get(`c${r}${h}`)})`);
  }
  const partial = [
    ...tileStore,
    forLoop("r", i32(0), get("mr"), i32(1), [
      forLoop("j", i32(0), get("nr"), i32(1), [
        set("p", add(add(get("pc"), mul(get("r"), get("ldc"))), mul(get("j"), i32(4)))),
        set("t", `(f32.load ${add(get("tile"), mul(add(mul(get("r"), i32(8)), get("j")), i32(4)))})`),
        `(if ${get("add")} (then (f32.store ${get("p")} (f32.add (f32.load ${get("p")}) ${get("t")}))) (else (f32.store ${get("p")} ${get("t")})))`,
      ]),
    ]),
  ];
  return `
(func $gemm_4x8${sparse ? "_sparse" : ""} (param $pa i32) (param $pb i32) (param $kc i32) (param $pc i32) (param $ldc i32)
                (param $mr i32) (param $nr i32) (param $add i32) (param $tile i32) (param $pidx i32)
  ${acc.map((a) => `(local $${a} v128)`).join(" ")}
  (local $a v128) (local $b0 v128) (local $b1 v128) (local $p i32) (local $r i32) (local $j i32) (local $t f32) (local $pbk i32)
  (block $done (loop $next
    (br_if $done (i32.eqz ${get("kc")}))
${kBody.map((l) => `    ${l}`).join("\n")}
    ${set("kc", `(i32.sub ${get("kc")} ${i32(1)})`)}
    (br $next)))
  (if (i32.and (i32.eq ${get("mr")} ${i32(4)}) (i32.eq ${get("nr")} ${i32(8)}))
    (then
${fullStore.map((l) => `      ${l}`).join("\n")})
    (else
${indent(partial.join("\n"), 6)})))`;
}

/**
 * gemm: the loop nest. For each NC-wide block of columns (jc) and KC-deep
 * slice of K (pc), pack B once; for each MC-high block of rows (ic), pack A;
 * then walk the 8-column panels (jr) and, inside, the 4-row panels (ir), so
 * one packed B panel (kc×8) stays in L1 while the A block (MC×KC) sits in L2.
 * The first K slice overwrites C unless `acc`; the later ones add to it.
 *
 * Only the columns j0 ≤ j < j1 of C are computed (0 and N for all of them):
 * threads split a product by columns, each with its own work area. Each
 * element of C is summed in the same order whichever range it falls in (the
 * order depends on the K slices only), so the bits do not depend on the split.
 */
const gemmMain = `
(func (export "gemm") (param $ta i32) (param $tb i32) (param $M i32) (param $N i32) (param $K i32)
                      (param $pA i32) (param $pB i32) (param $pC i32) (param $acc i32) (param $work i32)
                      (param $j0 i32) (param $j1 i32)
  (local $packA i32) (local $packB i32) (local $tile i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
  (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $add i32)
  (local $idx i32) (local $cnt i32) (local $zero i32) (local $n i32)
  ${set("packA", get("work"))}
  ${set("packB", add(get("work"), i32(MC * KC * 4)))}
  ${set("tile", add(get("packB"), i32(KC * NC * 4)))}
  ${set("idx", add(get("tile"), i32(32 * 4)))}
  ${set("cnt", add(get("idx"), i32((MC / 4) * KC * 4)))}
  ${set("zero", add(get("cnt"), i32((MC / 4) * 4)))}
  (v128.store ${get("zero")} (v128.const i32x4 0 0 0 0))
  (if (i32.eqz ${get("K")})
    (then
      (if (i32.eqz ${get("acc")}) (then (memory.fill ${get("pC")} (i32.const 0) ${mul(mul(get("M"), get("N")), i32(4))})))
      (return)))
${indent(
  forLoop("jc", get("j0"), get("j1"), i32(NC), [
    set("nc", minU(i32(NC), `(i32.sub ${get("j1")} ${get("jc")})`)),
    forLoop("pc", i32(0), get("K"), i32(KC), [
      set("kc", minU(i32(KC), `(i32.sub ${get("K")} ${get("pc")})`)),
      `(call $pack_b ${["tb", "pB", "N", "K", "pc", "kc", "jc", "nc", "packB"].map(get).join(" ")})`,
      set("add", `(i32.or ${get("acc")} (i32.ne ${get("pc")} ${i32(0)}))`),
      forLoop("ic", i32(0), get("M"), i32(MC), [
        set("mc", minU(i32(MC), `(i32.sub ${get("M")} ${get("ic")})`)),
        `(call $pack_a ${["ta", "pA", "M", "K", "ic", "mc", "pc", "kc", "packA", "idx", "cnt", "zero"].map(get).join(" ")})`,
        forLoop("jr", i32(0), get("nc"), i32(8), [
          forLoop("ir", i32(0), get("mc"), i32(4), [
            set("n", `(i32.load ${add(get("cnt"), get("ir"))})`),
            // a panel that kept every k runs the dense kernel; one with zeros dropped, the indexed one
            ...[false, true].map((sparse) => {
              const args = `
  ${add(get("packA"), mul(mul(get("ir"), get("kc")), i32(4)))}
  ${add(get("packB"), mul(mul(get("jr"), get("kc")), i32(4)))}
  ${get("n")}
  ${add(get("pC"), mul(add(mul(add(get("ic"), get("ir")), get("N")), add(get("jc"), get("jr"))), i32(4)))}
  ${mul(get("N"), i32(4))}
  ${minU(i32(4), `(i32.sub ${get("mc")} ${get("ir")})`)}
  ${minU(i32(8), `(i32.sub ${get("nc")} ${get("jr")})`)}
  ${get("add")} ${get("tile")} ${add(get("idx"), mul(get("ir"), get("kc")))}`;
              return `(if (i32.${sparse ? "ne" : "eq"} ${get("n")} ${get("kc")}) (then (call $gemm_4x8${sparse ? "_sparse" : ""} ${args})))`;
            }),
          ]),
        ]),
      ]),
    ]),
  ]),
)})`;

// ---------------------------------------------------------------- GEMM over sparse rows of A
/**
 * pack_rows: the nonzero entries of rows ic … ic+mc of op(A) within the K
 * slice pc … pc+kc, one list per row: row r's list starts at
 * lists + r·KC·8 and holds `cnt[r]` pairs (byte offset of B's row pc+k,
 * i32; the value a, f32), in increasing k. NaN counts as nonzero (kept).
 */
const packRows = `
(func $pack_rows (param $ta i32) (param $pA i32) (param $M i32) (param $K i32)
                 (param $ic i32) (param $mc i32) (param $pc i32) (param $kc i32) (param $N i32)
                 (param $lists i32) (param $cnts i32)
  (local $r i32) (local $k i32) (local $i i32) (local $s i32) (local $stride i32) (local $e i32) (local $n i32)
  (local $boff i32) (local $v f32)
  (if ${get("ta")} (then ${set("stride", mul(get("M"), i32(4)))}) (else ${set("stride", i32(4))}))
${indent(
  forLoop("r", i32(0), get("mc"), i32(1), [
    set("i", add(get("ic"), get("r"))),
    `(if ${get("ta")}
  (then ${set("s", add(get("pA"), mul(add(mul(get("pc"), get("M")), get("i")), i32(4))))})
  (else ${set("s", add(get("pA"), mul(add(mul(get("i"), get("K")), get("pc")), i32(4))))}))`,
    set("e", add(get("lists"), mul(get("r"), i32(KC * 8)))),
    set("boff", mul(mul(get("pc"), get("N")), i32(4))),
    set("n", i32(0)),
    forLoop("k", i32(0), get("kc"), i32(1), [
      set("v", `(f32.load ${get("s")})`),
      `(if (f32.ne ${get("v")} (f32.const 0))
  (then
    (i32.store ${get("e")} ${get("boff")})
    (f32.store offset=4 ${get("e")} ${get("v")})
    ${set("e", add(get("e"), i32(8)))}
    ${set("n", add(get("n"), i32(1)))}))`,
      set("s", add(get("s"), get("stride"))),
      set("boff", add(get("boff"), mul(get("N"), i32(4)))),
    ]),
    `(i32.store ${add(get("cnts"), mul(get("r"), i32(4)))} ${get("n")})`,
  ]),
)})`;

/**
 * row_W: W consecutive elements of one row of C from that row's list (e, n):
 * acc = Σ a·B[k, j…j+W) over the list in order, then C = acc (add = 0) or
 * C += acc. W is 32 or 8 (eight or two f32x4 accumulators) or 1 (one f32,
 * for a remainder narrower than 8). Each lane sums the same terms in the same
 * order, with the same operations, as the packed 4×8 kernel does for that
 * element (it adds 0·b for the k another row of its panel kept, which leaves
 * a finite sum unchanged), so both kernels return the same bits.
 */
function rowKernel(w: 32 | 8 | 1, relaxed = false): string {
  const lanes = w === 1 ? 1 : w / 4;
  const accs = Array.from({ length: lanes }, (_, h) => `c${h}`);
  const t = w === 1 ? "f32" : "v128";
  const body =
    w === 1
      ? [
          set("p", add(get("pb"), `(i32.load ${get("e")})`)),
          set("c0", `(f32.add ${get("c0")} (f32.mul (f32.load offset=4 ${get("e")}) (f32.load ${get("p")})))`),
        ]
      : [
          set("p", add(get("pb"), `(i32.load ${get("e")})`)),
          set("a", `(v128.load32_splat offset=4 ${get("e")})`),
          ...accs.map((c, h) => set(c, madd(get("a"), `(v128.load offset=${h * 16} ${get("p")})`, get(c), relaxed))),
        ];
  const store = accs.map((c, h) => {
    const off = `offset=${h * (w === 1 ? 4 : 16)}`;
    const op = w === 1 ? "f32" : "f32x4";
    return `(if ${get("add")} (then (${t === "f32" ? "f32" : "v128"}.store ${off} ${get("pc")} (${op}.add (${t === "f32" ? "f32" : "v128"}.load ${off} ${get("pc")}) ${get(c)}))) (else (${t === "f32" ? "f32" : "v128"}.store ${off} ${get("pc")} ${get(c)})))`;
  });
  return `
(func $row_${w} (param $e i32) (param $n i32) (param $pb i32) (param $pc i32) (param $add i32)
  ${accs.map((c) => `(local $${c} ${t})`).join(" ")} (local $a v128) (local $p i32)
  (block $done (loop $next
    (br_if $done (i32.eqz ${get("n")}))
${body.map((l) => `    ${l}`).join("\n")}
    ${set("e", add(get("e"), i32(8)))}
    ${set("n", `(i32.sub ${get("n")} ${i32(1)})`)}
    (br $next)))
${store.map((l) => `  ${l}`).join("\n")})`;
}

/**
 * gemm_rows: the same product as `gemm` for B not transposed (tb = 0), for an
 * A that is mostly zeros, and with the same bits. Where `gemm` keeps a k for
 * a 4-row panel when any of its four rows has a nonzero there (on MNIST's
 * digits, about half the k), this kernel keeps, for each row, only its own
 * nonzeros (about a fifth), and reads B's rows in place: per K slice and
 * block of MC rows, pack each row's list, then for each 32-column strip of
 * C (then 8, then 1) and each row, sum over the list. Same slices, same
 * order within each, same first-slice store: identical results.
 */
const gemmRows = `
(func (export "gemm_rows") (param $ta i32) (param $M i32) (param $N i32) (param $K i32)
                           (param $pA i32) (param $pB i32) (param $pC i32) (param $acc i32) (param $work i32)
                           (param $j0 i32) (param $j1 i32)
  (local $cnts i32) (local $lists i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
  (local $add i32) (local $j i32) (local $r i32) (local $crow i32)
  ${set("cnts", get("work"))}
  ${set("lists", add(get("work"), i32(MC * KC * 4)))}
  (if (i32.eqz ${get("K")})
    (then
      (if (i32.eqz ${get("acc")})
        (then
${indent(
  forLoop("r", i32(0), get("M"), i32(1), [
    `(memory.fill ${add(get("pC"), mul(add(mul(get("r"), get("N")), get("j0")), i32(4)))} (i32.const 0) ${mul(`(i32.sub ${get("j1")} ${get("j0")})`, i32(4))})`,
  ]),
  10,
)}))
      (return)))
${indent(
  forLoop("pc", i32(0), get("K"), i32(KC), [
    set("kc", minU(i32(KC), `(i32.sub ${get("K")} ${get("pc")})`)),
    set("add", `(i32.or ${get("acc")} (i32.ne ${get("pc")} ${i32(0)}))`),
    forLoop("ic", i32(0), get("M"), i32(MC), [
      set("mc", minU(i32(MC), `(i32.sub ${get("M")} ${get("ic")})`)),
      `(call $pack_rows ${["ta", "pA", "M", "K", "ic", "mc", "pc", "kc", "N", "lists", "cnts"].map(get).join(" ")})`,
      set("j", get("j0")),
      ...([32, 8, 1] as const).map((w) => {
        const id = `w${w}_${forLoop.count++}`;
        return `(block $done_${id} (loop $next_${id}
  (br_if $done_${id} (i32.gt_u ${add(get("j"), i32(w))} ${get("j1")}))
${indent(
  forLoop("r", i32(0), get("mc"), i32(1), [
    set("crow", add(get("ic"), get("r"))),
    `(call $row_${w} ${add(get("lists"), mul(get("r"), i32(KC * 8)))} (i32.load ${add(get("cnts"), mul(get("r"), i32(4)))})
  ${add(get("pB"), mul(get("j"), i32(4)))} ${add(get("pC"), mul(add(mul(get("crow"), get("N")), get("j")), i32(4)))} ${get("add")})`,
  ]),
)}
  ${set("j", add(get("j"), i32(w)))}
  (br $next_${id})))`;
      }),
    ]),
  ]),
)})`;

/** Elements of a (n float32) that are not +0 or −0 (NaN counts): how sparse an operand is. */
const countNonzero = `
(func (export "count_nonzero") (param $a i32) (param $n i32) (result i32)
  (local $o i32) (local $end i32) (local $end4 i32) (local $c v128) (local $s i32)
  ${set("end", mul(get("n"), i32(4)))}
  ${set("end4", mul(`(i32.and ${get("n")} (i32.const -4))`, i32(4)))}
  ${set("c", "(v128.const i32x4 0 0 0 0)")}
${indent(forLoop("o", i32(0), get("end4"), i32(16), [set("c", `(i32x4.sub ${get("c")} (f32x4.ne (v128.load ${add(get("a"), get("o"))}) (v128.const f32x4 0 0 0 0)))`)]))}
${indent(forLoop("o", get("end4"), get("end"), i32(4), [set("s", add(get("s"), `(f32.ne (f32.load ${add(get("a"), get("o"))}) (f32.const 0))`))]))}
  (i32.add ${get("s")} (i32.add (i32.add (i32x4.extract_lane 0 ${get("c")}) (i32x4.extract_lane 1 ${get("c")}))
                                (i32.add (i32x4.extract_lane 2 ${get("c")}) (i32x4.extract_lane 3 ${get("c")})))))`;

// ---------------------------------------------------------------- exact float32 element-wise kernels
/**
 * A loop over n float32 elements, four at a time, then one at a time: `vec`
 * and `one` produce the statements for a byte offset `o`.
 */
function f32Loop(name: string, params: string[], vec: (o: string) => string[], one: (o: string) => string[]): string {
  return `
(func (export "${name}") ${params.map((p) => `(param $${p} i32)`).join(" ")} (param $n i32)
  (local $o i32) (local $end i32) (local $end4 i32)
  ${set("end", mul(get("n"), i32(4)))}
  ${set("end4", mul(`(i32.and ${get("n")} (i32.const -4))`, i32(4)))}
${indent(forLoop("o", i32(0), get("end4"), i32(16), vec(get("o"))))}
${indent(forLoop("o", get("end4"), get("end"), i32(4), one(get("o"))))})`;
}
const at = (p: string, o: string): string => add(get(p), o);

/** y = max(x, 0) (NaN stays NaN, −0 becomes +0, as Math.max(x, 0)). */
const reluForward = f32Loop(
  "relu_forward",
  ["x", "y"],
  (o) => [`(v128.store ${at("y", o)} (f32x4.max (v128.load ${at("x", o)}) (v128.const f32x4 0 0 0 0)))`],
  (o) => [`(f32.store ${at("y", o)} (f32.max (f32.load ${at("x", o)}) (f32.const 0)))`],
);
/** dx = x > 0 ? dy : 0: the comparison's mask selects dy (PyTorch's 0 at the kink). */
const reluBackward = f32Loop(
  "relu_backward",
  ["x", "dy", "dx"],
  (o) => [
    `(v128.store ${at("dx", o)} (v128.and (v128.load ${at("dy", o)}) (f32x4.gt (v128.load ${at("x", o)}) (v128.const f32x4 0 0 0 0))))`,
  ],
  (o) => [
    `(f32.store ${at("dx", o)} (select (f32.load ${at("dy", o)}) (f32.const 0) (f32.gt (f32.load ${at("x", o)}) (f32.const 0))))`,
  ],
);
/** y = x ⊙ m (dropout's mask). */
const multiply = f32Loop(
  "multiply",
  ["x", "m", "y"],
  (o) => [`(v128.store ${at("y", o)} (f32x4.mul (v128.load ${at("x", o)}) (v128.load ${at("m", o)})))`],
  (o) => [`(f32.store ${at("y", o)} (f32.mul (f32.load ${at("x", o)}) (f32.load ${at("m", o)})))`],
);
/** db += dz over n columns: one row of the column sums. */
const addRow = f32Loop(
  "add_row",
  ["dz", "db"],
  (o) => [`(v128.store ${at("db", o)} (f32x4.add (v128.load ${at("db", o)}) (v128.load ${at("dz", o)})))`],
  (o) => [`(f32.store ${at("db", o)} (f32.add (f32.load ${at("db", o)}) (f32.load ${at("dz", o)})))`],
);

/** db[j] += Σ_r dz[r, j], rows in order (so each db[j] sees the reference's sum order). */
const addColumnSums = `
(func (export "add_column_sums") (param $dz i32) (param $db i32) (param $rows i32) (param $cols i32)
  (local $r i32)
${indent(
  forLoop("r", i32(0), get("rows"), i32(1), [
    `(call $add_row_ ${add(get("dz"), mul(mul(get("r"), get("cols")), i32(4)))} ${get("db")} ${get("cols")})`,
  ]),
)})`;

/** z[r, :] = b for each row: one memory.copy per row. */
const broadcastRows = `
(func (export "broadcast_rows") (param $b i32) (param $z i32) (param $rows i32) (param $cols i32)
  (local $r i32) (local $bytes i32)
  ${set("bytes", mul(get("cols"), i32(4)))}
${indent(forLoop("r", i32(0), get("rows"), i32(1), [`(memory.copy ${add(get("z"), mul(get("r"), get("bytes")))} ${get("b")} ${get("bytes")})`]))})`;

// ---------------------------------------------------------------- optimizer rules in float64
/**
 * One rule, written once and emitted twice: over two lanes (f64x2, each pair
 * of float32 promoted, computed, demoted) and over one (the odd last
 * element). `body` is a list of [target, expression]; a target that names an
 * array stores the float32-rounded value, any other name is a float64 local.
 * Expressions are S-expressions over `$name` (an array element, a local or a
 * scalar parameter) and the operators add, sub, mul, div, sqrt, min, max, neg.
 * The order of operations is the JS reference's, so the bits are too.
 */
interface Rule {
  name: string;
  arrays: string[];
  scalars: string[];
  locals: string[];
  body: [string, string][];
}

function emitExpr(e: string, lanes: 1 | 2, arrays: Set<string>): string {
  const t = lanes === 2 ? "f64x2" : "f64";
  return e.replace(/\$([a-zA-Z0-9_]+)|\b(add|sub|mul|div|sqrt|min|max|neg)\b/g, (_m, name?: string, op?: string) => {
    if (op) return `${t}.${op}`;
    const n = name as string;
    if (arrays.has(n)) {
      return lanes === 2
        ? `(f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $${n}) (local.get $o))))`
        : `(f64.promote_f32 (f32.load (i32.add (local.get $${n}) (local.get $o))))`;
    }
    return lanes === 2 ? `(local.get $${n}_v)` : `(local.get $${n})`;
  });
}

function emitRule(r: Rule): string {
  const arrays = new Set(r.arrays);
  const step = (lanes: 1 | 2): string[] =>
    r.body.map(([target, expr]) => {
      const v = emitExpr(expr, lanes, arrays);
      if (!arrays.has(target)) return set(lanes === 2 ? `${target}_v` : target, v);
      const p = add(get(target), get("o"));
      return lanes === 2
        ? `(v128.store64_lane 0 ${p} (f32x4.demote_f64x2_zero ${v}))`
        : `(f32.store ${p} (f32.demote_f64 ${v}))`;
    });
  const names = [...r.scalars, ...r.locals];
  return `
(func (export "${r.name}") ${r.arrays.map((a) => `(param $${a} i32)`).join(" ")} (param $n i32) ${r.scalars.map((s) => `(param $${s} f64)`).join(" ")}
  (local $o i32) (local $end i32) (local $end2 i32)
  ${r.locals.map((l) => `(local $${l} f64)`).join(" ")} ${names.map((l) => `(local $${l}_v v128)`).join(" ")}
  ${r.scalars.map((s) => set(`${s}_v`, `(f64x2.splat ${get(s)})`)).join(" ")}
  ${set("end", mul(get("n"), i32(4)))}
  ${set("end2", mul(`(i32.and ${get("n")} (i32.const -2))`, i32(4)))}
${indent(forLoop("o", i32(0), get("end2"), i32(8), step(2)))}
${indent(forLoop("o", get("end2"), get("end"), i32(4), step(1)))})`;
}

/** The rules of src/backend/rules.ts, term for term (see the formulas there). */
const RULES: Rule[] = [
  // SGD without momentum: θ ← θ − η(g + λθ)
  {
    name: "sgd",
    arrays: ["w", "g"],
    scalars: ["lr", "wd"],
    locals: [],
    body: [["w", "(sub $w (mul $lr (add $g (mul $wd $w))))"]],
  },
  // SGD with momentum, one function per (first step, Nesterov) pair: b ← g or μb + (1 − τ)g
  ...[false, true].flatMap((first) =>
    [false, true].map(
      (nesterov): Rule => ({
        name: `sgd_momentum${first ? "_first" : ""}${nesterov ? "_nesterov" : ""}`,
        arrays: ["w", "g", "b"],
        scalars: ["lr", "wd", "mu", "damp"],
        locals: ["gi", "bi"],
        body: [
          ["gi", "(add $g (mul $wd $w))"],
          ["bi", first ? "$gi" : "(add (mul $mu $b) (mul $damp $gi))"],
          ["b", "$bi"],
          ["w", nesterov ? "(sub $w (mul $lr (add $gi (mul $mu $bi))))" : "(sub $w (mul $lr $bi))"],
        ],
      }),
    ),
  ),
  // Adam/AdamW: coupled = λ or 0, shrink = 1 − ηλ or 1; omb1 = 1 − β₁, omb2 = 1 − β₂
  {
    name: "adam",
    arrays: ["w", "g", "m", "v"],
    scalars: ["lr", "coupled", "shrink", "beta1", "omb1", "beta2", "omb2", "eps", "bc1", "bc2"],
    locals: ["wi", "gi", "mi", "vi"],
    body: [
      ["wi", "(mul $w $shrink)"],
      ["gi", "(add $g (mul $coupled $w))"],
      ["mi", "(add (mul $beta1 $m) (mul $omb1 $gi))"],
      ["vi", "(add (mul $beta2 $v) (mul (mul $omb2 $gi) $gi))"],
      ["m", "$mi"],
      ["v", "$vi"],
      ["w", "(sub $wi (div (mul $lr (div $mi $bc1)) (add (sqrt (div $vi $bc2)) $eps)))"],
    ],
  },
  // RMSprop, one function per (centered, momentum) pair; oma = 1 − α
  ...[false, true].flatMap((centered) =>
    [false, true].map((momentum): Rule => {
      const body: [string, string][] = [
        ["gi", "(add $g (mul $wd $w))"],
        ["vi", "(add (mul $alpha $v) (mul (mul $oma $gi) $gi))"],
        ["v", "$vi"],
      ];
      if (centered) body.push(["ga", "(add (mul $alpha $gavg) (mul $oma $gi))"], ["gavg", "$ga"]);
      body.push(["st", `(div $gi (add (sqrt ${centered ? "(sub $vi (mul $ga $ga))" : "$vi"}) $eps))`]);
      if (momentum) body.push(["bi", "(add (mul $mu $b) $st)"], ["b", "$bi"], ["w", "(sub $w (mul $lr $bi))"]);
      else body.push(["w", "(sub $w (mul $lr $st))"]);
      return {
        name: `rmsprop${centered ? "_centered" : ""}${momentum ? "_momentum" : ""}`,
        arrays: ["w", "g", "v", ...(centered ? ["gavg"] : []), ...(momentum ? ["b"] : [])],
        scalars: ["lr", "wd", "alpha", "oma", "eps", "mu"],
        locals: ["gi", "vi", "ga", "st", "bi"],
        body,
      };
    }),
  ),
  // Adagrad with this step's decayed rate clr
  {
    name: "adagrad",
    arrays: ["w", "g", "s"],
    scalars: ["clr", "wd", "eps"],
    locals: ["gi", "si"],
    body: [
      ["gi", "(add $g (mul $wd $w))"],
      ["si", "(add $s (mul $gi $gi))"],
      ["s", "$si"],
      ["w", "(sub $w (div (mul $clr $gi) (add (sqrt $si) $eps)))"],
    ],
  },
  // Nadam with this step's coefficients cg, cm, bc2
  {
    name: "nadam",
    arrays: ["w", "g", "m", "v"],
    scalars: ["wd", "beta1", "omb1", "beta2", "omb2", "eps", "cg", "cm", "bc2"],
    locals: ["gi", "mi", "vi", "dn"],
    body: [
      ["gi", "(add $g (mul $wd $w))"],
      ["mi", "(add (mul $beta1 $m) (mul $omb1 $gi))"],
      ["vi", "(add (mul $beta2 $v) (mul (mul $omb2 $gi) $gi))"],
      ["m", "$mi"],
      ["v", "$vi"],
      ["dn", "(add (sqrt (div $vi $bc2)) $eps)"],
      ["w", "(sub (sub $w (div (mul $cg $gi) $dn)) (div (mul $cm $mi) $dn))"],
    ],
  },
  // a ← a·k
  { name: "scale", arrays: ["a"], scalars: ["k"], locals: [], body: [["a", "(mul $a $k)"]] },
  // a ← min(v, max(−v, a)), as Math.min(v, Math.max(−v, a)); nv = −v
  { name: "clamp", arrays: ["a"], scalars: ["v", "nv"], locals: [], body: [["a", "(min $v (max $nv $a))"]] },
];

/** acc + Σ aᵢ², one element at a time in index order (the reference's order, so its bits). */
const sumSquares = `
(func (export "sum_squares") (param $a i32) (param $n i32) (param $acc f64) (result f64)
  (local $o i32) (local $end i32) (local $x f64)
  ${set("end", mul(get("n"), i32(4)))}
${indent(
  forLoop("o", i32(0), get("end"), i32(4), [
    set("x", `(f64.promote_f32 (f32.load ${add(get("a"), get("o"))}))`),
    set("acc", `(f64.add ${get("acc")} (f64.mul ${get("x")} ${get("x")}))`),
  ]),
)}
  ${get("acc")})`;

/**
 * 1 if every float32 of a is finite, else 0. x·0 is ±0 for every finite x and
 * NaN for ±Infinity and NaN, so a sum of x·0 stays zero exactly when all are
 * finite (it cannot overflow); four lanes at a time, then the tail.
 */
const allFinite = `
(func (export "all_finite") (param $a i32) (param $n i32) (result i32)
  (local $o i32) (local $end i32) (local $end4 i32) (local $acc v128) (local $s f32)
  ${set("end", mul(get("n"), i32(4)))}
  ${set("end4", mul(`(i32.and ${get("n")} (i32.const -4))`, i32(4)))}
${indent(
  forLoop("o", i32(0), get("end4"), i32(16), [
    set(
      "acc",
      `(f32x4.add ${get("acc")} (f32x4.mul (v128.load ${add(get("a"), get("o"))}) (v128.const f32x4 0 0 0 0)))`,
    ),
  ]),
)}
${indent(
  forLoop("o", get("end4"), get("end"), i32(4), [
    set("s", `(f32.add ${get("s")} (f32.mul (f32.load ${add(get("a"), get("o"))}) (f32.const 0)))`),
  ]),
)}
  (i32.and (i32x4.all_true (f32x4.eq ${get("acc")} (v128.const f32x4 0 0 0 0))) (f32.eq ${get("s")} (f32.const 0))))`;

/**
 * The whole module. `shared` chooses the memory import: a shared memory
 * (growable without moving, so views made before a grow stay valid) or a
 * plain one (fixed size, for engines without shared memory).
 */
export function kernelsWat(shared: boolean): string {
  forLoop.count = 0;
  const memory = shared ? "(memory 1 65536 shared)" : "(memory 1)";
  const addRowInternal = addRow.replace('(func (export "add_row")', '(func $add_row_ (export "add_row")');
  return `;; Generated by scripts/wasm/build.ts from scripts/wasm/kernels.ts: do not edit.
(module
(import "env" "memory" ${memory})
${[packA, packB, microKernel(false), microKernel(true), gemmMain, packRows, rowKernel(32), rowKernel(8), rowKernel(1), gemmRows, countNonzero, expF, expm1F, tanhF, unaryMany, ...sigmoid, ...tanh, ...leakyRelu, ...elu, ...selu, ...hardSigmoid, reflect, convolve, blur, bilinear, deformImages, reluForward, reluBackward, multiply, addRowInternal, addColumnSums, broadcastRows, sumSquares, allFinite, ...RULES.map(emitRule)].join("\n")}
)
`;
}

/**
 * The opt-in relaxed module: only the two GEMM kernels (`gemm`, `gemm_rows`),
 * with `f32x4.relaxed_madd` for each multiply-add, over the same shared
 * memory. Separate, because an engine without Relaxed SIMD rejects a whole
 * module that uses it; the backend feature-detects it and falls back.
 */
export function relaxedWat(): string {
  forLoop.count = 0;
  return `;; Generated by scripts/wasm/build.ts from scripts/wasm/kernels.ts: do not edit.
(module
(import "env" "memory" (memory 1 65536 shared))
${[packA, packB, microKernel(false, true), microKernel(true, true), gemmMain, packRows, rowKernel(32, true), rowKernel(8, true), rowKernel(1, true), gemmRows].join("\n")}
)
`;
}

// ---------------------------------------------------------------- transcendental functions (the JS reference's bits)
/** A float64 constant by its bits, so the module holds exactly the reference's double. */
function c64(v: number): string {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return `(f64.reinterpret_i64 (i64.const 0x${b.getBigUint64(0).toString(16)}))`;
}
const hiWord = (x: string): string => `(i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 ${x}) (i64.const 32)))`;
const loWord = (x: string): string => `(i32.wrap_i64 (i64.reinterpret_f64 ${x}))`;
/** The double whose high word is h and low word 0. */
const fromHi = (h: string): string => `(f64.reinterpret_i64 (i64.shl (i64.extend_i32_u ${h}) (i64.const 32)))`;

/**
 * exp: src/math.ts's expInto (fdlibm e_exp.c) operation for operation: the
 * same reduction, the same polynomial, the same scaling, so the same bits.
 */
const expF = `
(func $exp (param $x f64) (result f64)
  (local $hx i32) (local $xsb i32) (local $k i32) (local $hi f64) (local $lo f64) (local $t f64) (local $c f64)
  (local $y f64) (local $twopk f64)
  ${set("hx", hiWord(get("x")))}
  ${set("xsb", `(i32.and (i32.shr_u ${get("hx")} (i32.const 31)) (i32.const 1))`)}
  ${set("hx", `(i32.and ${get("hx")} (i32.const 0x7fffffff))`)}
  (if (i32.ge_u ${get("hx")} (i32.const 0x40862e42))
    (then
      (if (i32.ge_u ${get("hx")} (i32.const 0x7ff00000))
        (then
          (if (i32.or (i32.and ${get("hx")} (i32.const 0xfffff)) ${loWord(get("x"))})
            (then (return (f64.add ${get("x")} ${get("x")}))))
          (return (select ${get("x")} (f64.const 0) (i32.eqz ${get("xsb")})))))
      (if (f64.gt ${get("x")} ${c64(709.782712893384)}) (then (return (f64.mul ${c64(1e300)} ${c64(1e300)}))))
      (if (f64.lt ${get("x")} ${c64(-745.1332191019411)}) (then (return (f64.mul ${c64(9.332636185032189e-302)} ${c64(9.332636185032189e-302)}))))))
  (if (i32.gt_u ${get("hx")} (i32.const 0x3fd62e42))
    (then
      (if (i32.lt_u ${get("hx")} (i32.const 0x3ff0a2b2))
        (then
          (if (f64.eq ${get("x")} (f64.const 1)) (then (return ${c64(Math.E)})))
          (if (i32.eqz ${get("xsb")})
            (then ${set("hi", `(f64.sub ${get("x")} ${c64(0.6931471803691238)})`)} ${set("lo", c64(1.9082149292705877e-10))})
            (else ${set("hi", `(f64.add ${get("x")} ${c64(0.6931471803691238)})`)} ${set("lo", c64(-1.9082149292705877e-10))}))
          ${set("k", `(i32.sub (i32.sub (i32.const 1) ${get("xsb")}) ${get("xsb")})`)})
        (else
          ${set("k", `(i32.trunc_f64_s (f64.add (f64.mul ${c64(Math.LOG2E)} ${get("x")}) (select (f64.const 0.5) (f64.const -0.5) (i32.eqz ${get("xsb")}))))`)}
          ${set("hi", `(f64.sub ${get("x")} (f64.mul (f64.convert_i32_s ${get("k")}) ${c64(0.6931471803691238)}))`)}
          ${set("lo", `(f64.mul (f64.convert_i32_s ${get("k")}) ${c64(1.9082149292705877e-10)})`)}))
      ${set("x", `(f64.sub ${get("hi")} ${get("lo")})`)})
    (else
      (if (i32.lt_u ${get("hx")} (i32.const 0x3e300000))
        (then
          (if (f64.gt (f64.add ${c64(1e300)} ${get("x")}) (f64.const 1)) (then (return (f64.add (f64.const 1) ${get("x")}))))))))
  ${set("t", `(f64.mul ${get("x")} ${get("x")})`)}
  (if (i32.ge_s ${get("k")} (i32.const -1021))
    (then ${set("twopk", fromHi(`(i32.add (i32.const 0x3ff00000) (i32.shl ${get("k")} (i32.const 20)))`))})
    (else ${set("twopk", fromHi(`(i32.add (i32.const 0x3ff00000) (i32.shl (i32.add ${get("k")} (i32.const 1000)) (i32.const 20)))`))}))
  ${set(
    "c",
    `(f64.sub ${get("x")} (f64.mul ${get("t")} (f64.add ${c64(0.16666666666666602)} (f64.mul ${get("t")} (f64.add ${c64(-0.0027777777777015593)} (f64.mul ${get("t")} (f64.add ${c64(0.00006613756321437934)} (f64.mul ${get("t")} (f64.add ${c64(-0.0000016533902205465252)} (f64.mul ${get("t")} ${c64(4.1381367970572385e-8)}))))))))))`,
  )}
  (if (i32.eqz ${get("k")})
    (then (return (f64.sub (f64.const 1) (f64.sub (f64.div (f64.mul ${get("x")} ${get("c")}) (f64.sub ${get("c")} (f64.const 2))) ${get("x")})))))
  ${set("y", `(f64.sub (f64.const 1) (f64.sub (f64.sub ${get("lo")} (f64.div (f64.mul ${get("x")} ${get("c")}) (f64.sub (f64.const 2) ${get("c")}))) ${get("hi")}))`)}
  (if (i32.ge_s ${get("k")} (i32.const -1021))
    (then
      (if (i32.eq ${get("k")} (i32.const 1024))
        (then (return (f64.mul (f64.mul ${get("y")} (f64.const 2)) ${c64(8.98846567431158e307)}))))
      (return (f64.mul ${get("y")} ${get("twopk")}))))
  (f64.mul (f64.mul ${get("y")} ${get("twopk")}) ${c64(9.332636185032189e-302)}))`;

/** expm1: src/math.ts's expm1Into (fdlibm s_expm1.c) operation for operation. */
const expm1F = `
(func $expm1 (param $x f64) (result f64)
  (local $hx i32) (local $xsb i32) (local $k i32) (local $c f64) (local $hi f64) (local $lo f64)
  (local $hfx f64) (local $hxs f64) (local $r1 f64) (local $t f64) (local $e f64) (local $y f64) (local $twopk f64)
  ${set("hx", hiWord(get("x")))}
  ${set("xsb", `(i32.and ${get("hx")} (i32.const 0x80000000))`)}
  ${set("hx", `(i32.and ${get("hx")} (i32.const 0x7fffffff))`)}
  (if (i32.ge_u ${get("hx")} (i32.const 0x4043687a))
    (then
      (if (i32.ge_u ${get("hx")} (i32.const 0x40862e42))
        (then
          (if (i32.ge_u ${get("hx")} (i32.const 0x7ff00000))
            (then
              (if (i32.or (i32.and ${get("hx")} (i32.const 0xfffff)) ${loWord(get("x"))})
                (then (return (f64.add ${get("x")} ${get("x")}))))
              (return (select ${get("x")} (f64.const -1) (i32.eqz ${get("xsb")})))))
          (if (f64.gt ${get("x")} ${c64(709.782712893384)}) (then (return (f64.mul ${c64(1e300)} ${c64(1e300)}))))))
      (if (i32.and (i32.ne ${get("xsb")} (i32.const 0)) (f64.lt (f64.add ${get("x")} ${c64(1e-300)}) (f64.const 0)))
        (then (return (f64.sub ${c64(1e-300)} (f64.const 1)))))))
  (if (i32.gt_u ${get("hx")} (i32.const 0x3fd62e42))
    (then
      (if (i32.lt_u ${get("hx")} (i32.const 0x3ff0a2b2))
        (then
          (if (i32.eqz ${get("xsb")})
            (then ${set("hi", `(f64.sub ${get("x")} ${c64(0.6931471803691238)})`)} ${set("lo", c64(1.9082149292705877e-10))} ${set("k", "(i32.const 1)")})
            (else ${set("hi", `(f64.add ${get("x")} ${c64(0.6931471803691238)})`)} ${set("lo", c64(-1.9082149292705877e-10))} ${set("k", "(i32.const -1)")})))
        (else
          ${set("k", `(i32.trunc_f64_s (f64.add (f64.mul ${c64(Math.LOG2E)} ${get("x")}) (select (f64.const 0.5) (f64.const -0.5) (i32.eqz ${get("xsb")}))))`)}
          ${set("hi", `(f64.sub ${get("x")} (f64.mul (f64.convert_i32_s ${get("k")}) ${c64(0.6931471803691238)}))`)}
          ${set("lo", `(f64.mul (f64.convert_i32_s ${get("k")}) ${c64(1.9082149292705877e-10)})`)}))
      ${set("x", `(f64.sub ${get("hi")} ${get("lo")})`)}
      ${set("c", `(f64.sub (f64.sub ${get("hi")} ${get("x")}) ${get("lo")})`)})
    (else
      (if (i32.lt_u ${get("hx")} (i32.const 0x3c900000))
        (then
          ${set("t", `(f64.add ${c64(1e300)} ${get("x")})`)}
          (return (f64.sub ${get("x")} (f64.sub ${get("t")} (f64.add ${c64(1e300)} ${get("x")}))))))))
  ${set("hfx", `(f64.mul (f64.const 0.5) ${get("x")})`)}
  ${set("hxs", `(f64.mul ${get("x")} ${get("hfx")})`)}
  ${set(
    "r1",
    `(f64.add (f64.const 1) (f64.mul ${get("hxs")} (f64.add ${c64(-0.03333333333333313)} (f64.mul ${get("hxs")} (f64.add ${c64(0.0015873015872548146)} (f64.mul ${get("hxs")} (f64.add ${c64(-0.0000793650757867488)} (f64.mul ${get("hxs")} (f64.add ${c64(0.000004008217827329362)} (f64.mul ${get("hxs")} ${c64(-2.0109921818362437e-7)}))))))))))`,
  )}
  ${set("t", `(f64.sub (f64.const 3) (f64.mul ${get("r1")} ${get("hfx")}))`)}
  ${set("e", `(f64.mul ${get("hxs")} (f64.div (f64.sub ${get("r1")} ${get("t")}) (f64.sub (f64.const 6) (f64.mul ${get("x")} ${get("t")}))))`)}
  (if (i32.eqz ${get("k")})
    (then (return (f64.sub ${get("x")} (f64.sub (f64.mul ${get("x")} ${get("e")}) ${get("hxs")})))))
  ${set("twopk", fromHi(`(i32.add (i32.const 0x3ff00000) (i32.shl ${get("k")} (i32.const 20)))`))}
  ${set("e", `(f64.sub (f64.mul ${get("x")} (f64.sub ${get("e")} ${get("c")})) ${get("c")})`)}
  ${set("e", `(f64.sub ${get("e")} ${get("hxs")})`)}
  (if (i32.eq ${get("k")} (i32.const -1))
    (then (return (f64.sub (f64.mul (f64.const 0.5) (f64.sub ${get("x")} ${get("e")})) (f64.const 0.5)))))
  (if (i32.eq ${get("k")} (i32.const 1))
    (then
      (if (f64.lt ${get("x")} (f64.const -0.25))
        (then (return (f64.mul (f64.const -2) (f64.sub ${get("e")} (f64.add ${get("x")} (f64.const 0.5)))))))
      (return (f64.add (f64.const 1) (f64.mul (f64.const 2) (f64.sub ${get("x")} ${get("e")}))))))
  (if (i32.or (i32.le_s ${get("k")} (i32.const -2)) (i32.gt_s ${get("k")} (i32.const 56)))
    (then
      ${set("y", `(f64.sub (f64.const 1) (f64.sub ${get("e")} ${get("x")}))`)}
      (if (i32.eq ${get("k")} (i32.const 1024))
        (then ${set("y", `(f64.mul (f64.mul ${get("y")} (f64.const 2)) ${c64(8.98846567431158e307)})`)})
        (else ${set("y", `(f64.mul ${get("y")} ${get("twopk")})`)}))
      (return (f64.sub ${get("y")} (f64.const 1)))))
  (if (i32.lt_s ${get("k")} (i32.const 20))
    (then
      ${set("t", fromHi(`(i32.sub (i32.const 0x3ff00000) (i32.shr_s (i32.const 0x200000) ${get("k")}))`))}
      (return (f64.mul (f64.sub ${get("t")} (f64.sub ${get("e")} ${get("x")})) ${get("twopk")}))))
  ${set("t", fromHi(`(i32.shl (i32.sub (i32.const 0x3ff) ${get("k")}) (i32.const 20))`))}
  ${set("y", `(f64.sub ${get("x")} (f64.add ${get("e")} ${get("t")}))`)}
  ${set("y", `(f64.add ${get("y")} (f64.const 1))`)}
  (f64.mul ${get("y")} ${get("twopk")}))`;

/** tanh: src/math.ts's tanhInto (fdlibm s_tanh.c) operation for operation. */
const tanhF = `
(func $tanh (param $x f64) (result f64)
  (local $jx i32) (local $ix i32) (local $t f64) (local $z f64)
  ${set("jx", hiWord(get("x")))}
  ${set("ix", `(i32.and ${get("jx")} (i32.const 0x7fffffff))`)}
  (if (i32.ge_u ${get("ix")} (i32.const 0x7ff00000))
    (then
      (return (select
        (f64.add (f64.div (f64.const 1) ${get("x")}) (f64.const 1))
        (f64.sub (f64.div (f64.const 1) ${get("x")}) (f64.const 1))
        (i32.ge_s ${get("jx")} (i32.const 0))))))
  (if (i32.lt_u ${get("ix")} (i32.const 0x40360000))
    (then
      (if (i32.and (i32.lt_u ${get("ix")} (i32.const 0x3e300000)) (f64.gt (f64.add ${c64(1e300)} ${get("x")}) (f64.const 1)))
        (then (return ${get("x")})))
      (if (i32.ge_u ${get("ix")} (i32.const 0x3ff00000))
        (then
          ${set("t", `(call $expm1 (f64.mul (f64.const 2) (f64.abs ${get("x")})))`)}
          ${set("z", `(f64.sub (f64.const 1) (f64.div (f64.const 2) (f64.add ${get("t")} (f64.const 2))))`)})
        (else
          ${set("t", `(call $expm1 (f64.mul (f64.const -2) (f64.abs ${get("x")})))`)}
          ${set("z", `(f64.div (f64.neg ${get("t")}) (f64.add ${get("t")} (f64.const 2)))`)})))
    (else ${set("z", `(f64.sub (f64.const 1) ${c64(1e-300)})`)}))
  (select ${get("z")} (f64.neg ${get("z")}) (i32.ge_s ${get("jx")} (i32.const 0))))`;

/** exp, expm1 and tanh over n doubles (for the tests that compare them with src/math.ts's, value by value). */
const unaryMany = ["exp", "expm1", "tanh"]
  .map(
    (f) => `
(func (export "${f}_many") (param $x i32) (param $y i32) (param $n i32)
  (local $o i32) (local $end i32)
  ${set("end", mul(get("n"), i32(8)))}
${indent(forLoop("o", i32(0), get("end"), i32(8), [`(f64.store ${add(get("y"), get("o"))} (call $${f} (f64.load ${add(get("x"), get("o"))})))`]))})`,
  )
  .join("\n");

/**
 * An activation's loop over n float32 elements: each element promoted to
 * float64 (`v`, and `d` for dy when the kernel has one), `expr` computed in
 * float64 as src/activations.ts writes it, the result rounded to float32.
 */
function actLoop(
  name: string,
  arrays: string[],
  scalars: string[],
  load: Record<string, string>,
  expr: string,
): string {
  const out = arrays[arrays.length - 1] as string;
  return `
(func (export "${name}") ${arrays.map((a) => `(param $${a} i32)`).join(" ")} (param $n i32) ${scalars.map((p) => `(param $${p} f64)`).join(" ")}
  (local $o i32) (local $end i32) (local $v f64) (local $d f64) (local $z f64)
  ${set("end", mul(get("n"), i32(4)))}
${indent(
  forLoop("o", i32(0), get("end"), i32(4), [
    ...Object.entries(load).map(([l, a]) => set(l, `(f64.promote_f32 (f32.load ${add(get(a), get("o"))}))`)),
    `(f32.store ${add(get(out), get("o"))} (f32.demote_f64 ${expr}))`,
  ]),
)})`;
}
const pos = `(f64.gt ${get("v")} (f64.const 0))`;
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
/** σ(x) as src/activations.ts computes it: 1/(1 + e^−x) for x ≥ 0, else eˣ/(1 + eˣ); dx = dy·s·(1 − s) from the output s. */
const sigmoid = [
  actLoop(
    "sigmoid_forward",
    ["x", "y"],
    [],
    { v: "x" },
    `(if (result f64) (f64.ge ${get("v")} (f64.const 0))
  (then (f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64.neg ${get("v")})))))
  (else ${set("z", `(call $exp ${get("v")})`)} (f64.div ${get("z")} (f64.add (f64.const 1) ${get("z")}))))`,
  ),
  actLoop(
    "sigmoid_backward",
    ["y", "dy", "dx"],
    [],
    { v: "y", d: "dy" },
    `(f64.mul (f64.mul ${get("d")} ${get("v")}) (f64.sub (f64.const 1) ${get("v")}))`,
  ),
];
/** tanh(x); dx = dy·(1 − t·t) from the output t. */
const tanh = [
  actLoop("tanh_forward", ["x", "y"], [], { v: "x" }, `(call $tanh ${get("v")})`),
  actLoop(
    "tanh_backward",
    ["y", "dy", "dx"],
    [],
    { v: "y", d: "dy" },
    `(f64.mul ${get("d")} (f64.sub (f64.const 1) (f64.mul ${get("v")} ${get("v")})))`,
  ),
];
/** y = x > 0 ? x : α·x; dx = x > 0 ? dy : α·dy. */
const leakyRelu = [
  actLoop(
    "leaky_relu_forward",
    ["x", "y"],
    ["a"],
    { v: "x" },
    `(select ${get("v")} (f64.mul ${get("a")} ${get("v")}) ${pos})`,
  ),
  actLoop(
    "leaky_relu_backward",
    ["x", "dy", "dx"],
    ["a"],
    { v: "x", d: "dy" },
    `(select ${get("d")} (f64.mul ${get("a")} ${get("d")}) ${pos})`,
  ),
];
/** ELU: y = x > 0 ? x : α·expm1(x); dx = x > 0 ? dy : dy·α·eˣ. */
const elu = [
  actLoop(
    "elu_forward",
    ["x", "y"],
    ["a"],
    { v: "x" },
    `(if (result f64) ${pos} (then ${get("v")}) (else (f64.mul ${get("a")} (call $expm1 ${get("v")}))))`,
  ),
  actLoop(
    "elu_backward",
    ["x", "dy", "dx"],
    ["a"],
    { v: "x", d: "dy" },
    `(if (result f64) ${pos} (then ${get("d")}) (else (f64.mul (f64.mul ${get("d")} ${get("a")}) (call $exp ${get("v")}))))`,
  ),
];
/** SELU: y = x > 0 ? s·x : (s·α)·expm1(x); dx = dy·(x > 0 ? s : (s·α)·eˣ). */
const selu = [
  actLoop(
    "selu_forward",
    ["x", "y"],
    [],
    { v: "x" },
    `(if (result f64) ${pos} (then (f64.mul ${c64(SELU_SCALE)} ${get("v")})) (else (f64.mul (f64.mul ${c64(SELU_SCALE)} ${c64(SELU_ALPHA)}) (call $expm1 ${get("v")}))))`,
  ),
  actLoop(
    "selu_backward",
    ["x", "dy", "dx"],
    [],
    { v: "x", d: "dy" },
    `(f64.mul ${get("d")} (if (result f64) ${pos} (then ${c64(SELU_SCALE)}) (else (f64.mul (f64.mul ${c64(SELU_SCALE)} ${c64(SELU_ALPHA)}) (call $exp ${get("v")})))))`,
  ),
];
/** Hard sigmoid: y = max(0, min(1, α·x + β)); dx = 0 < α·x + β < 1 ? α·dy : 0. */
const hardSigmoid = [
  actLoop(
    "hard_sigmoid_forward",
    ["x", "y"],
    ["a", "b"],
    { v: "x" },
    `(f64.max (f64.const 0) (f64.min (f64.const 1) (f64.add (f64.mul ${get("a")} ${get("v")}) ${get("b")})))`,
  ),
  actLoop(
    "hard_sigmoid_backward",
    ["x", "dy", "dx"],
    ["a", "b"],
    { v: "x", d: "dy" },
    `(block (result f64) ${set("z", `(f64.add (f64.mul ${get("a")} ${get("v")}) ${get("b")})`)} (select (f64.mul ${get("a")} ${get("d")}) (f64.const 0) (i32.and (f64.gt ${get("z")} (f64.const 0)) (f64.lt ${get("z")} (f64.const 1)))))`,
  ),
];

// ---------------------------------------------------------------- image deformation (float64, the JS reference's bits)
/**
 * reflect(i, n): i folded into [0, n) by mirror reflection about the edges,
 * as src/augment.ts's reflectIndex: m = ((i rem 2n) + 2n) rem 2n, then m or
 * 2n − 1 − m.
 */
const reflect = `
(func $reflect (param $i i32) (param $n i32) (result i32)
  (local $p i32) (local $m i32)
  ${set("p", mul(get("n"), i32(2)))}
  ${set("m", `(i32.rem_s (i32.add (i32.rem_s ${get("i")} ${get("p")}) ${get("p")}) ${get("p")})`)}
  (select ${get("m")} (i32.sub (i32.sub ${get("p")} (i32.const 1)) ${get("m")}) (i32.lt_s ${get("m")} ${get("n")})))`;

/**
 * convolve: out[j·stride] = Σ_t k[t]·pad[j + t] for j < n, float64, each sum
 * from 0 in t order, as convolveLine in src/augment.ts (two outputs a lane
 * pair at a time, then one: the same operations per output).
 */
const convolve = `
(func $convolve (param $pad i32) (param $k i32) (param $taps i32) (param $out i32) (param $stride i32) (param $n i32)
  (local $j i32) (local $t i32) (local $s f64) (local $v v128) (local $kt v128) (local $p i32) (local $kp i32)
  (block $done2 (loop $next2
    (br_if $done2 (i32.gt_u ${add(get("j"), i32(2))} ${get("n")}))
    ${set("v", "(v128.const f64x2 0 0)")}
    ${set("p", add(get("pad"), mul(get("j"), i32(8))))}
    ${set("kp", get("k"))}
    ${set("t", get("taps"))}
    (block $tdone (loop $tnext
      (br_if $tdone (i32.eqz ${get("t")}))
      ${set("v", `(f64x2.add ${get("v")} (f64x2.mul (v128.load64_splat ${get("kp")}) (v128.load ${get("p")})))`)}
      ${set("p", add(get("p"), i32(8)))}
      ${set("kp", add(get("kp"), i32(8)))}
      ${set("t", `(i32.sub ${get("t")} (i32.const 1))`)}
      (br $tnext)))
    (f64.store ${add(get("out"), mul(mul(get("j"), get("stride")), i32(8)))} (f64x2.extract_lane 0 ${get("v")}))
    (f64.store ${add(get("out"), mul(mul(add(get("j"), i32(1)), get("stride")), i32(8)))} (f64x2.extract_lane 1 ${get("v")}))
    ${set("j", add(get("j"), i32(2)))}
    (br $next2)))
  (if (i32.lt_u ${get("j")} ${get("n")})
    (then
      ${set("s", "(f64.const 0)")}
${indent(
  forLoop("t", i32(0), get("taps"), i32(1), [
    set(
      "s",
      `(f64.add ${get("s")} (f64.mul (f64.load ${add(get("k"), mul(get("t"), i32(8)))}) (f64.load ${add(get("pad"), mul(add(get("j"), get("t")), i32(8)))})))`,
    ),
  ]),
  6,
)}
      (f64.store ${add(get("out"), mul(mul(get("j"), get("stride")), i32(8)))} ${get("s")}))))`;

/**
 * blur: a separable Gaussian of an [h·w] float64 image (rows into tmp, then
 * columns into out; out may be img), reflecting at the edges: gaussianBlur.
 * rw and rh hold reflect(i − r, w) and reflect(i − r, h) for each padded
 * position i (made once per call: the remainders are slow).
 */
const blur = `
(func $blur (param $img i32) (param $out i32) (param $tmp i32) (param $pad i32) (param $h i32) (param $w i32)
            (param $k i32) (param $taps i32) (param $rw i32) (param $rh i32)
  (local $r i32) (local $y i32) (local $x i32) (local $i i32)
  ${set("r", `(i32.shr_u (i32.sub ${get("taps")} (i32.const 1)) (i32.const 1))`)}
${indent(
  forLoop("y", i32(0), get("h"), i32(1), [
    forLoop("i", i32(0), add(get("w"), mul(get("r"), i32(2))), i32(1), [
      `(f64.store ${add(get("pad"), mul(get("i"), i32(8)))} (f64.load ${add(get("img"), mul(add(mul(get("y"), get("w")), `(i32.load ${add(get("rw"), mul(get("i"), i32(4)))})`), i32(8)))}))`,
    ]),
    `(call $convolve ${get("pad")} ${get("k")} ${get("taps")} ${add(get("tmp"), mul(mul(get("y"), get("w")), i32(8)))} (i32.const 1) ${get("w")})`,
  ]),
)}
${indent(
  forLoop("x", i32(0), get("w"), i32(1), [
    forLoop("i", i32(0), add(get("h"), mul(get("r"), i32(2))), i32(1), [
      `(f64.store ${add(get("pad"), mul(get("i"), i32(8)))} (f64.load ${add(get("tmp"), mul(add(mul(`(i32.load ${add(get("rh"), mul(get("i"), i32(4)))})`, get("w")), get("x")), i32(8)))}))`,
    ]),
    `(call $convolve ${get("pad")} ${get("k")} ${get("taps")} ${add(get("out"), mul(get("x"), i32(8)))} ${get("w")} ${get("h")})`,
  ]),
)})`;

/** One bilinear row term: (inX0 ? (1 − fx)·v0 : 0) + (inX1 ∧ fx ≠ 0 ? fx·v1 : 0) at the f32 source's index r. */
const bilinearRow = (r: string): string =>
  `(f64.add
  (if (result f64) ${get("in0")} (then (f64.mul (f64.sub (f64.const 1) ${get("fx")}) (f64.promote_f32 (f32.load ${add(get("src"), mul(r, i32(4)))})))) (else (f64.const 0)))
  (if (result f64) (i32.and ${get("in1")} (f64.ne ${get("fx")} (f64.const 0))) (then (f64.mul ${get("fx")} (f64.promote_f32 (f32.load offset=4 ${add(get("src"), mul(r, i32(4)))})))) (else (f64.const 0))))`;

/**
 * bilinear: the f32 source image at (x, y), 0 outside, in float64 with the
 * operations of src/augment.ts's bilinear (the same skips of pixels outside
 * and of zero weights).
 */
const bilinear = `
(func $bilinear (param $src i32) (param $h i32) (param $w i32) (param $x f64) (param $y f64) (result f64)
  (local $x0 f64) (local $y0 f64) (local $fx f64) (local $fy f64) (local $in0 i32) (local $in1 i32)
  (local $ix i32) (local $iy i32) (local $top f64) (local $bottom f64)
  ${set("x0", `(f64.floor ${get("x")})`)}
  ${set("y0", `(f64.floor ${get("y")})`)}
  (if (i32.eqz (i32.and (i32.and (f64.ge ${get("x0")} (f64.const -1)) (f64.ge ${get("y0")} (f64.const -1)))
                        (i32.and (f64.lt ${get("x0")} (f64.convert_i32_s ${get("w")})) (f64.lt ${get("y0")} (f64.convert_i32_s ${get("h")})))))
    (then (return (f64.const 0))))
  ${set("fx", `(f64.sub ${get("x")} ${get("x0")})`)}
  ${set("fy", `(f64.sub ${get("y")} ${get("y0")})`)}
  ${set("ix", `(i32.trunc_f64_s ${get("x0")})`)}
  ${set("iy", `(i32.trunc_f64_s ${get("y0")})`)}
  ${set("in0", `(i32.ge_s ${get("ix")} (i32.const 0))`)}
  ${set("in1", `(i32.lt_s ${add(get("ix"), i32(1))} ${get("w")})`)}
  (if (i32.ge_s ${get("iy")} (i32.const 0))
    (then ${set("top", bilinearRow(add(mul(get("iy"), get("w")), get("ix"))))}))
  (if (i32.and (i32.lt_s ${add(get("iy"), i32(1))} ${get("h")}) (f64.ne ${get("fy")} (f64.const 0)))
    (then ${set("bottom", bilinearRow(add(mul(add(get("iy"), i32(1)), get("w")), get("ix"))))}))
  (if (result f64) (f64.eq ${get("fy")} (f64.const 0))
    (then ${get("top")})
    (else (f64.add (f64.mul (f64.sub (f64.const 1) ${get("fy")}) ${get("top")}) (f64.mul ${get("fy")} ${get("bottom")})))))`;

/**
 * deform_images: src/augment.ts's deformImages for n float32 images of h×w
 * in place. params: 6 float64 per image (a00, a01, a10, a11, tx, ty);
 * fields: 2·h·w float64 per image (raw fx, then fy), or 0 for none, blurred
 * with the taps at k, scaled by alpha and added to the map; work: a copy of
 * the image (f32), the blur's intermediate and its padded line (f64), then
 * the two reflection tables (i32).
 */
const deformImages = `
(func (export "deform_images") (param $img i32) (param $fields i32) (param $params i32) (param $k i32)
                               (param $h i32) (param $w i32) (param $taps i32) (param $work i32)
                               (param $n i32) (param $alpha f64)
  (local $s i32) (local $i i32) (local $x i32) (local $y i32) (local $px i32) (local $np i32)
  (local $src i32) (local $tmp i32) (local $pad i32) (local $fx i32) (local $fy i32) (local $pp i32)
  (local $cx f64) (local $cy f64) (local $rx f64) (local $ry f64) (local $sx f64) (local $sy f64)
  (local $r i32) (local $rw i32) (local $rh i32)
  ${set("np", mul(get("h"), get("w")))}
  ${set("src", get("work"))}
  ${set("tmp", add(get("work"), `(i32.and (i32.add ${mul(get("np"), i32(4))} (i32.const 15)) (i32.const -16))`))}
  ${set("pad", add(get("tmp"), mul(get("np"), i32(8))))}
  ${set("r", `(select (i32.shr_u (i32.sub ${get("taps")} (i32.const 1)) (i32.const 1)) (i32.const 0) ${get("taps")})`)}
  ${set("rw", add(get("pad"), mul(add(`(select ${get("h")} ${get("w")} (i32.gt_u ${get("h")} ${get("w")}))`, mul(get("r"), i32(2))), i32(8))))}
  ${set("rh", add(get("rw"), mul(add(get("w"), mul(get("r"), i32(2))), i32(4))))}
${indent(forLoop("i", i32(0), add(get("w"), mul(get("r"), i32(2))), i32(1), [`(i32.store ${add(get("rw"), mul(get("i"), i32(4)))} (call $reflect (i32.sub ${get("i")} ${get("r")}) ${get("w")}))`]))}
${indent(forLoop("i", i32(0), add(get("h"), mul(get("r"), i32(2))), i32(1), [`(i32.store ${add(get("rh"), mul(get("i"), i32(4)))} (call $reflect (i32.sub ${get("i")} ${get("r")}) ${get("h")}))`]))}
  ${set("cx", `(f64.div (f64.convert_i32_s (i32.sub ${get("w")} (i32.const 1))) (f64.const 2))`)}
  ${set("cy", `(f64.div (f64.convert_i32_s (i32.sub ${get("h")} (i32.const 1))) (f64.const 2))`)}
${indent(
  forLoop("s", i32(0), get("n"), i32(1), [
    set("px", add(get("img"), mul(mul(get("s"), get("np")), i32(4)))),
    `(memory.copy ${get("src")} ${get("px")} ${mul(get("np"), i32(4))})`,
    set("pp", add(get("params"), mul(get("s"), i32(48)))),
    `(if ${get("fields")}
  (then
    ${set("fx", add(get("fields"), mul(mul(get("s"), get("np")), i32(16))))}
    ${set("fy", add(get("fx"), mul(get("np"), i32(8))))}
    (call $blur ${get("fx")} ${get("fx")} ${get("tmp")} ${get("pad")} ${get("h")} ${get("w")} ${get("k")} ${get("taps")} ${get("rw")} ${get("rh")})
    (call $blur ${get("fy")} ${get("fy")} ${get("tmp")} ${get("pad")} ${get("h")} ${get("w")} ${get("k")} ${get("taps")} ${get("rw")} ${get("rh")})
${indent(
  forLoop("i", i32(0), get("np"), i32(1), [
    `(f64.store ${add(get("fx"), mul(get("i"), i32(8)))} (f64.mul (f64.load ${add(get("fx"), mul(get("i"), i32(8)))}) ${get("alpha")}))`,
    `(f64.store ${add(get("fy"), mul(get("i"), i32(8)))} (f64.mul (f64.load ${add(get("fy"), mul(get("i"), i32(8)))}) ${get("alpha")}))`,
  ]),
  4,
)}))`,
    forLoop("y", i32(0), get("h"), i32(1), [
      set("ry", `(f64.sub (f64.sub (f64.convert_i32_s ${get("y")}) ${get("cy")}) (f64.load offset=40 ${get("pp")}))`),
      forLoop("x", i32(0), get("w"), i32(1), [
        set("rx", `(f64.sub (f64.sub (f64.convert_i32_s ${get("x")}) ${get("cx")}) (f64.load offset=32 ${get("pp")}))`),
        set(
          "sx",
          `(f64.add (f64.add (f64.mul (f64.load ${get("pp")}) ${get("rx")}) (f64.mul (f64.load offset=8 ${get("pp")}) ${get("ry")})) ${get("cx")})`,
        ),
        set(
          "sy",
          `(f64.add (f64.add (f64.mul (f64.load offset=16 ${get("pp")}) ${get("rx")}) (f64.mul (f64.load offset=24 ${get("pp")}) ${get("ry")})) ${get("cy")})`,
        ),
        set("i", add(mul(get("y"), get("w")), get("x"))),
        `(if ${get("fields")}
  (then
    ${set("sx", `(f64.add ${get("sx")} (f64.load ${add(get("fx"), mul(get("i"), i32(8)))}))`)}
    ${set("sy", `(f64.add ${get("sy")} (f64.load ${add(get("fy"), mul(get("i"), i32(8)))}))`)}))`,
        `(f32.store ${add(get("px"), mul(get("i"), i32(4)))} (f32.demote_f64 (call $bilinear ${get("src")} ${get("h")} ${get("w")} ${get("sx")} ${get("sy")})))`,
      ]),
    ]),
  ]),
)})`;

/** Names of the module's exports (checked by the loader). */
export const KERNEL_EXPORTS = [
  "gemm",
  "gemm_rows",
  "count_nonzero",
  "deform_images",
  "exp_many",
  "sigmoid_forward",
  "sigmoid_backward",
  "expm1_many",
  "tanh_many",
  "tanh_forward",
  "tanh_backward",
  "leaky_relu_forward",
  "leaky_relu_backward",
  "elu_forward",
  "elu_backward",
  "selu_forward",
  "selu_backward",
  "hard_sigmoid_forward",
  "hard_sigmoid_backward",
  "relu_forward",
  "relu_backward",
  "multiply",
  "add_row",
  "add_column_sums",
  "broadcast_rows",
  "sum_squares",
  "all_finite",
  ...RULES.map((r) => r.name),
];
