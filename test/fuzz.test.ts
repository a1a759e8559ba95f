/**
 * Fuzzing the model loader: mutations of a valid serialized model must end in
 * either a valid model or a typed TinyMlpError — never another kind of error,
 * a hang, or an allocation beyond a small multiple of the file's size.
 * 10,500 cases in total across the properties below.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deserialize, modelFromJSON, modelToJSON, type Sequential, serialize, TinyMlpError } from "../src/index.js";
import { data, makeModel } from "./fixtures/train-child.js";

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
});

/** Loads; returns "ok" or "typed error"; anything else fails the property. */
function outcome(load: () => Sequential | unknown, fileSize: number): "ok" | "typed" {
  allocatedBytes = 0;
  try {
    load();
    return "ok";
  } catch (e) {
    if (e instanceof TinyMlpError) return "typed";
    throw e;
  } finally {
    // weights + gradients + optimizer slots are each at most the file's data; 8× leaves room
    expect(allocatedBytes).toBeLessThanOrEqual(8 * fileSize + 65_536);
  }
}

const fromBytes = (b: Uint8Array) => () => deserialize(b);

describe("fuzzing the loader", () => {
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
  const paths = (v: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
    if (typeof v !== "object" || v === null) return [prefix];
    const keys = Array.isArray(v) ? v.map((_, i) => i).slice(0, 3) : Object.keys(v);
    return [prefix, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...prefix, k]))];
  };
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
    const allPaths = paths(baseJSON).filter((p) => p.length > 0 && p[0] !== "arrays");
    fc.assert(
      fc.property(
        fc.constantFrom(...allPaths),
        fc.constantFrom("replace", "remove", "add"),
        hostile,
        fc.constantFrom("extra", "__proto__", "constructor", "prototype"),
        (path, op, value, newKey) => {
          const doc = JSON.parse(JSON.stringify(baseJSON));
          let parent = doc;
          for (const k of path.slice(0, -1)) parent = parent[k];
          const last = path[path.length - 1] as string | number;
          if (op === "replace") parent[last] = value;
          else if (op === "remove") {
            if (Array.isArray(parent)) parent.splice(last as number, 1);
            else delete parent[last];
          } else {
            const target = parent[last];
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
