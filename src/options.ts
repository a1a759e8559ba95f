/**
 * Option schemas: one table per class (a layer, an optimizer, a schedule, a
 * loss, an initializer, an activation) saying each option's type, range and
 * default. The constructor parses its options through the table, and the
 * loader rebuilds objects through the same constructors, so what a
 * constructor accepts and what a saved file may hold cannot disagree.
 *
 * Unknown keys are errors everywhere (a JavaScript caller has no type
 * checker to catch `learningRate` for `lr`), with the nearest known key
 * suggested.
 */
import { ValueError } from "./errors.js";
import { LIMITS } from "./limits.js";

/** One option's type, range and default. */
export type OptionSpec =
  | {
      /** A number, with optional bounds. */
      readonly type: "number";
      /** Inclusive lower bound. */
      readonly min?: number;
      /** Inclusive upper bound. */
      readonly max?: number;
      /** Exclusive lower bound. */
      readonly gt?: number;
      /** Exclusive upper bound. */
      readonly lt?: number;
      /** Must be an integer. */
      readonly integer?: boolean;
      /** The value when the option is absent. */
      readonly default?: number;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** true or false. */
      readonly type: "boolean";
      /** The value when the option is absent. */
      readonly default?: boolean;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** A string. */
      readonly type: "string";
      /** Longest accepted string. */
      readonly maxLength: number;
      /** The value when the option is absent. */
      readonly default?: string;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** One of a closed set of strings. */
      readonly type: "enum";
      /** The accepted strings. */
      readonly values: readonly string[];
      /** The value when the option is absent. */
      readonly default?: string;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** A function (a callback, a hook). */
      readonly type: "function";
      /** Also accept null (e.g. to turn a default hook off). */
      readonly nullable?: boolean;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** A list of positive integers (a per-sample shape). */
      readonly type: "shape";
      /** Most dimensions. */
      readonly maxLength: number;
      /** Largest dimension. */
      readonly maxDim: number;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** A nested options object with its own schema (e.g. `kernelRegularizer`). */
      readonly type: "object";
      /** The nested object's schema. */
      readonly schema: Schema;
      /** The option must be given. */
      readonly required?: boolean;
    }
  | {
      /** Anything a function can check: names, configs or instances of other classes. */
      readonly type: "custom";
      /** Returns the parsed value or throws an {@link OptionError} (path relative to this option). */
      readonly parse: (v: unknown) => unknown;
      /** The value when the option is absent. */
      readonly default?: unknown;
      /** The option must be given. */
      readonly required?: boolean;
    };

/** A class's options: name → spec. */
export type Schema = Readonly<Record<string, OptionSpec>>;

/** The parsed value type of one option spec. */
export type ValueOf<S extends OptionSpec> = S extends { type: "number" }
  ? number
  : S extends { type: "boolean" }
    ? boolean
    : S extends { type: "string" }
      ? string
      : S extends { type: "enum"; values: readonly (infer V)[] }
        ? V
        : S extends { type: "function"; nullable: true }
          ? ((...args: never[]) => unknown) | null
          : S extends { type: "function" }
            ? (...args: never[]) => unknown
            : S extends { type: "shape" }
              ? number[]
              : S extends { type: "object"; schema: infer N extends Schema }
                ? Parsed<N>
                : S extends { parse: (v: unknown) => infer R }
                  ? R
                  : unknown;

/** The parsed options of a schema: options with a default or `required` are always present. */
export type Parsed<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends
    | {
        /** An option with a default… */
        default: unknown;
      }
    | {
        /** …or a required one is always present. */
        required: true;
      }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
};

/**
 * An option is missing, unknown or out of range. `key` is its path within
 * the options (`"kernelRegularizer.l1"`), `detail` what was wrong.
 * @example
 * ```ts
 * try { new Adam({ learningRate: 0.1 } as never); } catch (e) { if (e instanceof OptionError) console.log(e.key); }
 * ```
 */
export class OptionError extends ValueError {
  constructor(
    /** Where: the class (`"Adam"`). */
    readonly where: string,
    /** The option's path within the options object. */
    readonly key: string,
    /** What was wrong with it. */
    readonly detail: string,
  ) {
    super(`${where}: ${key === "" ? "" : `${key} `}${detail}`);
  }
}

