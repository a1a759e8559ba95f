/**
 * Numeric CSV tables, the form many tutorials distribute MNIST in
 * (`mnist_train.csv`: the label, then 784 pixel values, one image per line).
 * A streaming parser over bytes (no `node:` imports: `tinymlp/node` feeds it
 * from a file, chunk by chunk), into compact arrays: the features as bytes
 * when every value is an integer in [0, 255] (MNIST: 47 MB instead of 188 MB),
 * as float32 otherwise.
 */
import { TinyMlpError } from "./errors.js";
import { OptionError, parseOptions, type Schema, show } from "./options.js";

/** A CSV file that cannot be read as a numeric table; the message names the line and column. */
export class CsvError extends TinyMlpError {}

/** Options of {@link CsvParser} and `loadCsv`. */
export interface CsvOptions {
  /** Index of the label column, or null for none (default 0, as MNIST's CSV files). */
  labelColumn?: number | null;
  /** Whether the first line is a header: true, false or "auto" (a first line that is not all numbers). Default "auto". */
  header?: boolean | "auto";
  /** Field separator (default ","). */
  delimiter?: string;
}

/** The schema of {@link CsvOptions}. @internal */
export const CSV_OPTIONS = {
  labelColumn: {
    type: "custom",
    parse: (v: unknown): number | null => {
      if (v === null) return null;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 1_000_000)
        throw new OptionError("", "", `must be a column index (an integer >= 0) or null, got ${show(v)}`);
      return v;
    },
    default: 0,
  },
  header: {
    type: "custom",
    parse: (v: unknown): boolean | "auto" => {
      if (v !== true && v !== false && v !== "auto")
        throw new OptionError("", "", `must be true, false or "auto", got ${show(v)}`);
      return v;
    },
    default: "auto",
  },
  delimiter: { type: "string", maxLength: 1, default: "," },
} as const satisfies Schema;

/** What a CSV table parses to. */
export interface CsvTable {
  /** Feature values, row after row (every column but the label's). Bytes when all are integers in [0, 255]. */
  features: Uint8Array | Float32Array;
  /** The label column, one per row (empty without a label column). */
  labels: Float64Array;
  /** Number of feature columns. */
  columns: number;
  /** Number of rows. */
  length: number;
  /** The header's names, or null. */
  header: string[] | null;
}

/**
 * Incremental parser: `push` chunks of bytes as they are read, then `end()`.
 * @example
 * ```ts
 * const p = new CsvParser("train.csv", { labelColumn: 0 });
 * p.push(new TextEncoder().encode("5,0,0,255\n0,12,0,0\n"));
 * const { features, labels } = p.end();
 * ```
 */
