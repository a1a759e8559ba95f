/**
 * The loader bounds what JSON.parse may build from a header: nesting depth,
 * objects and arrays, and values (LIMITS.jsonDepth, jsonContainers,
 * headerValues), each checked at the bound and one past it; and saves refuse a
 * header the loader would refuse. The stress cases (adversarial structures
 * within a time bound, the largest hostile headers in a child with a capped
 * heap) are in header-stress.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonShape } from "../src/format/json-shape.js";
import { Dense, deserialize, FormatError, LIMITS, modelToJSON, Sequential, serialize } from "../src/index.js";
import { load } from "../src/node.js";
import { headerOnlyFile } from "./helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);

const file = headerOnlyFile;

function small(): Sequential {
  const m = new Sequential({ inputShape: [3], seed: 1 });
  m.add(new Dense({ units: 2 }));
  return m;
}

describe("header structure limits", () => {
  it("counts depth, containers and values (commas + containers), skipping strings and escapes", () => {
    expect(jsonShape(enc('{"a":[1,2,{"b":"[,{\\"}"}],"c":{}}'))).toEqual({ depth: 3, containers: 4, values: 7 }); // 3 commas outside the string + 4 containers;
    expect(jsonShape(enc("7"))).toEqual({ depth: 0, containers: 0, values: 0 });
  });

  it(`nesting: ${LIMITS.jsonDepth} levels parse, one more is refused before parsing`, () => {
    const nest = (d: number) => "[".repeat(d) + "]".repeat(d);
    // at the bound the header parses and fails later, on its content
    expect(() => deserialize(file(nest(LIMITS.jsonDepth)))).toThrow("header: expected an object");
    expect(() => deserialize(file(nest(LIMITS.jsonDepth + 1)))).toThrow(
      new FormatError(`header: nesting deeper than ${LIMITS.jsonDepth} levels (at byte ${LIMITS.jsonDepth})`),
    );
  });

  it(`containers: ${LIMITS.jsonContainers} parse, one more is refused`, () => {
    const list = (n: number) => `[${"[],".repeat(n - 2)}[]]`; // n containers with the outer one
    expect(() => deserialize(file(list(LIMITS.jsonContainers)))).toThrow("header: expected an object");
    expect(() => deserialize(file(list(LIMITS.jsonContainers + 1)))).toThrow(
      /^header: more than 50000 objects and arrays \(at byte \d+\)$/,
    );
  });

  it(`values: ${LIMITS.headerValues} parse, one more is refused`, () => {
    const list = (n: number) => `[${"0,".repeat(n - 2)}0]`; // n − 2 commas + 1 container = n − 1 values
    expect(() => deserialize(file(list(LIMITS.headerValues + 1)))).toThrow("header: expected an object");
    expect(() => deserialize(file(list(LIMITS.headerValues + 2)))).toThrow(
      /^header: more than 1000000 values \(at byte 2000000\)$/,
    );
  });

  it("a save refuses a header the loader would refuse, and a long history within the limits round-trips", () => {
    const m = small();
    const state = m.trainingState();
    const long = { ...state, history: { loss: new Array(LIMITS.headerValues).fill(0.5) } };
    expect(() => serialize(m, long)).toThrow(/^header: more than 1000000 values \(at byte \d+\)$/);
    const ok = { ...state, history: { loss: new Array(400_000).fill(0.125) } };
    const back = deserialize(serialize(m, ok));
    expect(back.training?.history.loss).toHaveLength(400_000);
    const huge = { ...state, history: { loss: new Array(500_000).fill(0.1234567890123) } }; // ~7.5 MB: fits
    expect(deserialize(serialize(m, huge)).training?.history.loss?.[499_999]).toBe(0.1234567890123);
    const over = { ...state, history: { loss: new Array(600_000).fill(0.1234567890123) } }; // ~9 MB: does not
    expect(() => serialize(m, over)).toThrow(
      /^header: \d+ bytes exceeds the loader's limit of 8388608 bytes \(a long training history/,
    );
  });

  it("load() of a JSON file bounds depth and containers but not values (its weights are values)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tmlp-bounds-"));
    const path = join(dir, "m.json");
    const m = small();
    const doc = modelToJSON(m);
    doc.arrays[0] = new Array(LIMITS.headerValues + 10).fill(0); // more values than a header may hold
    writeFileSync(path, JSON.stringify(doc));
    // refused for the array's length, after parsing: the value count is not bounded here
    expect(() => load(path)).toThrow("arrays[0]: expected 6 numbers");
    writeFileSync(path, `{"a":${"[".repeat(LIMITS.jsonDepth)}${"]".repeat(LIMITS.jsonDepth)}}`);
    expect(() => load(path)).toThrow(
      new FormatError(
        `file: '${path}': nesting deeper than ${LIMITS.jsonDepth} levels (at byte ${LIMITS.jsonDepth + 4})`,
      ),
    );
    writeFileSync(path, JSON.stringify(modelToJSON(m)));
    expect(Array.from(load(path).params()[0]?.value.data ?? [])).toEqual(Array.from(m.params()[0]?.value.data ?? []));
    rmSync(dir, { recursive: true });
  });
});
