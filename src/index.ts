/**
 * tinymlp — a small, readable, fast multilayer-perceptron library.
 * The whole public surface (browser-safe; Node-only helpers are in "tinymlp/node").
 */

export { Activation, type ActivationLayerOptions, Softmax } from "./activation-layer.js";
export {
  ACTIVATION_NAMES,
  type ActivationConfig,
  type ActivationFunction,
  type ActivationName,
  erf,
  getActivation,
} from "./activations.js";
export {
  type BatchStep,
  type BatchTransform,
  composeTransforms,
  deslant,
  gaussianBlur,
  gaussianKernel,
  ImageAugmentation,
  type ImageAugmentationOptions,
  identityWarp,
  normalizeWidth,
  reflectIndex,
  type Warp,
  warpImage,
} from "./augment.js";
export type { Backend } from "./backend/backend.js";
export { gemm, gemmNaive } from "./backend/gemm.js";
export { jsBackend } from "./backend/js.js";
export * as rules from "./backend/rules.js";
export { type BackendName, backendStatus, getBackend, resolveBackend, setBackend } from "./backend/select.js";
export {
  createWasmBackend,
  type WasmBackend,
  type WasmBackendOptions,
  type WasmSupport,
  wasmSupport,
} from "./backend/wasm.js";
export { Committee, type Predictor } from "./committee.js";
export { type DataLike, type DataSource, LabelSource, TensorSource, toSource, Uint8Source } from "./data.js";
export {
  batchIndices,
  type ImageDataset,
  imageDataset,
  imageSource,
  oneHot,
  sliceDataset,
  subsetDataset,
  validationSplit,
} from "./datasets.js";
export { Dense, type DenseOptions } from "./dense.js";
export { DIVERGENCE_FACTOR, type DivergenceInfo, DivergenceWatch, warnDivergence } from "./divergence.js";
export { Dropout, type DropoutOptions } from "./dropout.js";
export {
  DisposedError,
  NonFiniteLossError,
  NonFiniteParamError,
  ShapeError,
  TinyMlpError,
  ValueError,
} from "./errors.js";
export { type OnnxOptions, toOnnx } from "./export/onnx.js";
export { fromTfjs, type TfjsArtifacts, TfjsFormatError, type TfjsWeightSpec, toTfjs } from "./export/tfjs.js";
export { Flatten } from "./flatten.js";
export {
  checkpoint,
  deserialize,
  FORMAT_VERSION,
  FormatError,
  LIMITS,
  type Loaded,
  type LoadOptions,
  type ModelHeader,
  type ModelJSON,
  modelFromJSON,
  modelToJSON,
  serialize,
} from "./format/tmlp.js";
export { type GradCheckOptions, type GradCheckReport, type GradErrors, gradCheck } from "./gradcheck.js";
export { encodeIdx, type IdxArray, IdxFormatError, parseIdx } from "./idx.js";
export { type FromOnnxOptions, fromOnnx, ONNX_OPSETS } from "./import/onnx.js";
export { OnnxFormatError } from "./import/onnx-proto.js";
export {
  type FanInfo,
  getInitializer,
  INITIALIZER_NAMES,
  type Initializer,
  type InitializerConfig,
  type InitializerName,
} from "./initializers.js";
export {
  type BuildContext,
  type Layer,
  type LayerClass,
  type LayerConfig,
  type LayerOptions,
  type LayerShapes,
  layerOptions,
  type Mode,
  type Param,
} from "./layer.js";
export {
  applyOutputLink,
  BinaryCrossEntropy,
  CategoricalCrossEntropy,
  getLoss,
  Huber,
  LOSS_NAMES,
  type Loss,
  type LossConfig,
  type LossName,
  logSumExp,
  MeanAbsoluteError,
  MeanSquaredError,
  SparseCategoricalCrossEntropy,
} from "./losses.js";
export {
  Accuracy,
  type ClassificationReport,
  type ClassMetricName,
  classificationReport,
  confusionMatrix,
  MacroClassMetric,
  type Metric,
  type MetricName,
  metricFromName,
  RegressionMetric,
  type RegressionMetricName,
  TopKAccuracy,
} from "./metrics.js";
export {
  BatchNormalization,
  type BatchNormalizationOptions,
  LayerNormalization,
  type LayerNormalizationOptions,
} from "./normalization.js";
export {
  Adagrad,
  type AdagradOptions,
  Adam,
  type AdamOptions,
  AdamW,
  type BaseOptions,
  clipByGlobalNorm,
  clipByValue,
  Nadam,
  type NadamOptions,
  OPTIMIZER_NAMES,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerName,
  type OptimizerState,
  optimizerFromConfig,
  RMSprop,
  type RMSpropOptions,
  SGD,
  type SGDOptions,
} from "./optimizers.js";
export {
  checkKeys,
  nearestKey,
  OptionError,
  type OptionSpec,
  type Parsed,
  parseOptions,
  type Schema,
  type ValueOf,
} from "./options.js";
export { LAYER_CLASSES, type LayerKind } from "./registry.js";
export { Rng, type RngState } from "./rng.js";
export { Normalization, type NormalizationOptions } from "./scaling.js";
export {
  ConstantSchedule,
  CosineDecay,
  ExponentialDecay,
  type LearningRateSchedule,
  OneCycle,
  SCHEDULE_NAMES,
  type ScheduleConfig,
  type ScheduleName,
  StepDecay,
  scheduleFromConfig,
} from "./schedules.js";
export {
  type BatchOptions,
  type CompileOptions,
  History,
  type Logs,
  Sequential,
  type SequentialOptions,
  type TrainingState,
} from "./sequential.js";
export { type Split, type SplitOptions, trainTestSplit } from "./split.js";
export {
  type Encoded,
  parseCsvRecords,
  predictRecords,
  TableEncoding,
  type TableEncodingJSON,
  TableError,
  type TableRecord,
  type TableSpec,
} from "./table.js";
export { allocFloat, type DType, type FloatArray, type NestedArray, Tensor } from "./tensor.js";
export type { Callback } from "./train/callbacks.js";
export {
  EarlyStopping,
  type EarlyStoppingOptions,
  type MonitorMode,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
} from "./train/callbacks.js";
export type { FitOptions } from "./train/fit.js";
export type { ModelBuffers, TrainableModel } from "./train/model.js";
export { ModelBusyError, UnusableWeightsError } from "./train/state.js";
export { VERSION } from "./version.js";
