/**
 * The TensorFlow.js Layers format, both ways: what `tf.loadLayersModel`
 * reads (`model.json` + `weights.bin`) and what `model.save()` writes.
 *
 * A Keras `Sequential` topology (class names and snake_case configs, as
 * tfjs-layers serializes them) plus a list of weight specs
 * (`{ name, shape, dtype }`) and one buffer of their float32 values, back to
 * back in spec order. Reading is as strict as our own loader: unknown
 * classes and options that cannot be expressed here are refused by name, and
 * the weights are checked against the declared shapes and the buffer's size
 * before anything is allocated.
 */

import { Activation, Softmax } from "../activation-layer.js";
import type { ActivationConfig } from "../activations.js";
import { Dense } from "../dense.js";
import { Dropout } from "../dropout.js";
import { TinyMlpError, ValueError } from "../errors.js";
import { Flatten } from "../flatten.js";
import type { Layer, LayerConfig, LayerKind, Param } from "../layer.js";
import { LIMITS } from "../limits.js";
import { BatchNormalization, LayerNormalization } from "../normalization.js";
import { quote } from "../options.js";
import { stdOf } from "../scaling.js";
import { Sequential } from "../sequential.js";
import { VERSION } from "../version.js";
import { configActivation, configBoolean, configNumber, entryFor, hasParam, paramValues } from "./config.js";

/** A weight's entry in the manifest (tfjs `WeightsManifestEntry`). */
export interface TfjsWeightSpec {
  /** `"<layer name>/<weight>"`, e.g. `"dense_1/kernel"`. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** Always `"float32"` here. */
  dtype: "float32";
}

/** What `tf.io.fromMemory` takes and `model.save()` gives: topology, specs and the weights' bytes. */
export interface TfjsArtifacts {
  /** The Keras topology: `{ class_name: "Sequential", config: { name, layers } }`. */
  modelTopology: Record<string, unknown>;
  /** One entry per weight, in the order of `weightData`. */
  weightSpecs: TfjsWeightSpec[];
  /** The weights' float32 values, little-endian, back to back. */
  weightData: ArrayBuffer;
}

/** A failure reading a TF.js model: the message names the layer, its class and the option. */
export class TfjsFormatError extends TinyMlpError {}

// ---------------------------------------------------------------- tinymlp → TF.js

/** Our activation as a Keras activation string, or a separate layer when Keras has no string for it. */
function kerasActivation(fn: ActivationConfig): { activation: string } | { layer: Record<string, unknown> } {
  const a = fn.alpha;
  switch (fn.name) {
    case "linear":
    case "relu":
    case "sigmoid":
    case "tanh":
    case "softmax":
    case "softplus":
    case "selu":
    case "gelu":
      return { activation: fn.name };
    case "geluTanh":
      // Keras's name is "gelu_new", which tfjs-layers 4.22 reads back as "geluNew" and refuses
      throw new ValueError(
        "toTfjs: activation 'geluTanh' (Keras 'gelu_new') does not load in TensorFlow.js 4.x; use 'gelu'",
      );
    case "silu":
    case "swish":
      return { activation: "swish" };
    case "elu":
      if (a !== 1) throw new ValueError(`toTfjs: activation elu with alpha ${a}: TensorFlow.js supports only alpha 1`);
      return { activation: "elu" };
    case "leakyRelu":
      return { layer: { class_name: "LeakyReLU", config: { alpha: a } } };
    case "hardSigmoid":
      // Keras's hard_sigmoid is clip(0.2·x + 0.5, 0, 1), with no options
      if (fn.alpha !== 0.2 || fn.beta !== 0.5)
        throw new ValueError(
          `toTfjs: activation hardSigmoid with alpha ${fn.alpha} and beta ${fn.beta}: TensorFlow.js's is 0.2·x + 0.5 only`,
        );
      return { activation: "hardSigmoid" };
    default:
      throw new ValueError(`toTfjs: activation '${fn.name}' has no TensorFlow.js form`);
  }
}

/**
 * A parameter's values as float32: a float32 model's own array (not copied:
 * the one copy is into `weightData`), a float64 model's rounded.
 */