/** Keys never accepted, whatever the schema (prototype pollution through a parsed document). */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** Names people reach for from other libraries; only ever used for a hint, never accepted. */
const HINTS: Record<string, string> = { learningRate: "lr", learning_rate: "lr", step: "eps" };

/**
 * Describes a value for an error message without ever throwing (a BigInt or
 * a cyclic object must not turn an error into a TypeError).
 */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return "an object";
}

/**
 * A value from outside (a file, a user's config object) as an error message
 * quotes it: JSON-like, at most `max` characters, nested at most three
 * levels (deeper values read `…`), a few entries per container. It never
 * throws, whatever the value (deep, cyclic, with throwing getters), so the
 * message that reports a bad value cannot itself fail.
 * @example
 * ```ts
 * quote({ a: [1, [2, [3, [4]]]] }); // '{"a":[1,[2,[3,…]]]}'
 * ```
 */
export function quote(v: unknown, max = 80): string {
  let out = "";
  const put = (s: string): boolean => {
    out += s;
    return out.length <= max;
  };
  const walk = (x: unknown, depth: number): boolean => {
    if (x === null || typeof x === "boolean") return put(String(x));
    if (typeof x === "number") return put(String(x));
    if (typeof x === "string") return put(JSON.stringify(x.length > max ? `${x.slice(0, max)}…` : x));
    if (typeof x === "bigint") return put(`${x}n`);
    if (typeof x === "undefined") return put("undefined");
    if (typeof x !== "object") return put(typeof x === "function" ? "a function" : typeof x);
    if (depth >= 3) return put("…");
    try {
      if (Array.isArray(x)) {
        if (!put("[")) return false;
        for (let i = 0; i < x.length; i++) {
          if (i === 5) return put(`,… ${x.length - 5} more]`);
          if ((i > 0 && !put(",")) || !walk(x[i], depth + 1)) return false;
        }
        return put("]");
      }
      const keys = Object.keys(x);
      if (!put("{")) return false;
      for (let i = 0; i < keys.length; i++) {
        if (i === 5) return put(`,… ${keys.length - 5} more}`);
        const k = keys[i] as string;
        if ((i > 0 && !put(",")) || !put(`${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)}:`)) return false;
        let value: unknown;
        try {
          value = (x as Record<string, unknown>)[k];
        } catch {
          if (!put("(unreadable)")) return false;
          continue;
        }
        if (!walk(value, depth + 1)) return false;
      }
      return put("}");
    } catch {
      return put("an object");
    }
  };
  walk(v, 0);
  return out.length <= max ? out : `${out.slice(0, max)}…`;
}

function rangeText(s: Extract<OptionSpec, { type: "number" }>): string {
  const what = s.integer ? "an integer" : "a finite number";
  const lo = s.min !== undefined ? `[${s.min}` : s.gt !== undefined ? `(${s.gt}` : null;
  const hi = s.max !== undefined ? `${s.max}]` : s.lt !== undefined ? `${s.lt})` : null;
  if (lo !== null && hi !== null) return `${what} in ${lo}, ${hi}`;
  if (s.min !== undefined) return `${what} >= ${s.min}`;
  if (s.gt !== undefined) return `${what} > ${s.gt}`;
  if (s.max !== undefined) return `${what} <= ${s.max}`;
  if (s.lt !== undefined) return `${what} < ${s.lt}`;
  return what;
}

