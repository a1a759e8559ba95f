/**
 * ONNX import: the graphs exporters write for MLPs, read back as a
 * Sequential that runs, gradient-checks and fine-tunes here.
 *
 * The graph must be a chain from one input to one output. Each step is
 * recognised by what it computes:
 *
 * - **Dense**: `Gemm` (any transB, alpha and beta; transA = 0), or `MatMul`
 *   followed by an `Add` of a bias (tf2onnx's form);
 * - **Flatten**: `Flatten` (axis 1), `Reshape` to (N, features);
 * - **BatchNormalization** (inference form), **LayerNormalization** (last
 *   axis), **Softmax** (last axis), and tinymlp's own Normalization
 *   (`Sub`/`Div` by `Sqrt` of a variance, or `Mul`/`Add` inverted);
 * - **activations**: a run of elementwise nodes whose constants are scalars
 *   (`Relu`, `LeakyRelu`, `Elu`, `Selu`, `Sigmoid`, `Tanh`, `Softplus`,
 *   `Gelu`, and any composition of `Add`, `Mul`, `Div`, `Erf`, `Exp`,
 *   `Where`… such as PyTorch's erf GELU or the tanh approximation) is
 *   evaluated on probe values and matched against each tinymlp activation
 *   to within float32 rounding, so any exporter's spelling of GELU or SiLU
 *   is recognised by its values, not its node names;
 * - `Identity` and `Dropout` are dropped; constant subgraphs (`Constant`,
 *   `Sqrt` or `Cast` of an initializer) are folded.
 *
 * Anything else (a `Conv`, control flow, a second input, a branch) is
 * refused with an {@link OnnxFormatError} naming the node, its op and index.
 * Float attributes are float32 in ONNX; they are read back as the shortest
 * decimal that rounds to them (an epsilon of 0.001 comes back as 0.001).
 */

import { Activation, Softmax } from "../activation-layer.js";
import { type ActivationName, erf, getActivation } from "../activations.js";
import type { Backend } from "../backend/backend.js";
import type { BackendName } from "../backend/select.js";
import { Dense } from "../dense.js";
import { Flatten } from "../flatten.js";
import type { Layer } from "../layer.js";
import { BatchNormalization, LayerNormalization } from "../normalization.js";
import { parseOptions, type Schema } from "../options.js";
import { Normalization } from "../scaling.js";
import { Sequential } from "../sequential.js";
import { DT, OnnxFormatError, type OnnxModel, type OnnxNode, type OnnxTensor, readOnnxModel } from "./onnx-proto.js";

/** Options of {@link fromOnnx}. */
export interface FromOnnxOptions {
  /** The backend of the new model (default: the default backend). */
  backend?: BackendName | Backend;
}

/** The schema of {@link FromOnnxOptions}. @internal */
export const FROM_ONNX_OPTIONS = {
  backend: { type: "custom", parse: (v: unknown): BackendName | Backend => v as BackendName | Backend },
} as const satisfies Schema;

/** The opsets of the default domain this reader knows. */
export const ONNX_OPSETS = {
  /** The oldest opset read. */
  min: 9,
  /** The newest opset read. */
  max: 21,
} as const;

/** A constant value: dims and values, and how it was made (for Sqrt(variance)). */
interface Const {
  dims: number[];
  values: Float64Array;
  float32: Float32Array | null;
  /** Set when this constant is Sqrt of another (the variance behind a standard deviation). */
  sqrtOf?: Const;
}