function param(layer: Layer, suffix: string): Float32Array {
  const v = paramValues("toTfjs", layer, suffix);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** What one layer's entry writes: Keras layers and weights, through these two. */
interface TfjsOut {
  /** Appends a Keras layer (its name defaults to the tinymlp layer's). */
  push(className: string, config: Record<string, unknown>): void;
  /** Appends a weight and its values. */
  weight(name: string, shape: number[], v: Float32Array): void;
}

/** One layer in the TF.js Layers format: from its config and parameters. */
type TfjsLayer = (
  out: TfjsOut,
  c: LayerConfig,
  layer: Layer,
  input: readonly number[],
  output: readonly number[],
) => void;

/** Every built-in layer kind's TF.js form (or its refusal). */
const TFJS_LAYERS = {
  dense: (out, c, layer, input, output) => {
    const fn = configActivation(c, "activation");
    const act = kerasActivation(fn);
    const useBias = hasParam(layer, "bias");
    out.push("Dense", {
      units: output[0],
      activation: "activation" in act ? act.activation : "linear",
      use_bias: useBias,
      dtype: "float32",
    });
    out.weight(`${layer.name}/kernel`, [input[0] as number, output[0] as number], param(layer, "kernel"));
    if (useBias) out.weight(`${layer.name}/bias`, [output[0] as number], param(layer, "bias"));
    if ("layer" in act)
      out.push(act.layer.class_name as string, { ...(act.layer.config as object), name: `${layer.name}_${fn.name}` });
  },
  activation: (out, c) => {
    const act = kerasActivation(configActivation(c, "activation"));
    if ("activation" in act) out.push("Activation", { activation: act.activation });
    else out.push(act.layer.class_name as string, act.layer.config as Record<string, unknown>);
  },
  softmax: (out, _c, layer, input) => {
    if (input.length !== 1)
      throw new ValueError(
        `toTfjs: layer '${layer.name}' (Softmax) normalizes all ${input.join("×")} elements of a sample; Keras's Softmax takes one axis (flatten first)`,
      );
    out.push("Softmax", { axis: -1 });
  },
  flatten: (out) => out.push("Flatten", {}),
  dropout: (out, c) => out.push("Dropout", { rate: configNumber("toTfjs", c, "rate") }),
  batchNormalization: (out, c, layer, input) => {
    out.push("BatchNormalization", {
      axis: -1,
      momentum: configNumber("toTfjs", c, "momentum"),
      epsilon: configNumber("toTfjs", c, "epsilon"),
      center: true,
      scale: true,
    });
    for (const [ours, theirs] of [
      ["gamma", "gamma"],
      ["beta", "beta"],
      ["movingMean", "moving_mean"],
      ["movingVariance", "moving_variance"],
    ] as const)
      out.weight(`${layer.name}/${theirs}`, [input[0] as number], param(layer, ours));
  },
  layerNormalization: (out, c, layer, input) => {
    out.push("LayerNormalization", {
      axis: -1,
      epsilon: configNumber("toTfjs", c, "epsilon"),
      center: true,
      scale: true,
    });
    out.weight(`${layer.name}/gamma`, [input[0] as number], param(layer, "gamma"));
    out.weight(`${layer.name}/beta`, [input[0] as number], param(layer, "beta"));
  },
  normalization: (out, c, layer, input) => {
    // TF.js has no Normalization layer: the same affine map as a Dense with a
    // diagonal kernel, y = x·diag(1/s) − m/s (inverted: x·diag(s) + m)
    if (input.length !== 1)
      throw new ValueError(
        `toTfjs: layer '${layer.name}' (Normalization) takes a (${input.join(", ")}) sample; as a Dense it needs a flat one (flatten first)`,
      );
    const D = input[0] as number;
    const m = param(layer, "mean");
    const v = param(layer, "variance");
    const invert = configBoolean("toTfjs", c, "invert");
    const kernel = new Float32Array(D * D);
    const bias = new Float32Array(D);
    for (let j = 0; j < D; j++) {
      const sj = stdOf(v[j] as number);
      const mj = m[j] as number;
      kernel[j * D + j] = invert ? sj : 1 / sj;
      bias[j] = invert ? mj : -mj / sj;
    }
    out.push("Dense", { units: D, activation: "linear", use_bias: true, dtype: "float32" });
    out.weight(`${layer.name}/kernel`, [D, D], kernel);
    out.weight(`${layer.name}/bias`, [D], bias);
  },
} satisfies Record<LayerKind, TfjsLayer>;

/**
 * The model as TF.js Layers artifacts: `tf.loadLayersModel(tf.io.fromMemory(artifacts))`
 * rebuilds it. Weights are float32 (TF.js's dtype; a float64 model is
 * rounded). leakyRelu, which Keras has no activation string for, becomes a
 * `LeakyReLU` layer after a linear Dense.
 * @throws ValueError for a custom layer, a Softmax over a sample that is not a
 * vector, and what TensorFlow.js cannot run: `geluTanh`, `elu` with α ≠ 1
 * @example
 * ```ts
 * const artifacts = toTfjs(model);
 * // TF.js: const m = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * ```
 */
export function toTfjs(model: Sequential): TfjsArtifacts {
  model.requireLive("toTfjs");
  const layers: Record<string, unknown>[] = [];
  const specs: TfjsWeightSpec[] = [];
  const values: Float32Array[] = [];
  const weight = (name: string, shape: number[], v: Float32Array) => {
    specs.push({ name, shape, dtype: "float32" });
    values.push(v);
  };
  let shape = model.inputShapePerSample;
  for (const layer of model.layers) {
    const input = shape;
    shape = layer.paramShapes(shape).output;
    const name = layer.name;
    const push = (className: string, config: Record<string, unknown>) => {
      const c: Record<string, unknown> = { ...config, name: config.name ?? name, trainable: true };
      if (layers.length === 0) c.batch_input_shape = [null, ...model.inputShapePerSample];
      layers.push({ class_name: className, config: c });
    };
    const c = layer.toConfig();
    const entry = entryFor<TfjsLayer>(TFJS_LAYERS, c);
    if (entry === null) throw new ValueError(`toTfjs: layer '${name}' (kind '${c.kind}') has no TensorFlow.js form`);
    entry({ push, weight }, c, layer, input, shape);
  }
  const total = values.reduce((s, v) => s + v.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const v of values) {
    data.set(v, off);
    off += v.length;
  }
  return {
    modelTopology: {
      class_name: "Sequential",
      config: { name: "sequential", layers },
      keras_version: `tinymlp ${VERSION}`,
      backend: "tensor_flow.js",
    },
    weightSpecs: specs,
    weightData: data.buffer,
  };
}

// ---------------------------------------------------------------- TF.js → tinymlp

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(where: string, msg: string): never {
  throw new TfjsFormatError(`fromTfjs: ${where}: ${msg}`);
}

/** Keras activation names → ours. */
const ACTIVATIONS: Record<string, string> = {
  linear: "linear",
  relu: "relu",
  sigmoid: "sigmoid",
  tanh: "tanh",
  softmax: "softmax",
  softplus: "softplus",
  selu: "selu",
  elu: "elu",
  gelu: "gelu",
  gelu_new: "geluTanh",
  swish: "swish",
  silu: "silu",
};

function activationOf(where: string, v: unknown): string {
  if (v === undefined || v === null) return "linear";
  if (typeof v !== "string" || !Object.hasOwn(ACTIVATIONS, v))
    fail(where, `activation ${quote(v)} has no tinymlp form; known: ${Object.keys(ACTIVATIONS).join(", ")}`);
  return ACTIVATIONS[v] as string;
}

/** Keras initializer configs → ours (they only describe how the weights were drawn; the weights are loaded). */
function initializerOf(where: string, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v) || typeof v.class_name !== "string") fail(where, "expected { class_name, config }");
  const c = (isObj(v.config) ? v.config : {}) as Obj;
  switch (v.class_name) {
    case "Zeros":
      return "zeros";
    case "Ones":
      return "ones";
    case "Constant":
      return { name: "constant", value: c.value ?? 0 };
    case "RandomNormal":
      return { name: "randomNormal", mean: c.mean ?? 0, stddev: c.stddev ?? 0.05 };
    case "TruncatedNormal":
      return { name: "truncatedNormal", mean: c.mean ?? 0, stddev: c.stddev ?? 0.05 };
    case "RandomUniform":
      return { name: "randomUniform", minval: c.minval ?? -0.05, maxval: c.maxval ?? 0.05 };
    case "Orthogonal":
      return { name: "orthogonal", gain: c.gain ?? 1 };
    case "GlorotUniform":
      return "glorotUniform";
    case "GlorotNormal":
      return "glorotNormal";
    case "HeUniform":
      return "heUniform";
    case "HeNormal":
      return "heNormal";
    case "LeCunUniform":
      return "lecunUniform";
    case "LeCunNormal":
      return "lecunNormal";
    case "VarianceScaling": {
      const key = `${c.scale}/${c.mode}/${c.distribution}`;
      const table: Record<string, string> = {
        "1/fan_avg/uniform": "glorotUniform",
        "1/fan_avg/normal": "glorotNormal",
        "1/fan_avg/truncated_normal": "glorotNormal",
        "2/fan_in/uniform": "heUniform",
        "2/fan_in/normal": "heNormal",
        "2/fan_in/truncated_normal": "heNormal",
        "1/fan_in/uniform": "lecunUniform",
        "1/fan_in/normal": "lecunNormal",
        "1/fan_in/truncated_normal": "lecunNormal",
      };
      if (!Object.hasOwn(table, key)) fail(where, `VarianceScaling(${key.replaceAll("/", ", ")}) has no tinymlp form`);
      return table[key];
    }
    default:
      fail(where, `initializer '${v.class_name}' has no tinymlp form`);
  }
}

