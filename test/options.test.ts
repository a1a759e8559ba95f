/**
 * The option parser every class uses: each spec type, each bound form in the
 * error text, defaults and `required`, unknown and forbidden keys with the
 * nearest-key hint, nested objects and custom parsers (their errors carry the
 * path), and values that must never make an error message throw.
 */
import { describe, expect, it } from "vitest";
import {
  checkKeys,
  EarlyStopping,
  ImageAugmentation,
  nearestKey,
  OptionError,
  parseOptions,
  ReduceLROnPlateau,
  type Schema,
  ValueError,
} from "../src/index.js";
import { ModelCheckpoint, ProgressBar } from "../src/node.js";
import { byName, listOf, named, quote, show } from "../src/options.js";

const schema = {
  n: { type: "number", min: 0, max: 1, default: 0.5 },
  gt: { type: "number", gt: 0 },
  lt: { type: "number", lt: 1 },
  half: { type: "number", gt: 0, lt: 1 },
  le: { type: "number", max: 3 },
  int: { type: "number", integer: true, min: 1, required: true },
  any: { type: "number" },
  flag: { type: "boolean", default: true },
  word: { type: "string", maxLength: 3 },
  shape: { type: "shape", maxLength: 2, maxDim: 9 },
  sub: { type: "object", schema: { k: { type: "number", min: 2, required: true } } },
  fn: {
    type: "custom",
    parse: (v: unknown) => {
      if (v === "bad") throw new OptionError("inner", "deep", "is wrong");
      if (v === "boom") throw new Error("plain failure");
      return String(v).toUpperCase();
    },
  },
} as const satisfies Schema;

