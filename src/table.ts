/**
 * Tables in, raw rows out: from records (JSON objects, as `vega-datasets`
 * ships them, or the rows of a CSV file) to a feature tensor and a target,
 * and back from a prediction to the target's values.
 *
 * A {@link TableEncoding} is learned from the training records: the numeric
 * columns pass through as they are (put a {@link Normalization} layer first
 * to scale them), each categorical column becomes one 0/1 feature per
 * category (one-hot, categories in sorted order, as scikit-learn's
 * OneHotEncoder), and the label is a number (regression) or, when it is
 * categorical, a class index. The encoding is a small JSON document that is
 * saved in the model file (`model.table`), so a model loaded in another
 * process predicts from raw records with {@link predictRecords}.
 */
import { ShapeError, TinyMlpError, ValueError } from "./errors.js";
import { OptionError, parseOptions, quote, type Schema, show } from "./options.js";
import type { Sequential } from "./sequential.js";
import { Tensor } from "./tensor.js";

/** A table row: column name → number, string, boolean, or null/undefined/"" for a missing value. */
export type TableRecord = Readonly<Record<string, unknown>>;

/** A record that cannot be encoded: the message names the row and the column. */
export class TableError extends TinyMlpError {}

/** What to encode, by column name. */
export interface TableSpec {
  /** The target column: numeric (regression), or listed in `categorical` (classification). */
  label?: string;
  /** Numeric feature columns, in order. */
  numeric?: readonly string[];
  /** Categorical columns (strings, or numbers taken as names), one-hot encoded, in order. */
  categorical?: readonly string[];
  /** A missing value (null, undefined, "", NaN): refuse it naming row and column (default), or drop the row. */
  missing?: "refuse" | "drop";
}

const names = (what: string) =>
  ({
    type: "custom",
    parse: (v: unknown): string[] => {
      if (
        !Array.isArray(v) ||
        v.length > 10_000 ||
        v.some((s) => typeof s !== "string" || s.length === 0 || s.length > 200)
      )
        throw new OptionError(
          "",
          "",
          `must be a list of ${what} (non-empty strings of at most 200 characters), got ${show(v)}`,
        );
      return [...v] as string[];
    },
    default: [] as string[],
  }) as const;

const SPEC = {
  label: { type: "string", maxLength: 200 },
  numeric: names("column names"),
  categorical: names("column names"),
  missing: { type: "enum", values: ["refuse", "drop"], default: "refuse" },
} as const satisfies Schema;

/** The JSON form of a {@link TableEncoding} (what the model file stores as `table`). */
export interface TableEncodingJSON {
  /** The target column, or null for features only. */
  label: string | null;
  /** The label's classes in class-index order, or null for a numeric label. */
  labelCategories: string[] | null;
  /** Numeric feature columns, in feature order. */
  numeric: string[];
  /** Categorical columns with their categories, in feature order (after the numeric ones). */
  categorical: {
    /** The column's name. */
    column: string;
    /** Its categories, sorted: one feature each. */
    categories: string[];
  }[];
}

/** What {@link TableEncoding.encode} returns. */
export interface Encoded {
  /** The features, (N, features). */
  x: Tensor;
  /** The label: (N) class indices, (N, 1) numbers, or null without one. */
  y: Tensor | null;
  /** The records used (all, unless rows with a missing value were dropped). */
  kept: number[];
}

/** Missing: absent, null, the empty string, or NaN. */
function isMissing(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (typeof v === "number" && Number.isNaN(v));
}

/** A categorical value's name: strings as they are, finite numbers and booleans as written. */
function categoryOf(v: unknown, where: () => string): string {
  if (typeof v === "string") return v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return String(v);
  throw new TableError(`${where()}: ${quote(v)} is not a category (a string, number or boolean)`);
}

/**
 * A learned encoding of table rows into features (and a target).
 * @example
 * ```ts
 * const enc = TableEncoding.fit(cars, { label: "Miles_per_Gallon", numeric: ["Horsepower", "Weight_in_lbs"], categorical: ["Origin"], missing: "drop" });
 * const { x, y } = enc.encode(cars);   // x: (N, 5) — Horsepower, Weight, Origin=Europe, Origin=Japan, Origin=USA
 * ```
 */
export class TableEncoding {
  /** Rows with a missing value: refused or dropped by {@link TableEncoding.encode}. */
  readonly missing: "refuse" | "drop";

  private constructor(
    /** The JSON form: columns, categories and their order. */
    readonly json: TableEncodingJSON,
    missing: "refuse" | "drop",
  ) {
    this.missing = missing;
  }