export class CsvParser {
  private readonly labelColumn: number | null;
  private header: boolean | "auto";
  private readonly sep: number;
  private line = 1; // 1-based, for messages
  private pending = new Uint8Array(256); // bytes of an unfinished line: pending[0, pendingLength)
  private pendingLength = 0;
  private width = -1; // values per row, from the first data row
  private bytes = true; // all features integers in [0, 255] so far
  // feature values: bytes while every one so far is an integer in [0, 255]
  // (MNIST as CSV: a quarter of the memory), float32 from the first that is not
  private feats: Uint8Array | Float32Array = new Uint8Array(1 << 16);
  private nFeats = 0;
  private labs: Float64Array = new Float64Array(1 << 10);
  private rows = 0;
  private names: string[] | null = null;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly source: string,
    opts: CsvOptions = {},
  ) {
    const o = parseOptions("CsvParser", CSV_OPTIONS, opts);
    this.labelColumn = o.labelColumn;
    this.header = o.header;
    if (o.delimiter.length !== 1 || o.delimiter === "\n" || o.delimiter === "\r" || o.delimiter === '"') {
      throw new CsvError(
        `${source}: delimiter must be one character other than a newline or quote, got ${show(o.delimiter)}`,
      );
    }
    this.sep = o.delimiter.charCodeAt(0);
  }

  /** Parses every complete line in `chunk`; a partial last line waits for the next chunk. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a) {
        if (this.pendingLength > 0) {
          this.keep(chunk, start, i);
          const n = this.pendingLength;
          this.pendingLength = 0;
          this.parseLine(this.pending, 0, n);
        } else {
          this.parseLine(chunk, start, i);
        }
        start = i + 1;
      }
    }
    this.keep(chunk, start, chunk.length);
  }

  /** Appends chunk[from, to) to the unfinished line, growing its buffer by doubling (a byte a byte of memory). */
  private keep(chunk: Uint8Array, from: number, to: number): void {
    const need = this.pendingLength + (to - from);
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.pending.length));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(chunk.subarray(from, to), this.pendingLength);
    this.pendingLength = need;
  }

  /** Finishes the table (a last line without a newline included). */
  end(): CsvTable {
    if (this.pendingLength > 0) {
      const n = this.pendingLength;
      this.pendingLength = 0;
      this.parseLine(this.pending, 0, n);
    }
    if (this.rows === 0) throw new CsvError(`${this.source}: no data rows`);
    return {
      features: this.feats.slice(0, this.nFeats), // trimmed to what was read
      labels: this.labs.slice(0, this.labelColumn === null ? 0 : this.rows),
      columns: this.nFeats / this.rows,
      length: this.rows,
      header: this.names,
    };
  }

  private parseLine(b: Uint8Array, from: number, to: number): void {
    const lineNo = this.line++;
    // a UTF-8 byte-order mark before the first line is not part of its first field
    if (lineNo === 1 && to - from >= 3 && b[from] === 0xef && b[from + 1] === 0xbb && b[from + 2] === 0xbf) from += 3;
    let end = to;
    if (end > from && b[end - 1] === 0x0d) end--; // CRLF
    if (end === from) return; // blank line
    // split into fields
    const fields: [number, number][] = [];
    let s = from;
    for (let i = from; i <= end; i++) {
      if (i === end || b[i] === this.sep) {
        fields.push([s, i]);
        s = i + 1;
      }
    }
    const values: number[] = [];
    let numeric = true;
    for (const [a, z] of fields) {
      const v = parseNumber(b, a, z);
      if (v === null) numeric = false;
      values.push(v ?? Number.NaN);
    }
    if (this.header !== false && this.rows === 0 && this.names === null) {
      if (this.header === true || !numeric) {
        this.names = fields.map(([a, z]) => this.decoder.decode(b.subarray(a, z)).trim());
        this.header = false;
        return;
      }
      this.header = false;
    }
    if (this.width < 0) {
      this.width = values.length;
      if (this.labelColumn !== null && this.labelColumn >= this.width) {
        throw new CsvError(
          `${this.source}:${lineNo}: the label column is ${this.labelColumn}, but the row has ${this.width} columns`,
        );
      }
    } else if (values.length !== this.width) {
      throw new CsvError(
        `${this.source}:${lineNo}: ${values.length} values, expected ${this.width} like the first row`,
      );
    }
    for (let c = 0; c < values.length; c++) {
      const v = values[c] as number;
      if (Number.isNaN(v)) {
        const [a, z] = fields[c] as [number, number];
        const text = this.decoder.decode(b.subarray(a, z));
        throw new CsvError(`${this.source}:${lineNo}:${c + 1}: expected a number, got ${show(text)}`);
      }
      if (c !== this.labelColumn && Math.abs(v) > FLOAT32_MAX) {
        throw new CsvError(
          `${this.source}:${lineNo}:${c + 1}: ${v} is beyond float32's range (±${FLOAT32_MAX}), where the features are kept`,
        );
      }
      if (c === this.labelColumn) {
        if (!Number.isFinite(v)) {
          // e.g. 1e400: a number, but beyond float64, where the labels are kept
          const [a, z] = fields[c] as [number, number];
          throw new CsvError(
            `${this.source}:${lineNo}:${c + 1}: ${show(this.decoder.decode(b.subarray(a, z)))} is beyond float64's range, where the labels are kept`,
          );
        }
        if (this.rows >= this.labs.length) this.labs = grow(this.labs);
        this.labs[this.rows] = v;
      } else {
        if (this.bytes && !(Number.isInteger(v) && v >= 0 && v <= 255)) {
          this.bytes = false;
          this.feats = Float32Array.from(this.feats);
        }
        if (this.nFeats >= this.feats.length) this.feats = grow(this.feats);
        this.feats[this.nFeats++] = v;
      }
    }
    this.rows++;
  }
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

function grow<T extends Uint8Array | Float32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** The number in b[from, to), or null when it is not one (spaces around it allowed). */
function parseNumber(b: Uint8Array, from: number, to: number): number | null {
  let a = from;
  let z = to;
  while (a < z && (b[a] === 0x20 || b[a] === 0x09)) a++;
  while (z > a && (b[z - 1] === 0x20 || b[z - 1] === 0x09)) z--;
  if (a === z) return null;
  // fast path: a plain non-negative integer (every MNIST pixel and label)
  let v = 0;
  let i = a;
  for (; i < z; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
  }
  if (i === z && z - a <= 15) return v;
  let s = "";
  for (let k = a; k < z; k++) s += String.fromCharCode(b[k] as number);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}