/** Keys a layer's config may hold; anything else that is set (not null/default) cannot be expressed. */
const COMMON = ["name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_shape"];

function checkConfig(
  where: string,
  c: Obj,
  allowed: string[],
  mustBe: Record<string, (v: unknown) => boolean> = {},
): void {
  for (const [k, v] of Object.entries(c)) {
    if (COMMON.includes(k) || allowed.includes(k)) continue;
    if (Object.hasOwn(mustBe, k)) {
      if (!(mustBe[k] as (v: unknown) => boolean)(v))
        fail(where, `option ${k} = ${quote(v)} cannot be expressed in tinymlp`);
      continue;
    }
    if (v === null || v === undefined) continue; // an unset regularizer, constraint, noise shape…
    fail(where, `option ${k} = ${quote(v)} cannot be expressed in tinymlp`);
  }
  if (c.dtype !== undefined && c.dtype !== "float32") fail(where, `dtype ${quote(c.dtype)}: only float32`);
}

const lastAxis = (v: unknown) => v === -1 || (Array.isArray(v) && v.length === 1 && (v[0] === -1 || v[0] === 1));

/** One Keras layer as tinymlp layers (an ELU or LeakyReLU layer becomes an Activation layer). */
function layerFrom(entry: unknown, i: number): Layer[] {
  if (!isObj(entry) || typeof entry.class_name !== "string" || !isObj(entry.config))
    fail(`layers[${i}]`, "expected { class_name, config }");
  const cls = entry.class_name;
  const c = entry.config;
  const name = typeof c.name === "string" && c.name.length <= LIMITS.nameLength ? c.name : undefined;
  const where = `layers[${i}] ('${String(c.name)}', ${cls})`;
  switch (cls) {
    case "Dense": {
      checkConfig(where, c, [
        "units",
        "activation",
        "use_bias",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
      ]);
      const opts: Obj = {
        units: c.units,
        activation: activationOf(where, c.activation),
        useBias: c.use_bias ?? true,
        name,
      };
      const ki = initializerOf(`${where}: kernel_initializer`, c.kernel_initializer);
      const bi = initializerOf(`${where}: bias_initializer`, c.bias_initializer);
      if (ki !== undefined) opts.kernelInitializer = ki;
      if (bi !== undefined) opts.biasInitializer = bi;
      const reg = c.kernel_regularizer;
      if (reg !== undefined && reg !== null) {
        if (!isObj(reg) || reg.class_name !== "L1L2" || !isObj(reg.config))
          fail(where, `kernel_regularizer ${quote(reg)} cannot be expressed in tinymlp (L1L2 only)`);
        opts.kernelRegularizer = { l1: reg.config.l1 ?? 0, l2: reg.config.l2 ?? 0 };
      }
      return [new Dense(opts as never)];
    }
    case "Activation":
      checkConfig(where, c, ["activation"]);
      return [new Activation({ activation: activationOf(where, c.activation) as never, ...(name ? { name } : {}) })];
    case "ReLU":
      checkConfig(where, c, [], { max_value: (v) => v === null || v === undefined });
      return [new Activation({ activation: "relu", ...(name ? { name } : {}) })];
    case "LeakyReLU":
      checkConfig(where, c, ["alpha"]);
      return [
        new Activation({
          activation: { name: "leakyRelu", alpha: (c.alpha as number) ?? 0.3 },
          ...(name ? { name } : {}),
        }),
      ];
    case "ELU":
      checkConfig(where, c, ["alpha"]);
      return [
        new Activation({ activation: { name: "elu", alpha: (c.alpha as number) ?? 1 }, ...(name ? { name } : {}) }),
      ];
    case "Softmax":
      checkConfig(where, c, [], { axis: (v) => v === undefined || lastAxis(v) });
      return [new Softmax(name ? { name } : {})];
    case "Flatten":
      checkConfig(where, c, [], { data_format: (v) => v === null || v === undefined || v === "channelsLast" });
      return [new Flatten(name ? { name } : {})];
    case "Dropout":
      checkConfig(where, c, ["rate", "seed"]);
      return [new Dropout({ rate: c.rate as number, ...(name ? { name } : {}) })];
    case "BatchNormalization":
      checkConfig(
        where,
        c,
        [
          "momentum",
          "epsilon",
          "beta_initializer",
          "gamma_initializer",
          "moving_mean_initializer",
          "moving_variance_initializer",
        ],
        { axis: (v) => v === undefined || lastAxis(v), center: (v) => v !== false, scale: (v) => v !== false },
      );
      return [
        new BatchNormalization({
          ...(c.momentum !== undefined ? { momentum: c.momentum as number } : {}),
          ...(c.epsilon !== undefined ? { epsilon: c.epsilon as number } : {}),
          ...(name ? { name } : {}),
        }),
      ];
    case "LayerNormalization":
      checkConfig(where, c, ["epsilon", "beta_initializer", "gamma_initializer"], {
        axis: (v) => v === undefined || lastAxis(v),
        center: (v) => v !== false,
        scale: (v) => v !== false,
      });
      return [
        new LayerNormalization({
          ...(c.epsilon !== undefined ? { epsilon: c.epsilon as number } : {}),
          ...(name ? { name } : {}),
        }),
      ];
    default:
      fail(
        where,
        `layer class '${cls}' has no tinymlp form (Dense, Activation, ReLU, LeakyReLU, ELU, Softmax, Flatten, Dropout, BatchNormalization, LayerNormalization, InputLayer)`,
      );
  }
}

