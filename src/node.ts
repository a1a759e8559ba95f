/**
 * tinymlp/node: helpers that need Node.js (file I/O). Everything else lives
 * in the browser-safe main entry. Each concern has its file under `node/`:
 * files (the guarded reader, the atomic writer), datasets (IDX, CSV),
 * models (save/load, checkpoints, TF.js and ONNX files), callbacks.
 */
export { CsvError, type CsvOptions, CsvParser, type CsvTable } from "./csv.js";
export { encodeIdx, type IdxArray, IdxFormatError, parseIdx } from "./idx.js";
export {
  ModelCheckpoint,
  type ModelCheckpointOptions,
  ProgressBar,
  type ProgressBarOptions,
} from "./node/callbacks.js";
export {
  loadCsv,
  loadCsvRecords,
  loadIdx,
  loadMnist,
  loadMnistCsv,
  type MnistCsvOptions,
} from "./node/datasets.js";
export {
  FileReadError,
  MAX_WHOLE_FILE,
  type ReadSpec,
  readChunks,
  readFileGuarded,
  readHead,
  statFile,
  writeFileAtomic,
} from "./node/files.js";
export { load, loadCheckpoint, loadOnnx, loadTfjs, save, saveOnnx, saveTfjs } from "./node/models.js";