const err = (opts: unknown) => {
  try {
    parseOptions("Thing", schema, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    expect(e).toBeInstanceOf(ValueError);
    return (e as Error).message;
  }
  throw new Error("expected an OptionError");
};

describe("parseOptions", () => {
  it("applies defaults, keeps given values, leaves optional ones undefined", () => {
    const o = parseOptions("Thing", schema, { int: 2, fn: "x", shape: [3, 4], sub: { k: 2 } });
    expect(o).toEqual({ n: 0.5, int: 2, flag: true, fn: "X", shape: [3, 4], sub: { k: 2 } });
    expect("gt" in o).toBe(false);
    expect(parseOptions("Thing", schema, { int: 1, flag: false, word: "abc", n: 1 })).toMatchObject({
      flag: false,
      word: "abc",
      n: 1,
    });
  });

  it("says each bound the way it is written", () => {
    expect(err({ int: 1, n: 2 })).toBe("Thing: n must be a finite number in [0, 1], got 2");
    expect(err({ int: 1, gt: 0 })).toBe("Thing: gt must be a finite number > 0, got 0");
    expect(err({ int: 1, lt: 1 })).toBe("Thing: lt must be a finite number < 1, got 1");
    expect(err({ int: 1, half: 1 })).toBe("Thing: half must be a finite number in (0, 1), got 1");
    expect(err({ int: 1, le: 4 })).toBe("Thing: le must be a finite number <= 3, got 4");
    expect(err({ int: 0 })).toBe("Thing: int must be an integer >= 1, got 0");
    expect(err({ int: 1.5 })).toBe("Thing: int must be an integer >= 1, got 1.5");
    expect(err({ int: 1, any: Number.NaN })).toBe("Thing: any must be a finite number, got NaN");
    expect(err({ int: 1, any: Number.POSITIVE_INFINITY })).toBe("Thing: any must be a finite number, got Infinity");
    expect(err({ int: 1, any: "3" })).toBe('Thing: any must be a finite number, got "3"');
  });

  it("checks booleans, strings, shapes and nested objects", () => {
    expect(err({ int: 1, flag: 1 })).toBe("Thing: flag must be true or false, got 1");
    expect(err({ int: 1, word: "abcd" })).toBe('Thing: word must be a string of at most 3 characters, got "abcd"');
    expect(err({ int: 1, word: 3 })).toMatch(/word must be a string/);
    expect(err({ int: 1, shape: [] })).toBe("Thing: shape must be a list of 1 to 2 positive integers, got a list of 0");
    expect(err({ int: 1, shape: [1, 2, 3] })).toMatch(/shape must be a list of 1 to 2/);
    expect(err({ int: 1, shape: 4 })).toMatch(/shape must be a list/);
    expect(err({ int: 1, shape: [1, 10] })).toBe("Thing: shape[1] must be an integer in [1, 9], got 10");
    expect(err({ int: 1, sub: { k: 1 } })).toBe("Thing: sub.k must be a finite number >= 2, got 1");
    expect(err({ int: 1, sub: {} })).toBe("Thing: sub.k is required");
    expect(err({ int: 1, sub: { k: 2, j: 1 } })).toMatch(
      /^Thing: sub\.j is not an option \(did you mean 'sub\.k'\?\); known: k$/,
    );
    expect(err({ int: 1, sub: 5 })).toBe("Thing: sub expected an options object, got 5");
  });

  it("custom parsers: their errors are placed under the option's path", () => {
    expect(err({ int: 1, fn: "bad" })).toBe("Thing: fn.deep is wrong");
    expect(err({ int: 1, fn: "boom" })).toBe("Thing: fn plain failure");
  });

  it("required options, non-objects, unknown and forbidden keys", () => {
    expect(err({})).toBe("Thing: int is required");
    expect(err({ int: undefined })).toBe("Thing: int is required");
    expect(err(null)).toBe("Thing: expected an options object, got null");
    expect(err([1])).toBe("Thing: expected an options object, got a list of 1");
    expect(err({ int: 1, flg: true })).toMatch(
      /^Thing: flg is not an option \(did you mean 'flag'\?\); known: n, gt, lt/,
    );
    expect(err({ int: 1, zzzzzz: 1 })).toMatch(/^Thing: zzzzzz is not an option; known: /);
    expect(err(JSON.parse('{"int": 1, "__proto__": {"x": 1}}'))).toBe("Thing: __proto__ is a forbidden key");
    expect(parseOptions("E", { a: { type: "number", default: 1 } }, undefined)).toEqual({ a: 1 });
    expect(() => parseOptions("E", {}, { a: 1 })).toThrow("E: a is not an option; known: none");
    // A nested options object that is not an object is named by its whole path, only the trailing dot dropped.
    expect(() => parseOptions("E", {}, 5, "fit.schedule.")).toThrow(
      "E: fit.schedule expected an options object, got 5",
    );
  });

  it("error messages never throw, whatever the value (BigInt, functions, long strings)", () => {
    expect(err({ int: 3n })).toBe("Thing: int must be an integer >= 1, got 3n");
    expect(err({ int: () => 1 })).toBe("Thing: int must be an integer >= 1, got a function");
    expect(err({ int: { a: 1 } })).toBe("Thing: int must be an integer >= 1, got an object");
    expect(show("x".repeat(100))).toBe(JSON.stringify(`${"x".repeat(60)}…`));
    // The cut is past 60 characters: a string of exactly 60 is shown whole.
    expect(show("x".repeat(60))).toBe(JSON.stringify("x".repeat(60)));
    expect(show("x".repeat(61))).toBe(JSON.stringify(`${"x".repeat(60)}…`));
    expect(show(undefined)).toBe("undefined");
    expect(show(true)).toBe("true");
  });
});

describe("enum, function and list options", () => {
  const schema = {
    mode: { type: "enum", values: ["min", "max", "auto"], default: "auto" },
    hook: { type: "function" },
    maybe: { type: "function", nullable: true },
  } as const;
  it("an enum takes one of its strings, and names them all when refused, with the nearest", () => {
    expect(parseOptions("T", schema, {}).mode).toBe("auto");
    expect(parseOptions("T", schema, { mode: "max" }).mode).toBe("max");
    expect(() => parseOptions("T", schema, { mode: "mx" })).toThrow(
      new OptionError("T", "mode", "must be one of 'min', 'max', 'auto', got \"mx\" (did you mean 'max'?)"),
    );
    expect(() => parseOptions("T", schema, { mode: "zzzzzz" })).toThrow(
      /^T: mode must be one of 'min', 'max', 'auto', got "zzzzzz"$/,
    );
    expect(() => parseOptions("T", schema, { mode: 3 })).toThrow(
      /^T: mode must be one of 'min', 'max', 'auto', got 3$/,
    );
  });
  it("a function option takes a function, and null only when nullable", () => {
    const f = () => 1;
    expect(parseOptions("T", schema, { hook: f, maybe: null })).toEqual({ mode: "auto", hook: f, maybe: null });
    expect(() => parseOptions("T", schema, { hook: null })).toThrow(/^T: hook must be a function, got null$/);
    expect(() => parseOptions("T", schema, { maybe: 1 })).toThrow(/^T: maybe must be a function or null, got 1$/);
  });
  it("listOf refuses what is not a list, under the option's path", () => {
    expect(listOf("layers", [1, 2])).toEqual([1, 2]);
    const s = { layers: { type: "custom", parse: (v: unknown) => listOf("layers", v) } } as const;
    expect(() => parseOptions("Sequential", s, { layers: {} })).toThrow(
      new OptionError("Sequential", "layers", "must be a list of layers, got an object"),
    );
  });
});

describe("quote: a value from outside, as a message shows it", () => {
  it("is JSON-like, capped in depth (3), entries (5) and length, and never throws", () => {
    expect(quote({ a: [1, [2, [3, [4]]]] })).toBe('{"a":[1,[2,…]]}');
    expect(quote([1, 2, 3, 4, 5, 6, 7])).toBe("[1,2,3,4,5,… 2 more]");
    expect(quote({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toBe('{"a":1,"b":2,"c":3,"d":4,"e":5,… 1 more}');
    expect(quote("x".repeat(200))).toBe(`"${"x".repeat(79)}…`);
    expect(quote([Number.NaN, Number.NEGATIVE_INFINITY, null, true, undefined, 10n])).toBe(
      "[NaN,-Infinity,null,true,undefined,… 1 more]",
    );
    let deep: unknown = 0;
    for (let i = 0; i < 1_000_000; i++) deep = { k: deep };
    expect(quote(deep)).toBe('{"k":{"k":{"k":…}}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(quote(cyclic)).toBe('{"self":{"self":{"self":…}}}');
    const hostile = Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    expect(quote(hostile)).toBe('{"x":(unreadable)}');
    expect(quote(() => 1)).toBe("a function");
  });
});

describe("nearestKey and checkKeys", () => {
  it("suggests by edit distance, by case and separators, and by known aliases", () => {
    expect(nearestKey("epoch", ["epochs", "batchSize"])).toBe("epochs");
    expect(nearestKey("batch_size", ["epochs", "batchSize"])).toBe("batchSize");
    expect(nearestKey("BATCHSIZE", ["epochs", "batchSize"])).toBe("batchSize");
    expect(nearestKey("learningRate", ["lr", "momentum"])).toBe("lr");
    expect(nearestKey("learning_rate", ["lr"])).toBe("lr");
    expect(nearestKey("learningRate", ["momentum"])).toBeNull();
    expect(nearestKey("qqqqqq", ["epochs"])).toBeNull();
    expect(nearestKey("momentun", ["momentum", "moment"])).toBe("momentum");
    expect(nearestKey("ab", ["abc", "xyz"])).toBe("abc");
  });

  it("checkKeys refuses unknown and forbidden keys, with a prefix for nested objects", () => {
    expect(() => checkKeys("fit", { epochs: 1 }, ["epochs"])).not.toThrow();
    expect(() => checkKeys("fit", { constructor: 1 }, ["epochs"])).toThrow("fit: constructor is a forbidden key");
    expect(() => checkKeys("fit", { prototype: 1 }, ["epochs"])).toThrow(/forbidden/);
    expect(() => checkKeys("fit", { epoch: 1 }, ["epochs"], "opts.")).toThrow(
      "fit: opts.epoch is not an option (did you mean 'opts.epochs'?); known: epochs",
    );
  });
});

describe("byName and named", () => {
  const table = {
    relu: named("relu", {}, () => "R"),
    leaky: named("leaky", { a: { type: "number", default: 1 } }, (o) => `L${o.a}`),
  };
  it("takes a name or a { name, ...options } config and parses the options", () => {
    expect(byName("activation", table, "relu")).toBe("R");
    expect(byName("activation", table, { name: "leaky", a: 2 })).toBe("L2");
    expect(() => byName("activation", table, { name: "relu", a: 2 })).toThrow("relu: a is not an option; known: none");
  });
  it("names the unknown name, the nearest one and the known ones", () => {
    expect(() => byName("activation", table, "rleu")).toThrow(
      "activation: unknown activation 'rleu' (did you mean 'relu'?); known: relu, leaky",
    );
    expect(() => byName("activation", table, { name: 3 })).toThrow(
      "activation: unknown activation 3; known: relu, leaky",
    );
    expect(() => byName("activation", table, 42)).toThrow(
      "activation: expected a name or a { name, ... } config, got 42",
    );
    expect(() => byName("activation", table, [])).toThrow(
      /expected a name or a \{ name, \.\.\. \} config, got a list of 0/,
    );
    expect(() => byName("activation", table, "toString")).toThrow(/unknown activation 'toString'/);
    expect(() => byName("activation", table, "x".repeat(80))).toThrow(
      new RegExp(`unknown activation '${"x".repeat(60)}…'`),
    );
    expect(() => byName("activation", table, "x".repeat(60))).toThrow(
      new RegExp(`unknown activation '${"x".repeat(60)}'`),
    );
  });
});

describe("callbacks and the augmentation refuse unknown keys too", () => {
  it("names the key and suggests the nearest", () => {
    const cases: [() => unknown, string][] = [
      [
        () => new EarlyStopping({ patiance: 3 } as never),
        "EarlyStopping: patiance is not an option (did you mean 'patience'?)",
      ],
      [
        () => new ReduceLROnPlateau({ factr: 0.5 } as never),
        "ReduceLROnPlateau: factr is not an option (did you mean 'factor'?)",
      ],
      [
        () => new ImageAugmentation({ rotaton: 10 } as never),
        "ImageAugmentation: rotaton is not an option (did you mean 'rotation'?)",
      ],
      [
        () => new ImageAugmentation({ elastic: { alpha: 1, sigm: 2 } } as never),
        "ImageAugmentation: elastic.sigm is not an option (did you mean 'elastic.sigma'?)",
      ],
      [
        () => new ModelCheckpoint({ path: "x", everyEpoch: 1 } as never),
        "ModelCheckpoint: everyEpoch is not an option (did you mean 'everyEpochs'?)",
      ],
      [() => new ProgressBar({ epoch: 2 } as never), "ProgressBar: epoch is not an option (did you mean 'epochs'?)"],
    ];
    for (const [make, message] of cases) expect(make).toThrow(message);
  });
});
