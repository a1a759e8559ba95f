/**
 * ONNX export: a trained Sequential as an ONNX `ModelProto` (opset 17, IR
 * version 8), for onnxruntime and every other ONNX runtime.
 *
 * Written by hand, with no dependency: ONNX files are protocol buffers, and
 * the handful of messages an MLP needs (model, graph, node, attribute,
 * tensor, value info, type, shape) take ~120 lines of encoder below — less
 * than the glue a protobuf library would need, and the core stays
 * dependency-free. Field numbers are those of onnx/onnx.proto
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 *
 * The graph is the model in inference form: Dropout disappears,
 * BatchNormalization uses its moving statistics. Dense is `Gemm`; each
 * activation is its ONNX operator where one exists (`Relu`, `LeakyRelu`,
 * `Elu`, `Selu`, `Sigmoid`, `Tanh`, `Softplus`, `Softmax`), and the others
 * are composed from the operator set: GELU = 0.5·x·(1 + erf(x/√2)), its tanh
 * form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), SiLU/swish = x·σ(x).
 * The batch dimension is dynamic (`batch`).
 */
import type { ActivationConfig } from "../activations.js";
import { ValueError } from "../errors.js";
import type { Layer, LayerConfig, LayerKind } from "../layer.js";
import { OptionError, parseOptions, type Schema, show } from "../options.js";
import type { Sequential } from "../sequential.js";
import type { FloatArray } from "../tensor.js";
import { VERSION } from "../version.js";
import { configActivation, configBoolean, configNumber, entryFor, hasParam, paramValues } from "./config.js";

// ---------------------------------------------------------------- a minimal protobuf writer

/**
 * One message as a list of fields (proto3 wire format). Nothing is encoded
 * until {@link Proto.finish}: it sums the sizes first, then writes every
 * field into one Uint8Array of exactly that size. Byte fields are kept by
 * reference (a float32 model's weights are never copied before the final
 * write), so exporting needs the output buffer plus a few bytes per field.
 */
class Proto {
  private readonly fields: number[] = []; //   field number · 8 + wire type, per field
  private readonly values: (number | Uint8Array | Proto)[] = [];
  private cachedSize = -1;

  /** A varint field (int32, int64, enum; a negative value takes ten bytes, as protobuf writes it). */
  int(field: number, v: number): this {
    return this.push(field, 0, v);
  }
  /** A 32-bit float field. */
  float(field: number, v: number): this {
    return this.push(field, 5, v);
  }
  /** A length-delimited field: bytes (kept by reference), a string or a nested message. */
  bytes(field: number, v: Uint8Array | string | Proto): this {
    return this.push(field, 2, typeof v === "string" ? new TextEncoder().encode(v) : v);
  }
  private push(field: number, wire: number, v: number | Uint8Array | Proto): this {
    this.fields.push(field * 8 + wire);
    this.values.push(v);
    this.cachedSize = -1;
    return this;
  }

  /** The encoded size in bytes (a float64: a message past 2 GiB is refused by the caller, never wrapped). */
  size(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    let n = 0;
    for (let i = 0; i < this.fields.length; i++) {
      const key = this.fields[i] as number;
      const v = this.values[i] as number | Uint8Array | Proto;
      n += varintSize(key);
      const wire = key & 7;
      if (wire === 0) n += varintSize(v as number);
      else if (wire === 5) n += 4;
      else {
        const len = v instanceof Proto ? v.size() : (v as Uint8Array).length;
        n += varintSize(len) + len;
      }
    }
    this.cachedSize = n;
    return n;
  }

  /** Writes the message at `pos` of `out`; returns the position after it. */
  writeTo(out: Uint8Array, view: DataView, pos: number): number {
    let p = pos;
    for (let i = 0; i < this.fields.length; i++) {
      const key = this.fields[i] as number;
      const v = this.values[i] as number | Uint8Array | Proto;
      p = writeVarint(out, p, key);
      const wire = key & 7;
      if (wire === 0) p = writeVarint(out, p, v as number);
      else if (wire === 5) {
        view.setFloat32(p, v as number, true);
        p += 4;
      } else if (v instanceof Proto) {
        p = writeVarint(out, p, v.size());
        p = v.writeTo(out, view, p);
      } else {
        const b = v as Uint8Array;
        p = writeVarint(out, p, b.length);
        out.set(b, p);
        p += b.length;
      }
    }
    return p;
  }