  /**
   * Learns the categories of each categorical column (and of a categorical
   * label) from `records`, sorted. Rows with a missing value in a used column
   * are refused, or skipped with `missing: "drop"`.
   */
  static fit(records: readonly TableRecord[], spec: TableSpec): TableEncoding {
    const o = parseOptions("TableEncoding.fit", SPEC, spec);
    if (!Array.isArray(records))
      throw new ValueError(`TableEncoding.fit: expected a list of records, got ${show(records)}`);
    // the label is a feature of neither kind; listed in categorical, it marks the label as a class
    const featureCats = o.categorical.filter((c) => c !== o.label);
    const features = [...o.numeric, ...featureCats];
    if (features.length === 0)
      throw new OptionError("TableEncoding.fit", "numeric", "and categorical list no feature column");
    const dup = features.find((c, i) => features.indexOf(c) !== i);
    if (dup !== undefined)
      throw new OptionError("TableEncoding.fit", "numeric", `and categorical list column '${dup}' twice`);
    if (o.label !== undefined && o.numeric.includes(o.label))
      throw new OptionError("TableEncoding.fit", "numeric", `lists the label column '${o.label}'`);
    const labelCategorical = o.label !== undefined && o.categorical.includes(o.label);
    const seen = new Map<string, Set<string>>(o.categorical.map((c) => [c, new Set<string>()]));
    const columns = o.label === undefined ? features : [o.label, ...features];
    records.forEach((rec, r) => {
      if (rowMissing(rec, columns, r, o.missing)) return;
      for (const c of o.categorical)
        (seen.get(c) as Set<string>).add(categoryOf(rec[c], () => `row ${r}, column '${c}'`));
      for (const c of o.numeric) numberAt(rec, c, r);
      if (o.label !== undefined && !labelCategorical) numberAt(rec, o.label, r);
    });
    const sorted = (c: string) => [...(seen.get(c) as Set<string>)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const json: TableEncodingJSON = {
      label: o.label ?? null,
      labelCategories: labelCategorical ? sorted(o.label as string) : null,
      numeric: [...o.numeric],
      categorical: featureCats.map((column) => ({ column, categories: sorted(column) })),
    };
    for (const { column, categories } of json.categorical)
      if (categories.length === 0) throw new TableError(`TableEncoding.fit: column '${column}' has no values`);
    return new TableEncoding(json, o.missing);
  }

  /**
   * An encoding from its JSON form (a saved model's `table`), checked field by field.
   * @throws ValueError naming the field
   */
  static fromJSON(doc: unknown, missing: "refuse" | "drop" = "refuse"): TableEncoding {
    const fail = (path: string, what: string): never => {
      throw new ValueError(`table${path}: ${what}`);
    };
    const str = (v: unknown, path: string): string =>
      typeof v === "string" && v.length > 0 && v.length <= 200
        ? v
        : fail(path, `expected a column or category name (1 to 200 characters), got ${quote(v)}`);
    const list = (v: unknown, path: string, max: number): unknown[] =>
      Array.isArray(v) && v.length <= max ? v : fail(path, `expected a list of at most ${max} items`);
    const unique = (l: string[], path: string): string[] => {
      const d = l.find((s, i) => l.indexOf(s) !== i);
      return d === undefined ? l : fail(path, `lists '${d}' twice`);
    };
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return fail("", "expected an object");
    const o = doc as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!["label", "labelCategories", "numeric", "categorical"].includes(k)) fail(`.${k}`, "unknown key");
    const label = o.label === null ? null : str(o.label, ".label");
    const labelCategories =
      o.labelCategories === null || o.labelCategories === undefined
        ? null
        : unique(
            list(o.labelCategories, ".labelCategories", 10_000).map((v, i) => str(v, `.labelCategories[${i}]`)),
            ".labelCategories",
          );
    if (labelCategories !== null && label === null) fail(".labelCategories", "present without a label");
    const numeric = unique(
      list(o.numeric, ".numeric", 10_000).map((v, i) => str(v, `.numeric[${i}]`)),
      ".numeric",
    );
    const categorical = list(o.categorical, ".categorical", 10_000).map((v, i) => {
      const path = `.categorical[${i}]`;
      if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(path, "expected an object");
      const e = v as Record<string, unknown>;
      for (const k of Object.keys(e)) if (k !== "column" && k !== "categories") fail(`${path}.${k}`, "unknown key");
      const categories = unique(
        list(e.categories, `${path}.categories`, 10_000).map((c, k) => str(c, `${path}.categories[${k}]`)),
        `${path}.categories`,
      );
      if (categories.length === 0) fail(`${path}.categories`, "expected at least one category");
      return { column: str(e.column, `${path}.column`), categories };
    });
    unique([...numeric, ...categorical.map((c) => c.column), ...(label === null ? [] : [label])], " columns");
    if (numeric.length + categorical.length === 0) fail("", "has no feature columns");
    return new TableEncoding({ label, labelCategories, numeric, categorical }, missing);
  }

