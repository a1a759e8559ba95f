/**
 * Fuzzing the model loader: mutations of a valid serialized model must end in
 * either a valid model or a typed TinyMlpError — never another kind of error,
 * a hang, or an allocation beyond a small multiple of the file's size.
 * 11,500 cases in total across the properties below (each also bounded in time).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Adam,
  BatchNormalization,
  Dense,
  deserialize,
  FormatError,
  modelFromJSON,
  modelToJSON,
  Sequential,
  serialize,
  Tensor,
  TinyMlpError,
} from "../src/index.js";
import { data, makeModel } from "./fixtures/train-child.js";
import { jsonPaths, mutateAt } from "./helpers.js";

let base: Uint8Array;
let headerEnd = 0;
let baseJSON: Record<string, unknown>;

// Count every float array the loader allocates (the typed arrays' backing
// stores are what a hostile size could blow up).
let allocatedBytes = 0;
const saved: Record<string, unknown> = {};
beforeAll(async () => {
  const m = makeModel();
  const { x, y } = data();
  await m.fit(x, y, { epochs: 1, batchSize: 64 });
  base = serialize(m);
  headerEnd = 12 + new DataView(base.buffer).getUint32(8, true);
  baseJSON = JSON.parse(JSON.stringify(modelToJSON(m)));
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ["Float32Array", "Float64Array"]) {
    saved[name] = g[name];
    g[name] = new Proxy(g[name] as object, {
      construct(target, args, newTarget) {
        const r = Reflect.construct(target as new (...a: unknown[]) => ArrayBufferView, args, newTarget);
        allocatedBytes += r.byteLength;
        return r;
      },
    });
  }
});
afterAll(() => {
  Object.assign(globalThis, saved);
  console.log(`fuzz: slowest load ${slowest.toFixed(2)} ms`);
});

const LOAD_MS = 500;
let slowest = 0; // ms, reported after the suite
/** Loads; returns "ok" or "typed error"; anything else fails the property. */
function outcome(load: () => Sequential | unknown, fileSize: number): "ok" | "typed" {
  allocatedBytes = 0;
  const t0 = performance.now();
  try {
    load();
    return "ok";
  } catch (e) {
    if (e instanceof TinyMlpError) return "typed";
    throw e;
  } finally {
    // weights + gradients + optimizer slots are each at most the file's data; 8× leaves room
    expect(allocatedBytes).toBeLessThanOrEqual(8 * fileSize + 65_536);
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    // measured: the slowest of the cases took 24.9 ms (files of ~3 kB, two training runs beside); 20× room
    expect(ms).toBeLessThan(LOAD_MS);
  }
}

const fromBytes = (b: Uint8Array) => () => deserialize(b);

/** A trained model with every kind of array the value rules treat differently: weights, running statistics, Adam's m and v. */
function withState(dtype: "float32" | "float64"): Sequential {
  const m = new Sequential({ inputShape: [3], seed: 2, dtype });
  m.add(new Dense({ units: 4 }));
  m.add(new BatchNormalization());
  m.add(new Dense({ units: 2 }));
  m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: "meanSquaredError" });
  m.trainOnBatch(
    Tensor.from(
      [
        [1, 2, 3],
        [3, 1, 2],
      ],
      { dtype },
    ),
    Tensor.from(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype },
    ),
  );
  return m;
}

/** Each array of a file in order (weights, then slots), with the label the loader's messages use. */
function labelled(m: Sequential): { label: string; length: number; nonNegative: boolean }[] {
  const doc = modelToJSON(m);
  const out = doc.weights.map((w, k) => ({
    label: `weights[${k}] ('${w.name}')`,
    length: w.shape.reduce((a, b) => a * b, 1),
    nonNegative: w.name.endsWith("/movingVariance"),
  }));
  for (const [slot, present] of Object.entries(doc.optimizer?.slots ?? {})) {
    present.forEach((p, i) => {
      if (p)
        out.push({
          label: `optimizer.slots.${slot}[${i}]`,
          length: m.params()[i]?.value.size ?? 0,
          nonNegative: slot === "v",
        });
    });
  }
  return out;
}