/** The shortest decimal that rounds to the float32 f (ONNX's float attributes are float32). */
export function fromFloat32(f: number): number {
  for (let p = 1; p <= 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return f;
}

/**
 * Reads an ONNX model (the bytes of a `ModelProto`) into a Sequential: the
 * graphs that `toOnnx`, `torch.onnx.export` and tf2onnx write for MLPs.
 * The result is uncompiled: compile it to fine-tune.
 * @throws OnnxFormatError naming the node (op and index) that has no MLP
 * form, or what is malformed in the file
 * @example
 * ```ts
 * const model = fromOnnx(readFileSync("mlp.onnx"));
 * model.predict(x);
 * ```
 */
export function fromOnnx(bytes: Uint8Array, opts: FromOnnxOptions = {}): Sequential {
  const o = parseOptions("fromOnnx", FROM_ONNX_OPTIONS, opts);
  const m = readOnnxModel(bytes);
  return new Importer(m).build(o.backend);
}

/** A layer to be: its parameters, and what later steps need to know of it. */
type Pending = {
  layer: Layer;
  params: (Float64Array | Float32Array)[];
  /** A Dense whose activation came from the nodes after it. */
  fused?: boolean;
  /** A Flatten: the shape it flattened. */
  from?: number[];
};

class Importer {
  private readonly consts = new Map<string, Const>();
  private readonly producer = new Map<string, OnnxNode>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly dynamic: OnnxNode[] = [];
  private readonly opset: number;
  private readonly layers: Pending[] = [];
  private shape: number[] = [];
  private readonly done = new Set<OnnxNode>();

  constructor(private readonly m: OnnxModel) {
    const v = m.opsets.get("");
    if (v === undefined) throw new OnnxFormatError("fromOnnx: the model imports no default (ai.onnx) opset");
    if (v < ONNX_OPSETS.min || v > ONNX_OPSETS.max)
      throw new OnnxFormatError(`fromOnnx: opset ${v}; tinymlp reads opsets ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}`);
    this.opset = v;
    for (const [name, t] of m.initializers) this.consts.set(name, fromTensor(t));
  }

  private fail(n: OnnxNode, why: string): never {
    throw new OnnxFormatError(`fromOnnx: node ${n.index} ('${n.name || n.outputs[0] || "?"}', ${n.opType}): ${why}`);
  }

  private attr(n: OnnxNode, name: string): number | undefined {
    const a = n.attributes.get(name);
    return a === undefined ? undefined : (a.i ?? (a.f === undefined ? undefined : fromFloat32(a.f)));
  }

  build(backend: BackendName | Backend | undefined): Sequential {
    const m = this.m;
    const inputs = m.inputs.filter((i) => !m.initializers.has(i.name));
    if (inputs.length !== 1)
      throw new OnnxFormatError(
        `fromOnnx: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); an MLP has one`,
      );
    if (m.outputs.length !== 1)
      throw new OnnxFormatError(`fromOnnx: the graph has ${m.outputs.length} outputs; an MLP has one`);
    const input = inputs[0] as (typeof inputs)[number];
    const dtype = input.elemType === DT.DOUBLE ? "float64" : input.elemType === DT.FLOAT ? "float32" : null;
    if (dtype === null)
      throw new OnnxFormatError(
        `fromOnnx: input '${input.name}' has element type ${input.elemType}; tinymlp reads float and double`,
      );
    const dims = input.dims;
    if (dims === null || dims.length < 2 || dims.slice(1).some((d) => typeof d !== "number" || d < 1))
      throw new OnnxFormatError(
        `fromOnnx: input '${input.name}' has shape (${dims?.join(", ") ?? "unknown"}); tinymlp needs (batch, features…) with known feature dims`,
      );
    this.shape = dims.slice(1) as number[];
    const inputShape = [...this.shape];
    // definitions in order: every input defined before use (no cycles, no dangling names), once
    const defined = new Set<string>([input.name, ...m.initializers.keys()]);
    for (const n of m.nodes) {
      if (n.domain !== "" && n.domain !== "ai.onnx")
        this.fail(n, `an operator of domain '${n.domain}'; tinymlp reads the default domain only`);
      for (const i of n.inputs)
        if (i !== "" && !defined.has(i))
          this.fail(n, `input '${i}' is not defined before it (a dangling name or a cycle)`);
      for (const out of n.outputs) {
        if (out === "") continue;
        if (defined.has(out)) this.fail(n, `output '${out}' is defined twice`);
        defined.add(out);
        this.producer.set(out, n);
      }
      if (!this.fold(n)) {
        this.dynamic.push(n);
        for (const i of n.inputs) if (i !== "" && !this.consts.has(i)) this.consumersOf(i).push(n);
      }
    }
    const output = (m.outputs[0] as (typeof m.outputs)[number]).name;
    if (!defined.has(output)) throw new OnnxFormatError(`fromOnnx: the graph output '${output}' is never computed`);
    let cur = input.name;
    while (cur !== output) cur = this.step(cur, output);
    const leftover = this.dynamic.find((n) => !this.done.has(n));
    if (leftover) this.fail(leftover, "is not on the path from the input to the output (an MLP is one chain)");
    const model = new Sequential({
      inputShape,
      dtype,
      initialize: false,
      ...(backend !== undefined ? { backend } : {}),
    });
    for (const p of this.layers) model.add(p.layer);
    try {
      model.setWeights(this.layers.flatMap((p) => p.params));
    } catch (e) {
      throw new OnnxFormatError(`fromOnnx: the weights cannot be used: ${(e as Error).message}`);
    }
    return model;
  }

  private consumersOf(name: string): OnnxNode[] {
    let l = this.consumers.get(name);
    if (!l) {
      l = [];
      this.consumers.set(name, l);
    }
    return l;
  }

  /** Folds a node whose inputs are all constants (or a Constant node); false when it is dynamic. */
  private fold(n: OnnxNode): boolean {
    if (n.opType === "Constant") {
      const a = n.attributes.get("value");
      const f = n.attributes.get("value_float");
      const fs = n.attributes.get("value_floats");
      const i = n.attributes.get("value_int");
      const is = n.attributes.get("value_ints");
      let c: Const | null = null;
      if (a?.t) c = fromTensor(a.t);
      else if (f?.f !== undefined) c = { dims: [], values: Float64Array.of(f.f), float32: Float32Array.of(f.f) };
      else if (fs?.floats)
        c = { dims: [fs.floats.length], values: Float64Array.from(fs.floats), float32: Float32Array.from(fs.floats) };
      else if (i?.i !== undefined) c = { dims: [], values: Float64Array.of(i.i), float32: null };
      else if (is?.ints) c = { dims: [is.ints.length], values: Float64Array.from(is.ints), float32: null };
      if (c === null) this.fail(n, "a Constant without a tensor, float or int value");
      this.consts.set(n.outputs[0] as string, c);
      return true;
    }
    const ins = n.inputs.filter((i) => i !== "");
    if (ins.length === 0 || !ins.every((i) => this.consts.has(i))) return false;
    const a = this.consts.get(ins[0] as string) as Const;
    const out = n.outputs[0] as string;
    if (n.opType === "Sqrt") {
      const v = a.values.map(Math.sqrt);
      this.consts.set(out, { dims: a.dims, values: v, float32: a.float32 ? Float32Array.from(v) : null, sqrtOf: a });
    } else if (n.opType === "Identity" || n.opType === "Cast") this.consts.set(out, a);
    else if (n.opType === "Reshape" || n.opType === "Unsqueeze" || n.opType === "Squeeze")
      this.consts.set(out, { ...a, dims: [a.values.length] });
    else this.fail(n, "an operation on constants that tinymlp does not fold");
    return true;
  }

  /** The one dynamic consumer of `v`, or null at the graph output. */
  private next(v: string): OnnxNode {
    const cs = (this.consumers.get(v) ?? []).filter((n) => !this.done.has(n));
    const first = cs[0];
    if (first === undefined) {
      const p = this.producer.get(v);
      throw new OnnxFormatError(
        `fromOnnx: value '${v}'${p ? ` (from node ${p.index}, ${p.opType})` : ""} leads nowhere: the graph output is not reached from the input`,
      );
    }
    return first;
  }

  private konst(n: OnnxNode, k: number, what: string): Const {
    const c = this.consts.get(n.inputs[k] ?? "");
    if (!c) this.fail(n, `its ${what} (input ${k}) must be a constant (an initializer)`);
    return c;
  }

  private flatWidth(n: OnnxNode): number {
    if (this.shape.length !== 1)
      this.fail(n, `takes a (batch, features) input, here (batch, ${this.shape.join(", ")}); flatten first`);
    return this.shape[0] as number;
  }

  private push(layer: Layer, params: (Float64Array | Float32Array)[], shape: number[]): void {
    this.layers.push({ layer, params });
    this.shape = shape;
  }

  /** Consumes the node(s) that read `cur`; returns the value they produce. */
  private step(cur: string, output: string): string {
    const n = this.next(cur);
    const all = (this.consumers.get(cur) ?? []).filter((c) => !this.done.has(c));
    const elementwise = ELEMENTWISE.has(n.opType);
    if (all.length > 1 && !elementwise)
      this.fail(
        n,
        `value '${cur}' is read by ${all.length} nodes (${all.map((c) => c.opType).join(", ")}): a branch has no MLP form`,
      );
    if (n.inputs[0] !== cur && !elementwise)
      this.fail(n, `takes '${cur}' as input ${n.inputs.indexOf(cur)}; an MLP layer takes it first`);
    switch (n.opType) {
      case "Identity":
      case "Dropout":
        if (n.outputs.slice(1).some((o) => (o !== "" && (this.consumers.get(o)?.length ?? 0) > 0) || o === output))
          this.fail(n, "its mask output is used");
        this.done.add(n);
        return n.outputs[0] as string;
      case "Gemm":
        return this.gemm(n);
      case "MatMul":
        return this.matmul(n);
      case "Flatten":
      case "Reshape":
        return this.flatten(n);
      case "BatchNormalization":
        return this.batchNorm(n);
      case "LayerNormalization":
        return this.layerNorm(n);
      case "Softmax":
      case "LogSoftmax":
        return this.softmax(n);
      default:
        if (elementwise) return this.region(cur, output);
        return this.fail(n, this.why(n.opType));
    }
  }

  private why(op: string): string {
    if (/^Conv|Pool$|^Max|^Average|^Global/.test(op)) return "a convolution or pooling has no MLP form";
    if (["If", "Loop", "Scan"].includes(op)) return "control flow has no MLP form";
    return "an operator with no MLP layer form in tinymlp";
  }

  private gemm(n: OnnxNode): string {
    const K = this.flatWidth(n);
    if ((this.attr(n, "transA") ?? 0) !== 0) this.fail(n, "transA = 1 transposes the batch; no Dense form");
    const transB = (this.attr(n, "transB") ?? 0) !== 0;
    const alpha = this.rawFloat(n, "alpha", 1);
    const beta = this.rawFloat(n, "beta", 1);
    const B = this.konst(n, 1, "weight matrix B");
    if (B.dims.length !== 2) this.fail(n, `B has dims (${B.dims.join(", ")}), expected a matrix`);
    const [r, c] = B.dims as [number, number];
    const N = transB ? r : c;
    if ((transB ? c : r) !== K)
      this.fail(n, `B is ${r}×${c}${transB ? " (transposed)" : ""}, the input has ${K} features`);
    const W = this.weights(B, K * N);
    const kernel = W instanceof Float32Array ? new Float32Array(K * N) : new Float64Array(K * N);
    for (let i = 0; i < K; i++)
      for (let j = 0; j < N; j++) {
        const w = W[transB ? j * K + i : i * N + j] as number;
        kernel[i * N + j] = alpha === 1 ? w : alpha * w;
      }
    const params: (Float32Array | Float64Array)[] = [kernel];
    if (n.inputs[2]) {
      const C = this.konst(n, 2, "bias C");
      params.push(this.bias(n, C, N, beta));
    }
    this.done.add(n);
    this.push(new Dense({ units: N, useBias: params.length === 2 }), params, [N]);
    return n.outputs[0] as string;
  }

  /** A float attribute as stored (Gemm's alpha and beta multiply weights: exactly their float32 value). */
  private rawFloat(n: OnnxNode, name: string, dflt: number): number {
    return n.attributes.get(name)?.f ?? dflt;
  }

  private weights(c: Const, n: number): Float32Array | Float64Array {
    if (c.values.length !== n)
      throw new OnnxFormatError(`fromOnnx: a constant of ${c.values.length} values where ${n} are needed`);
    return c.float32 ?? c.values;
  }

  /** A bias broadcast to (N): dims (N), (1, N) or a scalar. */
  private bias(n: OnnxNode, C: Const, N: number, beta = 1): Float32Array | Float64Array {
    const size = C.values.length;
    if (!(size === N || size === 1) || C.dims.filter((d) => d !== 1).some((d) => d !== N))
      this.fail(n, `its bias has dims (${C.dims.join(", ")}); a Dense bias is (${N})`);
    const src = C.float32 ?? C.values;
    const b = src instanceof Float32Array ? new Float32Array(N) : new Float64Array(N);
    for (let j = 0; j < N; j++) b[j] = (beta === 1 ? 1 : beta) * (src[size === 1 ? 0 : j] as number);
    return b;
  }

  private matmul(n: OnnxNode): string {
    const K = this.flatWidth(n);
    const Wc = this.konst(n, 1, "weight matrix");
    if (Wc.dims.length !== 2 || Wc.dims[0] !== K)
      this.fail(n, `the weights have dims (${Wc.dims.join(", ")}); the input has ${K} features`);
    const N = Wc.dims[1] as number;
    const W = this.weights(Wc, K * N);
    const params: (Float32Array | Float64Array)[] = [W.slice()];
    this.done.add(n);
    let out = n.outputs[0] as string;
    const after = (this.consumers.get(out) ?? []).filter((c) => !this.done.has(c));
    const add = after[0];
    if (after.length === 1 && add?.opType === "Add") {
      const other = add.inputs[0] === out ? add.inputs[1] : add.inputs[0];
      const C = this.consts.get(other ?? "");
      if (C && C.values.length === N) {
        params.push(this.bias(add, C, N));
        this.done.add(add);
        out = add.outputs[0] as string;
      }
    }
    this.push(new Dense({ units: N, useBias: params.length === 2 }), params, [N]);
    return out;
  }

  private flatten(n: OnnxNode): string {
    const size = this.shape.reduce((a, b) => a * b, 1);
    if (n.opType === "Flatten") {
      if ((this.attr(n, "axis") ?? 1) !== 1) this.fail(n, "axis must be 1 (keep the batch, flatten the rest)");
    } else {
      const target = this.konst(n, 1, "shape");
      const t = Array.from(target.values);
      const last = this.layers.at(-1);
      const before = this.layers.at(-2);
      // toOnnx's Softmax over a whole (non-flat) sample: Flatten, Softmax, Reshape back
      if (t.length > 2 && last?.layer instanceof Softmax && before?.layer instanceof Flatten) {
        const shape = before.from;
        if (shape && t.slice(1).every((d, i) => d === shape[i]) && (t[0] === -1 || t[0] === 0)) {
          this.layers.splice(-2, 2);
          this.done.add(n);
          this.push(new Softmax(), [], [...shape]);
          return n.outputs[0] as string;
        }
      }
      const ok = t.length === 2 && (t[0] === -1 || t[0] === 0) && (t[1] === size || t[1] === -1);
      if (!ok) this.fail(n, `reshapes to (${t.join(", ")}); an MLP reshapes only to (batch, ${size})`);
    }
    this.done.add(n);
    if (this.shape.length > 1) {
      const from = [...this.shape];
      this.push(new Flatten(), [], [size]);
      (this.layers.at(-1) as Pending).from = from;
    }
    return n.outputs[0] as string;
  }

  private batchNorm(n: OnnxNode): string {
    const D = this.flatWidth(n);
    if ((this.attr(n, "training_mode") ?? 0) !== 0) this.fail(n, "training_mode = 1; only the inference form is read");
    if ((this.attr(n, "spatial") ?? 1) !== 1) this.fail(n, "spatial = 0 has no tinymlp form");
    const eps = this.attr(n, "epsilon") ?? 1e-5;
    const params = ["scale", "B", "mean", "var"].map((w, k) => this.weights(this.konst(n, k + 1, w), D).slice());
    this.done.add(n);
    this.push(new BatchNormalization({ epsilon: eps }), params, [D]);
    return n.outputs[0] as string;
  }

  private layerNorm(n: OnnxNode): string {
    const D = this.flatWidth(n);
    const axis = this.attr(n, "axis") ?? -1;
    if (axis !== -1 && axis !== 1) this.fail(n, `axis ${axis}; tinymlp normalizes over the last axis`);
    const eps = this.attr(n, "epsilon") ?? 1e-5;
    const gamma = this.weights(this.konst(n, 1, "scale"), D).slice();
    const beta = n.inputs[2] ? this.weights(this.konst(n, 2, "bias"), D).slice() : new Float64Array(D);
    this.done.add(n);
    this.push(new LayerNormalization({ epsilon: eps }), [gamma, beta], [D]);
    return n.outputs[0] as string;
  }

  private softmax(n: OnnxNode): string {
    const D = this.flatWidth(n);
    const axis = this.attr(n, "axis") ?? (this.opset >= 13 ? -1 : 1);
    if (axis !== -1 && axis !== 1) this.fail(n, `axis ${axis}; tinymlp's Softmax is over the features`);
    this.done.add(n);
    const name = n.opType === "LogSoftmax" ? "logSoftmax" : "softmax";
    if (this.foldIntoDense(name)) return n.outputs[0] as string;
    this.push(name === "softmax" ? new Softmax() : new Activation({ activation: "logSoftmax" }), [], [D]);
    return n.outputs[0] as string;
  }

  /**
   * A run of elementwise nodes from `cur`: tinymlp's Normalization when its
   * constants are per-feature vectors in that pattern; otherwise, with only
   * scalar constants, an activation recognised by its values.
   */
  private region(cur: string, output: string): string {
    const nodes: OnnxNode[] = [];
    const inside = new Set<string>([cur]);
    // grow: take every pending elementwise node whose dynamic inputs are all inside
    let grown = true;
    while (grown) {
      grown = false;
      for (const n of this.dynamic) {
        if (this.done.has(n) || nodes.includes(n) || !ELEMENTWISE.has(n.opType)) continue;
        const dyn = n.inputs.filter((i) => i !== "" && !this.consts.has(i));
        if (dyn.length > 0 && dyn.every((i) => inside.has(i))) {
          nodes.push(n);
          for (const o of n.outputs) if (o !== "") inside.add(o);
          grown = true;
        }
      }
      // stop at the first value that leaves the region or is the output
    }
    // the region's result: the one value read outside it (or the graph output)
    const exits = [...inside].filter(
      (v) => v !== cur && (v === output || (this.consumers.get(v) ?? []).some((c) => !nodes.includes(c))),
    );
    if (exits.length !== 1) {
      const first = nodes[0] as OnnxNode;
      this.fail(
        first,
        `starts elementwise arithmetic whose result leaves it ${exits.length} times; an MLP is one chain`,
      );
    }
    const out = exits[0] as string;
    // keep only the nodes that lead to `out`
    const needed = new Set<string>([out]);
    for (let k = nodes.length - 1; k >= 0; k--) {
      const n = nodes[k] as OnnxNode;
      if (n.outputs.some((o) => needed.has(o))) for (const i of n.inputs) needed.add(i);
    }
    const used = nodes.filter((n) => n.outputs.some((o) => needed.has(o)));
    // Two activations in a row (a Dense's, then an Activation layer's) make one run of nodes:
    // split it into the fewest pieces that are each a layer (tinymlp's Normalization, or an
    // activation), each ending in a value everything after depends on alone.
    const pieces = this.split(used, cur, out);
    if (pieces !== null) {
      for (const p of pieces) {
        for (const n of p.nodes) this.done.add(n);
        if (p.found === "normalization") this.normalization(p.nodes, p.from);
        else this.activation(p.found);
      }
      return out;
    }
    const vector = used.find((n) => n.inputs.some((i) => (this.consts.get(i)?.dims.length ?? 0) > 0));
    if (vector)
      this.fail(
        vector,
        "per-feature arithmetic that is not a layer tinymlp has (a bias follows a MatMul; scaling is Sub then Div)",
      );
    this.fail(
      used[0] as OnnxNode,
      `nodes ${used.map((n) => `${n.index} (${n.opType})`).join(", ")} compute an elementwise function that is none of tinymlp's activations`,
    );
  }

  /** A partition of a run of nodes from `cur` to `out` into layers, longest pieces first; null if none. */
  private split(
    nodes: OnnxNode[],
    cur: string,
    out: string,
    depth = 0,
  ): { nodes: OnnxNode[]; from: string; found: "normalization" | NonNullable<ReturnType<typeof identify>> }[] | null {
    if (nodes.length === 0) return cur === out ? [] : null;
    if (depth > 64) return null;
    for (let k = nodes.length - 1; k >= 0; k--) {
      const v = (nodes[k] as OnnxNode).outputs[0] as string;
      const prefix = closure(nodes.slice(0, k + 1), v);
      const rest = nodes.filter((n) => !prefix.includes(n));
      const inner = new Set(prefix.flatMap((n) => n.outputs).filter((o) => o !== v));
      inner.add(cur);
      const cut =
        (rest.length === 0 ? v === out : v !== out) &&
        rest.every((n) => n.inputs.every((i) => !inner.has(i))) &&
        [...inner].every((o) => o === cur || (this.consumers.get(o) ?? []).every((c) => prefix.includes(c)));
      if (!cut) continue;
      let found: "normalization" | ReturnType<typeof identify> = null;
      if (this.isNormalization(prefix, cur)) found = "normalization";
      else if (!prefix.some((n) => n.inputs.some((i) => (this.consts.get(i)?.dims.length ?? 0) > 0)))
        found = this.identifyRun(prefix, cur, v);
      if (found === null) continue;
      const after = this.split(rest, v, out, depth + 1);
      if (after !== null) return [{ nodes: prefix, from: cur, found }, ...after];
    }
    return null;
  }

  /** tinymlp's Normalization as toOnnx writes it (Sub then Div, or Mul then Add, by per-feature constants); false if not. */
  private isNormalization(nodes: OnnxNode[], cur: string): boolean {
    return this.normalizationParts(nodes, cur) !== null;
  }

  private normalization(nodes: OnnxNode[], cur: string): void {
    const parts = this.normalizationParts(nodes, cur);
    if (parts === null) this.fail(nodes[0] as OnnxNode, "is not a Normalization (a bug in the importer)");
    this.pushNormalization(...parts);
  }

  /** The mean, the divisor and the direction of a Normalization as toOnnx writes it, or null. */
  private normalizationParts(nodes: OnnxNode[], cur: string): [Const, Const, boolean] | null {
    const D = this.shape.reduce((a, b) => a * b, 1);
    const [a, b] = nodes as [OnnxNode, OnnxNode | undefined];
    // per-feature: as many values as features, with dims (a scalar constant has none)
    const vec = (n: OnnxNode, k: number) => {
      const c = this.consts.get(n.inputs[k] ?? "");
      return c && c.values.length === D && c.dims.length > 0 ? c : null;
    };
    const pattern = (op1: string, op2: string) =>
      nodes.length === 2 && a.opType === op1 && b?.opType === op2 && b.inputs[0] === a.outputs[0];
    if (pattern("Sub", "Div") && a.inputs[0] === cur) {
      const mean = vec(a, 1);
      const std = vec(b as OnnxNode, 1);
      if (mean && std) return [mean, std, false];
    }
    if (pattern("Mul", "Add") && (a.inputs[0] === cur || a.inputs[1] === cur)) {
      const std = vec(a, a.inputs[0] === cur ? 1 : 0);
      const mean = vec(b as OnnxNode, 1);
      if (mean && std) return [mean, std, true];
    }
    return null;
  }

  private pushNormalization(mean: Const, std: Const, invert: boolean): void {
    // Sqrt(variance) as toOnnx writes it gives the variance back exactly; a bare s gives s²
    const variance = std.sqrtOf ? Array.from(std.sqrtOf.values) : Array.from(std.values, (s) => s * s);
    const m = Array.from(mean.values);
    this.push(
      new Normalization({ mean: m, variance, invert }),
      [Float64Array.from(m), Float64Array.from(variance)],
      [...this.shape],
    );
  }

  /** The activation a run of nodes from `cur` to `out` computes, or null. */
  private identifyRun(nodes: OnnxNode[], cur: string, out: string): ReturnType<typeof identify> {
    const f = (x: number): number => {
      const env = new Map<string, number>([[cur, x]]);
      for (const n of nodes) env.set(n.outputs[0] as string, this.evaluate(n, env));
      return env.get(out) as number;
    };
    const constants = nodes.flatMap(
      (n) => n.inputs.map((i) => this.consts.get(i)?.values[0]).filter((v) => v !== undefined) as number[],
    );
    return identify(
      f,
      constants,
      nodes.map((n) => n.attributes),
    );
  }

  /** A recognised activation: folded into the Dense before it, or an Activation layer. */
  private activation(found: NonNullable<ReturnType<typeof identify>>): void {
    if (!this.foldIntoDense(found)) this.push(new Activation({ activation: found as never }), [], [...this.shape]);
  }

  /** Makes `activation` the activation of the linear Dense just read, if that is the last layer; false otherwise. */
  private foldIntoDense(activation: string | { name: ActivationName; alpha: number; beta?: number }): boolean {
    const last = this.layers.at(-1);
    if (!last || !(last.layer instanceof Dense) || last.layer.activation.name !== "linear" || last.fused) return false;
    // the same arithmetic as a separate layer: Dense applies its activation to x·W + b
    last.layer = new Dense({ units: last.layer.units, useBias: last.layer.useBias, activation: activation as never });
    last.fused = true;
    return true;
  }

  /** One elementwise node on scalars (the probe interpreter). */
  private evaluate(n: OnnxNode, env: Map<string, number>): number {
    const v = (k: number): number => {
      const name = n.inputs[k] ?? "";
      const c = this.consts.get(name);
      if (c) return c.values[0] as number;
      const x = env.get(name);
      if (x === undefined) this.fail(n, `input '${name}' is not computed before it`);
      return x;
    };
    const at = (name: string, d: number) => {
      const a = n.attributes.get(name);
      return a?.f ?? a?.i ?? d;
    };
    switch (n.opType) {
      case "Identity":
      case "Dropout":
        return v(0);
      case "Cast": {
        const to = at("to", DT.DOUBLE);
        return to === DT.FLOAT ? Math.fround(v(0)) : v(0);
      }
      case "Add":
        return v(0) + v(1);
      case "Sub":
        return v(0) - v(1);
      case "Mul":
        return v(0) * v(1);
      case "Div":
        return v(0) / v(1);
      case "Pow":
        return v(0) ** v(1);
      case "Neg":
        return -v(0);
      case "Abs":
        return Math.abs(v(0));
      case "Exp":
        return Math.exp(v(0));
      case "Log":
        return Math.log(v(0));
      case "Sqrt":
        return Math.sqrt(v(0));
      case "Reciprocal":
        return 1 / v(0);
      case "Tanh":
        return Math.tanh(v(0));
      case "Erf":
        return erf(v(0));
      case "Sigmoid":
        return 1 / (1 + Math.exp(-v(0)));
      case "Relu":
        return Math.max(0, v(0));
      case "Softplus":
        return Math.max(v(0), 0) + Math.log1p(Math.exp(-Math.abs(v(0))));
      case "LeakyRelu": {
        const x = v(0);
        return x >= 0 ? x : at("alpha", 0.01) * x;
      }
      case "Elu": {
        const x = v(0);
        return x > 0 ? x : at("alpha", 1) * Math.expm1(x);
      }
      case "Selu": {
        const x = v(0);
        return at("gamma", 1.0507009873554805) * (x > 0 ? x : at("alpha", 1.6732632423543772) * Math.expm1(x));
      }
      case "HardSigmoid":
        return Math.max(0, Math.min(1, at("alpha", 0.2) * v(0) + at("beta", 0.5)));
      case "Gelu": {
        const x = v(0);
        const approx = n.attributes.get("approximate")?.s ?? "none";
        return approx === "tanh"
          ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
          : 0.5 * x * (1 + erf(x / Math.SQRT2));
      }
      case "Greater":
        return v(0) > v(1) ? 1 : 0;
      case "Less":
        return v(0) < v(1) ? 1 : 0;
      case "Where":
        return v(0) !== 0 ? v(1) : v(2);
      case "Max":
        return Math.max(...n.inputs.map((_, k) => v(k)));
      case "Min":
        return Math.min(...n.inputs.map((_, k) => v(k)));
      default:
        return this.fail(n, "an elementwise operator tinymlp does not evaluate");
    }
  }
}

/** The elementwise operators an activation may be composed of. */
const ELEMENTWISE = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Neg",
  "Abs",
  "Exp",
  "Log",
  "Sqrt",
  "Reciprocal",
  "Tanh",
  "Erf",
  "Sigmoid",
  "Relu",
  "Softplus",
  "LeakyRelu",
  "Elu",
  "Selu",
  "HardSigmoid",
  "Gelu",
  "Greater",
  "Less",
  "Where",
  "Max",
  "Min",
  "Cast",
]);