  /** The encoded message, in one allocation of exactly its size. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size());
    const end = this.writeTo(out, new DataView(out.buffer), 0);
    if (end !== out.length) throw new Error(`toOnnx: wrote ${end} bytes of ${out.length} (a bug in the writer)`);
    return out;
  }
}

/** Bytes of v as a varint: 7 bits per byte; a negative int64 is ten bytes (two's complement). */
function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  for (let x = v; x >= 128; x = Math.floor(x / 128)) n++;
  return n;
}

function writeVarint(out: Uint8Array, pos: number, v: number): number {
  let p = pos;
  if (v < 0) {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      out[p++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    out[p++] = Number(x);
    return p;
  }
  let x = v;
  while (x >= 128) {
    out[p++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  out[p++] = x;
  return p;
}

/** Protobuf's limit on one message: 2 GiB − 1 bytes. */
const PROTOBUF_MAX = 2 ** 31 - 1;

// onnx.proto enums
const FLOAT = 1;
const DOUBLE = 11;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

function tensorProto(name: string, dims: readonly number[], data: FloatArray | readonly number[], type: number): Proto {
  const t = new Proto();
  for (const d of dims) t.int(1, d);
  t.int(2, type);
  t.bytes(8, name);
  // raw_data is little-endian, as typed arrays are on every engine this
  // library runs on. Weights already of the file's type are referenced, not
  // copied: the one copy is the final write.
  const raw =
    type === DOUBLE
      ? data instanceof Float64Array
        ? data
        : Float64Array.from(data)
      : type === INT64
        ? BigInt64Array.from(Array.from(data, (v) => BigInt(v)))
        : data instanceof Float32Array
          ? data
          : Float32Array.from(data);
  t.bytes(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  return t;
}

function valueInfo(name: string, type: number, dims: readonly (number | string)[], doc: string): Proto {
  const shape = new Proto();
  for (const d of dims) shape.bytes(1, typeof d === "string" ? new Proto().bytes(2, d) : new Proto().int(1, d));
  const tensor = new Proto().int(1, type).bytes(2, shape);
  return new Proto().bytes(1, name).bytes(2, new Proto().bytes(1, tensor)).bytes(3, doc);
}

type Attr = [name: string, kind: "float" | "int", value: number];

function node(op: string, inputs: string[], outputs: string[], name: string, attrs: Attr[] = []): Proto {
  const n = new Proto();
  for (const i of inputs) n.bytes(1, i);
  for (const o of outputs) n.bytes(2, o);
  n.bytes(3, name).bytes(4, op);
  for (const [an, kind, v] of attrs) {
    const a = new Proto().bytes(1, an);
    if (kind === "float") a.float(2, v).int(20, ATTR_FLOAT);
    else a.int(3, v).int(20, ATTR_INT);
    n.bytes(5, a);
  }
  return n;
}

// ---------------------------------------------------------------- the graph

/** Options of {@link toOnnx}. */
export interface OnnxOptions {
  /** Append a Softmax, so the output is probabilities rather than logits (default false). */
  softmax?: boolean;
  /** The graph's input name (default `"input"`). */
  inputName?: string;
  /** The graph's output name (default `"output"`). */
  outputName?: string;
  /** A description stored as the model's doc string. */
  docString?: string;
}

/**
 * The schema of {@link OnnxOptions}: ONNX value names are non-empty, and input and output differ.
 * @internal
 */
export const ONNX_OPTIONS = {
  softmax: { type: "boolean", default: false },
  inputName: { type: "string", maxLength: 200, default: "input" },
  outputName: { type: "string", maxLength: 200, default: "output" },
  docString: { type: "string", maxLength: 100_000 },
} as const satisfies Schema;

/** Builds the node list: each call appends nodes and returns the name of the value it produced. */
class Graph {
  readonly nodes: Proto[] = [];
  readonly initializers: Proto[] = [];
  private count = 0;
  constructor(readonly type: number) {}
  fresh(base: string): string {
    return `${base}_${this.count++}`;
  }
  constant(base: string, dims: readonly number[], values: FloatArray | readonly number[], type = this.type): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, dims, values, type));
    return name;
  }
  op(op: string, inputs: string[], base: string, attrs: Attr[] = []): string {
    const out = this.fresh(base);
    this.nodes.push(node(op, inputs, [out], out, attrs));
    return out;
  }
}

/**
 * onnxruntime's CPU kernels for Elu, Selu, Softplus and Erf are float32
 * only, and its optimizer fuses x·σ(x) into a float32-only QuickGelu; a
 * float64 model gets these from operators that have double kernels
 * (`Exp`, `Log`, `Where`…), and GELU's erf runs in float32 (`Cast`),
 * within float32's rounding (≈ 6e-8 relative) of the double result.
 */
function activation64(g: Graph, fn: ActivationConfig, x: string, where: string): string | null {
  const scalar = (v: number) => g.constant(`${where}/c`, [], [v]);
  const positive = () => g.op("Greater", [x, scalar(0)], `${where}/positive`);
  const expm1 = () => g.op("Sub", [g.op("Exp", [x], `${where}/exp`), scalar(1)], `${where}/expm1`);
  switch (fn.name) {
    case "elu":
      return g.op(
        "Where",
        [positive(), x, g.op("Mul", [expm1(), scalar(fn.alpha ?? 1)], `${where}/neg`)],
        `${where}/elu`,
      );
    case "selu": {
      const neg = g.op("Mul", [expm1(), scalar(1.6732632423543772)], `${where}/neg`);
      return g.op(
        "Mul",
        [g.op("Where", [positive(), x, neg], `${where}/elu`), scalar(1.0507009873554805)],
        `${where}/selu`,
      );
    }
    case "softplus": {
      // max(x, 0) + log(1 + exp(−|x|)): never overflows
      const e = g.op("Exp", [g.op("Neg", [g.op("Abs", [x], `${where}/abs`)], `${where}/neg`)], `${where}/exp`);
      const l = g.op("Log", [g.op("Add", [e, scalar(1)], `${where}/add`)], `${where}/log`);
      return g.op("Add", [g.op("Relu", [x], `${where}/relu`), l], `${where}/softplus`);
    }
    case "silu":
    case "swish": {
      // x / (1 + exp(−x))
      const e = g.op("Exp", [g.op("Neg", [x], `${where}/neg`)], `${where}/exp`);
      return g.op("Div", [x, g.op("Add", [e, scalar(1)], `${where}/add`)], `${where}/${fn.name}`);
    }
    case "gelu": {
      const z32 = g.op("Cast", [g.op("Div", [x, scalar(Math.SQRT2)], `${where}/div`)], `${where}/to32`, [
        ["to", "int", FLOAT],
      ]);
      const e = g.op("Cast", [g.op("Erf", [z32], `${where}/erf`)], `${where}/to64`, [["to", "int", DOUBLE]]);
      const onePlus = g.op("Add", [e, scalar(1)], `${where}/add`);
      return g.op("Mul", [g.op("Mul", [x, scalar(0.5)], `${where}/half`), onePlus], `${where}/gelu`);
    }
    default:
      return null;
  }
}

/** The activation applied to `x`, as ONNX nodes. */
function activation(g: Graph, fn: ActivationConfig, x: string, where: string): string {
  if (g.type === DOUBLE) {
    const y = activation64(g, fn, x, where);
    if (y !== null) return y;
  }
  const scalar = (v: number) => g.constant(`${where}/c`, [], [v]);
  switch (fn.name) {
    case "linear":
      return x;
    case "relu":
      return g.op("Relu", [x], `${where}/relu`);
    case "leakyRelu":
      return g.op("LeakyRelu", [x], `${where}/leakyRelu`, [["alpha", "float", fn.alpha ?? 0.01]]);
    case "elu":
      return g.op("Elu", [x], `${where}/elu`, [["alpha", "float", fn.alpha ?? 1]]);
    case "selu":
      return g.op("Selu", [x], `${where}/selu`, [
        ["alpha", "float", 1.6732632423543772],
        ["gamma", "float", 1.0507009873554805],
      ]);
    case "sigmoid":
      return g.op("Sigmoid", [x], `${where}/sigmoid`);
    case "tanh":
      return g.op("Tanh", [x], `${where}/tanh`);
    case "softplus":
      return g.op("Softplus", [x], `${where}/softplus`);
    case "softmax":
      return g.op("Softmax", [x], `${where}/softmax`, [["axis", "int", -1]]);
    case "logSoftmax":
      return g.op("LogSoftmax", [x], `${where}/logSoftmax`, [["axis", "int", -1]]);
    case "hardSigmoid":
      if (g.type === DOUBLE) {
        // onnxruntime's HardSigmoid is float32 only: max(0, min(1, α·x + β)) from ops with double kernels
        const z = g.op(
          "Add",
          [g.op("Mul", [x, scalar(fn.alpha ?? 0.2)], `${where}/mul`), scalar(fn.beta ?? 0.5)],
          `${where}/add`,
        );
        return g.op("Max", [g.op("Min", [z, scalar(1)], `${where}/min`), scalar(0)], `${where}/hardSigmoid`);
      }
      return g.op("HardSigmoid", [x], `${where}/hardSigmoid`, [
        ["alpha", "float", fn.alpha ?? 0.2],
        ["beta", "float", fn.beta ?? 0.5],
      ]);
    case "silu":
    case "swish":
      return g.op("Mul", [x, g.op("Sigmoid", [x], `${where}/sigmoid`)], `${where}/${fn.name}`);
    case "gelu": {
      // 0.5·x·(1 + erf(x/√2))
      const e = g.op("Erf", [g.op("Div", [x, scalar(Math.SQRT2)], `${where}/div`)], `${where}/erf`);
      const onePlus = g.op("Add", [e, scalar(1)], `${where}/add`);
      return g.op("Mul", [g.op("Mul", [x, scalar(0.5)], `${where}/half`), onePlus], `${where}/gelu`);
    }
    case "geluTanh": {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const x3 = g.op("Mul", [g.op("Mul", [x, x], `${where}/x2`), x], `${where}/x3`);
      const inner = g.op("Add", [x, g.op("Mul", [x3, scalar(0.044715)], `${where}/cx3`)], `${where}/inner`);
      const t = g.op(
        "Tanh",
        [g.op("Mul", [inner, scalar(Math.sqrt(2 / Math.PI))], `${where}/scaled`)],
        `${where}/tanh`,
      );
      const onePlus = g.op("Add", [t, scalar(1)], `${where}/add`);
      return g.op("Mul", [g.op("Mul", [x, scalar(0.5)], `${where}/half`), onePlus], `${where}/geluTanh`);
    }
    default:
      throw new ValueError(`toOnnx: ${where}: activation '${fn.name}' has no ONNX form`);
  }
}

/** Softmax over all of a sample's elements (our Softmax), whatever its shape. */
function softmaxAll(g: Graph, x: string, shape: readonly number[], where: string): string {
  if (shape.length === 1) return g.op("Softmax", [x], `${where}/softmax`, [["axis", "int", -1]]);
  const flat = g.op("Flatten", [x], `${where}/flatten`, [["axis", "int", 1]]);
  const s = g.op("Softmax", [flat], `${where}/softmax`, [["axis", "int", -1]]);
  return g.op(
    "Reshape",
    [s, g.constant(`${where}/shape`, [shape.length + 1], [-1, ...shape], INT64)],
    `${where}/reshape`,
  );
}

/** One layer as ONNX nodes: from its config, its parameters, its input value and shapes; returns its output value. */
type OnnxLayer = (
  g: Graph,
  c: LayerConfig,
  layer: Layer,
  x: string,
  input: readonly number[],
  output: readonly number[],
) => string;

const param = (layer: Layer, suffix: string): FloatArray => paramValues("toOnnx", layer, suffix);

/** Every built-in layer kind's ONNX form. */
const ONNX_LAYERS = {
  dense: (g, c, layer, x, input, output) => {
    const where = layer.name;
    const [inDim] = input as [number];
    const units = output[0] as number;
    const w = g.constant(`${where}/kernel`, [inDim, units], param(layer, "kernel"));
    const inputs = hasParam(layer, "bias")
      ? [x, w, g.constant(`${where}/bias`, [units], param(layer, "bias"))]
      : [x, w];
    const z = g.op("Gemm", inputs, `${where}/gemm`);
    return activation(g, configActivation(c, "activation"), z, where);
  },
  activation: (g, c, layer, x) => activation(g, configActivation(c, "activation"), x, layer.name),
  softmax: (g, _c, layer, x, input) => softmaxAll(g, x, input, layer.name),
  flatten: (g, _c, layer, x) => g.op("Flatten", [x], `${layer.name}/flatten`, [["axis", "int", 1]]),
  dropout: (_g, _c, _layer, x) => x, // inference: the identity
  batchNormalization: (g, c, layer, x, input) => {
    const D = input[0] as number;
    const names = ["gamma", "beta", "movingMean", "movingVariance"].map((s) =>
      g.constant(`${layer.name}/${s}`, [D], param(layer, s)),
    );
    return g.op("BatchNormalization", [x, ...names], `${layer.name}/bn`, [
      ["epsilon", "float", configNumber("toOnnx", c, "epsilon")],
    ]);
  },
  layerNormalization: (g, c, layer, x, input) => {
    const D = input[0] as number;
    const scale = g.constant(`${layer.name}/gamma`, [D], param(layer, "gamma"));
    const bias = g.constant(`${layer.name}/beta`, [D], param(layer, "beta"));
    return g.op("LayerNormalization", [x, scale, bias], `${layer.name}/ln`, [
      ["axis", "int", -1],
      ["epsilon", "float", configNumber("toOnnx", c, "epsilon")],
    ]);
  },
  normalization: (g, c, layer, x, input) => {
    // y = (x − m)/s, or x·s + m inverted; s = √v, 1 where v = 0 (as the layer computes it).
    // s is a Sqrt node over the variance (1 in place of 0), so fromOnnx reads the variance back exactly.
    const m = g.constant(`${layer.name}/mean`, [...input], param(layer, "mean"));
    const v = g.constant(
      `${layer.name}/variance`,
      [...input],
      Array.from(param(layer, "variance"), (x) => (x > 0 ? x : 1)),
    );
    const s = g.op("Sqrt", [v], `${layer.name}/std`);
    if (configBoolean("toOnnx", c, "invert"))
      return g.op("Add", [g.op("Mul", [x, s], `${layer.name}/mul`), m], `${layer.name}/add`);
    return g.op("Div", [g.op("Sub", [x, m], `${layer.name}/sub`), s], `${layer.name}/div`);
  },
} satisfies Record<LayerKind, OnnxLayer>;

function layerNodes(g: Graph, layer: Layer, x: string, input: readonly number[], output: readonly number[]): string {
  const c = layer.toConfig();
  const entry = entryFor<OnnxLayer>(ONNX_LAYERS, c);
  if (entry === null) {
    throw new ValueError(
      `toOnnx: layer '${layer.name}' (kind '${c.kind}') has no ONNX form; export supports the built-in layers`,
    );
  }
  return entry(g, c, layer, x, input, output);
}

/**
 * The model as an ONNX file (opset 17): the bytes of a `ModelProto` that
 * onnxruntime's `InferenceSession.create(bytes)` runs. Inference form:
 * Dropout is dropped, BatchNormalization uses its moving statistics. Input
 * `input` of shape (batch, …inputShape), output `output`; float32 or
 * float64 as the model.
 * @throws ValueError for a layer or activation with no ONNX form (a custom layer)
 * @example
 * ```ts
 * const bytes = toOnnx(model, { softmax: true });
 * // onnxruntime: const session = await ort.InferenceSession.create(bytes);
 * ```
 */
export function toOnnx(model: Sequential, opts: OnnxOptions = {}): Uint8Array {
  model.requireLive("toOnnx");
  const o = parseOptions("toOnnx", ONNX_OPTIONS, opts);
  if (o.inputName === "" || o.outputName === "" || o.inputName === o.outputName) {
    throw new OptionError(
      "toOnnx",
      o.inputName === "" ? "inputName" : "outputName",
      `must be a non-empty name different from the other, got ${show(o.inputName)} and ${show(o.outputName)}`,
    );
  }
  const type = model.dtype === "float64" ? DOUBLE : FLOAT;
  const g = new Graph(type);
  const inputName = o.inputName;
  const outputName = o.outputName;
  let x = inputName;
  let shape = model.inputShapePerSample;
  const shapes = model.layers.map((l) => {
    const out = l.paramShapes(shape).output;
    const r = { in: shape, out };
    shape = out;
    return r;
  });
  model.layers.forEach((layer, i) => {
    const s = shapes[i] as { in: readonly number[]; out: readonly number[] };
    x = layerNodes(g, layer, x, s.in, s.out);
  });
  if (o.softmax) x = softmaxAll(g, x, shape, "output");
  // the graph's output is a named value: an Identity gives it the requested name
  g.nodes.push(node("Identity", [x], [outputName], "output/identity"));
  const graph = new Proto();
  for (const n of g.nodes) graph.bytes(1, n);
  graph.bytes(2, "tinymlp");
  for (const t of g.initializers) graph.bytes(5, t);
  graph.bytes(
    11,
    valueInfo(inputName, type, ["batch", ...model.inputShapePerSample], "a batch of samples, one per row"),
  );
  graph.bytes(
    12,
    valueInfo(outputName, type, ["batch", ...shape], o.softmax ? "class probabilities" : "the model's outputs"),
  );
  const m = new Proto()
    .int(1, 8) // ir_version 8 (ONNX 1.13), the IR of opset 17
    .bytes(2, "tinymlp")
    .bytes(3, VERSION)
    .bytes(6, o.docString ?? `tinymlp ${model.layers.map((l) => l.kind).join(" → ")}`)
    .bytes(7, graph)
    .bytes(8, new Proto().bytes(1, "").int(2, 17));
  const size = m.size(); // summed before anything is written
  if (size > PROTOBUF_MAX) {
    throw new ValueError(
      `toOnnx: the model would be a ${size.toLocaleString("en-US")}-byte ONNX file; protobuf, and so ONNX, cannot hold a message over ${PROTOBUF_MAX.toLocaleString("en-US")} bytes (2 GiB) without external data, which tinymlp does not write`,
    );
  }
  return m.finish();
}