describe("fuzzing the loader", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`non-finite values, impossible state and float32 overflow, in both formats, named by array and index (${dtype}, 500 cases)`, () => {
      const m = withState(dtype);
      const good = serialize(m);
      const view0 = new DataView(good.buffer);
      const start = (12 + view0.getUint32(8, true) + 7) & ~7;
      const arrays = labelled(m);
      const width = dtype === "float64" ? 8 : 4;
      const offsets = arrays.map((_, k) => arrays.slice(0, k).reduce((s, a) => s + a.length, 0));
      const docText = JSON.stringify(modelToJSON(m));
      fc.assert(
        fc.property(
          fc.nat({ max: arrays.length - 1 }),
          fc.nat(),
          fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5, -1e-30, 1e39),
          (k, pos, v) => {
            const a = arrays[k] as (typeof arrays)[number];
            const i = pos % a.length;
            // what the loader must say: a non-finite number (1e39 is one in float32), or a negative variance
            const stored = dtype === "float32" ? Math.fround(v) : v;
            const want = !Number.isFinite(stored)
              ? `${a.label}[${i}]: ${stored} is not a finite number`
              : stored < 0 && a.nonNegative
                ? `${a.label}[${i}]: ${stored} is negative; it holds a variance or a sum of squares`
                : null;
            // binary: the element's bytes replaced
            const b = good.slice();
            const view = new DataView(b.buffer);
            const at = start + width * ((offsets[k] as number) + i);
            if (width === 8) view.setFloat64(at, v, true);
            else view.setFloat32(at, v, true);
            expect(outcome(fromBytes(b), b.length)).toBe(want === null ? "ok" : "typed");
            if (want !== null) expect(() => deserialize(b)).toThrow(new FormatError(want));
            // JSON: the document object (NaN and ±Infinity cannot be JSON text) and, for finite values, the text
            const doc = JSON.parse(docText) as { arrays: number[][] };
            (doc.arrays[k] as number[])[i] = v;
            const jsonWant = Number.isFinite(v) ? want : `arrays[${k}][${i}]: expected a finite number`;
            expect(outcome(() => modelFromJSON(doc).model, docText.length)).toBe(jsonWant === null ? "ok" : "typed");
            if (jsonWant !== null) expect(() => modelFromJSON(doc)).toThrow(new FormatError(jsonWant));
            if (Number.isFinite(v)) {
              const text = JSON.stringify(doc);
              expect(outcome(() => modelFromJSON(JSON.parse(text)).model, text.length)).toBe(
                want === null ? "ok" : "typed",
              );
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  }

  it("flipped bytes anywhere (3,000 cases)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (flips) => {
          const b = base.slice();
          for (const [pos, v] of flips) b[pos % b.length] = v;
          outcome(fromBytes(b), b.length);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("flipped bytes inside the JSON header (2,000 cases)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.constantFrom(...'0123456789{}[]",:-e.tfnul '.split("").map((c) => c.charCodeAt(0))),
        (pos, v) => {
          const b = base.slice();
          b[12 + (pos % (headerEnd - 12))] = v;
          outcome(fromBytes(b), b.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("truncations and extensions (1,500 cases)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (cut, extra, extend) => {
        const b = extend ? new Uint8Array([...base, ...extra]) : base.subarray(0, cut % base.length);
        outcome(fromBytes(b), b.length);
      }),
      { numRuns: 1500 },
    );
  });

  it("header length field and huge declared sizes (1,000 cases)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (len) => {
        const b = base.slice();
        new DataView(b.buffer).setUint32(8, len, true);
        outcome(fromBytes(b), b.length);
      }),
      { numRuns: 1000 },
    );
  });

  // JSON-level mutations: replace, remove or add a field anywhere in the document.
  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(
      1e9,
      2 ** 31,
      2 ** 53,
      -1,
      0,
      1.5,
      Number.MAX_SAFE_INTEGER,
      "",
      "dense",
      null,
      [],
      {},
      [1e9, 1e9],
      true,
    ),
  );

  it("changed, removed and added JSON fields, huge dimensions, wrong types (2,500 cases)", () => {
    const allPaths = jsonPaths(baseJSON, 3).filter((p) => p.length > 0 && p[0] !== "arrays");
    fc.assert(
      fc.property(
        fc.constantFrom(...allPaths),
        fc.constantFrom("replace", "remove", "add"),
        hostile,
        fc.constantFrom("extra", "__proto__", "constructor", "prototype"),
        (path, op, value, newKey) => {
          const doc = JSON.parse(JSON.stringify(baseJSON));
          const { parent, key } = mutateAt(doc, path, op === "add" ? "none" : op, value);
          if (op === "add") {
            const target = parent[key];
            if (typeof target === "object" && target !== null && !Array.isArray(target)) {
              Object.defineProperty(target, newKey, { value, enumerable: true, configurable: true, writable: true });
            }
          }
          const text = JSON.stringify(doc);
          outcome(() => modelFromJSON(JSON.parse(text)).model, text.length);
          // and the object itself (keys such as __proto__ as own properties)
          outcome(() => modelFromJSON(doc).model, text.length);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 2500 },
    );
  });

  it("a model that loads after mutation still predicts finite values or refuses clearly (500 cases)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (pos, v) => {
        const b = base.slice();
        const dataStart = (headerEnd + 7) & ~7;
        b[dataStart + (pos % (b.length - dataStart))] = v; // only the weights change
        if (outcome(fromBytes(b), b.length) === "ok") {
          const { model } = deserialize(b);
          expect(model.params().length).toBe(4);
        }
      }),
      { numRuns: 500 },
    );
  });
});