/** Checks a number against a number spec; returns an error text or null. */
function badNumber(v: unknown, s: Extract<OptionSpec, { type: "number" }>): string | null {
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    (!s.integer || Number.isInteger(v)) &&
    (s.min === undefined || v >= s.min) &&
    (s.max === undefined || v <= s.max) &&
    (s.gt === undefined || v > s.gt) &&
    (s.lt === undefined || v < s.lt);
  return ok ? null : `must be ${rangeText(s)}, got ${show(v)}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

/**
 * The known key a mistyped one most likely meant, or null.
 * @example
 * ```ts
 * nearestKey("epoch", ["epochs", "batchSize"]); // "epochs"
 * nearestKey("batch_size", ["epochs", "batchSize"]); // "batchSize"
 * ```
 */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const hint = HINTS[key];
  if (hint !== undefined && known.includes(hint)) return hint;
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const dist = editDistance(norm(key), norm(k));
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best;
}

/**
 * Throws an {@link OptionError} for a key of `opts` that is not in `known`
 * (or is a forbidden prototype key), suggesting the nearest known key.
 * @example
 * ```ts
 * checkKeys("fit", { epoch: 3 }, ["epochs", "batchSize"]); // throws: fit: unknown option 'epoch' (did you mean 'epochs'?)
 * ```
 */
export function checkKeys(where: string, opts: object, known: readonly string[], prefix = ""): void {
  for (const k of Object.keys(opts)) {
    if (FORBIDDEN.has(k)) throw new OptionError(where, `${prefix}${k}`, "is a forbidden key");
    if (!known.includes(k)) {
      const near = nearestKey(k, known);
      throw new OptionError(
        where,
        `${prefix}${k}`,
        `is not an option${near ? ` (did you mean '${prefix}${near}'?)` : ""}; known: ${known.join(", ") || "none"}`,
      );
    }
  }
}

/**
 * Parses an options object through a schema: refuses unknown and forbidden
 * keys, checks every value's type and range, applies defaults. Errors are
 * {@link OptionError}s naming `where` and the option.
 * @example
 * ```ts
 * const schema = { units: { type: "number", integer: true, min: 1, required: true } } as const;
 * parseOptions("Dense", schema, { units: 3 }); // { units: 3 }
 * ```
 */
export function parseOptions<S extends Schema>(where: string, schema: S, opts: unknown, prefix = ""): Parsed<S> {
  if (opts === undefined) opts = {};
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new OptionError(where, prefix.replace(/\.$/, ""), `expected an options object, got ${show(opts)}`);
  }
  const o = opts as Record<string, unknown>;
  checkKeys(where, o, Object.keys(schema), prefix);
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema)) {
    const key = `${prefix}${k}`;
    const v = Object.hasOwn(o, k) ? o[k] : undefined;
    if (v === undefined) {
      if (s.required) throw new OptionError(where, key, "is required");
      if ("default" in s) out[k] = s.default;
      continue;
    }
    switch (s.type) {
      case "number": {
        const bad = badNumber(v, s);
        if (bad) throw new OptionError(where, key, bad);
        out[k] = v;
        break;
      }
      case "boolean":
        if (typeof v !== "boolean") throw new OptionError(where, key, `must be true or false, got ${show(v)}`);
        out[k] = v;
        break;
      case "string":
        if (typeof v !== "string" || v.length > s.maxLength)
          throw new OptionError(where, key, `must be a string of at most ${s.maxLength} characters, got ${show(v)}`);
        out[k] = v;
        break;
      case "enum":
        if (typeof v !== "string" || !s.values.includes(v)) {
          const near = typeof v === "string" ? nearestKey(v, s.values) : null;
          throw new OptionError(
            where,
            key,
            `must be one of ${s.values.map((x) => `'${x}'`).join(", ")}, got ${show(v)}${near ? ` (did you mean '${near}'?)` : ""}`,
          );
        }
        out[k] = v;
        break;
      case "function":
        if (typeof v !== "function" && !(v === null && s.nullable)) {
          throw new OptionError(where, key, `must be a function${s.nullable ? " or null" : ""}, got ${show(v)}`);
        }
        out[k] = v;
        break;
      case "shape": {
        if (!Array.isArray(v) || v.length < 1 || v.length > s.maxLength)
          throw new OptionError(where, key, `must be a list of 1 to ${s.maxLength} positive integers, got ${show(v)}`);
        out[k] = v.map((d, i) => {
          const bad = badNumber(d, { type: "number", integer: true, min: 1, max: s.maxDim });
          if (bad) throw new OptionError(where, `${key}[${i}]`, bad);
          return d as number;
        });
        break;
      }
      case "object":
        out[k] = parseOptions(where, s.schema, v, `${key}.`);
        break;
      case "custom":
        try {
          out[k] = s.parse(v);
        } catch (e) {
          if (e instanceof OptionError) {
            throw new OptionError(where, e.key === "" ? key : `${key}.${e.key}`, e.detail);
          }
          throw new OptionError(where, key, e instanceof Error ? e.message : show(e));
        }
        break;
    }
  }
  return out as Parsed<S>;
}

/**
 * Picks one of a closed set of named constructors from a name or a
 * `{ name, ...options }` config (an initializer, an activation, a loss …).
 * @example
 * ```ts
 * byName("activation", ACTIVATIONS, { name: "leakyRelu", alpha: 0.2 });
 * ```
 */
export function byName<T>(
  what: string,
  table: Readonly<Record<string, (opts: Record<string, unknown>) => T>>,
  v: unknown,
): T {
  const cfg = typeof v === "string" ? { name: v } : v;
  if (typeof cfg !== "object" || cfg === null || Array.isArray(cfg)) {
    throw new OptionError(what, "", `expected a name or a { name, ... } config, got ${show(v)}`);
  }
  const { name, ...opts } = cfg as Record<string, unknown>;
  if (typeof name !== "string" || !Object.hasOwn(table, name)) {
    const known = Object.keys(table);
    const near = typeof name === "string" ? nearestKey(name, known) : null;
    const got = typeof name === "string" ? `'${name.length > 60 ? `${name.slice(0, 60)}…` : name}'` : show(name);
    throw new OptionError(
      what,
      "",
      `unknown ${what} ${got}${near ? ` (did you mean '${near}'?)` : ""}; known: ${known.join(", ")}`,
    );
  }
  return (table[name] as (o: Record<string, unknown>) => T)(opts);
}

/**
 * A factory for one entry of a named table: parses the options through
 * `schema` (errors name `name`), then makes the object.
 * @example
 * ```ts
 * const leakyRelu = named("leakyRelu", { alpha: { type: "number", min: 0, default: 0.01 } }, (o) => new LeakyRelu(o.alpha));
 * ```
 */
export function named<S extends Schema, T>(name: string, schema: S, make: (o: Parsed<S>) => T): NamedFactory<T> {
  return Object.assign((opts: Record<string, unknown>) => make(parseOptions(name, schema, opts)), { schema });
}

/** A factory made by {@link named}: it parses through `schema`, which it carries for tools and tests. */
export type NamedFactory<T> = ((opts: Record<string, unknown>) => T) & { readonly schema: Schema };

/**
 * The schemas of a table of {@link named} factories, by name.
 * @example
 * ```ts
 * schemasOf(FACTORIES).leakyRelu; // { alpha: { type: "number", min: 0, default: 0.01 } }
 * ```
 */
export function schemasOf(table: Readonly<Record<string, NamedFactory<unknown>>>): Record<string, Schema> {
  return Object.fromEntries(Object.entries(table).map(([k, f]) => [k, f.schema]));
}

/** The `name` option every layer has. */
export const NAME_SPEC = { type: "string", maxLength: LIMITS.nameLength } as const satisfies OptionSpec;
/** The `inputShape` option every layer has (within the loader's limits). */
export const INPUT_SHAPE_SPEC = {
  type: "shape",
  maxLength: LIMITS.inputRank,
  maxDim: LIMITS.dim,
} as const satisfies OptionSpec;

/**
 * A per-sample input shape within LIMITS (the loader's bounds, so every
 * model built can be saved and loaded): `inputShape` of a model or of its
 * first layer.
 * @internal
 */
export function parseInputShape(where: string, shape: readonly number[]): number[] {
  const { inputShape } = parseOptions(where, { inputShape: INPUT_SHAPE_SPEC }, { inputShape: shape });
  const size = (inputShape as number[]).reduce((a, b) => a * b, 1);
  if (size > LIMITS.inputSize) {
    throw new ValueError(
      `${where}: inputShape has ${size} elements per sample, more than the limit of ${LIMITS.inputSize}`,
    );
  }
  return inputShape as number[];
}

/**
 * A custom option's check that the value is a list (of layers, metrics …),
 * for a schema's `parse`; the elements are checked where they are used.
 * @internal
 */
export function listOf<T>(what: string, v: unknown): T[] {
  if (!Array.isArray(v)) throw new OptionError("", "", `must be a list of ${what}, got ${show(v)}`);
  return v as T[];
}

/**
 * An `imageShape` option: `[height, width]` of positive integers.
 * @internal
 */
export const IMAGE_SHAPE_SPEC = {
  type: "custom",
  parse: (v: unknown): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= 1 && d <= LIMITS.dim))
      throw new OptionError("", "", `must be [height, width] of positive integers, got ${show(v)}`);
    return v as [number, number];
  },
} as const satisfies OptionSpec;