  /** The JSON form (columns, categories, their order): what `model.table` saves. */
  toJSON(): TableEncodingJSON {
    return structuredClone(this.json);
  }

  /** The encoded features' names: each numeric column, then `column=category` for each one-hot feature. */
  get features(): string[] {
    return [
      ...this.json.numeric,
      ...this.json.categorical.flatMap(({ column, categories }) => categories.map((c) => `${column}=${c}`)),
    ];
  }

  /** Whether the label is a class (a categorical column) rather than a number. */
  get classifies(): boolean {
    return this.json.labelCategories !== null;
  }

  /**
   * Encodes records: x is (N, features) in float32 (or `dtype`); y, when the
   * encoding has a label and `withLabel` is not false, is (N) class indices
   * for a categorical label, (N, 1) numbers otherwise. `kept` lists the
   * records used (all of them, unless rows with a missing value were dropped).
   * @throws TableError naming the row and column of a missing value (unless
   * dropped), a number that is not one, or a category the encoding has not seen
   */
  encode(records: readonly TableRecord[], opts: { withLabel?: boolean; dtype?: "float32" | "float64" } = {}): Encoded {
    return this.encodeRows(records, opts, this.missing);
  }

  /** encode, with the missing-value rule given: predictRecords refuses whatever the encoding says. @internal */
  encodeRows(
    records: readonly TableRecord[],
    opts: { withLabel?: boolean; dtype?: "float32" | "float64" },
    missing: "refuse" | "drop",
    advice?: string,
  ): Encoded {
    const o = parseOptions("TableEncoding.encode", ENCODE_OPTIONS, opts);
    if (!Array.isArray(records))
      throw new ValueError(`TableEncoding.encode: expected a list of records, got ${show(records)}`);
    const j = this.json;
    const withLabel = o.withLabel && j.label !== null;
    const columns = [...(withLabel ? [j.label as string] : []), ...j.numeric, ...j.categorical.map((c) => c.column)];
    const kept: number[] = [];
    records.forEach((rec, r) => {
      if (!rowMissing(rec, columns, r, missing, advice)) kept.push(r);
    });
    const F = this.features.length;
    const x = Tensor.zeros([kept.length, F], o.dtype);
    const y = withLabel ? Tensor.zeros(this.classifies ? [kept.length] : [kept.length, 1], o.dtype) : null;
    const catIndex = j.categorical.map(({ categories }) => new Map(categories.map((c, k) => [c, k])));
    const labelIndex = new Map((j.labelCategories ?? []).map((c, k) => [c, k]));
    kept.forEach((r, n) => {
      const rec = records[r] as TableRecord;
      let f = n * F;
      for (const c of j.numeric) x.data[f++] = numberAt(rec, c, r);
      j.categorical.forEach(({ column, categories }, k) => {
        const name = categoryOf(rec[column], () => `row ${r}, column '${column}'`);
        const at = (catIndex[k] as Map<string, number>).get(name);
        if (at === undefined)
          throw new TableError(
            `row ${r}, column '${column}': unseen category ${quote(name)}; the encoding knows ${categories.map((c) => quote(c)).join(", ")}`,
          );
        x.data[f + at] = 1;
        f += categories.length;
      });
      if (y) {
        const label = j.label as string;
        if (this.classifies) {
          const name = categoryOf(rec[label], () => `row ${r}, column '${label}'`);
          const at = labelIndex.get(name);
          if (at === undefined) throw new TableError(`row ${r}, column '${label}': unseen class ${quote(name)}`);
          y.data[n] = at;
        } else y.data[n] = numberAt(rec, label, r);
      }
    });
    return { x, y, kept };
  }

  /**
   * A prediction back in the label's terms: a class name per row (the
   * highest score) for a categorical label, else the first output column's
   * numbers.
   */
  decode(pred: Tensor): (string | number)[] {
    const N = pred.shape[0] ?? 0;
    const K = N === 0 ? 0 : pred.size / N;
    const cats = this.json.labelCategories;
    if (cats === null) return Array.from({ length: N }, (_, r) => pred.data[r * K] as number);
    if (K !== cats.length)
      throw new ShapeError(`TableEncoding.decode: ${K} scores per row for ${cats.length} classes (${cats.join(", ")})`);
    return Array.from(pred.argMax(), (k) => cats[k] as string);
  }
}

const ENCODE_OPTIONS = {
  withLabel: { type: "boolean", default: true },
  dtype: { type: "enum", values: ["float32", "float64"], default: "float32" },
} as const satisfies Schema;

