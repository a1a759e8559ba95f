/**
 * A bounded reader for the part of onnx.proto an MLP uses: ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto and ValueInfoProto
 * (field numbers from https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 * Protocol buffers in the wire format, by hand, so the core stays
 * dependency-free: every length and count is checked against the bytes
 * that remain before anything is allocated, and every problem is an
 * {@link OnnxFormatError} naming where in the file it is.
 */
import { TinyMlpError } from "../errors.js";

/** An ONNX file that cannot be read, or a graph with no tinymlp form; the message says where and why. */
export class OnnxFormatError extends TinyMlpError {}

/** Counts beyond which a file is refused (an MLP has a few dozen nodes). */
export const ONNX_LIMITS = {
  /** Nodes in the graph. */
  nodes: 10_000,
  /** Initializers in the graph. */
  initializers: 10_000,
  /** Dimensions of one tensor. */
  rank: 8,
  /** Elements of one tensor (as LIMITS' largest weight). */
  elements: 2 ** 28,
  /** Nesting of messages. */
  depth: 16,
} as const;

/** onnx.proto's TensorProto.DataType values this reader knows. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** A tensor as read: its dims and its values as float64 (for weights) or the raw integers (for shapes). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** The values, converted to float64 (float, double, int32 and int64 tensors). */
  values: Float64Array;
  /** The float32 values themselves, for a FLOAT tensor (so weights keep their exact bits). */
  float32: Float32Array | null;
}

/** An attribute: a float, an int, a string, a tensor, or lists of floats or ints. */
export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

/** A node of the graph. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
  /** Its position in the file's node list. */
  index: number;
}