/** The per-sample input shape a layer config declares (`batch_input_shape: [null, …]`), if any. */
function inputShapeOf(c: Obj): number[] | null {
  const b = c.batch_input_shape ?? c.batchInputShape;
  if (Array.isArray(b)) return b.slice(1) as number[];
  if (Array.isArray(c.input_shape)) return c.input_shape as number[];
  return null;
}

/** Our parameter name suffix for a Keras weight name. */
const WEIGHT_NAMES: Record<string, string> = {
  kernel: "kernel",
  bias: "bias",
  gamma: "gamma",
  beta: "beta",
  moving_mean: "movingMean",
  moving_variance: "movingVariance",
};

/**
 * A tinymlp Sequential from TF.js Layers artifacts: `modelJson` is a
 * `model.json` (`{ modelTopology, weightsManifest }`) or `{ modelTopology,
 * weightSpecs }` as `model.save()` hands to a save handler; `weightData` the
 * weights' bytes. Layers: Dense, Activation, ReLU, LeakyReLU, ELU, Softmax,
 * Flatten, Dropout, BatchNormalization, LayerNormalization, InputLayer.
 * @throws TfjsFormatError naming the layer, its class and the option that cannot be expressed
 * @example
 * ```ts
 * const model = fromTfjs(JSON.parse(modelJsonText), weightsBin);
 * ```
 */
