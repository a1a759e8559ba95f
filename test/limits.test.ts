/**
 * Every bound in LIMITS, tested at the bound (accepted, or refused for some
 * other, later reason) and one past it (refused, naming the bound), in the
 * constructors and in the loader, which read the same table.
 */
import { describe, expect, it } from "vitest";
import {
  Activation,
  Dense,
  deserialize,
  FormatError,
  LIMITS,
  type ModelJSON,
  modelFromJSON,
  modelToJSON,
  Sequential,
  serialize,
} from "../src/index.js";

function small(): Sequential {
  const m = new Sequential({ inputShape: [3], seed: 1 });
  m.add(new Dense({ units: 2 }));
  return m;
}

/** The binary form of `m` with its header replaced by `header` (valid JSON padded with spaces). */
function withHeaderLength(m: Sequential, length: number): Uint8Array {
  const bytes = serialize(m);
  const view = new DataView(bytes.buffer);
  const hlen = view.getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(12, 12 + hlen));
  const padded = json + " ".repeat(length - json.length);
  const arrays = bytes.subarray((12 + hlen + 7) & ~7);
  const start = (12 + length + 7) & ~7;
  const out = new Uint8Array(start + arrays.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, length, true);
  out.set(new TextEncoder().encode(padded), 12);
  out.set(arrays, start);
  return out;
}

describe("limits", () => {
  it(`header: ${LIMITS.headerBytes} bytes load, one more is refused`, () => {
    const m = small();
    const atBound = deserialize(withHeaderLength(m, LIMITS.headerBytes)).model;
    expect(Array.from(atBound.params()[0]?.value.data ?? [])).toEqual(Array.from(m.params()[0]?.value.data ?? []));
    expect(() => deserialize(withHeaderLength(m, LIMITS.headerBytes + 1))).toThrow(
      /header: declared length 8388609 exceeds the limit of 8388608 bytes/,
    );
  });

  it(`units: ${LIMITS.dim} is accepted, one more is refused (constructor and loader)`, () => {
    expect(new Dense({ units: LIMITS.dim }).units).toBe(LIMITS.dim);
    expect(() => new Dense({ units: LIMITS.dim + 1 })).toThrow(/Dense: units must be an integer in \[1, 10000000\]/);
    const doc = modelToJSON(small());
    (doc.model.layers[0] as Record<string, unknown>).units = LIMITS.dim;
    // at the bound the layer is accepted; the document then fails on its weight shapes, not on units
    expect(() => modelFromJSON(doc)).toThrow(/weights\[0\]\.shape: expected \(3, 10000000\)/);
    (doc.model.layers[0] as Record<string, unknown>).units = LIMITS.dim + 1;
    expect(() => modelFromJSON(doc)).toThrow(/model\.layers\[0\]\.units: must be an integer in \[1, 10000000\]/);
  });

  it(`layers: ${LIMITS.layers} load, one more is refused`, () => {
    const make = (n: number): ModelJSON => {
      const doc = modelToJSON(small());
      for (let i = 1; i < n; i++)
        doc.model.layers.push(new Activation({ activation: "linear", name: `a${i}` }).toConfig());
      return doc;
    };
    expect(modelFromJSON(make(LIMITS.layers)).model.layers).toHaveLength(LIMITS.layers);
    expect(() => modelFromJSON(make(LIMITS.layers + 1))).toThrow(
      /model\.layers: expected a list of at most 1000 items/,
    );
  });

  it(`names: ${LIMITS.nameLength} characters are accepted, one more is refused (constructor and loader)`, () => {
    const name = "n".repeat(LIMITS.nameLength);
    const m = new Sequential({ inputShape: [3], layers: [new Dense({ units: 2, name })] });
    expect(modelFromJSON(modelToJSON(m)).model.layers[0]?.name).toBe(name);
    expect(() => new Dense({ units: 2, name: `${name}n` })).toThrow(
      /Dense: name must be a string of at most 200 characters/,
    );
    const doc = modelToJSON(m);
    (doc.model.layers[0] as Record<string, unknown>).name = `${name}n`;
    expect(() => modelFromJSON(doc)).toThrow(FormatError);
    expect(() => modelFromJSON(doc)).toThrow(/model\.layers\[0\]\.name: must be a string of at most 200 characters/);
  });

  it(`input shapes: rank ${LIMITS.inputRank}, dimensions ${LIMITS.dim} and ${LIMITS.inputSize} elements per sample`, () => {
    expect(() => new Sequential({ inputShape: [1, 1, 1, 1, 1, 1, 1, 3] })).not.toThrow();
    expect(() => new Sequential({ inputShape: [1, 1, 1, 1, 1, 1, 1, 1, 3] })).toThrow(
      /Sequential: inputShape must be a list of 1 to 8 positive integers/,
    );
    expect(() => new Sequential({ inputShape: [LIMITS.dim] })).not.toThrow();
    expect(() => new Sequential({ inputShape: [LIMITS.dim + 1] })).toThrow(
      /inputShape\[0\] must be an integer in \[1, 10000000\]/,
    );
    expect(() => new Sequential({ inputShape: [10_000, 10_000] })).not.toThrow();
    expect(() => new Sequential({ inputShape: [10_000, 10_001] })).toThrow(/more than the limit of 100000000/);
    expect(() => new Dense({ units: 2, inputShape: [1, 1, 1, 1, 1, 1, 1, 1, 3] })).toThrow(/Dense: inputShape must be/);
    const doc = modelToJSON(small());
    doc.model.inputShape = [10_000, 10_001];
    expect(() => modelFromJSON(doc)).toThrow(/model\.inputShape: more than 100000000 elements per sample/);
    doc.model.inputShape = [1, 1, 1, 1, 1, 1, 1, 1, 3];
    expect(() => modelFromJSON(doc)).toThrow(/model\.inputShape: expected a list of at most 8 items/);
  });
});