/** A graph input or output: its name, element type and dims (a string for a symbolic dim). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[] | null;
}

/** A model as read. */
export interface OnnxModel {
  irVersion: number;
  /** Opset version per domain ("" is the default domain, ai.onnx). */
  opsets: Map<string, number>;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** One message's bytes, read field by field. */
class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
    start: number,
    readonly end: number,
    readonly where: string,
    readonly depth: number,
  ) {
    this.pos = start;
    if (depth > ONNX_LIMITS.depth) this.fail("messages nested too deep");
  }

  fail(what: string): never {
    throw new OnnxFormatError(`fromOnnx: ${this.where} at byte ${this.pos}: ${what}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number: at most 10 bytes; values past 2⁵³ are refused (no field here needs them). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) this.fail("a varint runs past the end of its message");
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (k === 9 && b > 1) this.fail("a varint longer than 64 bits");
        return result;
      }
      scale *= 128;
    }
    return this.fail("a varint longer than 10 bytes");
  }

  /** A signed int64 varint (two's complement in 64 bits): −1 is ten bytes. */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (v < 2 ** 53) return v;
    // re-read as a 64-bit two's complement value
    let x = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++) {
      x |= BigInt((this.bytes[p] as number) & 0x7f) << shift;
      shift += 7n;
    }
    const s = BigInt.asIntN(64, x);
    if (s < -(2n ** 53n) || s > 2n ** 53n) this.fail(`an integer beyond ±2⁵³ (${s})`);
    return Number(s);
  }

  /** Tag: field number and wire type. */
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) this.fail("field number 0");
    return [field, t % 8];
  }

  /** The bounds of a length-delimited field. */
  span(): [number, number] {
    const len = this.varint();
    if (len > this.end - this.pos) this.fail(`a field declares ${len} bytes, ${this.end - this.pos} remain`);
    const start = this.pos;
    this.pos += len;
    return [start, start + len];
  }

  string(): string {
    const [a, b] = this.span();
    if (b - a > 100_000) this.fail(`a name of ${b - a} bytes`);
    return utf8.decode(this.bytes.subarray(a, b));
  }

  message(what: string): Reader {
    const [a, b] = this.span();
    return new Reader(this.bytes, this.view, a, b, `${this.where} > ${what}`, this.depth + 1);
  }

  float(): number {
    if (this.end - this.pos < 4) this.fail("a float runs past the end of its message");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Skips a field of the given wire type. */
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.span();
    else if (wire === 5) this.advance(4);
    else this.fail(`wire type ${wire} (groups and unknown types are not read)`);
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) this.fail(`a ${n}-byte field runs past the end of its message`);
    this.pos += n;
  }
}

/** Reads `[start, end)` of packed varints into `out`. */
function packedInts(r: Reader, out: number[], max: number): void {
  const [a, b] = r.span();
  const sub = new Reader(r.bytes, r.view, a, b, r.where, r.depth);
  while (!sub.done) {
    out.push(sub.int64());
    if (out.length > max) r.fail(`more than ${max} integers`);
  }
}

/** A repeated int64 field: packed or not. */
function repeatedInts(r: Reader, wire: number, out: number[], max: number): void {
  if (wire === 0) {
    out.push(r.int64());
    if (out.length > max) r.fail(`more than ${max} integers`);
  } else if (wire === 2) packedInts(r, out, max);
  else r.fail(`wire type ${wire} for a list of integers`);
}

/** A repeated float field: packed or not. */
function repeatedFloats(r: Reader, wire: number, out: number[], max: number): void {
  if (wire === 5) out.push(r.float());
  else if (wire === 2) {
    const [a, b] = r.span();
    if ((b - a) % 4 !== 0) r.fail(`a packed float list of ${b - a} bytes`);
    for (let p = a; p < b; p += 4) out.push(r.view.getFloat32(p, true));
  } else r.fail(`wire type ${wire} for a list of floats`);
  if (out.length > max) r.fail(`more than ${max} floats`);
}

/** TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9, double_data 10, external_data 13, data_location 14. */
function readTensor(r: Reader): OnnxTensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = "";
  let raw: [number, number] | null = null;
  const typed: number[] = [];
  let external = false;
  let typedKind = 0;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) repeatedInts(r, wire, dims, ONNX_LIMITS.rank);
    else if (field === 2 && wire === 0) dataType = r.varint();
    else if (field === 8 && wire === 2) name = r.string();
    else if (field === 9 && wire === 2) raw = r.span();
    else if (field === 4) {
      typedKind = DT.FLOAT;
      repeatedFloats(r, wire, typed, ONNX_LIMITS.elements);
    } else if (field === 5 || field === 7) {
      typedKind = field === 5 ? DT.INT32 : DT.INT64;
      repeatedInts(r, wire, typed, ONNX_LIMITS.elements);
    } else if (field === 10) {
      typedKind = DT.DOUBLE;
      if (wire === 1) {
        if (r.end - r.pos < 8) r.fail("a double runs past the end of its message");
        typed.push(r.view.getFloat64(r.pos, true));
        r.pos += 8;
      } else if (wire === 2) {
        const [a, b] = r.span();
        if ((b - a) % 8 !== 0) r.fail(`a packed double list of ${b - a} bytes`);
        if ((b - a) / 8 > ONNX_LIMITS.elements) r.fail("too many doubles");
        for (let p = a; p < b; p += 8) typed.push(r.view.getFloat64(p, true));
      } else r.fail(`wire type ${wire} for a list of doubles`);
    } else if (field === 13) {
      external = true;
      r.skip(wire);
    } else if (field === 14 && wire === 0) {
      if (r.varint() === 1) external = true;
    } else r.skip(wire);
  }
  const where = `initializer '${name}'`;
  if (external)
    throw new OnnxFormatError(
      `fromOnnx: ${where}: its data is in an external file; tinymlp reads self-contained models only (save with all tensors inside, e.g. onnx.save(model, path, save_as_external_data=False))`,
    );
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new OnnxFormatError(`fromOnnx: ${where}: dims (${dims.join(", ")}) must be integers >= 0`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > ONNX_LIMITS.elements)
    throw new OnnxFormatError(`fromOnnx: ${where}: ${n} elements, more than ${ONNX_LIMITS.elements}`);
  const width =
    dataType === DT.FLOAT || dataType === DT.INT32 ? 4 : dataType === DT.DOUBLE || dataType === DT.INT64 ? 8 : 0;
  if (width === 0)
    throw new OnnxFormatError(
      `fromOnnx: ${where}: data type ${dataType}; tinymlp reads float, double, int32 and int64 tensors`,
    );
  const values = new Float64Array(n);
  let float32: Float32Array | null = null;
  if (raw !== null) {
    const [a, b] = raw;
    if (b - a !== n * width)
      throw new OnnxFormatError(`fromOnnx: ${where}: raw_data holds ${b - a} bytes, its dims need ${n * width}`);
    const view = r.view;
    if (dataType === DT.FLOAT) {
      float32 = new Float32Array(n);
      for (let i = 0; i < n; i++) float32[i] = view.getFloat32(a + 4 * i, true);
      values.set(float32);
    } else if (dataType === DT.DOUBLE) for (let i = 0; i < n; i++) values[i] = view.getFloat64(a + 8 * i, true);
    else if (dataType === DT.INT32) for (let i = 0; i < n; i++) values[i] = view.getInt32(a + 4 * i, true);
    else
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(a + 8 * i, true);
        values[i] = v > 2n ** 53n ? 2 ** 53 : v < -(2n ** 53n) ? -(2 ** 53) : Number(v);
      }
  } else {
    if (typed.length !== n)
      throw new OnnxFormatError(`fromOnnx: ${where}: holds ${typed.length} values, its dims need ${n}`);
    const expect = dataType === DT.FLOAT ? DT.FLOAT : dataType === DT.DOUBLE ? DT.DOUBLE : dataType;
    if (n > 0 && typedKind !== expect && !(dataType === DT.INT32 && typedKind === DT.INT32))
      throw new OnnxFormatError(`fromOnnx: ${where}: values in a field that does not match its data type ${dataType}`);
    values.set(typed);
    if (dataType === DT.FLOAT) float32 = Float32Array.from(typed);
  }
  return { name, dims, dataType, values, float32 };
}

/** AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20. */
function readAttribute(r: Reader): OnnxAttribute {
  const a: OnnxAttribute = { name: "" };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) a.name = r.string();
    else if (field === 2 && wire === 5) a.f = r.float();
    else if (field === 3 && wire === 0) a.i = r.int64();
    else if (field === 4 && wire === 2) a.s = r.string();
    else if (field === 5 && wire === 2) a.t = readTensor(r.message("tensor"));
    else if (field === 7) {
      a.floats = a.floats ?? [];
      repeatedFloats(r, wire, a.floats, 100_000);
    } else if (field === 8) {
      a.ints = a.ints ?? [];
      repeatedInts(r, wire, a.ints, 100_000);
    } else r.skip(wire);
  }
  return a;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
function readNode(r: Reader, index: number): OnnxNode {
  const n: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: new Map(), index };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) n.inputs.push(r.string());
    else if (field === 2 && wire === 2) n.outputs.push(r.string());
    else if (field === 3 && wire === 2) n.name = r.string();
    else if (field === 4 && wire === 2) n.opType = r.string();
    else if (field === 5 && wire === 2) {
      const a = readAttribute(r.message("attribute"));
      n.attributes.set(a.name, a);
    } else if (field === 7 && wire === 2) n.domain = r.string();
    else r.skip(wire);
    if (n.inputs.length + n.outputs.length > 1000) r.fail("a node with more than 1,000 inputs and outputs");
  }
  return n;
}

/** ValueInfoProto: name 1, type 2 (TypeProto: tensor_type 1 (elem_type 1, shape 2 (dim 1 (dim_value 1, dim_param 2)))). */
function readValueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: "", elemType: 0, dims: null };
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) v.name = r.string();
    else if (field === 2 && wire === 2) {
      const type = r.message("type");
      while (!type.done) {
        const [tf, tw] = type.tag();
        if (tf === 1 && tw === 2) {
          const tensor = type.message("tensor_type");
          while (!tensor.done) {
            const [ef, ew] = tensor.tag();
            if (ef === 1 && ew === 0) v.elemType = tensor.varint();
            else if (ef === 2 && ew === 2) {
              const shape = tensor.message("shape");
              v.dims = [];
              while (!shape.done) {
                const [sf, sw] = shape.tag();
                if (sf === 1 && sw === 2) {
                  const dim = shape.message("dim");
                  let d: number | string = "?";
                  while (!dim.done) {
                    const [df, dw] = dim.tag();
                    if (df === 1 && dw === 0) d = dim.int64();
                    else if (df === 2 && dw === 2) d = dim.string();
                    else dim.skip(dw);
                  }
                  v.dims.push(d);
                  if (v.dims.length > ONNX_LIMITS.rank) shape.fail(`more than ${ONNX_LIMITS.rank} dims`);
                } else shape.skip(sw);
              }
            } else tensor.skip(ew);
          }
        } else type.skip(tw);
      }
    } else r.skip(wire);
  }
  return v;
}

/** GraphProto: node 1, name 2, initializer 5, input 11, output 12. */
function readGraph(r: Reader): Omit<OnnxModel, "irVersion" | "opsets"> {
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) {
      if (nodes.length >= ONNX_LIMITS.nodes) r.fail(`more than ${ONNX_LIMITS.nodes} nodes`);
      nodes.push(readNode(r.message(`node ${nodes.length}`), nodes.length));
    } else if (field === 5 && wire === 2) {
      if (initializers.size >= ONNX_LIMITS.initializers) r.fail(`more than ${ONNX_LIMITS.initializers} initializers`);
      const t = readTensor(r.message(`initializer ${initializers.size}`));
      if (initializers.has(t.name)) r.fail(`two initializers named '${t.name}'`);
      initializers.set(t.name, t);
    } else if (field === 11 && wire === 2) {
      inputs.push(readValueInfo(r.message(`input ${inputs.length}`)));
      if (inputs.length > ONNX_LIMITS.initializers + 16) r.fail("too many graph inputs");
    } else if (field === 12 && wire === 2) {
      outputs.push(readValueInfo(r.message(`output ${outputs.length}`)));
      if (outputs.length > 16) r.fail("more than 16 graph outputs");
    } else r.skip(wire);
  }
  return { nodes, initializers, inputs, outputs };
}

/**
 * Reads a ModelProto: ir_version 1, graph 7, opset_import 8 (OperatorSetIdProto: domain 1, version 2).
 * @throws OnnxFormatError naming where a malformed field is
 */
export function readOnnxModel(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array))
    throw new OnnxFormatError("fromOnnx: expected the bytes of an ONNX file (a Uint8Array)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(bytes, view, 0, bytes.length, "model", 0);
  let irVersion = 0;
  const opsets = new Map<string, number>();
  let graph: Omit<OnnxModel, "irVersion" | "opsets"> | null = null;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 0) irVersion = r.varint();
    else if (field === 7 && wire === 2) {
      if (graph !== null) r.fail("two graphs");
      graph = readGraph(r.message("graph"));
    } else if (field === 8 && wire === 2) {
      const o = r.message("opset_import");
      let domain = "";
      let version = 0;
      while (!o.done) {
        const [f, w] = o.tag();
        if (f === 1 && w === 2) domain = o.string();
        else if (f === 2 && w === 0) version = o.varint();
        else o.skip(w);
      }
      opsets.set(domain === "ai.onnx" ? "" : domain, version);
      if (opsets.size > 64) r.fail("more than 64 opset imports");
    } else r.skip(wire);
  }
  if (graph === null) throw new OnnxFormatError("fromOnnx: the file holds no graph (is it an ONNX model?)");
  return { irVersion, opsets, ...graph };
}