/** Whether row r misses one of `columns`: refused (a TableError) or, when dropping, true. */
function rowMissing(
  rec: TableRecord,
  columns: readonly string[],
  r: number,
  missing: "refuse" | "drop",
  advice = 'pass missing: "drop" to skip such rows',
): boolean {
  if (typeof rec !== "object" || rec === null)
    throw new TableError(`row ${r}: expected a record (an object), got ${quote(rec)}`);
  for (const c of columns) {
    if (!isMissing(rec[c])) continue;
    if (missing === "drop") return true;
    const what = Object.hasOwn(rec, c) ? `a missing value (${quote(rec[c])})` : "no such column";
    throw new TableError(`row ${r}, column '${c}': ${what}; ${advice}`);
  }
  return false;
}

/** Column c of row r as a finite number. */
function numberAt(rec: TableRecord, c: string, r: number): number {
  const v = rec[c];
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new TableError(`row ${r}, column '${c}': expected a number, got ${quote(v)}`);
  return v;
}

/**
 * Predicts from raw records with the encoding saved in the model
 * (`model.table`): encodes their features, runs the model, and decodes each
 * prediction into the label's terms (a class name, or a number in the
 * target's units when the model ends in an inverting {@link Normalization}).
 * @throws ValueError when the model has no table encoding; TableError naming
 * a missing column or an unseen category
 * @example
 * ```ts
 * const model = load("cars.tmlp");
 * predictRecords(model, [{ Horsepower: 130, Weight_in_lbs: 3504, Origin: "USA" }]); // [≈ 18]
 * ```
 */
export function predictRecords(model: Sequential, records: readonly TableRecord[]): (string | number)[] {
  if (model.table === null)
    throw new ValueError(
      "predictRecords: the model has no table encoding (set model.table = encoding.toJSON() before saving)",
    );
  const enc = TableEncoding.fromJSON(model.table);
  const columns = [...enc.json.numeric, ...enc.json.categorical.map((c) => c.column)];
  const advice = `a prediction needs every feature column: ${columns.join(", ")}`;
  const { x } = enc.encodeRows(records, { withLabel: false, dtype: model.dtype }, "refuse", advice);
  return enc.decode(model.predict(x));
}

/**
 * The rows of a CSV text as records: the first line names the columns; a
 * field that reads as a finite number becomes one, an empty field is missing
 * (null), anything else stays a string. Fields may be quoted ("a, b" and ""
 * for a quote), as RFC 4180 writes them.
 * @throws TableError naming the line of a row with the wrong number of fields or an unclosed quote
 * @example
 * ```ts
 * const rows = parseCsvRecords("price,rooms,city\n250000,3,Leeds\n");
 * // [{ price: 250000, rooms: 3, city: "Leeds" }]
 * ```
 */
export function parseCsvRecords(text: string, opts: { delimiter?: string } = {}): Record<string, unknown>[] {
  const { delimiter } = parseOptions("parseCsvRecords", CSV_RECORD_OPTIONS, opts);
  const rows = splitCsv(text, delimiter);
  const header = rows.shift();
  if (header === undefined) throw new TableError("parseCsvRecords: the text has no header line");
  const cols = header.fields;
  const dup = cols.find((c, i) => cols.indexOf(c) !== i);
  if (dup !== undefined) throw new TableError(`parseCsvRecords: line 1 names column ${quote(dup)} twice`);
  return rows.map(({ line, fields }) => {
    if (fields.length !== cols.length)
      throw new TableError(`parseCsvRecords: line ${line} has ${fields.length} fields, the header ${cols.length}`);
    const rec: Record<string, unknown> = Object.create(null);
    cols.forEach((c, i) => {
      const f = fields[i] as string;
      const n = f.trim() === "" ? Number.NaN : Number(f);
      rec[c] = f === "" ? null : Number.isFinite(n) ? n : f;
    });
    return rec;
  });
}

const CSV_RECORD_OPTIONS = {
  delimiter: { type: "string", maxLength: 1, default: "," },
} as const satisfies Schema;

/** Lines of fields, with their 1-based line numbers; blank lines skipped. */
function splitCsv(text: string, delimiter: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === '"' && field === "") {
      quoted = true;
      any = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = "";
      any = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (any || field !== "") {
        fields.push(field);
        out.push({ line: start, fields });
      }
      fields = [];
      field = "";
      any = false;
      line++;
      start = line;
    } else {
      field += ch;
      any = true;
    }
  }
  if (quoted) throw new TableError(`parseCsvRecords: line ${start} opens a quote that never closes`);
  if (any || field !== "") {
    fields.push(field);
    out.push({ line: start, fields });
  }
  return out;
}