/** The probe points: both signs, small and large, around the kinks. */
const PROBES = [-12, -6, -3, -2, -1.5, -1, -0.7, -0.3, -0.1, -0.01, 0, 0.01, 0.1, 0.3, 0.7, 1, 1.5, 2, 3, 6, 12];

/**
 * Which tinymlp activation f is, to within float32 rounding (1e-5 relative
 * on every probe, 1e-6 absolute near zero), with its parameter taken from
 * the graph's constants or attributes when it has one. Null when none fits.
 */
function identify(
  f: (x: number) => number,
  constants: number[],
  attributes: Map<string, { f?: number }>[],
): string | { name: ActivationName; alpha: number; beta?: number } | null {
  const got = PROBES.map(f);
  if (got.some((v) => !Number.isFinite(v))) return null;
  const close = (want: number[]) => want.every((w, i) => Math.abs((got[i] as number) - w) <= 1e-5 * Math.abs(w) + 1e-6);
  const ref = (name: ActivationName, alpha?: number) => {
    const y = new Float64Array(PROBES.length);
    getActivation(alpha === undefined ? name : ({ name, alpha } as never)).forward(
      Float64Array.from(PROBES),
      y,
      1,
      PROBES.length,
    );
    return Array.from(y);
  };
  /** A parameter as the graph states it: a double constant, or a float32 attribute read back as its decimal. */
  const param = (estimate: number): number => {
    const c = constants.find((v) => Math.abs(v - estimate) <= 1e-6 * Math.abs(estimate));
    if (c !== undefined) return c;
    const a = attributes
      .flatMap((m) => [...m.values()])
      .find((x) => x.f !== undefined && Math.abs(x.f - estimate) <= 1e-6 * Math.abs(estimate));
    return a?.f !== undefined ? fromFloat32(a.f) : estimate;
  };
  for (const name of ["linear", "relu", "sigmoid", "tanh", "softplus", "silu", "gelu", "geluTanh", "selu"] as const)
    if (close(ref(name))) return name;
  // hardSigmoid: f(0) = β, slope α in between, clipped to [0, 1]
  const beta = f(0);
  if (beta > 0 && beta < 1) {
    const h = Math.min(beta, 1 - beta) / 4;
    const slope = (f(h) - f(-h)) / (2 * h);
    if (slope > 0) {
      const alpha = param(slope);
      const b = param(beta);
      const y = new Float64Array(PROBES.length);
      getActivation({ name: "hardSigmoid", alpha, beta: b }).forward(Float64Array.from(PROBES), y, 1, PROBES.length);
      if (close(Array.from(y))) return { name: "hardSigmoid", alpha, beta: b };
    }
  }
  const neg = f(-1);
  if (f(1) === 1 && neg < 0) {
    const lk = param(-neg);
    if (close(ref("leakyRelu", lk))) return { name: "leakyRelu", alpha: lk };
    const el = param(-f(-40));
    if (close(ref("elu", el))) return { name: "elu", alpha: el };
  }
  return null;
}

/** The nodes of `nodes` that `v` is computed from (in their order). */
function closure(nodes: OnnxNode[], v: string): OnnxNode[] {
  const needed = new Set([v]);
  const out: OnnxNode[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k] as OnnxNode;
    if (n.outputs.some((o) => needed.has(o))) {
      out.unshift(n);
      for (const i of n.inputs) needed.add(i);
    }
  }
  return out;
}

/** A tensor as a constant. */
function fromTensor(t: OnnxTensor): Const {
  return { dims: t.dims, values: t.values, float32: t.float32 };
}