export function fromTfjs(modelJson: unknown, weightData: ArrayBuffer | Uint8Array): Sequential {
  if (!isObj(modelJson)) fail("model.json", "expected an object");
  const topo = isObj(modelJson.modelTopology) ? modelJson.modelTopology : modelJson;
  const top = isObj(topo.model_config) ? topo.model_config : topo; // Keras .h5-converted form nests it
  if (top.class_name !== "Sequential")
    fail("modelTopology", `class ${quote(top.class_name)}: only Sequential models are read`);
  const cfg = top.config;
  const entries = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : null;
  if (entries === null) fail("modelTopology.config", "expected a list of layers");
  if (entries.length === 0 || entries.length > LIMITS.layers)
    fail("modelTopology.config.layers", `expected 1 to ${LIMITS.layers} layers, got ${entries.length}`);
  let inputShape: number[] | null = null;
  const layers: Layer[] = [];
  entries.forEach((e, i) => {
    if (isObj(e) && isObj(e.config) && inputShape === null) inputShape = inputShapeOf(e.config);
    if (isObj(e) && e.class_name === "InputLayer") return;
    layers.push(...layerFrom(e, i));
  });
  if (inputShape === null) fail("modelTopology", "no layer declares the input shape (batch_input_shape)");
  // weights: the specs, checked against the layers' shapes and the buffer before allocating
  const specs =
    isObj(modelJson) && Array.isArray(modelJson.weightSpecs)
      ? modelJson.weightSpecs
      : Array.isArray(modelJson.weightsManifest)
        ? (modelJson.weightsManifest as unknown[]).flatMap((g) =>
            isObj(g) && Array.isArray(g.weights) ? g.weights : [],
          )
        : fail("model.json", "expected weightSpecs or weightsManifest");
  if (!(weightData instanceof Uint8Array || weightData instanceof ArrayBuffer))
    fail("weightData", "expected an ArrayBuffer or a Uint8Array");
  const bytes = weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  let model: Sequential;
  try {
    model = new Sequential({ inputShape, initialize: false, dtype: "float32" }); // checks the shape's limits
  } catch (e) {
    fail("input shape", (e as Error).message);
  }
  // Before anything is allocated: the layers' parameter sizes (from their shapes
  // alone) must add up to the buffer, so a hostile size cannot make us allocate.
  let running: readonly number[] = inputShape;
  let elements = 0;
  for (const l of layers) {
    let shapes: { output: readonly number[]; params: readonly (readonly number[])[] };
    try {
      shapes = l.paramShapes(running);
    } catch (e) {
      fail(`layer '${l.name}'`, (e as Error).message);
    }
    for (const p of shapes.params) elements += p.reduce((a, b) => a * b, 1);
    running = shapes.output;
  }
  if (4 * elements !== bytes.byteLength)
    fail(
      "weightData",
      `the layers need ${4 * elements} bytes of float32 weights, the buffer holds ${bytes.byteLength}`,
    );
  for (const l of layers) {
    try {
      model.add(l);
    } catch (e) {
      fail(`layer '${l.name}'`, (e as Error).message);
    }
  }
  const params = new Map(model.params().map((p) => [p.name, p]));
  let off = 0;
  const assigned = new Set<string>();
  const plan: { name: string; off: number; n: number }[] = [];
  specs.forEach((s, k) => {
    if (!isObj(s) || typeof s.name !== "string" || !Array.isArray(s.shape))
      fail(`weights[${k}]`, "expected { name, shape, dtype }");
    if (s.dtype !== undefined && s.dtype !== "float32")
      fail(`weights[${k}] ('${s.name}')`, `dtype ${quote(s.dtype)}: only float32`);
    if (isObj(s.quantization)) fail(`weights[${k}] ('${s.name}')`, "quantized weights are not read");
    const slash = s.name.lastIndexOf("/");
    const ours = `${s.name.slice(0, slash)}/${WEIGHT_NAMES[s.name.slice(slash + 1)] ?? "?"}`;
    const p = params.get(ours);
    if (!p) fail(`weights[${k}] ('${s.name}')`, "names no parameter of these layers");
    const want = p.value.shape;
    const shape = s.shape as number[];
    if (shape.length !== want.length || shape.some((d, j) => d !== want[j]))
      fail(`weights[${k}] ('${s.name}')`, `shape (${shape.join(", ")}), but the layer needs (${want.join(", ")})`);
    plan.push({ name: ours, off, n: p.value.size });
    assigned.add(ours);
    off += 4 * p.value.size;
  });
  if (off !== bytes.byteLength)
    fail("weightData", `the specs declare ${off} bytes, the buffer holds ${bytes.byteLength}`);
  for (const name of params.keys()) if (!assigned.has(name)) fail("weights", `no weight for '${name}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const { name, off: o, n } of plan) {
    const p = params.get(name) as Param;
    const a = p.value.data;
    for (let i = 0; i < n; i++) {
      const v = view.getFloat32(o + 4 * i, true);
      if (!Number.isFinite(v)) fail(`weights ('${name}')[${i}]`, `${v} is not a finite number`);
      // the native loader's rule: a variance is never negative (it would predict NaN)
      if (p.nonNegative === true && v < 0) fail(`weights ('${name}')[${i}]`, `${v} is negative; it holds a variance`);
      a[i] = v;
    }
  }
  return model;
}
